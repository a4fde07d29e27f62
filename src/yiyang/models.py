"""Import every domain's tables so that Base.metadata is complete (Alembic, tests)."""

from yiyang.audit import models as audit_models
from yiyang.dispatch import models as dispatch_models
from yiyang.events import models as event_models
from yiyang.orders import models as order_models
from yiyang.ports import models as port_models
from yiyang.registry import models as registry_models
from yiyang.security import models as security_models
from yiyang.timers import models as timer_models
from yiyang.visits import models as visit_models

__all__ = [
    "audit_models",
    "dispatch_models",
    "event_models",
    "order_models",
    "port_models",
    "registry_models",
    "security_models",
    "timer_models",
    "visit_models",
]

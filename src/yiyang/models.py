"""Import every domain's tables so that Base.metadata is complete (Alembic, tests)."""

from yiyang.audit import models as audit_models
from yiyang.registry import models as registry_models
from yiyang.security import models as security_models
from yiyang.timers import models as timer_models

__all__ = ["audit_models", "registry_models", "security_models", "timer_models"]

"""Import every domain's tables so that Base.metadata is complete (Alembic, tests)."""

from yiyang.alarms import models as alarm_models
from yiyang.alarms import rule_models as alarm_rule_models
from yiyang.alarms.handling import models as alarm_handling_models
from yiyang.alarms.response import models as response_models
from yiyang.console.reports import models as report_models
from yiyang.console.screen import kept_models, programme_models, rollup_models
from yiyang.devices import availability_models as device_availability_models
from yiyang.devices import gateway_models
from yiyang.devices import message_models as device_message_models
from yiyang.devices import models as device_models
from yiyang.dispatch import models as dispatch_models
from yiyang.events import models as event_models
from yiyang.jobs import models as job_models
from yiyang.orders import models as order_models
from yiyang.ports import models as port_models
from yiyang.registry.areas import models as area_models
from yiyang.registry.assessments import models as assessment_models
from yiyang.registry.catalog import models as catalog_models
from yiyang.registry.elders import models as elder_models
from yiyang.registry.facilities import models as facility_models
from yiyang.registry.providers import models as provider_models
from yiyang.registry.staff import models as staff_models
from yiyang.security import models as security_models
from yiyang.security.audit import models as audit_models
from yiyang.visits import care_models
from yiyang.visits import models as visit_models
from yiyang.visits.payment import models as payment_models

__all__ = [
    "alarm_handling_models",
    "alarm_models",
    "alarm_rule_models",
    "area_models",
    "assessment_models",
    "audit_models",
    "care_models",
    "catalog_models",
    "device_availability_models",
    "device_message_models",
    "device_models",
    "dispatch_models",
    "elder_models",
    "event_models",
    "facility_models",
    "gateway_models",
    "job_models",
    "kept_models",
    "order_models",
    "payment_models",
    "port_models",
    "programme_models",
    "provider_models",
    "report_models",
    "response_models",
    "rollup_models",
    "security_models",
    "staff_models",
    "visit_models",
]

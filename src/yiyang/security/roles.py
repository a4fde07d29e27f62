"""The roles of DOMAIN.md §2 and what each may do (role-level permissions, before scope)."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from yiyang.errors import N_


class Role(StrEnum):
    """Who a user is to the platform."""

    DISTRICT_ADMIN = "district_admin"
    STREET_ADMIN = "street_admin"
    COMMUNITY_STAFF = "community_staff"
    PROVIDER_ADMIN = "provider_admin"
    CAREGIVER = "caregiver"
    OPERATOR = "operator"
    SUPERVISOR = "supervisor"
    ASSESSOR = "assessor"
    ELDER = "elder"
    FAMILY = "family"
    AUDITOR = "auditor"


class Perm(StrEnum):
    """Actions guarded by role; data scope is applied separately in repositories."""

    AREA_READ = "area.read"
    PROVIDER_READ = "provider.read"
    PROVIDER_WRITE = "provider.write"
    FACILITY_READ = "facility.read"
    FACILITY_WRITE = "facility.write"
    STAFF_READ = "staff.read"
    STAFF_WRITE = "staff.write"
    STAFF_IDENTITY = "staff.identity"  # see staff ID numbers unmasked
    STAFF_PHONE = "staff.phone"  # see staff phone numbers unmasked
    ELDER_READ = "elder.read"
    ELDER_WRITE = "elder.write"
    ELDER_IMPORT = "elder.import"
    ELDER_EXPORT = "elder.export"
    ELDER_IDENTITY = "elder.identity"  # see elders' ID numbers and birth dates unmasked
    ELDER_PHONE = "elder.phone"  # see elders' and their contacts' phone numbers unmasked
    CATALOG_READ = "catalog.read"
    CATALOG_WRITE = "catalog.write"
    USER_MANAGE = "user.manage"
    AUDIT_READ = "audit.read"
    ORDER_CREATE = "order.create"
    ORDER_READ = "order.read"
    ORDER_ACT = "order.act"  # move an order along (accept, refuse, cancel, confirm…)
    ORDER_DISPATCH = "order.dispatch"  # dispatcher: queue, manual assign, pin, reassign
    ORDER_STAFF = "order.staff"  # see whom an order is offered to before they accept
    DISPATCH_READ = "dispatch.read"  # see dispatch decisions (other providers' staff unnamed)
    DISPATCH_DETAIL = "dispatch.detail"  # see every caregiver dispatch weighed, by name
    POLICY_WRITE = "policy.write"
    VISIT_READ = "visit.read"
    VISIT_ACT = "visit.act"  # caregiver: accept, travel, check in/out, checklist, notes
    VISIT_CORRECT = "visit.correct"  # manual corrections with a reason code
    VISIT_RATE = "visit.rate"  # elder or family: confirm and rate
    COMPLAINT_WRITE = "complaint.write"
    COMPLAINT_READ = "complaint.read"
    COMPLAINT_HANDLE = "complaint.handle"  # assign a complaint, close it with an outcome
    COMPLAINT_RESPOND = "complaint.respond"  # answer a complaint (a provider for its own)
    RETURN_VISIT_WRITE = "return_visit.write"
    ALERT_READ = "alert.read"
    ALERT_ACK = "alert.ack"
    EVV_EXPORT = "evv.export"
    SETTLEMENT_READ = "settlement.read"
    SETTLEMENT_WRITE = "settlement.write"  # create, recompute, review and close runs
    VISIT_REVIEW = "visit.review"  # approve or reject paying an unpayable visit, ask why
    VISIT_EXPLAIN = "visit.explain"  # a provider answers a reviewer's question
    DEVICE_READ = "device.read"
    DEVICE_WRITE = "device.write"  # register, bind, replace, retire, import a delivery batch
    ALARM_READ = "alarm.read"
    ALARM_HANDLE = "alarm.handle"  # the call centre: acknowledge, call, send, resolve, close
    ALARM_SUPERVISE = "alarm.supervise"  # answer-time figures, operators' load, review tickets
    ALARM_RESPOND = "alarm.respond"  # a responder on the way: accept, arrive, report
    ALARM_ROSTER = "alarm.roster"  # set when the community workers of an area are on duty
    ELDER_HEALTH = "elder.health"  # see elders' mobility and health conditions
    ELDER_AWAY = "elder.away"  # mark an elder away from home (no inactivity alarms) and back
    ASSESSMENT_READ = "assessment.read"  # capability assessments and their item scores
    ASSESSMENT_WRITE = "assessment.write"  # assess an elder's capability (sets the level)
    SCREEN_VIEW = "screen.view"  # the big screen (大屏): district figures, live orders, alarms
    SCREEN_FIGURES = "screen.figures"  # set the programme's budget and totals the screen shows
    REPORT_VIEW = "report.view"  # the bureau's reports of a period (page, workbook, print)
    REPORT_ISSUE = "report.issue"  # issue a month's report: its figures are frozen as issued


_ALL = frozenset(Perm)
_REFERENCE = {Perm.AREA_READ, Perm.CATALOG_READ}
_ORDERING = {Perm.ORDER_CREATE, Perm.ORDER_READ, Perm.ORDER_ACT}
# Dispatchers see who was weighed for an order and call the caregivers they send.
_DISPATCHING = _ORDERING | {
    Perm.ORDER_DISPATCH, Perm.ORDER_STAFF, Perm.DISPATCH_READ, Perm.DISPATCH_DETAIL,
    Perm.STAFF_PHONE,
}  # fmt: skip

ROLE_PERMISSIONS: dict[Role, frozenset[Perm]] = {
    Role.DISTRICT_ADMIN: _ALL,
    Role.STREET_ADMIN: frozenset(
        _REFERENCE
        | _DISPATCHING
        | {
            Perm.PROVIDER_READ,
            Perm.FACILITY_READ,
            Perm.FACILITY_WRITE,
            Perm.STAFF_READ,
            Perm.ELDER_READ,
            Perm.ELDER_WRITE,
            Perm.ELDER_IMPORT,
            Perm.ELDER_EXPORT,
            Perm.ELDER_IDENTITY,
            Perm.ELDER_PHONE,
        }
    ),
    Role.COMMUNITY_STAFF: frozenset(
        _REFERENCE
        | _ORDERING
        | {
            Perm.ORDER_STAFF,
            Perm.DISPATCH_READ,
            Perm.FACILITY_READ,
            Perm.ELDER_READ,
            Perm.ELDER_WRITE,
            Perm.ELDER_EXPORT,
            Perm.ELDER_IDENTITY,
            Perm.ELDER_PHONE,
        }
    ),
    Role.PROVIDER_ADMIN: frozenset(
        _REFERENCE
        | {Perm.PROVIDER_READ, Perm.FACILITY_READ, Perm.STAFF_READ, Perm.STAFF_WRITE}
        | {Perm.STAFF_IDENTITY, Perm.STAFF_PHONE}
        | {Perm.ORDER_READ, Perm.ORDER_ACT, Perm.ORDER_STAFF, Perm.DISPATCH_READ}
    ),
    Role.CAREGIVER: frozenset(_REFERENCE | {Perm.ORDER_READ, Perm.ORDER_ACT, Perm.ORDER_STAFF}),
    Role.OPERATOR: frozenset(
        _REFERENCE
        | _DISPATCHING
        | {
            Perm.PROVIDER_READ,
            Perm.FACILITY_READ,
            Perm.STAFF_READ,
            Perm.ELDER_READ,
            Perm.ELDER_PHONE,
        }
    ),
    Role.SUPERVISOR: frozenset(
        _REFERENCE
        | _DISPATCHING
        | {
            Perm.PROVIDER_READ,
            Perm.FACILITY_READ,
            Perm.STAFF_READ,
            Perm.ELDER_READ,
            Perm.ELDER_PHONE,
        }
    ),
    Role.ASSESSOR: frozenset(_REFERENCE | {Perm.ELDER_READ, Perm.ELDER_IDENTITY, Perm.ELDER_PHONE}),
    Role.ELDER: frozenset(_REFERENCE | _ORDERING),
    Role.FAMILY: frozenset(_REFERENCE | _ORDERING),
    Role.AUDITOR: frozenset(
        _REFERENCE
        | {
            Perm.PROVIDER_READ,
            Perm.FACILITY_READ,
            Perm.STAFF_READ,
            Perm.ELDER_READ,
            Perm.ELDER_EXPORT,  # oversight extracts: masked, and every export is audited
            Perm.AUDIT_READ,
            Perm.ORDER_READ,
            Perm.ORDER_STAFF,
            Perm.DISPATCH_READ,
            Perm.DISPATCH_DETAIL,  # dispatch fairness is what oversight reviews
        }
    ),
}

# Visit supervision grants, kept apart so the table above stays readable.
_VISIT_GRANTS: dict[Role, set[Perm]] = {
    Role.STREET_ADMIN: {
        Perm.VISIT_READ, Perm.VISIT_CORRECT, Perm.COMPLAINT_READ, Perm.ALERT_READ,
        Perm.ALERT_ACK, Perm.EVV_EXPORT, Perm.VISIT_REVIEW, Perm.SETTLEMENT_READ,
    },
    Role.COMMUNITY_STAFF: {Perm.VISIT_READ, Perm.COMPLAINT_WRITE, Perm.ALERT_READ},
    Role.PROVIDER_ADMIN: {
        Perm.VISIT_READ, Perm.COMPLAINT_READ, Perm.ALERT_READ, Perm.ALERT_ACK, Perm.EVV_EXPORT,
        Perm.SETTLEMENT_READ, Perm.VISIT_EXPLAIN,
    },
    Role.CAREGIVER: {Perm.VISIT_READ, Perm.VISIT_ACT},
    Role.OPERATOR: {
        Perm.VISIT_READ, Perm.VISIT_CORRECT, Perm.COMPLAINT_WRITE, Perm.COMPLAINT_READ,
        Perm.RETURN_VISIT_WRITE, Perm.ALERT_READ, Perm.ALERT_ACK,
    },
    Role.SUPERVISOR: {
        Perm.VISIT_READ, Perm.VISIT_CORRECT, Perm.COMPLAINT_WRITE, Perm.COMPLAINT_READ,
        Perm.RETURN_VISIT_WRITE, Perm.ALERT_READ, Perm.ALERT_ACK,
    },
    Role.ELDER: {Perm.VISIT_READ, Perm.VISIT_RATE, Perm.COMPLAINT_WRITE},
    Role.FAMILY: {Perm.VISIT_READ, Perm.VISIT_RATE, Perm.COMPLAINT_WRITE},
    Role.AUDITOR: {
        Perm.VISIT_READ, Perm.COMPLAINT_READ, Perm.ALERT_READ, Perm.EVV_EXPORT,
        Perm.SETTLEMENT_READ,
    },
}  # fmt: skip
# Complaint handling: the call centre and street admins take them to the end.
for _role in (Role.STREET_ADMIN, Role.OPERATOR, Role.SUPERVISOR):
    _VISIT_GRANTS[_role] |= {Perm.COMPLAINT_HANDLE, Perm.COMPLAINT_RESPOND}
_VISIT_GRANTS[Role.PROVIDER_ADMIN] |= {Perm.COMPLAINT_RESPOND}
# Devices and alarms: the call centre handles alarms district-wide; street and community
# staff see their area's and go when sent; families see their elder's.
_DEVICE_GRANTS: dict[Role, set[Perm]] = {
    Role.STREET_ADMIN: {Perm.DEVICE_READ, Perm.DEVICE_WRITE, Perm.ALARM_READ, Perm.ALARM_ROSTER},
    Role.COMMUNITY_STAFF: {
        Perm.DEVICE_READ, Perm.DEVICE_WRITE, Perm.ALARM_READ, Perm.ALARM_RESPOND,
        Perm.ALARM_ROSTER,
    },
    Role.PROVIDER_ADMIN: {Perm.ALARM_READ},
    Role.CAREGIVER: {Perm.ALARM_RESPOND},
    Role.OPERATOR: {Perm.DEVICE_READ, Perm.ALARM_READ, Perm.ALARM_HANDLE},
    Role.SUPERVISOR: {Perm.DEVICE_READ, Perm.ALARM_READ, Perm.ALARM_HANDLE, Perm.ALARM_SUPERVISE},
    Role.ELDER: {Perm.ALARM_READ},
    Role.FAMILY: {Perm.ALARM_READ},
    Role.AUDITOR: {Perm.DEVICE_READ, Perm.ALARM_READ},
}  # fmt: skip
# Health data (mobility, conditions): those who care for or respond to the elder, in scope;
# caregivers of the elder's visits and the elder's own see them by relation (disclosure.py).
# Away from home: the area's staff, the call centre and the family (for their elder).
_CARE_GRANTS: dict[Role, set[Perm]] = {
    Role.STREET_ADMIN: {Perm.ELDER_HEALTH, Perm.ELDER_AWAY},
    Role.COMMUNITY_STAFF: {Perm.ELDER_HEALTH, Perm.ELDER_AWAY},
    Role.OPERATOR: {Perm.ELDER_HEALTH, Perm.ELDER_AWAY},
    Role.SUPERVISOR: {Perm.ELDER_HEALTH, Perm.ELDER_AWAY},
    Role.ASSESSOR: {Perm.ELDER_HEALTH},
    Role.FAMILY: {Perm.ELDER_AWAY},
}
# Capability assessments: assessors record them; whoever sees health data reads them.
for _role, _grants in _CARE_GRANTS.items():
    if Perm.ELDER_HEALTH in _grants:
        _grants.add(Perm.ASSESSMENT_READ)
_CARE_GRANTS[Role.ASSESSOR].add(Perm.ASSESSMENT_WRITE)
# The big screen: the district and street command posts and the call centre that runs them.
for _role in (Role.STREET_ADMIN, Role.OPERATOR, Role.SUPERVISOR):
    _CARE_GRANTS.setdefault(_role, set()).add(Perm.SCREEN_VIEW)
# The bureau's reports: the district and street centres and the call centre's supervisors.
for _role in (Role.STREET_ADMIN, Role.SUPERVISOR):
    _CARE_GRANTS.setdefault(_role, set()).add(Perm.REPORT_VIEW)
ROLE_PERMISSIONS = {
    role: perms
    | _VISIT_GRANTS.get(role, set())
    | _DEVICE_GRANTS.get(role, set())
    | _CARE_GRANTS.get(role, set())
    for role, perms in ROLE_PERMISSIONS.items()
}

# Roles whose data scope is the whole district (no area, provider or person binding).
DISTRICT_WIDE = frozenset(
    {Role.DISTRICT_ADMIN, Role.OPERATOR, Role.SUPERVISOR, Role.ASSESSOR, Role.AUDITOR}
)

ROLE_LABELS: dict[str, str] = {
    Role.DISTRICT_ADMIN: N_("District administrator"),
    Role.STREET_ADMIN: N_("Street administrator"),
    Role.COMMUNITY_STAFF: N_("Community staff"),
    Role.PROVIDER_ADMIN: N_("Provider administrator"),
    Role.CAREGIVER: N_("Caregiver"),
    Role.OPERATOR: N_("Call-centre operator"),
    Role.SUPERVISOR: N_("Call-centre supervisor"),
    Role.ASSESSOR: N_("Assessor"),
    Role.ELDER: N_("Elder"),
    Role.FAMILY: N_("Family member"),
    Role.AUDITOR: N_("Auditor"),
}


def roles_named(names: Iterable[str], setting: str) -> frozenset[Role]:
    """The roles a setting lists by name; an unknown name is a configuration error."""
    known = {role.value for role in Role}
    unknown = [name for name in names if name not in known]
    if unknown:
        raise ValueError(f"{setting} names unknown roles {unknown}; known: {sorted(known)}")
    return frozenset(Role(name) for name in names)

"""What a refused person may not do, in words: one sentence per permission (403 pages, API).

A permission another change adds without a sentence here reads the general one; the test
of this module lists the permissions that have none.
"""

from __future__ import annotations

from yiyang.errors import N_
from yiyang.security.roles import Perm

GENERAL = N_("Your role may not do this.")

REFUSALS: dict[str, str] = {
    Perm.AREA_READ: N_("Your role may not look at the district's streets and communities."),
    Perm.PROVIDER_READ: N_("Your role may not look at service providers."),
    Perm.PROVIDER_WRITE: N_("Your role may not add or change service providers."),
    Perm.FACILITY_READ: N_("Your role may not look at facilities."),
    Perm.FACILITY_WRITE: N_("Your role may not add or change facilities."),
    Perm.STAFF_READ: N_("Your role may not look at staff records."),
    Perm.STAFF_WRITE: N_("Your role may not add or change staff records."),
    Perm.STAFF_IDENTITY: N_("Your role may not see staff ID numbers in full."),
    Perm.STAFF_PHONE: N_("Your role may not see staff phone numbers in full."),
    Perm.ELDER_READ: N_("Your role may not look at elders' records."),
    Perm.ELDER_WRITE: N_("Your role may not register elders or change their records."),
    Perm.ELDER_IMPORT: N_("Your role may not import elders from a spreadsheet."),
    Perm.ELDER_EXPORT: N_("Your role may not export the elder register."),
    Perm.ELDER_IDENTITY: N_("Your role may not see elders' ID numbers in full."),
    Perm.ELDER_PHONE: N_("Your role may not see elders' phone numbers in full."),
    Perm.CATALOG_READ: N_("Your role may not look at the service catalog."),
    Perm.CATALOG_WRITE: N_("Your role may not change the service catalog or its prices."),
    Perm.USER_MANAGE: N_("Your role may not manage user accounts."),
    Perm.AUDIT_READ: N_("Your role may not read the audit log."),
    Perm.ORDER_CREATE: N_("Your role may not place orders."),
    Perm.ORDER_READ: N_("Your role may not look at orders."),
    Perm.ORDER_ACT: N_("Your role may not move orders along (accept, cancel, confirm)."),
    Perm.ORDER_DISPATCH: N_(
        "Your role may not dispatch orders: the dispatcher queue, assigning caregivers by hand "
        "and day plans are for dispatchers."
    ),
    Perm.ORDER_STAFF: N_("Your role may not see whom an order is offered to."),
    Perm.DISPATCH_READ: N_("Your role may not see dispatch decisions."),
    Perm.DISPATCH_DETAIL: N_("Your role may not see every caregiver dispatch weighed."),
    Perm.POLICY_WRITE: N_("Your role may not change subsidy policies."),
    Perm.VISIT_READ: N_("Your role may not look at visits."),
    Perm.VISIT_ACT: N_("Only caregivers check in and out of visits."),
    Perm.VISIT_CORRECT: N_("Your role may not correct visit records."),
    Perm.VISIT_RATE: N_("Only the elder and their family confirm and rate visits."),
    Perm.COMPLAINT_WRITE: N_("Your role may not file or handle complaints."),
    Perm.COMPLAINT_READ: N_("Your role may not read complaints."),
    Perm.RETURN_VISIT_WRITE: N_("Your role may not record return visits."),
    Perm.ALERT_READ: N_("Your role may not see visit alerts."),
    Perm.ALERT_ACK: N_("Your role may not acknowledge or resolve visit alerts."),
    Perm.EVV_EXPORT: N_("Your role may not export visit records."),
    Perm.SETTLEMENT_READ: N_("Your role may not look at settlements."),
    Perm.DEVICE_READ: N_("Your role may not look at devices."),
    Perm.DEVICE_WRITE: N_("Your role may not register, bind, replace or retire devices."),
    Perm.ALARM_READ: N_("Your role may not look at alarms."),
    Perm.ALARM_HANDLE: N_("Only the call centre handles alarms."),
    Perm.ALARM_SUPERVISE: N_("Only a call-centre supervisor sees the answer-time figures."),
    Perm.ALARM_RESPOND: N_("Your role is not sent to alarms."),
    Perm.ALARM_ROSTER: N_("Your role may not set when community workers are on duty."),
    Perm.ELDER_HEALTH: N_("Your role may not see elders' mobility and health conditions."),
    Perm.ELDER_AWAY: N_("Your role may not mark an elder away from home."),
    Perm.ASSESSMENT_READ: N_("Your role may not read capability assessments."),
    Perm.ASSESSMENT_WRITE: N_("Only assessors record capability assessments."),
    Perm.SCREEN_VIEW: N_(
        "The big screen is for the district and street centres and the call centre."
    ),
    Perm.SCREEN_FIGURES: N_("Only the district administrator sets the programme's figures."),
    Perm.REPORT_VIEW: N_("Reports are for the district and street centres and supervisors."),
    Perm.REPORT_ISSUE: N_("Only the district administrator issues a month's report."),
}


def refusal(perm: str) -> str:
    """The sentence saying what a person without this permission may not do (translatable)."""
    return REFUSALS.get(str(perm), GENERAL)

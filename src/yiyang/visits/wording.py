"""Words for the codes of aftercare: complaint statuses, steps, outcomes, call results."""

from __future__ import annotations

from yiyang.errors import N_

STATUS_WORDS = {
    "open": N_("Open"),
    "assigned": N_("Assigned"),
    "responded": N_("Answered"),
    "closed": N_("Closed"),
}
STEP_WORDS = {
    "file": N_("Complaint filed"),
    "assign": N_("Handed on"),
    "respond": N_("Answer given"),
    "close": N_("Closed with an outcome"),
}
OUTCOME_WORDS = {
    "upheld_fixed": N_("Upheld, put right"),
    "upheld_compensated": N_("Upheld, compensated"),
    "partly_upheld": N_("Partly upheld"),
    "not_upheld": N_("Not upheld"),
    "withdrawn": N_("Withdrawn"),
    "referred": N_("Referred elsewhere"),
}
CATEGORY_WORDS = {
    "lateness": N_("Lateness"),
    "quality": N_("Quality of service"),
    "attitude": N_("Attitude"),
    "safety": N_("Safety"),
    "billing": N_("Billing"),
    "other": N_("Other"),
}
RESULT_WORDS = {
    "reached": N_("Reached"),
    "not_reached": N_("Not reached"),
    "call_back": N_("Asked to call back"),
    "wrong_number": N_("Wrong number"),
    "refused": N_("Declined the call"),
}
ROLE_CODES = ("district_admin", "street_admin", "operator", "supervisor", "provider_admin")

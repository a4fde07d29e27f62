"""Words of the alarm console: the timeline's steps, mobility, device state, call results."""

from __future__ import annotations

from yiyang.alarms.kinds import StepAction
from yiyang.errors import N_
from yiyang.registry.vocab import Mobility

STEP_LABELS: dict[str, str] = {
    StepAction.RAISED: N_("Alarm received"),
    StepAction.REPEATED: N_("The device raised it again"),
    StepAction.CLEARED: N_("The cause went away"),
    StepAction.ESCALATED: N_("Escalated"),
    StepAction.ACKNOWLEDGED: N_("Acknowledged"),
    StepAction.CALLED: N_("Called"),
    StepAction.CALL_RESULT: N_("Call result"),
    StepAction.CALLED_120: N_("Called 120"),
    StepAction.RESPONDER_SENT: N_("Responder sent"),
    StepAction.RESPONDER_ACCEPTED: N_("Responder accepted"),
    StepAction.RESPONDER_ON_THE_WAY: N_("Responder on the way"),
    StepAction.RESPONDER_ARRIVED: N_("Responder arrived"),
    StepAction.RESPONDER_REPORTED: N_("Responder reported"),
    StepAction.NOTE: N_("Note"),
    StepAction.FAMILY_TOLD: N_("Family told"),
    StepAction.RESOLVED: N_("Resolved"),
    StepAction.CLOSED: N_("Closed"),
    StepAction.REVIEWED: N_("Reviewed"),
}

STATUS_LABELS: dict[str, str] = {
    "queued": N_("Waiting for an operator"),
    "acknowledged": N_("Acknowledged"),
    "responding": N_("Being handled"),
    "resolved": N_("Resolved"),
    "closed": N_("Closed"),
}

MOBILITY_LABELS: dict[str, str] = {
    Mobility.INDEPENDENT: N_("Walks unaided"),
    Mobility.WALKING_AID: N_("Walks with a stick or frame"),
    Mobility.WHEELCHAIR: N_("Uses a wheelchair"),
    Mobility.BEDRIDDEN: N_("Bedridden"),
}

CAPABILITY_LABELS: dict[int, str] = {
    0: N_("Capable (level 0)"),
    1: N_("Mildly dependent (level 1)"),
    2: N_("Moderately dependent (level 2)"),
    3: N_("Severely dependent (level 3)"),
    4: N_("Completely dependent (level 4)"),
}

ESCALATION_LABELS: dict[int, str] = {
    1: N_("Not answered in 60 s: supervisor told"),
    2: N_("Not answered in 180 s: every operator told"),
}

REVIEW_REASON_LABELS: dict[str, str] = {
    "not_answered_180s": N_("Not answered within 180 s"),
    "spot_check": N_("Spot check"),
}

METRIC_LABELS: dict[str, str] = {
    "heart_rate": N_("Heart rate"),
    "systolic": N_("Blood pressure, systolic"),
    "diastolic": N_("Blood pressure, diastolic"),
    "temperature": N_("Temperature"),
    "spo2": N_("Blood oxygen"),
    "respiration": N_("Breathing rate"),
    "water_m3": N_("Water used"),
}

TELEPHONY_REFUSALS: dict[str, str] = {
    "telephony_not_configured": N_("Not set up (no secret)"),
    "unsigned": N_("Unsigned"),
    "bad_timestamp": N_("Unreadable time stamp"),
    "stale_signature": N_("Signature too old or ahead"),
    "bad_signature": N_("Forged or changed"),
    "bad_body": N_("Not a call"),
    "invalid": N_("No phone number"),
    "replayed": N_("Replayed"),
}

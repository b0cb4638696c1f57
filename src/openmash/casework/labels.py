"""Words for the contract's and the protocol's codes, translatable (an unknown code is shown as itself).

Adding a language is a translation-file job: every label here is a ``gettext_lazy`` string.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.functional import Promise
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

LEVEL: dict[str, Promise] = {"high": _("High risk"), "medium": _("Medium risk"), "standard": _("Standard risk")}

CRITERIA: dict[str, Promise] = {
    "officer_high": _("Officer graded high"),
    "visible_high_risk": _("Visible high risk (14 or more DASH answers yes)"),
    "potential_escalation": _("Potential escalation (3 or more incidents in 12 months)"),
    "professional_judgement": _("Professional judgement"),
}

AGENCY: dict[str, Promise] = {
    "police": _("Police"), "csc": _("Children's social care"), "early_help": _("Early help"),
    "midwifery": _("Midwifery"), "health_visiting": _("Health visiting"), "school_nursing": _("School nursing"),
    "gp": _("GP practice"), "ed": _("Emergency department"), "adult_mental_health": _("Adult mental health"),
    "drug_alcohol": _("Drug and alcohol service"), "probation": _("Probation"), "yos": _("Youth offending service"),
    "school": _("School"), "housing": _("Housing"), "idva": _("IDVA service"), "marac": _("MARAC"),
}

KIND: dict[str, Promise] = {
    "da_incident": _("Domestic abuse incident"), "police_incident": _("Police incident"),
    "csc_contact": _("Contact with children's social care"), "csc_referral": _("Referral to children's social care"),
    "strategy_discussion": _("Strategy discussion"), "cp_plan": _("Child protection plan"),
    "cin_plan": _("Child in need plan"), "maternity_booking": _("Maternity booking"), "birth": _("Birth"),
    "ed_attendance": _("Emergency department attendance"), "hv_contact": _("Health visitor contact"),
    "school_nurse_contact": _("School nurse contact"), "gp_registration": _("GP registration"),
    "school_enrolment": _("School enrolment"), "probation_supervision": _("Probation supervision"),
    "yos_order": _("Youth offending order"), "drug_alcohol_episode": _("Drug and alcohol treatment"),
    "mental_health_episode": _("Mental health treatment"), "tenancy": _("Tenancy"),
    "marac_referral": _("MARAC referral"), "response": _("Information added by a practitioner"),
}

ROLE: dict[str, Promise] = {
    "victim": _("Victim"), "perpetrator": _("Alleged perpetrator"), "child_present": _("Child present"),
    "child_in_household": _("Child in the household"), "other_adult": _("Other adult"), "subject": _("Subject"),
    "parent": _("Parent"), "carer": _("Carer"), "household_member": _("Household member"),
    "professional": _("Professional"), "referrer": _("Referrer"),
}

REASON: dict[str, Promise] = {
    "CSC_CHILD_AT_DA_INCIDENT": _("A child was involved in a domestic abuse incident"),
    "CSC_CHILD_VICTIM_UNDER_16": _("A victim is under 16"),
    "HV_CHILD_UNDER_5": _("A child under 5 was involved"),
    "SCHOOL_NURSING_SCHOOL_AGE": _("A school-age child was involved"),
    "SCHOOL_ENCOMPASS": _("A pupil was involved (Operation Encompass)"),
    "MIDWIFERY_PREGNANCY": _("A pregnant woman was involved"),
    "MARAC_REFERRAL": _("High risk: referral to MARAC"),
    "MARAC_REPEAT": _("Repeat MARAC case"),
    "IDVA_HIGH_RISK": _("High risk: IDVA support"),
    "PROBATION_SUPERVISED_PERSON": _("A person under probation supervision was involved"),
    "YOS_SUPERVISED_PERSON": _("A person on a youth offending order was involved"),
    "DRUG_ALCOHOL_OPEN_CASE": _("An open drug and alcohol case, with a child involved"),
    "MENTAL_HEALTH_OPEN_CASE": _("An open mental health case, with a child involved"),
    "GP_HIGH_RISK": _("High risk: a patient of the practice was involved"),
    "DECISION_FEEDBACK": _("Front-door decision on your referral"),
    "CHALLENGE": _("A referrer challenges a front-door decision"),
    "CHALLENGE_OUTCOME": _("The outcome of your challenge"),
    "ESCALATION_UNACKNOWLEDGED": _("Not acknowledged by its deadline"),
    "RECORD_CORRECTED": _("The record was corrected: this no longer applies"),
    "CONFIDENTIAL_ADDRESS_DISCLOSED": _("A confidential address was disclosed earlier"),
}

ALERT: dict[str, Promise] = {
    "REPEAT_INCIDENTS": _("Repeat incidents"),
    "PERPETRATOR_NEW_HOUSEHOLD": _("Alleged perpetrator in a new household with children"),
    "REPEAT_CONTACTS": _("Repeat contacts without a referral"),
    "SUPERVISED_ADULT_WITH_CHILDREN": _("Supervised adult living with children"),
    "UNBORN_CHILD_DA": _("Pregnancy of a recent domestic abuse victim"),
}

PRIORITY: dict[str, Promise] = {
    "immediate": _("Immediate"), "same_day": _("Same day"), "next_working_day": _("Next working day"),
    "routine": _("Routine"),
}

CONTENT_LEVEL: dict[str, Promise] = {"minimal": _("Minimal"), "health": _("Health"), "full": _("Full")}

POWER: dict[str, Promise] = {
    "arrest": _("Arrest"), "bail_conditions": _("Bail conditions"),
    "dvpn": _("Domestic violence protection notice"), "dvpo": _("Domestic violence protection order"),
    "dapn": _("Domestic abuse protection notice"), "dapo": _("Domestic abuse protection order"),
    "restraining_order": _("Restraining order"), "none": _("None"),
}

ANSWER: dict[str, Promise] = {"yes": _("Yes"), "no": _("No"), "not_known": _("Not known")}

FACT: dict[str, Promise] = {
    "officer_risk": _("Officer's grading"), "offences": _("Offences"), "powers_used": _("Powers used"),
    "category": _("Category"), "from_agency": _("From"), "outcome": _("Outcome"),
    "agencies_present": _("Agencies present"), "due_date": _("Due date"), "booking_team": _("Booking team"),
    "discharge_date": _("Discharged"), "reason": _("Reason"), "contact_type": _("Contact type"),
    "ods_code": _("Practice code"), "school_urn": _("School URN"), "order_type": _("Order"), "team": _("Team"),
    "referring_agency": _("Referring agency"), "criteria": _("Criteria"),
}

LINK_METHOD: dict[str, Promise] = {
    "nhs_number": _("Same valid NHS number"), "agency_person_id": _("Same agency person id"),
    "model": _("Match model"), "new": _("No match found: a new person"),
    "review": _("Uncertain: kept apart until reviewed"), "manual": _("Decided by a reviewer"),
    "rebuild": _("Batch rebuild"),
}

LINK_FIELD: dict[str, Promise] = {
    "given": _("Given names"), "surname": _("Family name"), "dob": _("Date of birth"), "sex": _("Sex"),
    "address": _("Address"), "nhs": _("NHS number"), "agency_id": _("Agency person id"),
    # Where postcodes do not place both addresses, the address is compared part by part.
    "number": _("Building number"), "street": _("Street"), "town": _("Town"),
}

LINK_LEVEL: dict[str, Promise] = {
    "exact": _("exact"), "variant": _("a known variant"), "typo": _("a likely typing error"), "loose": _("similar"),
    "else": _("different"), "swap": _("day and month swapped"), "near": _("close"),
    "estimate_agrees": _("agrees with an estimated age"), "estimate_close": _("close to an estimated age"),
    "estimate_disagrees": _("differs from an estimated age"), "agree": _("same"), "disagree": _("different"),
    "household": _("same household"), "postcode": _("same postcode"), "district": _("same postcode district"),
    "street": _("same street, another number"), "building": _("same house and street, another town"),
    "town": _("same town"), "first_only": _("first given name only"), "swapped": _("written the other way round"),
}

OUTCOME: dict[str, Promise] = {
    "referral": _("Referral to children's social care"), "early_help": _("Early help"),
    "nfa": _("No further action"), "advice": _("Advice and information"),
    "assessment": _("Assessment"), "s47": _("Section 47 enquiry"),
}

RESOLUTION: dict[str, Promise] = {"upheld": _("Decision upheld"), "revised": _("Decision revised")}

SEX: dict[str, Promise] = {"female": _("Female"), "male": _("Male"), "unknown": _("Not known")}

FAMILIES: dict[str, Mapping[str, Promise]] = {
    "level": LEVEL, "criteria": CRITERIA, "agency": AGENCY, "kind": KIND, "role": ROLE, "reason": REASON,
    "alert": ALERT, "priority": PRIORITY, "content_level": CONTENT_LEVEL, "power": POWER, "answer": ANSWER,
    "fact": FACT, "link_method": LINK_METHOD, "link_field": LINK_FIELD, "link_level": LINK_LEVEL,
    "outcome": OUTCOME, "sex": SEX, "resolution": RESOLUTION,
}


_resolved: dict[tuple[str | None, str, str], str] = {}


def label(family: str, code: object) -> str:
    """The words for ``code`` in ``family``; the code itself when it has none (an area's own code).

    Resolved words are kept per language: a long chronology asks for the same few labels hundreds of times.
    """
    text = str(code) if code is not None else ""
    key = (get_language(), family, text)
    hit = _resolved.get(key)
    if hit is None:
        found = FAMILIES.get(family, {}).get(text)
        hit = str(found) if found is not None else text
        if len(_resolved) < 20_000:
            _resolved[key] = hit
    return hit

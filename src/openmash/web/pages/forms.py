"""Forms of the casework pages. Each error message says what to do, as the Design System asks."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from openmash.casework.domain.decisions import MAX_RATIONALE_CHARS
from openmash.casework.domain.triage import AGE_BANDS
from openmash.casework.labels import AGENCY, KIND, LEVEL, OUTCOME

_TEXTAREA = {"class": "govuk-textarea", "rows": 6}
_SELECT = {"class": "govuk-select"}
_INPUT = {"class": "govuk-input govuk-input--width-10", "spellcheck": "false"}

AGE_LABELS = {
    "under-1": _("Under 1"), "under-5": _("Under 5"), "5-11": _("5 to 11"), "12-17": _("12 to 17"),
}
PROBLEM_MESSAGES = {
    "outcome_missing": _("Select a decision"),
    "outcome_unknown": _("Select a decision from the list"),
    "rationale_missing": _("Enter the rationale for your decision"),
    "rationale_too_short": _("Explain your decision in a few words at least"),
    "rationale_too_long": _("Rationale must be 5000 characters or fewer"),
    "response_missing": _("Enter the information you want to add"),
    "response_too_short": _("Enter at least a few words"),
    "response_too_long": _("Information must be 5000 characters or fewer"),
    "challenge_missing": _("Enter why you challenge the decision"),
    "challenge_too_short": _("Explain your challenge in a few words at least"),
    "challenge_too_long": _("Challenge must be 5000 characters or fewer"),
    "already_decided": _("This incident already has a decision; only a manager can revise it"),
    "already_challenged": _("This decision has already been challenged"),
    "not_queued": _("This incident is not on the triage queue"),
    "assignee_not_triage": _("Select a triage officer"),
    "not_manager": _("Only a team manager can assign work"),
    "not_yours": _("This notification is not addressed to your team"),
    "resolution_missing": _("Select whether the decision stands or is revised"),
    "resolution_unknown": _("Select whether the decision stands or is revised"),
    "reply_missing": _("Enter your reply to the referrer"),
    "reply_too_short": _("Explain your reply in a few words at least"),
    "reply_too_long": _("Reply must be 5000 characters or fewer"),
    "revision_same_outcome": _("Select a different decision, or keep the decision as it stands"),
    "already_resolved": _("This challenge has already been resolved"),
    "not_resolver": _("Only the front-door manager or a manager of the deciding team can resolve a challenge"),
}


def problem_message(code: str) -> str:
    return str(PROBLEM_MESSAGES.get(code, code))


def _choices(mapping: dict[str, Any], *, blank: Any) -> list[tuple[str, Any]]:
    return [("", blank), *mapping.items()]


class QueueFilterForm(forms.Form):
    level = forms.ChoiceField(label=_("Risk level"), required=False, choices=_choices(LEVEL, blank=_("Any level")),
                              widget=forms.Select(attrs=_SELECT))
    age = forms.ChoiceField(label=_("Youngest child"), required=False,
                            choices=_choices({b.code: AGE_LABELS[b.code] for b in AGE_BANDS}, blank=_("Any age")),
                            widget=forms.Select(attrs=_SELECT))
    area = forms.CharField(label=_("Area (postcode district)"), required=False, max_length=8,
                           help_text=_("For example, CB4"), widget=forms.TextInput(attrs=_INPUT))
    mine = forms.BooleanField(label=_("Only incidents allocated to me"), required=False,
                              widget=forms.CheckboxInput(attrs={"class": "govuk-checkboxes__input"}))


class DecisionForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Decision"), choices=[(k, OUTCOME[k]) for k in ("referral", "early_help", "advice", "nfa")],
        widget=forms.RadioSelect, error_messages={"required": PROBLEM_MESSAGES["outcome_missing"],
                                                  "invalid_choice": PROBLEM_MESSAGES["outcome_unknown"]})
    rationale = forms.CharField(
        label=_("Rationale"), max_length=MAX_RATIONALE_CHARS, widget=forms.Textarea(attrs=_TEXTAREA),
        help_text=_("Say why, in words the referring agency will understand. It is sent to them."),
        error_messages={"required": PROBLEM_MESSAGES["rationale_missing"],
                        "max_length": PROBLEM_MESSAGES["rationale_too_long"]})


class AssignForm(forms.Form):
    assignee = forms.ChoiceField(label=_("Triage officer"), choices=(), widget=forms.Select(attrs=_SELECT),
                                 error_messages={"required": PROBLEM_MESSAGES["assignee_not_triage"],
                                                 "invalid_choice": PROBLEM_MESSAGES["assignee_not_triage"]})

    def __init__(self, *args: Any, officers: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = officers  # type: ignore[attr-defined]


class ChallengeForm(forms.Form):
    reason = forms.CharField(
        label=_("Why do you challenge this decision?"), max_length=MAX_RATIONALE_CHARS,
        widget=forms.Textarea(attrs=_TEXTAREA),
        help_text=_("Your challenge goes to the front-door manager, who must respond by the next working day."),
        error_messages={"required": PROBLEM_MESSAGES["challenge_missing"],
                        "max_length": PROBLEM_MESSAGES["challenge_too_long"]})


class ResolveChallengeForm(forms.Form):
    """Upheld needs a reply; revised a new decision and its rationale (the service checks which applies)."""

    resolution = forms.ChoiceField(
        label=_("What happens to the decision?"),
        choices=[("upheld", _("The decision stands")), ("revised", _("Revise the decision"))],
        widget=forms.RadioSelect, error_messages={"required": PROBLEM_MESSAGES["resolution_missing"],
                                                  "invalid_choice": PROBLEM_MESSAGES["resolution_unknown"]})
    outcome = forms.ChoiceField(
        label=_("New decision"), required=False, choices=DecisionForm.base_fields["outcome"].choices,  # type: ignore[attr-defined]
        widget=forms.RadioSelect, help_text=_("Only when you revise the decision."),
        error_messages={"invalid_choice": PROBLEM_MESSAGES["outcome_unknown"]})
    response = forms.CharField(
        label=_("Your reply and reasons"), max_length=MAX_RATIONALE_CHARS, widget=forms.Textarea(attrs=_TEXTAREA),
        help_text=_("Sent to the referrer. When you revise the decision, this is the new decision's rationale."),
        error_messages={"required": PROBLEM_MESSAGES["reply_missing"],
                        "max_length": PROBLEM_MESSAGES["reply_too_long"]})


class ResponseForm(forms.Form):
    text = forms.CharField(
        label=_("Add information"), max_length=MAX_RATIONALE_CHARS, widget=forms.Textarea(attrs=_TEXTAREA),
        help_text=_("What your service knows or has done. It appears on the chronology of the people this is about."),
        error_messages={"required": PROBLEM_MESSAGES["response_missing"],
                        "max_length": PROBLEM_MESSAGES["response_too_long"]})


PERIODS = {"12m": _("Last 12 months"), "3y": _("Last 3 years"), "5y": _("Last 5 years")}


class ChronologyFilterForm(forms.Form):
    agency = forms.ChoiceField(label=_("Agency"), required=False, choices=(), widget=forms.Select(attrs=_SELECT))
    kind = forms.ChoiceField(label=_("Type of record"), required=False, choices=(),
                             widget=forms.Select(attrs=_SELECT))
    period = forms.ChoiceField(label=_("Period"), required=False,
                               choices=_choices(PERIODS, blank=_("All time")), widget=forms.Select(attrs=_SELECT))
    significant = forms.BooleanField(label=_("Only the most significant"), required=False,
                                     widget=forms.CheckboxInput(attrs={"class": "govuk-checkboxes__input"}))

    def __init__(self, *args: Any, agencies: list[str], kinds: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agency"].choices = _choices({a: AGENCY.get(a, a) for a in agencies},  # type: ignore[attr-defined]
                                                 blank=_("All agencies"))
        self.fields["kind"].choices = _choices({k: KIND.get(k, k) for k in kinds},  # type: ignore[attr-defined]
                                               blank=_("All types"))


class ReviewDecisionForm(forms.Form):
    same_person = forms.ChoiceField(
        label=_("Are these the same person?"),
        choices=[("yes", _("Yes, the same person: merge them")), ("no", _("No, different people: keep them apart"))],
        widget=forms.RadioSelect, error_messages={"required": _("Select whether these are the same person")})


class CorrectLineForm(forms.Form):
    """A quarantined line, corrected by the front door (data-quality task)."""

    corrected = forms.CharField(
        label=_("Corrected record"), strip=True,
        widget=forms.Textarea(attrs={**_TEXTAREA, "rows": 12, "spellcheck": "false"}),
        help_text=_("One JSON object, as the sender's system should have sent it. It is processed "
                    "as if it had arrived then, and routed if it arrived live."),
        error_messages={"required": _("Enter the corrected record")})


class DismissLineForm(forms.Form):
    """Closing a data-quality task without a correction, with the reason."""

    reason = forms.CharField(
        label=_("Why does this line need no correction?"), max_length=500,
        widget=forms.Textarea(attrs={**_TEXTAREA, "rows": 3, "spellcheck": "false"}),
        help_text=_("For example: the sender has since sent the record correctly."),
        error_messages={"required": _("Enter why the line needs no correction"),
                        "max_length": _("The reason must be 500 characters or fewer")})

"""Forms of the governance pages (GOV.UK classes on every widget)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from openmash.governance.models import BreakGlassGrant, BreakGlassReason

_TEXT = {"class": "govuk-input govuk-!-width-one-half", "autocomplete": "off", "spellcheck": "false"}
_NUMBER = {"class": "govuk-input govuk-date-input__input govuk-input--width-2", "inputmode": "numeric"}


class SearchForm(forms.Form):
    given_names = forms.CharField(label=_("Given names"), required=False, max_length=200,
                                  widget=forms.TextInput(attrs=_TEXT))
    family_name = forms.CharField(label=_("Family name"), required=False, max_length=200,
                                  widget=forms.TextInput(attrs=_TEXT))
    dob_day = forms.IntegerField(label=_("Day"), required=False, min_value=1, max_value=31,
                                 widget=forms.TextInput(attrs=_NUMBER))
    dob_month = forms.IntegerField(label=_("Month"), required=False, min_value=1, max_value=12,
                                   widget=forms.TextInput(attrs=_NUMBER))
    dob_year = forms.IntegerField(label=_("Year"), required=False, min_value=1900, max_value=2100,
                                  widget=forms.TextInput(attrs={**_NUMBER, "class": _NUMBER["class"].replace(
                                      "width-2", "width-4")}))
    nhs_number = forms.CharField(label=_("NHS number"), required=False, max_length=20,
                                 widget=forms.TextInput(attrs={**_TEXT, "class": "govuk-input govuk-input--width-10",
                                                               "inputmode": "numeric"}))
    postcode = forms.CharField(label=_("Postcode"), required=False, max_length=10,
                               widget=forms.TextInput(attrs={**_TEXT, "class": "govuk-input govuk-input--width-10"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        parts = [data.get("dob_day"), data.get("dob_month"), data.get("dob_year")]
        data["date_of_birth"] = None
        if any(p is not None for p in parts):
            if not all(p is not None for p in parts):
                self.add_error("dob_day", _("Date of birth must include a day, month and year"))
            else:
                try:
                    data["date_of_birth"] = dt.date(int(parts[2]), int(parts[1]), int(parts[0]))  # type: ignore[arg-type]
                except ValueError:
                    self.add_error("dob_day", _("Date of birth must be a real date"))
        return data


class BreakGlassForm(forms.Form):
    reason_code = forms.ChoiceField(label=_("Reason"), choices=BreakGlassReason.choices,
                                    widget=forms.RadioSelect(attrs={"class": "govuk-radios__input"}),
                                    error_messages={"required": _("Select the reason you need emergency access")})
    reason_text = forms.CharField(
        label=_("Why you need to see this person's record now"), min_length=20, max_length=2000,
        widget=forms.Textarea(attrs={"class": "govuk-textarea", "rows": 4}),
        help_text=_("Do not write names or addresses here. Your manager and the information governance lead "
                    "will review this."),
        error_messages={"required": _("Explain why you need emergency access"),
                        "min_length": _("Explain in at least 20 characters why you need emergency access")})
    confirm = forms.BooleanField(
        label=_("I understand this access is time-limited, recorded and reviewed, and that misuse is a criminal "
                "offence"), widget=forms.CheckboxInput(attrs={"class": "govuk-checkboxes__input"}),
        error_messages={"required": _("Confirm you understand how emergency access is reviewed")})


class ReviewForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=BreakGlassGrant.Outcome.choices,
                                widget=forms.RadioSelect(attrs={"class": "govuk-radios__input"}),
                                error_messages={"required": _("Select whether the access was justified")})
    note = forms.CharField(label=_("Review note"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"class": "govuk-textarea", "rows": 3}))


class AuditQueryForm(forms.Form):
    person_id = forms.CharField(label=_("Person id"), required=False, max_length=64,
                                widget=forms.TextInput(attrs={**_TEXT, "class": "govuk-input govuk-input--width-20"}))
    username = forms.CharField(label=_("Username"), required=False, max_length=150,
                               widget=forms.TextInput(attrs={**_TEXT, "class": "govuk-input govuk-input--width-20"}))


class SarForm(forms.Form):
    person_id = forms.CharField(label=_("Person id"), max_length=64,
                                widget=forms.TextInput(attrs={**_TEXT, "class": "govuk-input govuk-input--width-20"}),
                                error_messages={"required": _("Enter the person id of the data subject")})
    requester_reference = forms.CharField(
        label=_("Request reference"), max_length=100, help_text=_("Your reference for the request. No names."),
        widget=forms.TextInput(attrs={**_TEXT, "class": "govuk-input govuk-input--width-20"}),
        error_messages={"required": _("Enter the request reference")})
    received_on = forms.DateField(
        label=_("Date the request was received"), help_text=_("For example, 2025-03-27"),
        widget=forms.DateInput(attrs={**_TEXT, "class": "govuk-input govuk-input--width-10"}),
        error_messages={"required": _("Enter the date the request was received"),
                        "invalid": _("Enter the date as year-month-day, for example 2025-03-27")})


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), choices=[("approve", _("Approve for release")),
                                                               ("reject", _("Reject"))],
                                 widget=forms.RadioSelect(attrs={"class": "govuk-radios__input"}),
                                 error_messages={"required": _("Select approve or reject")})
    note = forms.CharField(label=_("Note"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"class": "govuk-textarea", "rows": 3}))

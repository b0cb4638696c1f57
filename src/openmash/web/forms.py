from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

_INPUT = {"class": "govuk-input govuk-!-width-two-thirds"}


class SignInForm(AuthenticationForm):
    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["username"].label = _("Username")
        self.fields["username"].widget.attrs.update({**_INPUT, "autocomplete": "username", "spellcheck": "false"})
        self.fields["password"].label = _("Password")
        self.fields["password"].widget.attrs.update({**_INPUT, "autocomplete": "current-password"})


class TokenForm(forms.Form):
    token = forms.CharField(
        label=_("Security code"), max_length=6, min_length=6,
        widget=forms.TextInput(attrs={"class": "govuk-input govuk-input--width-5", "inputmode": "numeric",
                                      "autocomplete": "one-time-code", "spellcheck": "false"}),
        error_messages={"required": _("Enter the 6-digit security code"),
                        "min_length": _("Security code must be 6 digits")},
    )

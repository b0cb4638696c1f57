"""Admin: quarantine review (see every problem and the raw line; re-submit a corrected record), API tokens."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, format_html_join

from openmash.intake.models import AgencySystemToken, DataQualityTask, Quarantine
from openmash.intake.services import dismiss_quarantined, resubmit_quarantined
from openmash.platform.audit import Actor, record_event


def _actor(request: HttpRequest) -> Actor:
    return Actor(name=getattr(request.user, "username", "admin"), role="admin",
                 source_ip=request.META.get("REMOTE_ADDR", ""))


class ResubmitForm(forms.Form):
    corrected = forms.CharField(
        label="Corrected record (one JSON object)", widget=forms.Textarea(attrs={"rows": 20, "cols": 120}))


class DismissForm(forms.Form):
    reason = forms.CharField(label="Why it needs no re-submission", max_length=500)


@admin.register(Quarantine)
class QuarantineAdmin(admin.ModelAdmin[Quarantine]):
    list_display = ["id", "received_at", "source_file", "line", "agency", "record_id", "first_problem", "resolved_at"]
    list_filter = ["agency", ("resolved_at", admin.EmptyFieldListFilter)]
    search_fields = ["record_id", "source_file"]
    readonly_fields = ["source_file", "line", "agency", "record_id", "kind", "problem_list", "raw_line",
                       "received_at", "live", "resolved_at", "resolved_by", "resolution", "resubmit_link"]
    exclude = ["raw", "raw_sha256", "problems"]
    change_form_template = None

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # nothing quarantined is ever thrown away; it is resolved instead

    @admin.display(description="problem")
    def first_problem(self, obj: Quarantine) -> str:
        extra = f" (+{len(obj.problems) - 1} more)" if len(obj.problems) > 1 else ""
        return (obj.problems[0] if obj.problems else "") + extra

    @admin.display(description="problems")
    def problem_list(self, obj: Quarantine) -> str:
        return format_html("<ul>{}</ul>", format_html_join("", "<li>{}</li>", ((p,) for p in obj.problems)))

    @admin.display(description="raw line")
    def raw_line(self, obj: Quarantine) -> str:
        return format_html("<pre style='white-space: pre-wrap'>{}</pre>", obj.raw_text)

    @admin.display(description="")
    def resubmit_link(self, obj: Quarantine) -> str:
        if obj.resolved_at:
            return "resolved"
        return format_html('<a class="button" href="{}">Re-submit a corrected record</a> '
                           '<a class="button" href="{}">Dismiss</a>',
                           reverse("admin:intake_quarantine_resubmit", args=[obj.pk]),
                           reverse("admin:intake_quarantine_dismiss", args=[obj.pk]))

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "",
                    extra_context: dict[str, Any] | None = None) -> HttpResponse:
        with transaction.atomic():  # the raw line holds personal data: reading it is audited
            record_event(actor=_actor(request), action="quarantine.viewed", object_type="quarantine",
                         object_id=str(object_id), purpose="data quality")
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self) -> list[URLPattern]:
        own = [
            path("<int:pk>/resubmit/", self.admin_site.admin_view(self.resubmit_view),
                 name="intake_quarantine_resubmit"),
            path("<int:pk>/dismiss/", self.admin_site.admin_view(self.dismiss_view), name="intake_quarantine_dismiss"),
        ]
        return own + super().get_urls()

    def resubmit_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not self.has_change_permission(request):
            return HttpResponse(status=403)
        row = get_object_or_404(Quarantine, pk=pk)
        problems: tuple[str, ...] = ()
        if request.method == "POST":
            form = ResubmitForm(request.POST)
            if form.is_valid():
                outcome = resubmit_quarantined(row, form.cleaned_data["corrected"], actor=_actor(request))
                if outcome.accepted and outcome.result is not None:
                    messages.success(request, f"Re-submitted: {outcome.result.agency}/{outcome.result.record_id} "
                                              f"v{outcome.result.version} {outcome.result.outcome}.")
                    return HttpResponseRedirect(reverse("admin:intake_quarantine_change", args=[pk]))
                problems = outcome.problems
        else:
            form = ResubmitForm(initial={"corrected": row.raw_text.lstrip("\ufeff")})
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "original": row,
                   "form": form, "problems": problems, "title": f"Re-submit quarantined line {pk}",
                   "action": "resubmit"}
        return TemplateResponse(request, "admin/intake/quarantine/action.html", context)

    def dismiss_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not self.has_change_permission(request):
            return HttpResponse(status=403)
        row = get_object_or_404(Quarantine, pk=pk)
        form = DismissForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            dismiss_quarantined(row, reason=form.cleaned_data["reason"], actor=_actor(request))
            messages.success(request, "Dismissed.")
            return HttpResponseRedirect(reverse("admin:intake_quarantine_change", args=[pk]))
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "original": row,
                   "form": form, "problems": (), "title": f"Dismiss quarantined line {pk}", "action": "dismiss"}
        return TemplateResponse(request, "admin/intake/quarantine/action.html", context)


@admin.register(DataQualityTask)
class DataQualityTaskAdmin(admin.ModelAdmin[DataQualityTask]):
    list_display = ["id", "kind", "agency", "created_at", "due_at", "closed_at", "quarantine"]
    list_filter = ["kind", "agency", ("closed_at", admin.EmptyFieldListFilter)]
    readonly_fields = ["kind", "quarantine", "agency", "created_at", "due_at", "closed_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


class TokenForm(forms.ModelForm[AgencySystemToken]):
    class Meta:
        model = AgencySystemToken
        fields = ["agency", "name"]


@admin.register(AgencySystemToken)
class AgencySystemTokenAdmin(admin.ModelAdmin[AgencySystemToken]):
    list_display = ["id", "agency", "name", "created_at", "last_used_at", "revoked_at"]
    form = TokenForm
    actions = ["revoke"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["agency", "name", "created_at", "last_used_at", "revoked_at"] if obj else []

    def save_model(self, request: HttpRequest, obj: AgencySystemToken, form: Any, change: bool) -> None:
        if change:
            return
        token, key = AgencySystemToken.issue(agency=obj.agency, name=obj.name)
        obj.pk = token.pk
        with transaction.atomic():
            record_event(actor=_actor(request), action="api_token.issued", object_type="agency_system_token",
                         object_id=str(token.pk), purpose="agency feed", details={"agency": obj.agency.code})
        messages.warning(request, f"Token for {obj.agency.code}:{obj.name} — copy it now, it is not shown again: {key}")

    @admin.action(description="Revoke selected tokens")
    def revoke(self, request: HttpRequest, queryset: Any) -> None:
        from django.utils import timezone

        with transaction.atomic():
            for token in queryset.filter(revoked_at=None):
                token.revoked_at = timezone.now()
                token.save(update_fields=["revoked_at"])
                record_event(actor=_actor(request), action="api_token.revoked", object_type="agency_system_token",
                             object_id=str(token.pk), purpose="agency feed")

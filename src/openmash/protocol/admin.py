"""Admin: each team's push channels (e-mail, signed webhook), and every delivery with its attempts (read-only)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from openmash.protocol.models import Delivery, DeliveryAttempt, Endpoint


@admin.register(Endpoint)
class EndpointAdmin(admin.ModelAdmin[Endpoint]):
    list_display = ["agency", "team", "channel", "address", "active"]
    list_filter = ["channel", "agency", "active"]
    search_fields = ["team", "address"]


class AttemptInline(admin.TabularInline[DeliveryAttempt, Delivery]):
    model = DeliveryAttempt
    extra = 0
    can_delete = False
    readonly_fields = ["at", "ok", "status_code", "error"]

    def has_add_permission(self, request: HttpRequest, obj: Delivery | None = None) -> bool:
        return False


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin[Delivery]):
    """Failed pushes are listed here, never dropped: an administrator sees every attempt."""

    list_display = ["idempotency_key", "channel", "status", "attempts", "next_attempt_at", "last_error"]
    list_filter = ["status", "channel"]
    search_fields = ["idempotency_key"]
    inlines = [AttemptInline]
    readonly_fields = ["notification", "endpoint", "channel", "revision", "idempotency_key", "status", "attempts",
                       "created_at", "next_attempt_at", "delivered_at", "last_error"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Delivery | None = None) -> bool:
        return False

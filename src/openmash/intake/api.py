"""``POST /api/v1/records``: an agency's system sends records as a JSON array (contract §1, same semantics as
``openmash ingest``, live). Each item gets its own result; a token may only send its own agency's records."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_array_type, build_basic_type
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from openmash.intake.models import AgencySystemToken
from openmash.intake.services import LineResult, ingest_items
from openmash.platform.audit import Actor

MAX_ITEMS = 1000
_ITEM_STATUS = {"new": 201, "updated": 200, "duplicate": 200, "stale": 200, "quarantined": 422}


@dataclass(frozen=True)
class AgencySystem:
    """The authenticated caller: one agency's system, by its token."""

    token: AgencySystemToken

    is_authenticated = True

    @property
    def agency(self) -> str:
        return self.token.agency.code


class AgencyTokenAuthentication(BaseAuthentication):  # type: ignore[misc]  # DRF ships no stubs
    """``Authorization: Bearer <token>`` with a token issued in the admin to one agency's system."""

    def authenticate(self, request: Request) -> tuple[AgencySystem, AgencySystemToken] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() not in (b"bearer", b"token"):
            return None
        if len(parts) != 2:
            raise AuthenticationFailed("Authorization header must be 'Bearer <token>'.")
        key = parts[1].decode("ascii", errors="replace")
        token = (AgencySystemToken.objects.select_related("agency")
                 .filter(key_hash=AgencySystemToken.hash_key(key), revoked_at=None).first())
        if token is None:
            raise AuthenticationFailed("Unknown or revoked token.")
        AgencySystemToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
        return AgencySystem(token), token

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="openmash"'


class AgencyTokenScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "openmash.intake.api.AgencyTokenAuthentication"
    name = "agencyToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "description": "A token issued to one agency's system."}


class ItemResultSerializer(serializers.Serializer[Any]):  # type: ignore[misc]
    index = serializers.IntegerField(help_text="0-based position in the request array")
    status = serializers.IntegerField(help_text="201 new, 200 updated/duplicate/stale, 422 quarantined, "
                                                "403 another agency's record")
    outcome = serializers.ChoiceField(choices=["new", "updated", "duplicate", "stale", "quarantined", "forbidden"])
    agency = serializers.CharField(allow_null=True)
    record_id = serializers.CharField(allow_null=True)
    version = serializers.IntegerField(allow_null=True)
    problems = serializers.ListField(child=serializers.CharField())
    warnings = serializers.ListField(child=serializers.CharField())
    conflicting_duplicate = serializers.BooleanField()


class ResponseSerializer(serializers.Serializer[Any]):  # type: ignore[misc]
    results = ItemResultSerializer(many=True)


def _result(index: int, row: LineResult) -> dict[str, Any]:
    return {"index": index, "status": _ITEM_STATUS[row.outcome], "outcome": row.outcome, "agency": row.agency,
            "record_id": row.record_id, "version": row.version, "problems": list(row.problems),
            "warnings": list(row.warnings), "conflicting_duplicate": row.conflicting}


def _forbidden(index: int, item: dict[str, Any], own: str) -> dict[str, Any]:
    record_id = item.get("record_id")
    return {"index": index, "status": 403, "outcome": "forbidden", "agency": item["source"]["agency"],
            "record_id": record_id if isinstance(record_id, str) else None, "version": None,
            "problems": [f"this token may submit only {own} records"], "warnings": [],
            "conflicting_duplicate": False}


def _claimed_agency(item: Any) -> str | None:
    source = item.get("source") if isinstance(item, dict) else None
    agency = source.get("agency") if isinstance(source, dict) else None
    return agency if isinstance(agency, str) else None


class RecordsView(APIView):  # type: ignore[misc]
    authentication_classes = [AgencyTokenAuthentication]

    @extend_schema(
        operation_id="submit_records",
        summary="Submit records (interchange contract v1) as a JSON array",
        description="Each item is one record as a feed line would hold it. Items are processed live, in "
                    "ascending recorded_at, idempotently by (agency, record_id, version). The response lists "
                    "one result per item, in request order.",
        request={"application/json": build_array_type(build_basic_type(OpenApiTypes.OBJECT) or {})},
        responses={200: ResponseSerializer},
    )
    def post(self, request: Request) -> Response:
        caller: AgencySystem = request.user
        items = request.data
        if not isinstance(items, list):
            return Response({"detail": "The body must be a JSON array of records."}, status=status.HTTP_400_BAD_REQUEST)
        if len(items) > MAX_ITEMS:
            return Response({"detail": f"At most {MAX_ITEMS} records per request."},
                            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
        own = caller.agency
        results: dict[int, dict[str, Any]] = {}
        allowed: list[tuple[int, Any]] = []
        for index, item in enumerate(items):
            claimed = _claimed_agency(item)
            if claimed is not None and claimed != own:
                results[index] = _forbidden(index, item, own)
            else:
                allowed.append((index, item))
        token = caller.token
        actor = Actor(name=f"system:{own}:{token.name}", role="system", source_ip=request.META.get("REMOTE_ADDR", ""))
        report = ingest_items([item for _, item in allowed], source=f"api:{own}:{token.name}", actor=actor,
                              sender=own)
        for row in report.results:
            index = allowed[row.line - 1][0]
            results[index] = _result(index, row)
        return Response({"results": [results[i] for i in range(len(items))]}, status=status.HTTP_200_OK)

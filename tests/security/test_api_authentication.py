"""Every API operation that needs a caller names its authentication: none falls back to DRF's defaults, which
include HTTP Basic (a password alone, bypassing MFA)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.authentication import BasicAuthentication
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView


def api_views():
    def walk(patterns):
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns)
            elif isinstance(p, URLPattern):
                cls = getattr(p.callback, "cls", None)
                if isinstance(cls, type) and issubclass(cls, APIView):
                    yield p.pattern, cls

    return list(walk(get_resolver().url_patterns))


def test_no_protected_api_operation_accepts_a_password_alone():
    found = api_views()
    assert found, "the walk found no API view"
    offenders = []
    for pattern, cls in found:
        public = all(issubclass(p, AllowAny) for p in cls.permission_classes) or cls.__name__.startswith("Spectacular")
        if not public and any(issubclass(a, BasicAuthentication) for a in cls.authentication_classes):
            offenders.append(str(pattern))
    assert offenders == []

"""What every casework view shares: role guards, the request's moment and address."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from openmash.accounts.models import User
from openmash.platform.domain.access_rules import Role

View = Callable[..., HttpResponse]


def user_of(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def roles_required(*roles: Role) -> Callable[[View], View]:
    """Signed in, and holding one of ``roles`` (a page about work, not about a person: 403 is fine)."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not set(roles) & user_of(request).role_set():
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return login_required(wrapped)

    return decorate


def now() -> dt.datetime:
    return timezone.now()


def client_ip(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR", ""))


def page_int(request: HttpRequest, name: str = "page") -> int:
    try:
        return max(1, int(request.GET.get(name, "1")))
    except ValueError:
        return 1

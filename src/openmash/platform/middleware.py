"""Session and response hardening shared by every page."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

Handler = Callable[[HttpRequest], HttpResponse]
_OPEN_PATHS = ("/sign-in", "/sign-out", "/static/", "/i18n/", "/api/", "/mfa/", "/healthz")


def load_authority(user: Any) -> None:
    """Read the user's roles, team and agency in one statement (they were three: roles, team, agency), and keep
    them on the user for the rest of the request: the role guards, the access layer's viewer and the audit
    rows' actor then read nothing more. Read afresh on every request, never cached across requests, so a
    removed role or a change of team ends the session at its next request (``SessionTimeoutMiddleware``)."""
    memberships = getattr(user, "memberships", None)
    if memberships is None or "memberships" in getattr(user, "_prefetched_objects_cache", {}):
        return
    rows = list(memberships.select_related("user__team__agency"))
    if rows:
        user.team = rows[0].user.team
    # What ``memberships.all()`` returns from now on in this request (Django's prefetch cache).
    user._prefetched_objects_cache = {**getattr(user, "_prefetched_objects_cache", {}), "memberships": rows}


def authority_fingerprint(user: object) -> str:
    """What a session's authority rests on: the user's team and roles. A change ends the session (ASVS 7.4.2)."""
    team = getattr(user, "team_id", None)
    # role_set() keeps the roles on the user, so the page's own access checks do not read them again.
    roles = sorted(user.role_set()) if hasattr(user, "role_set") else []
    return f"{team}|{','.join(roles)}"


#: How stale ``last_seen`` may be before a request writes the session again. The idle limit is therefore
#: enforced to within this many seconds (a session may end up to a minute early, never late), and most
#: requests leave the session row untouched.
LAST_SEEN_GRANULARITY_SECONDS = 60


class SessionTimeoutMiddleware:
    """Ends a session after ``SESSION_IDLE_SECONDS`` without a request and ``SESSION_COOKIE_AGE`` after sign-in
    (the absolute limit), and at once when the user has been disabled or has moved team or role (checked on
    every request, so a session outlives such a change by no request at all).

    ``last_seen`` is written at most once a minute (``LAST_SEEN_GRANULARITY_SECONDS``): a session idle for
    ``SESSION_IDLE_SECONDS`` minus up to 60 s may already be ended. ``signed_in_at`` is written once; the
    absolute limit is measured from it, so saving the session does not extend it.
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and not user.is_authenticated and "_auth_user_id" in request.session:
            # The session names a user who can no longer be loaded (disabled, deleted): end it for good, so
            # re-enabling the account never revives it.
            request.session.flush()
        if user is not None and user.is_authenticated:
            session = request.session
            now = time.time()
            last = float(session.get("last_seen", now))
            signed_in = float(session.get("signed_in_at", now))
            load_authority(user)
            authority = authority_fingerprint(user)
            held = session.get("authority", authority)
            if (now - last > settings.SESSION_IDLE_SECONDS - LAST_SEEN_GRANULARITY_SECONDS
                    or now - signed_in > settings.SESSION_COOKIE_AGE or not user.is_active or held != authority):
                logout(request)
                return redirect(settings.LOGIN_URL)
            if "signed_in_at" not in session or "authority" not in session:
                session["signed_in_at"], session["authority"] = signed_in, authority
            if now - last >= LAST_SEEN_GRANULARITY_SECONDS or "last_seen" not in session:
                session["last_seen"] = now
        return self.get_response(request)


class MfaRequiredMiddleware:
    """Outside demo mode, a signed-in user reaches nothing but MFA set-up until they pass TOTP."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            settings.OPENMASH_MFA_REQUIRED
            and user is not None
            and user.is_authenticated
            and not user.is_verified()
            and not request.path.startswith(_OPEN_PATHS)
        ):
            return redirect("web:mfa")
        return self.get_response(request)


class NoStoreMiddleware:
    """Pages and API answers may carry personal data: never cache them anywhere."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith("/static/"):
            response["Cache-Control"] = "no-store"
            response["Pragma"] = "no-cache"
        return response

"""Delivery channels: how a notification leaves the hub besides the in-app inbox.

A channel turns one delivery into one attempt and says whether it worked. E-mail
carries no personal data (a prompt to sign in); a webhook carries the notification
as the recipient may see it, signed with the endpoint's key (HMAC-SHA256) and with
an idempotency key so the receiving system can discard a repeat.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.urls import reverse

SIGNATURE_HEADER = "X-OpenMASH-Signature"
IDEMPOTENCY_HEADER = "Idempotency-Key"
TIMEOUT_SECONDS = 10


@dataclass(frozen=True, slots=True)
class Result:
    ok: bool
    status_code: int | None = None
    error: str = ""


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def post(url: str, body: bytes, headers: dict[str, str]) -> Result:
    """POST once; any 2xx is delivered. Kept as one function so tests can stand in for the network."""
    if not url.startswith(("https://", "http://")):
        return Result(False, None, f"not an http(s) URL: {url[:80]}")
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 - scheme checked
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 - scheme checked
            code = int(response.status)
            return Result(200 <= code < 300, code, "" if 200 <= code < 300 else f"HTTP {code}")
    except urllib.error.HTTPError as exc:
        return Result(False, exc.code, f"HTTP {exc.code}")
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        return Result(False, None, str(exc)[:500])


def send_webhook(url: str, secret: str, payload: dict[str, Any], idempotency_key: str) -> Result:
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")
    headers = {"Content-Type": "application/json", IDEMPOTENCY_HEADER: idempotency_key,
               SIGNATURE_HEADER: sign(secret, body)}
    return post(url, body, headers)


def send_email(address: str, notification: dict[str, Any]) -> Result:
    """A prompt to sign in: priority, reasons and deadline only — never names, addresses or narrative."""
    base = getattr(settings, "OPENMASH_BASE_URL", "").rstrip("/")
    subject = f"OpenMASH: {notification['priority'].replace('_', ' ')} notification for your team"
    body = (f"A notification has been sent to your team ({', '.join(notification['reasons'])}).\n"
            f"Please acknowledge it by {notification['due_by']}.\n"
            f"Sign in to read it: {base}{reverse('web:notification', args=[notification['notification_id']])}\n")
    try:
        EmailMessage(subject, body, None, [address]).send()
    except Exception as exc:  # noqa: BLE001 - any transport failure is one failed attempt, retried later
        return Result(False, None, f"{type(exc).__name__}: {exc}"[:500])
    return Result(True)

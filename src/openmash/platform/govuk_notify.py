"""A Django e-mail backend that sends through GOV.UK Notify (the government's messaging service).

Notify sends e-mail from a template; OpenMASH's template (set up once in the Notify service) has two
placeholders, ``((subject))`` and ``((body))``, which the backend fills from each message. What OpenMASH sends
by e-mail carries no personal data (``protocol.channels.send_email``: a prompt to sign in), so the template
holds nothing sensitive either.

Settings (read into ``MAILERS["default"]["OPTIONS"]``): ``OPENMASH_EMAIL=notify``, ``OPENMASH_NOTIFY_API_KEY``
(the key as Notify shows it, ``name-<service id>-<secret>``), ``OPENMASH_NOTIFY_TEMPLATE_ID``, and
``OPENMASH_NOTIFY_BASE_URL`` only to point at another Notify endpoint. Uses GOV.UK's own client, ``notifications-python-client``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend
from notifications_python_client.errors import APIError
from notifications_python_client.notifications import NotificationsAPIClient

DEFAULT_BASE_URL = "https://api.notifications.service.gov.uk"


class NotifyEmailBackend(BaseEmailBackend):
    def __init__(self, *, api_key: str = "", template_id: str = "", base_url: str = "", fail_silently: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.fail_silently = fail_silently
        if len(api_key) < 74 or not template_id:
            raise ImproperlyConfigured(
                "GOV.UK Notify needs OPENMASH_NOTIFY_API_KEY (the whole key Notify shows, name-serviceid-secret) "
                "and OPENMASH_NOTIFY_TEMPLATE_ID (a template with ((subject)) and ((body)))")
        self.template_id = template_id
        self.client = NotificationsAPIClient(  # type: ignore[no-untyped-call]
            api_key, base_url=base_url or DEFAULT_BASE_URL, timeout=10)

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        sent = 0
        for message in email_messages:
            try:
                for address in message.recipients():
                    self.client.send_email_notification(  # type: ignore[no-untyped-call]
                        email_address=address, template_id=self.template_id,
                        personalisation={"subject": str(message.subject), "body": str(message.body)})
            except (APIError, OSError) as exc:
                if not self.fail_silently:
                    raise OSError(f"GOV.UK Notify refused or could not be reached: {exc}") from exc
                continue
            sent += 1
        return sent

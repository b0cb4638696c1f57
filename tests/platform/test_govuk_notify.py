"""GOV.UK Notify as the e-mail transport: GOV.UK's own client, talking HTTP to a stand-in Notify API on
loopback that checks what the real one checks (the JWT signed with the key's secret, issued by the service,
the template and its personalisation)."""

from __future__ import annotations

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMessage

from openmash.platform.govuk_notify import NotifyEmailBackend

SERVICE_ID, SECRET, TEMPLATE_ID = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
API_KEY = f"openmash_test-{SERVICE_ID}-{SECRET}"


class FakeNotify(BaseHTTPRequestHandler):
    received: list[dict] = []
    status = 201
    base_url = ""

    def do_POST(self):  # noqa: N802 - http.server's name
        token = self.headers["Authorization"].removeprefix("Bearer ")
        claims = jwt.decode(token, SECRET, algorithms=["HS256"])
        assert claims["iss"] == SERVICE_ID and abs(claims["iat"] - time.time()) < 30
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        FakeNotify.received.append({"path": self.path, **body})
        reply = (json.dumps({"id": str(uuid.uuid4())}) if FakeNotify.status == 201 else
                 json.dumps({"status_code": 400, "errors": [{"error": "BadRequestError",
                                                             "message": "Can't send to this recipient"}]}))
        self.send_response(FakeNotify.status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(reply.encode())

    def log_message(self, *args):
        pass


@pytest.fixture
def notify(settings):
    FakeNotify.received, FakeNotify.status = [], 201
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeNotify)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.MAILERS = {"default": {"BACKEND": "openmash.platform.govuk_notify.NotifyEmailBackend", "OPTIONS": {
        "api_key": API_KEY, "template_id": TEMPLATE_ID, "base_url": f"http://127.0.0.1:{server.server_port}"}}}
    FakeNotify.base_url = f"http://127.0.0.1:{server.server_port}"
    yield FakeNotify
    server.shutdown()


def test_each_recipient_gets_the_template_filled_with_subject_and_body(notify):
    assert EmailMessage("OpenMASH: urgent", "Sign in to read it", None, ["a@nhs.example", "b@nhs.example"]).send() == 1
    assert [(r["path"], r["email_address"], r["template_id"], r["personalisation"]) for r in notify.received] == [
        ("/v2/notifications/email", address, TEMPLATE_ID, {"subject": "OpenMASH: urgent", "body": "Sign in to read it"})
        for address in ("a@nhs.example", "b@nhs.example")]


def test_a_refusal_is_an_error_the_delivery_records(notify):
    notify.status = 400
    with pytest.raises(OSError, match="Can't send to this recipient"):
        EmailMessage("s", "b", None, ["a@nhs.example"]).send()
    settings = {"api_key": API_KEY, "template_id": TEMPLATE_ID, "base_url": notify.base_url}
    assert NotifyEmailBackend(fail_silently=True, alias="quiet", **settings).send_messages(
        [EmailMessage("s", "b", None, ["a@nhs.example"])]) == 0


def test_a_missing_key_or_template_is_a_clear_configuration_error(settings):
    settings.MAILERS = {"default": {"BACKEND": "openmash.platform.govuk_notify.NotifyEmailBackend",
                                    "OPTIONS": {"api_key": "", "template_id": ""}}}
    with pytest.raises(ImproperlyConfigured, match="OPENMASH_NOTIFY_API_KEY"):
        EmailMessage("s", "b", None, ["a@nhs.example"]).send()

"""County webhooks: outbox rows, HMAC signature, retries with backoff, delivery to a local server."""

import hashlib
import hmac
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from unittest import mock

import pytest
from django.utils import timezone

from sanctions import services
from sanctions.models import WebhookDelivery, WebhookSubscription

from .sanctions_fixtures import *  # noqa: F403  (fixtures)

pytestmark = pytest.mark.django_db


@pytest.fixture
def receiver():
    """A local HTTP server (127.0.0.1) that records requests and answers with a chosen status."""
    received, statuses = [], []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((dict(self.headers), body))
            self.send_response(statuses.pop(0) if statuses else 200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hook", received, statuses
    server.shutdown()
    server.server_close()


def subscribe(make_api_client, url, **kw):
    _, client = make_api_client(**kw)
    return WebhookSubscription.objects.create(client=client, url=url, secret="s3cret")


def test_publish_queues_signed_delivery_and_retries(make_api_client, make_subject, make_entry, county, receiver):
    url, received, statuses = receiver
    sub = subscribe(make_api_client, url, region=county)
    make_entry(make_subject("工布江达公司", region=county.parent))  # outside the county: not delivered
    entry = make_entry(make_subject("巴宜公司", region=county))
    delivery = WebhookDelivery.objects.get(subscription=sub)
    assert delivery.change.entry_id == entry.pk
    statuses.append(500)
    now = timezone.now()
    assert services.webhook_deliver_due(now=now) == {"delivered": 0, "retry": 1, "failed": 0}
    delivery.refresh_from_db()
    assert delivery.status == "pending" and delivery.attempts == 1 and delivery.last_status_code == 500
    assert delivery.next_attempt_at == now + timedelta(minutes=1)
    assert services.webhook_deliver_due(now=now) == {"delivered": 0, "retry": 0, "failed": 0}  # not yet due
    later = now + timedelta(minutes=2)
    assert services.webhook_deliver_due(now=later) == {"delivered": 1, "retry": 0, "failed": 0}
    assert services.webhook_deliver_due(now=later + timedelta(hours=1))["delivered"] == 0  # idempotent
    headers, body = received[-1]
    assert len(received) == 2
    ts, mac = (part.split("=", 1)[1] for part in headers["X-Creditsys-Signature"].split(","))
    expected = hmac.new(b"s3cret", f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(mac, expected)
    payload = json.loads(body)
    assert payload["event"] == "entry.published" and payload["entry"]["id"] == entry.pk
    assert headers["X-Creditsys-Event"] == "entry.published"


def test_unreachable_endpoint_backs_off_then_gives_up(make_api_client, make_subject, make_entry, county):
    sub = subscribe(make_api_client, "http://127.0.0.1:9/unreachable", region=county)
    make_entry(make_subject("巴宜公司", region=county))
    now = timezone.now()
    # Patched in the module that looks it up (webhook_deliver_due), not on the package's namespace.
    with mock.patch("sanctions.services.changes._post", side_effect=OSError("connection refused")) as post:
        for _ in range(services.WEBHOOK_MAX_ATTEMPTS):
            delivery = WebhookDelivery.objects.get(subscription=sub)
            services.webhook_deliver_due(now=delivery.next_attempt_at if delivery.attempts else now)
    delivery = WebhookDelivery.objects.get(subscription=sub)
    assert post.call_count == services.WEBHOOK_MAX_ATTEMPTS
    assert delivery.status == "failed" and "connection refused" in delivery.last_error


def test_removal_is_delivered_and_department_filter(make_api_client, make_subject, make_entry, dept_a, dept_b):
    from .conftest import GLOBAL_SCOPE

    sub_b = subscribe(make_api_client, "http://127.0.0.1:9/b", department=dept_b)
    sub_b.department = dept_b
    sub_b.save()
    entry = make_entry(make_subject())  # initiated by dept_a
    assert not WebhookDelivery.objects.filter(subscription=sub_b).exists()
    sub_a = subscribe(make_api_client, "http://127.0.0.1:9/a", department=dept_a)
    services.entry_remove(scope=GLOBAL_SCOPE, entry=entry, reason="withdrawn")
    assert [d.change.kind for d in WebhookDelivery.objects.filter(subscription=sub_a)] == ["entry.removed"]


def test_backoff_is_capped():
    assert services.webhook_backoff(1) == timedelta(minutes=1)
    assert services.webhook_backoff(4) == timedelta(minutes=8)
    assert services.webhook_backoff(50) == timedelta(hours=6)

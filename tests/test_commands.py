import io
import json
import logging

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from creditsys.models import AuditEvent
from registry.models import ApiClient

pytestmark = pytest.mark.django_db


def test_create_api_client_prints_key_once_and_stores_only_its_hash(county):
    out = io.StringIO()
    call_command("create_api_client", "巴宜区信用平台", "--region", county.code, "--scopes", "read,check", stdout=out)
    key = out.getvalue().strip().splitlines()[-1]
    client = ApiClient.objects.get(name="巴宜区信用平台")
    assert client.scopes == ["read", "check"] and client.region == county
    assert key.startswith("cs_") and key not in client.key_hash and len(client.key_hash) == 64
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert api.get("/api/v1/subjects/").status_code == 200
    assert AuditEvent.objects.filter(object_type="registry.apiclient").exists()


def test_create_api_client_rejects_bad_input(dept_a):
    with pytest.raises(CommandError):
        call_command("create_api_client", "x", "--department", dept_a.uscc, "--scopes", "read,admin")
    with pytest.raises(CommandError):
        call_command("create_api_client", "x", "--region", "000000")


def test_verify_audit_log_command(make_subject):
    make_subject()
    out = io.StringIO()
    call_command("verify_audit_log", stdout=out)
    assert "完整" in out.getvalue()
    AuditEvent.objects.update(actor="someone else")
    with pytest.raises(CommandError):
        call_command("verify_audit_log")


def test_json_log_lines_carry_the_request_id():
    from creditsys import context
    from creditsys.logging import JsonFormatter, RequestContextFilter

    record = logging.LogRecord("creditsys", logging.WARNING, __file__, 1, "提醒：%s", ("期限",), None)
    with context.acting(actor="beat", channel="task"):
        RequestContextFilter().filter(record)
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "提醒：期限" and line["actor"] == "beat" and line["request_id"] != "-"


def test_request_id_is_recorded_in_audit(web_a, city):
    from registry.demo import make_uscc

    web_a.post(
        "/workbench/subjects/new/",
        {
            "kind": "organization",
            "name": "某公司",
            "uscc": make_uscc("9", "1", "540400", 3),
            "region": city.pk,
            "status": "active",
        },
        HTTP_X_REQUEST_ID="req-abc-123",
    )
    event = AuditEvent.objects.get(object_type="registry.subject")
    assert event.request_id == "req-abc-123" and event.actor == "clerk_a" and event.channel == "web"


def test_enqueue_after_commit_sends_only_on_commit(django_capture_on_commit_callbacks):
    from django.db import transaction

    from creditsys.queue import enqueue_after_commit

    sent = []

    class FakeTask:
        name = "fake"

        def apply_async(self, args, kwargs):
            sent.append(args)

    try:
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            enqueue_after_commit(FakeTask(), "rolled back")
            raise RuntimeError
    except RuntimeError:
        pass
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            enqueue_after_commit(FakeTask(), "kept")
        assert sent == []  # not before the callbacks run
    assert sent == [("kept",)]


def test_enqueue_survives_broker_outage(django_capture_on_commit_callbacks, caplog):
    from creditsys.queue import enqueue_after_commit

    class DownTask:
        name = "down"

        def apply_async(self, args, kwargs):
            raise ConnectionError("redis down")

    with django_capture_on_commit_callbacks(execute=True):
        enqueue_after_commit(DownTask())
    assert "could not enqueue down" in caplog.text


def test_forwarded_for_is_ignored_unless_behind_a_trusted_proxy(rf, settings):
    from creditsys.middleware import client_ip

    request = rf.get("/", HTTP_X_FORWARDED_FOR="1.2.3.4, 10.0.0.9", REMOTE_ADDR="10.0.0.1")
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(request) == "10.0.0.1"  # a client cannot pick its own address
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(request) == "10.0.0.9"  # what the trusted proxy saw, not the spoofable left part

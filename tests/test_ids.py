"""Time-ordered UUIDs (``creditsys.ids``): version 7 as RFC 9562 lays it out, in creation order."""

import time
import uuid

import pytest

from creditsys.ids import uuid7, uuid7s


def test_uuid7_layout():
    before = time.time_ns() // 1_000_000
    value = uuid7()
    after = time.time_ns() // 1_000_000
    assert value.version == 7 and value.variant == uuid.RFC_4122
    assert before <= value.int >> 80 <= after  # the first 48 bits: Unix time in milliseconds


def test_uuid7s_are_unique_and_random_below_the_timestamp():
    values = uuid7s(10_000)
    assert len(set(values)) == 10_000
    assert all(v.version == 7 and v.variant == uuid.RFC_4122 for v in values)
    tails = {v.int & ((1 << 62) - 1) for v in values}
    assert len(tails) == 10_000  # not a counter: the low bits differ everywhere


def test_uuid7_sort_in_creation_order():
    earlier = uuid7s(50)
    time.sleep(0.002)
    later = uuid7s(50)
    assert max(earlier) < min(later)


@pytest.mark.django_db
def test_checks_log_time_ordered_ids(dept_a, make_api_client):
    from sanctions.models import CheckLog

    api, _client = make_api_client(department=dept_a)
    for _ in range(2):
        r = api.post("/api/v1/check/batch/", {"codes": ["91540400MA6T00000X"] * 3, "matter": "行政许可"}, format="json")
        assert r.status_code == 200
        time.sleep(0.002)
    ids = list(CheckLog.objects.order_by("pk").values_list("check_id", flat=True))
    assert len(ids) == 6 and all(i.version == 7 for i in ids)
    assert max(ids[:3]) < min(ids[3:])

"""The API renderer (orjson) writes exactly what DRF's JSON renderer writes."""

import uuid
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from django.utils.translation import gettext_lazy
from rest_framework import renderers

from creditsys.api.renderers import JSONRenderer
from sanctions.models import ListType


@pytest.mark.parametrize(
    "data",
    [
        {"count": 2, "results": [{"名称": "林芝某某有限公司", "found": True, "score": 1.5, "none": None}]},
        {"when": timezone.now(), "naive": datetime(2026, 3, 2, 8, 30, 15, 123456), "day": date(2026, 3, 2)},
        {"at": time(9, 30), "span": timedelta(days=2, seconds=5), "amount": Decimal("12345.60")},
        {"id": uuid.uuid4(), "kind": ListType.BLACK, "label": gettext_lazy("名单"), 7: "int key"},
        {"separators": "\u2028 and \u2029", "tuple": (1, 2), "nested": [[{"a": []}]]},
        [],
    ],
)
def test_same_bytes_as_drf(data):
    assert JSONRenderer().render(data) == renderers.JSONRenderer().render(data)


def test_indent_and_none_follow_drf():
    data = {"a": [1, 2]}
    indented = "application/json; indent=4"
    assert JSONRenderer().render(data, indented) == renderers.JSONRenderer().render(data, indented)
    assert JSONRenderer().render(None) == b""


def test_unencodable_values_raise_like_drf():
    with pytest.raises(TypeError):
        JSONRenderer().render({"a": object()})
    big = {"n": 2**70}  # beyond orjson's integers: DRF's encoder writes it
    assert JSONRenderer().render(big) == renderers.JSONRenderer().render(big)

"""Fixtures for the sanctions tests (imported by tests/test_sanctions_*.py)."""

from __future__ import annotations

from datetime import date

import pytest

from registry.demo import make_uscc
from registry.models import Subject, SubjectCode
from sanctions import services
from sanctions.models import ListEntry

from .conftest import GLOBAL_SCOPE

__all__ = ["make_measure", "make_entry", "person", "listed"]

TODAY = date(2026, 3, 2)  # a Monday; 2026 is in chinesecalendar, so no provisional dates


@pytest.fixture
def make_measure():
    def make(
        code,
        *,
        departments,
        kind="punishment",
        list_types=("black",),
        subject_kinds=("organization",),
        publish=True,
        **extra,
    ):
        measure = services.measure_create(
            scope=GLOBAL_SCOPE,
            code=code,
            name=extra.pop("name", f"措施{code}"),
            kind=kind,
            national_class=extra.pop("national_class", 1 if kind == "punishment" else None),
            binding="mandatory",
            legal_basis=extra.pop("legal_basis", f"《某法》第{len(code)}条"),
            list_types=list(list_types),
            subject_kinds=list(subject_kinds),
            implementing_departments=departments,
            **extra,
        )
        if publish:
            measure = services.measure_publish(scope=GLOBAL_SCOPE, measure=measure)
        return measure

    return make


@pytest.fixture
def make_entry(dept_a):
    """``make_entry(subject, list_type, status="published")`` through the services (four-eyes by names)."""

    def make(
        subject,
        list_type="black",
        *,
        status="published",
        category=None,
        department=None,
        today=TODAY,
        valid_until=None,
        document=None,
    ):
        if category is None:
            category = "market_order" if list_type == "black" else ""
        entry = services.entry_create(
            scope=GLOBAL_SCOPE,
            subject=subject,
            list_type=list_type,
            category=category,
            basis_document=document or f"林市监认〔2026〕{ListEntry.objects.count() + 1}号",
            legal_basis="《企业信息公示暂行条例》第十八条",
            facts="违法事实（测试）",
            initiating_department=department or dept_a,
            decision_date=date(2026, 2, 2),
            valid_until=valid_until,
            proposer_name="张三",
            reviewer_name="李四",
            today=today,
        )
        if status == "approved":
            return entry
        if list_type != "red":
            entry = services.entry_notify(scope=GLOBAL_SCOPE, entry=entry, today=date(2026, 2, 3))
        if status == "notified":
            return entry
        return services.entry_publish(scope=GLOBAL_SCOPE, entry=entry, today=today)

    return make


@pytest.fixture
def person(make_subject):
    return make_subject("次仁扎西", kind=Subject.Kind.NATURAL_PERSON)


@pytest.fixture
def listed(make_subject, make_measure, make_entry, dept_a, dept_b):
    """Organisations on the black, focus and red lists, a listed person, a clean subject, an old code."""
    make_measure("P-A", departments=[dept_a])
    make_measure("P-B", departments=[dept_b], list_types=("black", "focus"))
    make_measure("I-A", departments=[dept_a], kind="incentive", list_types=("red",), national_class=None)
    make_measure(
        "I-CLEAN",
        departments=[dept_a],
        kind="incentive",
        list_types=("red",),
        national_class=None,
        for_clean_record=True,
    )
    subjects = []
    for i, list_type in enumerate(["black", "focus", "red", "black"]):
        subject = make_subject(f"林芝{i}号建筑工程有限公司")
        make_entry(subject, list_type)
        subjects.append(subject)
    person = make_subject("次仁扎西", kind=Subject.Kind.NATURAL_PERSON)
    make_entry(person, "black", category="legal_obligation")
    clean = make_subject("林芝守信商贸有限公司")
    SubjectCode.objects.create(subject=clean, kind="business_registration", value="540400200012345")
    return subjects, person, clean


def check_codes(listed, n):
    subjects, person, clean = listed
    person_id = person.reveal_id_number()
    base = [s.uscc for s in subjects] + [person_id, clean.uscc, "540400200012345", make_uscc("9", "1", "540400", 77)]
    base += ["", "91540400MA6T00000X", "不是代码"]
    return (base * (n // len(base) + 1))[:n]

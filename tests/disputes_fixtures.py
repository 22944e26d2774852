"""Fixtures for the disputes tests (imported by tests/test_disputes_*.py)."""

from __future__ import annotations

from datetime import date

import pytest

from registry import services as registry_services
from registry.demo import make_id_number

from .conftest import GLOBAL_SCOPE
from .sanctions_fixtures import TODAY, make_entry, make_measure, person  # noqa: F401  (re-exported fixtures)

__all__ = ["penalty", "listed_penalty", "file_objection", "apply_repair", "make_measure", "make_entry", "person"]

APPLICANT_ID = make_id_number("540402", date(1985, 6, 1), 17)
PDF = b"%PDF-1.4\n% test material\n%%EOF\n"


@pytest.fixture
def penalty(penalty_input):
    """A published 一般 penalty (decided 2026-03-02) of dept_a."""
    return registry_services.record_upsert(scope=GLOBAL_SCOPE, kind="penalty", data=penalty_input(), today=TODAY).record


@pytest.fixture
def listed_penalty(penalty, make_measure, make_entry, dept_a, dept_b):
    """The penalty, and a published black entry whose 认定文书号 is that penalty (tasks to dept_b)."""
    make_measure("P-1", departments=[dept_b])
    entry = make_entry(penalty.subject, document=penalty.document_number)
    return penalty, entry


@pytest.fixture
def file_objection():
    from disputes import services

    def make(target_kind, target_id, *, today=TODAY, channel="public", **extra):
        data = {
            "applicant_name": "扎西",
            "applicant_id_number": APPLICANT_ID,
            "applicant_phone": "0894-5821234",
            "reason": "该处罚决定已被复议机关撤销，公示信息有误。",
        }
        data.update(extra)
        return services.objection_file(
            channel=channel, target_kind=target_kind, target_id=target_id, today=today, **data
        )

    return make


@pytest.fixture
def apply_repair():
    from disputes import services

    def make(target_kind, target_id, *, today, channel="public", **extra):
        data = {
            "applicant_name": "扎西",
            "applicant_id_number": APPLICANT_ID,
            "applicant_phone": "13800000000",
            "statement": "已全额缴纳罚款并完成整改，作出信用承诺。",
            "attachments": [
                {"kind": "commitment", "name": "信用承诺书.pdf", "content": PDF},
                {"kind": "proof", "name": "缴款凭证.pdf", "content": PDF},
            ],
        }
        data.update(extra)
        return services.repair_apply(channel=channel, target_kind=target_kind, target_id=target_id, today=today, **data)

    return make

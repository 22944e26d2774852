"""Seed the measure catalogue (docs/measures_seed.json) and demo memoranda, entries and tasks.

Idempotent: measures are found by code, memoranda by number, entries by (subject, 文书号); a
second run changes nothing. Called by ``manage.py load_sanctions_demo`` after registry's
``load_demo``.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from creditsys import context
from registry.models import Department, Subject, User
from registry.scoping import Scope

from . import selectors, services
from .models import EnforcementTask, ListEntry, Measure, Memorandum

SEED_FILE = Path(settings.BASE_DIR) / "docs" / "measures_seed.json"

# Seed department names → a distinctive part of the local department's name.
ALIASES = {
    "市发展改革委": "发展和改革",
    "市市场监管局": "市场监督管理",
    "市住房城乡建设局": "住房和城乡建设",
    "市人力资源社会保障局": "人力资源和社会保障",
}
CATEGORIES = {
    "P-008": ["legal_obligation"],
    "P-010": ["legal_obligation"],
    "P-029": ["legal_obligation"],
    "P-030": ["defense"],
    "P-028": ["health_safety"],
}
CLEAN_RECORD = {"I-001", "I-002", "I-003"}
MEMORANDA = [
    (
        "发改财金〔2016〕141号",
        "关于对失信被执行人实施联合惩戒的合作备忘录",
        "black",
        ["legal_obligation"],
        ["P-008", "P-010", "P-029"],
    ),
    (
        "发改财金〔2016〕1001号",
        "关于对安全生产领域失信生产经营单位及其有关人员开展联合惩戒的合作备忘录",
        "black",
        ["health_safety"],
        ["P-028"],
    ),
    (
        "发改财金〔2016〕1467号",
        "关于对纳税信用A级纳税人实施联合激励措施的合作备忘录",
        "red",
        [],
        ["I-013"],
    ),
]

SYSTEM_SCOPE = Scope("demo", None, None, True, is_global=True)


def resolve_departments(names: list[str]) -> list[Department]:
    """Local departments for the catalogue's department names; the credit office when none match."""
    found: list[Department] = []
    city_depts = Department.objects.filter(region__parent__isnull=True, is_active=True)
    for name in names:
        core = ALIASES.get(name, name.removeprefix("市"))
        dept = city_depts.filter(name__contains=core).order_by("pk").first()
        if dept and dept not in found:
            found.append(dept)
    if not found:
        office = city_depts.filter(is_credit_office=True).order_by("pk").first()
        if office:
            found.append(office)
    return found


@transaction.atomic
def load_catalogue(*, publish: bool = True) -> dict:
    """Create (and publish) every seed measure not yet in the catalogue; memoranda too."""
    counts = {"measures": 0, "memoranda": 0}
    with context.acting(actor="load_sanctions_demo", channel="system"):
        memo_of: dict[str, Memorandum] = {}
        for number, title, list_type, categories, codes in MEMORANDA:
            memo = Memorandum.objects.filter(number=number).first()
            if memo is None:
                memo = services.memorandum_create(
                    scope=SYSTEM_SCOPE, number=number, title=title, list_type=list_type, categories=categories
                )
                counts["memoranda"] += 1
            for code in codes:
                memo_of[code] = memo
        for item in json.loads(SEED_FILE.read_text(encoding="utf-8")):
            if Measure.objects.filter(code=item["code"]).exists():
                continue
            departments = resolve_departments(item["implementing_departments"])
            measure = services.measure_create(
                scope=SYSTEM_SCOPE,
                code=item["code"],
                name=item["name"],
                kind=item["kind"],
                national_class=item["national_class"],
                binding=item["binding"],
                legal_basis=item["legal_basis"],
                field=item.get("field", ""),
                list_types=item["list_types"],
                categories=CATEGORIES.get(item["code"], []),
                subject_kinds=item["subject_kinds"],
                for_clean_record=item["code"] in CLEAN_RECORD,
                memorandum=memo_of.get(item["code"]),
                source=item.get("source", ""),
                implementing_department_names=item["implementing_departments"],
                implementing_departments=departments,
            )
            if publish and departments:
                services.measure_publish(scope=SYSTEM_SCOPE, measure=measure, reason="导入措施清单")
            counts["measures"] += 1
    return counts


DEMO_ENTRIES = [
    # (subject index, list type, category, target status, days ago decided)
    (0, "black", "market_order", "published", 40),
    (3, "black", "legal_obligation", "published", 20),
    (6, "focus", "", "published", 30),
    (9, "black", "health_safety", "notified", 3),
    (12, "focus", "", "under_review", 1),
    (15, "red", "", "published", 60),
    (18, "red", "", "published", 90),
    (21, "black", "other", "removed", 400),
]


@transaction.atomic
def load(*, today: date | None = None) -> dict:
    counts = load_catalogue()
    counts["entries"] = 0
    today = today or timezone.localdate()
    office = Department.objects.filter(is_credit_office=True, region__parent__isnull=True).first()
    departments = list(Department.objects.filter(region__parent__isnull=True, is_credit_office=False).order_by("pk"))
    if office is None or not departments:
        return counts  # registry demo not loaded
    subjects = list(Subject.objects.exclude(kind=Subject.Kind.NATURAL_PERSON).order_by("pk"))
    clerk = User.objects.filter(role=User.Role.CLERK, department=departments[0]).first()
    with context.acting(actor="load_sanctions_demo", channel="system"):
        for index, list_type, category, target, days_ago in DEMO_ENTRIES:
            if index >= len(subjects):
                continue
            document = f"演示认定〔{today.year}〕{index + 1:03d}号"
            if ListEntry.objects.filter(basis_document=document).exists():
                continue
            subject = _pick_subject(subjects, index, list_type, today)
            if subject is None:
                continue
            dept = departments[index % len(departments)]
            decided = today - timedelta(days=days_ago)
            entry = services.entry_create(
                scope=SYSTEM_SCOPE,
                subject=subject,
                list_type=list_type,
                category=category,
                basis_document=document,
                legal_basis=_basis(list_type),
                facts=_facts(list_type, subject.name),
                initiating_department=dept,
                decision_date=decided,
                valid_until=decided + timedelta(days=365 * (3 if list_type == "black" else 1)),
                proposed_by=clerk,
                proposer_name=str(clerk) if clerk else "演示录入员",
                submit=True,
                today=today,
            )
            counts["entries"] += 1
            if target == "under_review":
                continue
            ListEntry.objects.filter(pk=entry.pk).update(
                status=ListEntry.Status.APPROVED, reviewer_name="演示审核员", reviewed_at=timezone.now()
            )
            entry.refresh_from_db()
            if list_type != "red":
                services.entry_notify(scope=SYSTEM_SCOPE, entry=entry, today=decided)
            if target == "notified":
                continue
            services.entry_publish(scope=SYSTEM_SCOPE, entry=entry, statement_waived=True, today=today)
            if target == "removed":
                services.entry_remove(
                    scope=SYSTEM_SCOPE, entry=entry, reason=ListEntry.RemovalReason.REPAIRED, note="演示：信用修复"
                )
        # Answer a few tasks so the statistics show feedback (only on the run that created entries).
        pending = EnforcementTask.objects.filter(status=EnforcementTask.Status.PENDING, kind="apply").order_by("pk")
        for task in list(pending)[::3][:10] if counts["entries"] else []:
            services.task_feedback(
                scope=SYSTEM_SCOPE,
                task=task,
                outcome=EnforcementTask.Outcome.APPLIED,
                matter_name="演示：政府采购资格审查",
                matter_number=f"演示-{task.pk:05d}",
                action_date=today,
                result="已依法限制",
                today=today,
            )
    return counts


def _pick_subject(subjects: list[Subject], index: int, list_type: str, today: date) -> Subject | None:
    """The demo subject at ``index`` or, for the red list, the next one that is eligible."""
    candidates = subjects[index:] + subjects[:index] if list_type == "red" else subjects[index : index + 1]
    for subject in candidates:
        if list_type != "red":
            return subject
        if not ListEntry.objects.filter(subject=subject).exists() and not selectors.red_list_obstacles(
            subject, on=today
        ):
            return subject
    return None


def _basis(list_type: str) -> str:
    if list_type == "red":
        return "《国务院关于建立完善守信联合激励和失信联合惩戒制度加快推进社会诚信建设的指导意见》（国发〔2016〕33号）"
    return "《国务院办公厅关于进一步完善失信约束制度构建诚信建设长效机制的指导意见》（国办发〔2020〕49号）第（四）条"


def _facts(list_type: str, name: str) -> str:
    if list_type == "red":
        return f"{name}连续三年无不良信用记录，纳税信用等级A级，经认定列为诚信典型。"
    return f"{name}存在违法失信行为，经依法认定（演示数据）。"

"""Measure catalogue (措施清单) and memoranda (合作备忘录), managed by the credit office (coordinator).
A published measure is never edited in place: a revision is a new version."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from creditsys import audit
from registry.scoping import Scope

from ..models import BlackCategory, ChangeEvent, ListType, Measure, Memorandum
from .changes import _change
from .common import _STALE


def _is_coordinator(scope: Scope) -> bool:
    return scope.is_global or bool(scope.department and scope.department.is_credit_office)


def _require_coordinator(scope: Scope) -> None:
    if not _is_coordinator(scope):
        raise PermissionDenied("只有市信用办（协调员）可以管理措施清单和合作备忘录。")


MEASURE_FIELDS = (
    "name",
    "kind",
    "national_class",
    "binding",
    "legal_basis",
    "field",
    "list_types",
    "categories",
    "subject_kinds",
    "for_clean_record",
    "memorandum",
    "source",
    "implementing_department_names",
)


def _clean_measure(data: dict, *, publishing: bool = False) -> dict:
    errors: dict[str, list[str]] = {}
    if "name" in data and not (data.get("name") or "").strip():
        errors["name"] = ["措施名称不能为空。"]
    if "kind" in data and data["kind"] not in Measure.Kind.values:
        errors["kind"] = ["措施类型无效。"]
    if "binding" in data and data["binding"] not in Measure.Binding.values:
        errors["binding"] = ["约束性无效。"]
    if data.get("national_class") is not None and data["national_class"] not in Measure.NationalClass.values:
        errors["national_class"] = ["全国清单分类无效。"]
    if "list_types" in data:
        if not data["list_types"] or any(t not in ListType.values for t in data["list_types"]):
            errors["list_types"] = ["请选择适用名单（红名单、重点关注名单、黑名单）。"]
    if "categories" in data and any(c not in BlackCategory.values for c in data["categories"] or []):
        errors["categories"] = ["失信类别无效。"]
    if "subject_kinds" in data:
        from ..models import SubjectTarget

        if not data["subject_kinds"] or any(k not in SubjectTarget.values for k in data["subject_kinds"]):
            errors["subject_kinds"] = ["请选择适用对象。"]
    if publishing or "legal_basis" in data:
        if not (data.get("legal_basis") or "").strip():
            errors["legal_basis"] = ["措施必须写明法律、法规或党中央、国务院政策文件依据。"]
    if errors:
        raise ValidationError(errors)
    return data


@transaction.atomic
def measure_create(*, scope: Scope, code: str, implementing_departments=(), **fields) -> Measure:
    _require_coordinator(scope)
    code = (code or "").strip().upper()
    if not code:
        raise ValidationError({"code": ["措施编号不能为空。"]})
    if Measure.objects.filter(code=code).exists():
        raise ValidationError({"code": ["该措施编号已存在；修改已公布的措施请使用“修订”生成新版本。"]})
    unknown = set(fields) - set(MEASURE_FIELDS)
    if unknown:
        raise ValidationError({f: ["未知字段。"] for f in sorted(unknown)})
    _clean_measure({"name": "", "legal_basis": "", **fields})
    measure = Measure.objects.create(code=code, version=1, status=Measure.Status.DRAFT, **fields)
    measure.implementing_departments.set(implementing_departments)
    audit.record(action="create", instance=measure, after=_measure_snapshot(measure))
    return measure


def _measure_snapshot(measure: Measure) -> dict:
    data = audit.snapshot(measure)
    data["implementing_departments"] = sorted(measure.implementing_departments.values_list("pk", flat=True))
    return data


@transaction.atomic
def measure_update(*, scope: Scope, measure: Measure, implementing_departments=None, **changes) -> Measure:
    """Edit a draft. A published measure is never edited in place: use ``measure_revise``."""
    _require_coordinator(scope)
    measure = Measure.objects.select_for_update().get(pk=measure.pk)
    if measure.status != Measure.Status.DRAFT:
        raise ValidationError({"status": ["只能修改草稿；已公布的措施请先“修订”生成新版本。"]})
    unknown = set(changes) - set(MEASURE_FIELDS)
    if unknown:
        raise ValidationError({f: ["该字段不能修改。"] for f in sorted(unknown)})
    _clean_measure(changes)
    before = _measure_snapshot(measure)
    for k, v in changes.items():
        setattr(measure, k, v.strip() if isinstance(v, str) else v)
    measure.save()
    if implementing_departments is not None:
        measure.implementing_departments.set(implementing_departments)
    b, a = audit.diff(before, _measure_snapshot(measure))
    if a:
        audit.record(action="update", instance=measure, before=b, after=a)
    return measure


@transaction.atomic
def measure_revise(*, scope: Scope, measure: Measure) -> Measure:
    """Start a new version (draft) of a published or retired measure; tasks keep their version."""
    _require_coordinator(scope)
    existing = Measure.objects.filter(code=measure.code, status=Measure.Status.DRAFT).first()
    if existing:
        return existing
    latest = Measure.objects.filter(code=measure.code).order_by("-version").first()
    new = Measure.objects.create(
        code=measure.code,
        version=latest.version + 1,
        status=Measure.Status.DRAFT,
        previous=measure,
        **{f: getattr(measure, f) for f in MEASURE_FIELDS},
    )
    new.implementing_departments.set(measure.implementing_departments.all())
    audit.record(action="create", instance=new, after=_measure_snapshot(new), reason=f"修订 {measure}")
    return new


@transaction.atomic
def measure_publish(*, scope: Scope, measure: Measure, reason: str = "") -> Measure:
    """draft → published (公布). The previously published version of the code is retired."""
    _require_coordinator(scope)
    measure = Measure.objects.select_for_update().get(pk=measure.pk)
    if measure.status != Measure.Status.DRAFT:
        raise ValidationError({"status": ["只有草稿可以公布。"]})
    _clean_measure({f: getattr(measure, f) for f in MEASURE_FIELDS}, publishing=True)
    if not measure.implementing_departments.exists():
        raise ValidationError({"implementing_departments": ["请指定至少一个实施部门。"]})
    now = timezone.now()
    for old in Measure.objects.filter(code=measure.code, status=Measure.Status.PUBLISHED).exclude(pk=measure.pk):
        _measure_retire(old, now=now, reason=f"被第{measure.version}版取代")
    updated = Measure.objects.filter(pk=measure.pk, status=Measure.Status.DRAFT).update(
        status=Measure.Status.PUBLISHED, published_at=now
    )
    if not updated:
        raise ValidationError({"status": [_STALE]})
    measure.refresh_from_db()
    audit.record(
        action="update",
        instance=measure,
        before={"status": "draft"},
        after={"status": "published"},
        reason=reason or "公布措施",
    )
    _change(ChangeEvent.Kind.MEASURE_PUBLISHED, measure=measure)
    return measure


def _measure_retire(measure: Measure, *, now: datetime, reason: str) -> None:
    updated = Measure.objects.filter(pk=measure.pk, status=Measure.Status.PUBLISHED).update(
        status=Measure.Status.RETIRED, retired_at=now
    )
    if updated:
        audit.record(
            action="update",
            instance=measure,
            before={"status": "published"},
            after={"status": "retired"},
            reason=reason,
        )
        _change(ChangeEvent.Kind.MEASURE_RETIRED, measure=measure)


@transaction.atomic
def measure_retire(*, scope: Scope, measure: Measure, reason: str = "") -> Measure:
    """published (or draft) → retired: never applied again; existing tasks keep it."""
    _require_coordinator(scope)
    if measure.status == Measure.Status.DRAFT:
        Measure.objects.filter(pk=measure.pk, status=Measure.Status.DRAFT).update(status=Measure.Status.RETIRED)
        audit.record(action="update", instance=measure, before={"status": "draft"}, after={"status": "retired"})
    elif measure.status == Measure.Status.PUBLISHED:
        _measure_retire(measure, now=timezone.now(), reason=reason or "废止措施")
    else:
        raise ValidationError({"status": ["该措施已废止。"]})
    measure.refresh_from_db()
    return measure


@transaction.atomic
def memorandum_create(
    *, scope: Scope, number: str, title: str, list_type: str, categories=(), signing_departments=(), signed_on=None
) -> Memorandum:
    _require_coordinator(scope)
    errors = {}
    if not number.strip():
        errors["number"] = ["文号不能为空。"]
    if not title.strip():
        errors["title"] = ["标题不能为空。"]
    if list_type not in ListType.values:
        errors["list_type"] = ["名单类型无效。"]
    if Memorandum.objects.filter(number=number.strip()).exists():
        errors["number"] = ["该文号的备忘录已存在。"]
    if errors:
        raise ValidationError(errors)
    memo = Memorandum.objects.create(
        number=number.strip(),
        title=title.strip(),
        list_type=list_type,
        categories=list(categories),
        signed_on=signed_on,
    )
    memo.signing_departments.set(signing_departments)
    audit.record(action="create", instance=memo, after=audit.snapshot(memo))
    return memo

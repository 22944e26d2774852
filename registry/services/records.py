"""双公示 records (SPEC §5): validation, idempotent upsert, correction, withdrawal, the publication
sweep. The web forms and the API call ``record_upsert``; the Excel/CSV import calls
``record_upsert_many``, which applies the same rules (the same functions) to a chunk of rows and
writes it with a constant number of queries. Nothing else writes records.

Input values may be strings (forms, CSV), dates/decimals (API serializers) or spreadsheet cells
(datetime, float); ``clean_record_input`` turns them into one canonical shape and reports every
problem as ``{field: [中文消息]}``.
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models.signals import post_save
from django.utils import timezone

from creditsys import audit, context, crypto, workdays
from creditsys.bulk import bulk_insert, bulk_update, instance_builder
from creditsys.policy import get_profile

from .. import rules
from ..models import (
    LONG_TERM,
    Department,
    Disclosure,
    IdType,
    LicenseRecord,
    PenaltyRecord,
    RecordRevision,
    RecordStatus,
    Subject,
    SubjectCategory,
)
from ..record_fields import COLUMNS, labels
from ..scoping import Scope
from ..selectors import subjects_by_key
from ..validators import mask_id_number, normalize_code, validate_id_number, validate_uscc
from .subjects import subject_create

AUDIT_EXCLUDE = ("legal_rep_id_encrypted", "input_hash")
MODELS = {"penalty": PenaltyRecord, "license": LicenseRecord}
CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"

_CATEGORY_ALIASES = {
    "法人及非法人组织": SubjectCategory.ORGANIZATION,
    "法人和非法人组织": SubjectCategory.ORGANIZATION,
    "法人": SubjectCategory.ORGANIZATION,
    "非法人组织": SubjectCategory.ORGANIZATION,
    "个体工商户": SubjectCategory.INDIVIDUAL_BUSINESS,
    "自然人": SubjectCategory.NATURAL_PERSON,
}
_NESTED = (dict, list, tuple, set)  # values a field cannot take (JSON objects and arrays)
_SEPARATORS = str.maketrans({"；": ";", "，": ";", ",": ";", "、": ";"})


@dataclass(frozen=True)
class UpsertResult:
    record: LicenseRecord | PenaltyRecord
    outcome: str  # created / updated / unchanged


# --- cleaning ---------------------------------------------------------------------------------


def _text(value) -> str:
    if type(value) is str:  # the common case first: called for every field of every imported row
        return value.replace("\x00", "").strip()
    if value is None:
        return ""
    if isinstance(value, _NESTED):
        raise ValidationError("字段值应为文本、数字或日期。")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).replace("\x00", "").strip()


def _choice(value, choices, aliases=None) -> str | None:
    """Accept a stored value or its Chinese label."""
    text = _text(value)
    if not text:
        return ""
    if aliases and text in aliases:
        return str(aliases[text])
    for stored, label in choices:
        if text in (stored, label):
            return stored
    return None


def _date(value) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value).replace("/", "-").replace(".", "-").replace("年", "-").replace("月", "-").rstrip("日")
    if text == "长期":
        return LONG_TERM
    if len(text) == 8 and text.isdigit():
        text = f"{text[:4]}-{text[4:6]}-{text[6:]}"
    try:
        return date.fromisoformat("-".join(p.zfill(2) for p in text.split("-")))
    except ValueError:
        raise ValueError(text) from None


def _decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        result = Decimal(_text(value).replace(",", ""))
    except InvalidOperation:
        raise ValueError(value) from None
    if not result.is_finite():
        raise ValueError(value)
    return result


@functools.lru_cache(maxsize=1024)
def _department_uscc(value: str) -> str:
    # The issuing and providing departments' codes: a few per file, checked twice per row.
    return validate_uscc(value)


@functools.cache
def _text_fields(kind: str) -> tuple[tuple[str, int | None], ...]:
    """Free-text input fields with their maximum lengths from the model (fixed per process)."""
    model = MODELS[kind]
    fields = []
    for field in labels(kind):
        try:
            model_field = model._meta.get_field(field)
        except FieldDoesNotExist:  # input-only fields (ID numbers) have no model column
            continue
        if model_field.get_internal_type() in ("CharField", "TextField") and not model_field.choices:
            fields.append((field, model_field.max_length))
    return tuple(fields)


# Choices as plain tuples: ``TextChoices.choices`` builds a new list at every access.
_CHOICES = {
    enum: tuple(enum.choices)
    for enum in (
        SubjectCategory,
        IdType,
        Disclosure,
        LicenseRecord.Category,
        LicenseRecord.CurrentStatus,
    )
}
_PENALTY_CATEGORIES = frozenset(PenaltyRecord.Category.values)


def clean_record_input(kind: str, data: dict, *, today: date) -> dict:
    """Validate one record's input; return the canonical dict or raise ``ValidationError``."""
    names = labels(kind)
    errors: dict[str, list[str]] = {}
    out: dict = {}

    def err(field, message):
        errors.setdefault(field, []).append(message)

    if not isinstance(data, dict):
        raise ValidationError({"non_field_errors": ["每条记录应为一个 JSON 对象。"]})
    unknown = set(data) - set(names) - {"reason"}
    for field in sorted(unknown):
        err(field, "未知字段。")
    nested = [f for f, v in data.items() if type(v) is not str and isinstance(v, _NESTED)]
    for field in nested:
        err(field, "字段值应为文本、数字或日期。")
    if nested:
        raise ValidationError(errors)
    for field, label, required in COLUMNS[kind]:
        if required and _text(data.get(field)) == "":
            if field in ("source_name", "source_uscc", "authority_name") and _text(data.get("authority_uscc")):
                continue  # filled from the registered issuing department
            err(field, f"{label}为必填项。")

    for field, limit in _text_fields(kind):
        if field in errors:
            continue
        value = _text(data.get(field))
        if limit and len(value) > limit:
            err(field, f"{names[field]}不能超过{limit}个字符。")
        out[field] = value

    category = _choice(data.get("subject_category"), _CHOICES[SubjectCategory], _CATEGORY_ALIASES)
    if category is None:
        err("subject_category", "行政相对人类别应为：法人及非法人组织、个体工商户或自然人。")
    out["subject_category"] = category or ""
    is_person = category == SubjectCategory.NATURAL_PERSON

    if is_person:
        if _text(data.get("uscc")):
            err("uscc", "自然人不填写统一社会信用代码。")
        out["uscc"] = ""
        id_type = _choice(data.get("id_type"), _CHOICES[IdType]) or IdType.ID_CARD
        if id_type != IdType.ID_CARD:
            err("id_type", "自然人目前仅支持以居民身份证登记。")
        out["id_type"] = id_type
        try:
            out["id_number"] = validate_id_number(_text(data.get("id_number")))
        except ValidationError as exc:
            err("id_number", f"证件号码：{exc.messages[0]}")
    elif category:
        if _text(data.get("id_number")):
            err("id_number", "组织和个体工商户不填写证件号码，请填写统一社会信用代码。")
        out["id_type"] = ""
        try:
            out["uscc"] = validate_uscc(_text(data.get("uscc")))
        except ValidationError as exc:
            err("uscc", exc.messages[0])
        if category == SubjectCategory.ORGANIZATION and not out.get("legal_representative"):
            err("legal_representative", "法人及非法人组织须填写法定代表人。")
    for field in (
        "business_registration_no",
        "organization_code",
        "tax_number",
        "institution_certificate_no",
        "social_organization_no",
    ):
        if field in out:
            out[field] = normalize_code(out[field])

    rep_type = _choice(data.get("legal_rep_id_type"), _CHOICES[IdType])
    rep_number = _text(data.get("legal_rep_id_number"))
    if rep_type is None:
        err("legal_rep_id_type", "法定代表人证件类型无效。")
    out["legal_rep_id_type"] = rep_type or ""
    out["legal_rep_id_number"] = ""
    if rep_number:
        if (rep_type or IdType.ID_CARD) == IdType.ID_CARD:
            try:
                out["legal_rep_id_number"] = validate_id_number(rep_number)
                out["legal_rep_id_type"] = IdType.ID_CARD
            except ValidationError as exc:
                err("legal_rep_id_number", f"法定代表人证件号码：{exc.messages[0]}")
        else:
            out["legal_rep_id_number"] = normalize_code(rep_number)[:30]

    out["document_number"] = _text(data.get("document_number")).replace("\u3000", " ")

    def date_field(field):
        try:
            return _date(data.get(field))
        except ValueError:
            err(field, f"{names[field]}不是有效日期，请使用 YYYY-MM-DD 格式。")
            return None

    decision = date_field("decision_date")
    out["decision_date"] = decision
    if decision and decision > today:
        err("decision_date", f"{names['decision_date']}不能晚于今天。")
    if decision and decision < date(1990, 1, 1):
        err("decision_date", f"{names['decision_date']}早于1990年，请核对。")

    for field in ("authority_uscc", "source_uscc"):
        value = _text(data.get(field))
        if not value and field == "source_uscc":
            value = _text(data.get("authority_uscc"))
            out["source_name"] = out.get("source_name") or out.get("authority_name", "")
        if field in errors or not value:
            continue
        try:
            out[field] = _department_uscc(value)
        except ValidationError as exc:
            err(field, f"{names[field]}：{exc.messages[0]}")

    disclosure = _choice(data.get("disclosure"), _CHOICES[Disclosure])
    if disclosure is None:
        err("disclosure", "公开属性应为：社会公开、授权查询或政务共享。")
    out["disclosure"] = disclosure or Disclosure.PUBLIC

    if kind == "penalty":
        _clean_penalty(data, out, err, date_field, names)
    else:
        _clean_license(data, out, err, date_field, names)

    if errors:
        raise ValidationError(errors)
    return out


def _clean_penalty(data, out, err, date_field, names):
    raw = _text(data.get("categories")).translate(_SEPARATORS)
    cats = [c.strip() for c in raw.split(";") if c.strip()]
    bad = [c for c in cats if c not in _PENALTY_CATEGORIES]
    if bad:
        err("categories", f"处罚类别“{'、'.join(bad)}”不在国家标准列表中。")
    out["categories"] = ";".join(dict.fromkeys(cats))
    for field in ("fine_amount", "confiscated_amount"):
        try:
            value = _decimal(data.get(field))
        except ValueError:
            err(field, f"{names[field]}不是有效数字。")
            continue
        if value is not None and value < 0:
            err(field, f"{names[field]}不能为负数。")
        elif value is not None and value >= Decimal("10000000000"):
            err(field, f"{names[field]}过大，请核对单位（万元）。")
        elif value is not None and value.as_tuple().exponent < -6:
            err(field, f"{names[field]}最多保留6位小数。")
        out[field] = value
    if "罚款" in cats and "fine_amount" in out and out["fine_amount"] is None:
        err("fine_amount", "处罚类别含“罚款”时须填写罚款金额（万元）。")
    if any(c in cats for c in ("暂扣许可证件", "吊销许可证件")) and not out.get("license_suspended"):
        err("license_suspended", "处罚类别含暂扣或吊销许可证件时须填写证照名称及编号。")
    severity = _choice(data.get("severity"), rules.SEVERITY_CHOICES)
    if severity is None or (severity == "" and _text(data.get("severity"))):
        err("severity", "失信程度应为：轻微、一般或严重。")
    out["severity"] = severity or ""
    valid_until = date_field("penalty_valid_until")
    out["penalty_valid_until"] = valid_until
    decision = out.get("decision_date")
    if valid_until and decision and valid_until < decision:
        err("penalty_valid_until", "处罚有效期不能早于处罚决定日期。")
    deadline = date_field("publication_deadline")
    out["publication_deadline"] = deadline
    if deadline and decision and severity:
        bounds = rules.deadline_bounds(severity=severity, decision_date=decision)
        if bounds is None:
            err("publication_deadline", "该失信程度的处罚按规定不予公示，不应填写公示截止期。")
        elif not bounds[0] <= deadline <= bounds[1]:
            err(
                "publication_deadline",
                f"公示截止期应在最短公示期满（{bounds[0]:%Y-%m-%d}）与最长公示期满（{bounds[1]:%Y-%m-%d}）之间。",
            )


def _clean_license(data, out, err, date_field, names):
    category = _choice(data.get("category"), _CHOICES[LicenseRecord.Category])
    if category is None:
        err("category", "许可类别应为：普通、特许、认可、核准、登记或其他。")
    out["category"] = category or ""
    status = _choice(data.get("current_status"), _CHOICES[LicenseRecord.CurrentStatus])
    if status is None:
        err("current_status", "当前状态应为：有效或无效。")
    out["current_status"] = status or LicenseRecord.CurrentStatus.VALID
    valid_from = date_field("valid_from")
    valid_until = date_field("valid_until")
    out["valid_from"], out["valid_until"] = valid_from, valid_until
    if valid_from and valid_until and valid_until < valid_from:
        err("valid_until", "有效期至不能早于有效期自。")


# ``json.dumps(data, ensure_ascii=False, sort_keys=True)``, the encoder built once: the fingerprint's
# bytes are fixed by the hashes already stored (an import computes one per row).
_FINGERPRINT_JSON = json.JSONEncoder(ensure_ascii=False, sort_keys=True)


def input_hash(cleaned: dict) -> str:
    """Fingerprint of a record's input; personal ID numbers enter only as their lookup HMAC."""
    data = dict(cleaned)
    for key, value in cleaned.items():
        if type(value) is str or value is None:  # most fields: as they are
            continue
        if isinstance(value, Decimal):
            data[key] = str(value.normalize())
        elif isinstance(value, date):
            data[key] = value.isoformat()
    for key in ("id_number", "legal_rep_id_number"):
        if data.get(key):
            data[key] = crypto.lookup_hmac(data[key])
    return hashlib.sha256(_FINGERPRINT_JSON.encode(data).encode()).hexdigest()


# --- scope ------------------------------------------------------------------------------------


def department_allowed(scope: Scope, department: Department) -> bool:
    """May this user/client write records issued or provided by ``department``?"""
    if scope.is_global:
        return True
    if scope.edit_by_region:
        return scope.region_allowed(department.region_id)
    return scope.department is not None and scope.department.pk == department.pk


def can_edit_record(scope: Scope, record) -> bool:
    return department_allowed(scope, record.department) or department_allowed(scope, record.source_department)


def _department_by_uscc(uscc: str) -> Department | None:
    return Department.objects.filter(uscc=uscc).first()


def _department_for(field: str, uscc: str, names: dict, lookup) -> Department:
    department = lookup(uscc)
    if department is None:
        raise ValidationError({field: [f"{names[field]}“{uscc}”不是本系统登记的部门。"]})
    return department


# --- upsert -----------------------------------------------------------------------------------


@dataclass
class _Prepared:
    """One row's checked input, ready to be matched against its existing record."""

    cleaned: dict
    department: Department
    source: Department
    fingerprint: str

    @property
    def key(self) -> tuple[int, str]:
        return self.department.pk, self.cleaned["document_number"]


def _prepare(scope: Scope, kind: str, cleaned: dict, lookup) -> _Prepared:
    """Departments, the scope check and the fingerprint; ``lookup`` finds a department by USCC."""
    names = labels(kind)
    department = _department_for("authority_uscc", cleaned["authority_uscc"], names, lookup)
    source = (
        department
        if cleaned["source_uscc"] == department.uscc
        else _department_for("source_uscc", cleaned["source_uscc"], names, lookup)
    )
    if not (department_allowed(scope, department) or department_allowed(scope, source)):
        raise ValidationError(
            {"authority_uscc": ["只能报送本部门（或本区划部门）作出或提供的记录。"]},
        )
    cleaned["authority_name"] = cleaned.get("authority_name") or department.name
    cleaned["source_name"] = cleaned.get("source_name") or source.name
    return _Prepared(cleaned, department, source, input_hash(cleaned))


def _is_unchanged(scope: Scope, existing, fingerprint: str) -> bool:
    """True when the input is what the record already holds; raises when it may not be changed."""
    if existing is None:
        return False
    if existing.input_hash == fingerprint:
        return True
    if existing.is_withdrawn:
        raise ValidationError({"document_number": ["该文书号的记录已撤销，不能再修改；如需重新公示请使用新的文书号。"]})
    if not can_edit_record(scope, existing):
        raise ValidationError({"document_number": ["该记录不属于本部门，不能修改。"]})
    return False


def _subject_key(cleaned: dict) -> tuple[str, str]:
    """How a record's subject is found: (Subject field, value)."""
    if cleaned["subject_category"] == SubjectCategory.NATURAL_PERSON:
        return "id_number_hmac", crypto.lookup_hmac(cleaned["id_number"])
    return "uscc", cleaned["uscc"]


def _subject_for(scope: Scope, cleaned: dict, department: Department, found: Subject | None) -> Subject:
    """The registered subject ``found`` by its code (checked), or a new one."""
    if found is not None:
        if found.kind != cleaned["subject_category"]:
            raise ValidationError(
                {"subject_category": [f"与已登记主体“{found.name}”的类别（{found.get_kind_display()}）不一致。"]}
            )
        return found
    try:
        return subject_create(
            scope=scope,
            kind=cleaned["subject_category"],
            name=cleaned["subject_name"],
            uscc=cleaned.get("uscc") or None,
            id_number=cleaned.get("id_number") or None,
            legal_representative=cleaned.get("legal_representative", ""),
            region=department.region,
            managing_department=department,
        )
    except ValidationError as exc:
        mapping = {"name": "subject_name", "kind": "subject_category"}
        raise ValidationError({mapping.get(k, k): v for k, v in exc.message_dict.items()}) from None
    except PermissionDenied as exc:
        raise ValidationError({"subject_name": [f"无法登记新主体：{exc}"]}) from None


def _apply(record, cleaned: dict, *, today: date) -> None:
    for key, value in cleaned.items():
        if key in ("id_number", "legal_rep_id_number"):
            continue
        setattr(record, key, value)
    if cleaned.get("id_number"):
        record.id_number_masked = mask_id_number(cleaned["id_number"])
    else:
        record.id_number_masked = ""
    rep = cleaned.get("legal_rep_id_number", "")
    if rep and record.legal_rep_id_type == IdType.ID_CARD:
        record.legal_rep_id_masked = mask_id_number(rep)
        record.legal_rep_id_encrypted = crypto.encrypt(rep)
    elif rep:
        record.legal_rep_id_masked = rep[:2] + "*" * max(0, len(rep) - 4) + rep[-2:]
        record.legal_rep_id_encrypted = crypto.encrypt(rep)
    else:
        record.legal_rep_id_masked = record.legal_rep_id_encrypted = ""
    due = get_profile().reporting_period.due_from(record.decision_date)
    record.report_due = due.date
    record.report_due_provisional = due.provisional
    record.is_late = record.reported_on > due.date
    if isinstance(record, PenaltyRecord):
        pub = rules.publication_for(
            severity=record.severity,
            decision_date=record.decision_date,
            deadline=record.publication_deadline,
        )
        record.rule_set = pub.rule_set.code
        record.published = pub.published
        record.publish_from = pub.publish_from
        record.repairable_from = pub.repairable_from
        record.publish_until = pub.publish_until
    _refresh_status(record, today=today)


def _refresh_status(record, *, today: date) -> None:
    if record.status in (RecordStatus.WITHDRAWN, RecordStatus.REPAIRED):
        return
    new = RecordStatus.PUBLISHED
    if isinstance(record, PenaltyRecord):
        if not record.published:
            new = RecordStatus.NOT_PUBLISHED
        elif record.publish_until and record.publish_until <= today:
            new = RecordStatus.ENDED
    if new != record.status:
        record.status = new
        record.status_changed_at = timezone.now()
        if new == RecordStatus.ENDED and isinstance(record, PenaltyRecord):
            record.publication_ended_at = record.publication_ended_at or timezone.now()
        if new == RecordStatus.PUBLISHED and isinstance(record, PenaltyRecord):
            record.publication_ended_at = None


def _revision_for(record, action: str, reason: str = "", data: dict | None = None) -> RecordRevision:
    ctx = context.current()
    key = "penalty" if isinstance(record, PenaltyRecord) else "license"
    return instance_builder(RecordRevision)(
        **{key: record},
        version=record.version,
        action=action,
        reason=reason[:500],
        actor=ctx.actor or "system",
        channel=ctx.channel,
        data=audit.snapshot(record, AUDIT_EXCLUDE) if data is None else data,
    )


def _revision(record, action: str, reason: str = "") -> RecordRevision:
    revision = _revision_for(record, action, reason)
    revision.save()
    return revision


def _new_record(model, prepared: _Prepared, subject: Subject, *, today: date):
    record = instance_builder(model)(
        subject=subject,
        department=prepared.department,
        source_department=prepared.source,
        reported_on=today,
        input_hash=prepared.fingerprint,
    )
    _apply(record, prepared.cleaned, today=today)
    return record


def _change_record(record, prepared: _Prepared, subject: Subject, *, today: date) -> dict:
    """Apply a correction to ``record`` (unsaved); returns the snapshot from before."""
    before = audit.snapshot(record, AUDIT_EXCLUDE)
    record.subject = subject
    record.source_department = prepared.source
    record.input_hash = prepared.fingerprint
    record.version += 1
    _apply(record, prepared.cleaned, today=today)
    return before


UPDATE_REASON = "报送更新（同一文书号再次报送且内容有变化）"
CONCURRENT_MESSAGE = "该文书号的记录正在被同时报送，请稍后重试。"


def _history(record, reason: str, before: dict | None) -> tuple[RecordRevision, dict]:
    """The revision (unsaved) and the audit entry of a saved creation (``before`` None) or correction."""
    after = audit.snapshot(record, AUDIT_EXCLUDE)
    entry = {"instance": record, "subject_id": record.subject_id}
    if before is None:
        action = RecordRevision.Action.CREATE
        entry.update(action="create", after=after)
    else:
        action, reason = RecordRevision.Action.CORRECT, reason or UPDATE_REASON
        b, a = audit.diff(before, after)
        entry.update(action="update", before=b, after=a)
    entry["reason"] = reason
    return _revision_for(record, action, reason, after), entry


@transaction.atomic
def record_upsert(*, scope: Scope, kind: str, data: dict, reason: str = "", today: date | None = None) -> UpsertResult:
    """Create or update the record keyed by (issuing department USCC, 文书号).

    Same input again → ``unchanged`` (no write). Changed input → a correction: the new version is
    saved, the previous one stays in the revision history. Withdrawn records cannot be changed.
    """
    today = today or timezone.localdate()
    prepared = _prepare(scope, kind, clean_record_input(kind, data, today=today), _department_by_uscc)
    model = MODELS[kind]
    existing = (
        model.objects.select_for_update()
        .filter(department=prepared.department, document_number=prepared.cleaned["document_number"])
        .first()
    )
    if _is_unchanged(scope, existing, prepared.fingerprint):
        return UpsertResult(existing, UNCHANGED)
    field, value = _subject_key(prepared.cleaned)
    found = Subject.objects.filter(**{field: value}).first()
    subject = _subject_for(scope, prepared.cleaned, prepared.department, found)
    if existing is None:
        record, before = _new_record(model, prepared, subject, today=today), None
        try:
            with transaction.atomic():
                record.save()
        except IntegrityError:
            raise ValidationError({"document_number": [CONCURRENT_MESSAGE]}) from None
    else:
        record = existing
        before = _change_record(record, prepared, subject, today=today)
        record.save()
    revision, entry = _history(record, reason, before)
    revision.save()
    audit.record(**entry)
    return UpsertResult(record, CREATED if before is None else UPDATED)


# --- bulk upsert (the import) -----------------------------------------------------------------


def record_upsert_many(
    *,
    scope: Scope,
    kind: str,
    rows: list[dict],
    reason: str = "",
    today: date | None = None,
    departments: dict[str, Department | None] | None = None,
) -> list[UpsertResult | ValidationError]:
    """``record_upsert`` for many rows at once, with a constant number of queries (the import).

    Each row is judged exactly as ``record_upsert`` would, in order (same cleaning, scope check,
    subject matching or creation, unchanged/withdrawn rules); the result list holds an
    ``UpsertResult`` or the row's ``ValidationError``. A rejected row writes nothing. Records,
    revisions and audit entries are written with one statement each and ``post_save`` is sent for
    every record written, as ``save()`` would. ``departments`` caches departments by USCC across
    calls (one import job). Call inside a transaction: the rows are committed together.
    """
    with workdays.pinned():  # one calendar check for the whole batch, not one per deadline
        return _upsert_many(scope, kind, rows, reason, today or timezone.localdate(), departments)


def _upsert_many(scope: Scope, kind: str, rows: list[dict], reason: str, today: date, departments) -> list:
    departments = {} if departments is None else departments
    results: list = [None] * len(rows)
    cleaned_rows: dict[int, dict] = {}
    for i, data in enumerate(rows):
        try:
            cleaned_rows[i] = clean_record_input(kind, data, today=today)
        except ValidationError as exc:
            results[i] = exc
    _load_departments(departments, cleaned_rows.values())
    prepared: dict[int, _Prepared] = {}
    for i, cleaned in cleaned_rows.items():
        try:
            prepared[i] = _prepare(scope, kind, cleaned, departments.get)
        except ValidationError as exc:
            results[i] = exc
    # Rows are written in batches of distinct keys: a key seen again (the same record reported
    # twice) starts a new batch, so the later row sees what the earlier one wrote.
    batch: dict[int, _Prepared] = {}
    keys: set[tuple[int, str]] = set()
    for i, row in prepared.items():
        if row.key in keys:
            _upsert_batch(scope, kind, rows, batch, results, reason=reason, today=today)
            batch, keys = {}, set()
        batch[i] = row
        keys.add(row.key)
    if batch:
        _upsert_batch(scope, kind, rows, batch, results, reason=reason, today=today)
    return results


def _load_departments(departments: dict, cleaned_rows) -> None:
    wanted = {c[f] for c in cleaned_rows for f in ("authority_uscc", "source_uscc")} - set(departments)
    if not wanted:
        return
    found = {d.uscc: d for d in Department.objects.filter(uscc__in=wanted).select_related("region")}
    for uscc in wanted:
        departments[uscc] = found.get(uscc)


def _upsert_batch(scope: Scope, kind: str, rows, batch: dict[int, _Prepared], results: list, *, reason, today):
    model = MODELS[kind]
    try:
        with transaction.atomic():
            outcomes = _write_batch(scope, model, batch, reason=reason, today=today)
    except IntegrityError:
        # Another writer inserted one of these keys meanwhile: row by row, as the forms do, so
        # only the rows concerned are rejected.
        outcomes = {}
        for i in batch:
            try:
                outcomes[i] = record_upsert(scope=scope, kind=kind, data=rows[i], reason=reason, today=today)
            except ValidationError as exc:
                outcomes[i] = exc
    for i, outcome in outcomes.items():
        results[i] = outcome


def _write_batch(scope: Scope, model, batch: dict[int, _Prepared], *, reason, today) -> dict:
    outcomes: dict = {}
    keys = {row.key for row in batch.values()}
    existing = {
        (r.department_id, r.document_number): r
        for r in model.objects.select_for_update()
        .filter(department_id__any={k[0] for k in keys}, document_number__any={k[1] for k in keys})
        .order_by()
        if (r.department_id, r.document_number) in keys
    }
    _attach_departments(existing.values(), batch.values())
    todo: dict[int, tuple[_Prepared, object]] = {}
    for i, row in batch.items():
        record = existing.get(row.key)
        try:
            if _is_unchanged(scope, record, row.fingerprint):
                outcomes[i] = UpsertResult(record, UNCHANGED)
                continue
        except ValidationError as exc:
            outcomes[i] = exc
            continue
        todo[i] = row, record
    subjects = _find_subjects(row.cleaned for row, _record in todo.values())
    missing = [row.cleaned for row, _record in todo.values() if _subject_key(row.cleaned) not in subjects]
    if missing and connection.vendor == "postgresql":
        # New subjects are created only while holding the audit chain's lock (their audit entries
        # need it anyway), and looked up again once it is held: a writer working at the same time
        # (the import's other chunk, another import) may just have committed them. Otherwise two
        # writers creating the same subjects wait for each other's unique keys and for the lock
        # (a deadlock), or the later one's rows are rejected on the subject's unique key (tested).
        audit.lock_chain()
        subjects.update(_find_subjects(missing))
    created, changed = {}, {}
    for i, (row, record) in todo.items():
        key = _subject_key(row.cleaned)
        try:
            subject = _subject_for(scope, row.cleaned, row.department, subjects.get(key))
        except ValidationError as exc:
            outcomes[i] = exc
            continue
        subjects[key] = subject
        if record is None:
            created[i] = _new_record(model, row, subject, today=today)
        else:
            changed[i] = record, _change_record(record, row, subject, today=today)
    bulk_insert(list(created.values()))
    fields = [f.name for f in model._meta.concrete_fields if not f.primary_key and f.name != "created_at"]
    bulk_update([record for record, _before in changed.values()], fields)
    history = [_history(record, reason, None) for record in created.values()]
    history += [_history(record, reason, before) for record, before in changed.values()]
    bulk_insert([revision for revision, _entry in history])
    audit.record_many([entry for _revision, entry in history])
    for i, record in created.items():
        outcomes[i] = UpsertResult(record, CREATED)
        post_save.send(
            sender=model, instance=record, created=True, update_fields=None, raw=False, using=record._state.db
        )
    for i, (record, _before) in changed.items():
        outcomes[i] = UpsertResult(record, UPDATED)
        post_save.send(
            sender=model, instance=record, created=False, update_fields=None, raw=False, using=record._state.db
        )
    return outcomes


def _attach_departments(records, rows) -> None:
    """Give existing records their departments (for the scope check) without a query per record."""
    by_pk = {d.pk: d for row in rows for d in (row.department, row.source)}
    missing = {r.source_department_id for r in records} - set(by_pk)
    if missing:
        by_pk.update(Department.objects.in_bulk(missing))
    for record in records:
        record.department = by_pk[record.department_id]
        record.source_department = by_pk[record.source_department_id]


def _find_subjects(cleaned_rows) -> dict[tuple[str, str], Subject]:
    """Registered subjects of these rows by ``_subject_key``, two queries at most."""
    wanted: dict[str, set[str]] = {"uscc": set(), "id_number_hmac": set()}
    for cleaned in cleaned_rows:
        field, value = _subject_key(cleaned)
        wanted[field].add(value)
    found = {}
    for field, values in wanted.items():
        if values:
            for subject in subjects_by_key(field, values):
                found[field, getattr(subject, field)] = subject
    return found


def record_input(record) -> dict:
    """The current values of a record as service input (for correction forms)."""
    kind = "penalty" if isinstance(record, PenaltyRecord) else "license"
    data = {}
    for name, _label, _req in COLUMNS[kind]:
        if name in ("id_number", "legal_rep_id_number"):
            continue
        data[name] = getattr(record, name, "")
    if record.id_number_masked:
        data["id_number"] = record.subject.reveal_id_number()
    if record.legal_rep_id_encrypted:
        data["legal_rep_id_number"] = crypto.decrypt(record.legal_rep_id_encrypted)
    return data


@transaction.atomic
def record_correct(*, scope: Scope, record, reason: str, today: date | None = None, **changes) -> UpsertResult:
    """Correct a record's content (更正); the key (department, 文书号) cannot change."""
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise ValidationError({"reason": ["请填写更正事由。"]})
    if not can_edit_record(scope, record):
        raise PermissionDenied("该记录不属于本部门，不能更正。")
    kind = "penalty" if isinstance(record, PenaltyRecord) else "license"
    data = record_input(record)
    for key in ("document_number", "authority_uscc"):
        if key in changes and _text(changes[key]) != _text(data[key]):
            raise ValidationError({key: ["更正时不能修改决定机关和文书号；如文书号有误，请撤销后重新报送。"]})
    data.update(changes)
    return record_upsert(scope=scope, kind=kind, data=data, reason=reason, today=today)


@transaction.atomic
def record_withdraw(*, scope: Scope, record, reason: str):
    """撤销: the decision was revoked; the record is kept (not public) with its reason."""
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise ValidationError({"reason": ["请填写撤销事由。"]})
    record = type(record).objects.select_for_update().get(pk=record.pk)
    if not can_edit_record(scope, record):
        raise PermissionDenied("该记录不属于本部门，不能撤销。")
    if record.is_withdrawn:
        raise ValidationError({"reason": ["该记录已撤销。"]})
    before = audit.snapshot(record, AUDIT_EXCLUDE)
    record.status = RecordStatus.WITHDRAWN
    record.status_reason = reason[:500]
    record.status_changed_at = timezone.now()
    record.version += 1
    record.save()
    _revision(record, RecordRevision.Action.WITHDRAW, reason)
    b, a = audit.diff(before, audit.snapshot(record, AUDIT_EXCLUDE))
    audit.record(action="update", instance=record, subject_id=record.subject_id, before=b, after=a, reason=reason)
    return record


@transaction.atomic
def penalty_mark_repaired(*, record: PenaltyRecord, reason: str) -> PenaltyRecord:
    """信用修复: publication stops now; the record is kept internally, marked repaired, with history.

    Called by the disputes app once a repair application is approved (that app checks who decides).
    """
    record = PenaltyRecord.objects.select_for_update().get(pk=record.pk)
    if record.status != RecordStatus.PUBLISHED:
        raise ValidationError({"decision": ["该处罚信息已不在公示中，无需修复。"]})
    before = audit.snapshot(record, AUDIT_EXCLUDE)
    now = timezone.now()
    record.status = RecordStatus.REPAIRED
    record.status_reason = reason[:500]
    record.status_changed_at = now
    record.publication_ended_at = now
    record.version += 1
    record.save()
    _revision(record, RecordRevision.Action.REPAIR, reason)
    b, a = audit.diff(before, audit.snapshot(record, AUDIT_EXCLUDE))
    audit.record(action="update", instance=record, subject_id=record.subject_id, before=b, after=a, reason=reason)
    return record


def penalty_publication_sweep(*, today: date | None = None, limit: int = 1000) -> int:
    """Stop publication of penalties whose publish-until date has come (SPEC §11).

    Costs O(due items) (index on status, publish_until); each record is ended in its own
    transaction after re-reading it under a lock, so a second or concurrent run ends nothing twice.
    """
    today = today or timezone.localdate()
    due = list(
        PenaltyRecord.objects.filter(status=RecordStatus.PUBLISHED, publish_until__lte=today)
        .order_by("publish_until", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    ended = 0
    for pk in due:
        with transaction.atomic():
            record = PenaltyRecord.objects.select_for_update().filter(pk=pk).first()
            if record is None or record.status != RecordStatus.PUBLISHED or not record.publish_until:
                continue
            if record.publish_until > today:
                continue
            record.status = RecordStatus.ENDED
            record.status_changed_at = record.publication_ended_at = timezone.now()
            record.status_reason = f"最长公示期满（{record.publish_until:%Y-%m-%d}），自动停止公示"
            record.save(update_fields=["status", "status_changed_at", "publication_ended_at", "status_reason"])
            _revision(record, RecordRevision.Action.END, record.status_reason)
            audit.record(
                action="event",
                instance=record,
                subject_id=record.subject_id,
                before={"status": RecordStatus.PUBLISHED},
                after={"status": RecordStatus.ENDED},
                reason=record.status_reason,
            )
            ended += 1
    return ended


def records_recompute_report_due(*, year: int) -> int:
    """Recompute provisional reporting deadlines after a year's holiday schedule was entered."""
    changed = 0
    for model in (PenaltyRecord, LicenseRecord):
        for record in model.objects.filter(report_due_provisional=True, report_due__year=year).iterator():
            due = get_profile().reporting_period.due_from(record.decision_date)
            late = record.reported_on > due.date
            if (due.date, due.provisional, late) != (record.report_due, record.report_due_provisional, record.is_late):
                model.objects.filter(pk=record.pk).update(
                    report_due=due.date, report_due_provisional=due.provisional, is_late=late
                )
                changed += 1
    return changed

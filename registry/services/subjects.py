"""State changes of the registry. Web forms and the API both call these; nothing else writes.

Every function validates its input (Chinese messages keyed by field), checks the caller's scope,
writes inside one transaction and records an audit entry.
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from creditsys import audit

from ..models import Department, Region, Subject, SubjectCode, SubjectName, SubjectRelation, User
from ..names import name_grams, normalize_name
from ..scoping import Scope, can_edit_subject
from ..validators import normalize_code, validate_id_number, validate_uscc

AUDIT_EXCLUDE = ("search_text", "name_grams", "id_number_encrypted", "id_number_hmac", "updated_at")

_NO_SCOPE = "您无权维护该主体的信息（不属于本部门/本区划）。"


def refresh_search_fields(subject: Subject, former: list[str] | None = None) -> None:
    if former is None:
        former = list(subject.former_names.values_list("name", flat=True)) if subject.pk else []
    names = [subject.name, *former]
    subject.search_text = "\n".join(normalize_name(n) for n in names)
    subject.name_grams = name_grams(names)


def _clean_identity(*, kind: str, name: str, uscc: str | None, id_number: str | None) -> dict:
    errors: dict[str, list[str]] = {}
    cleaned: dict = {}
    name = (name or "").strip()
    if not name:
        errors.setdefault("name", []).append("名称/姓名不能为空。")
    elif len(name) > 200:
        errors.setdefault("name", []).append("名称/姓名不能超过200个字符。")
    cleaned["name"] = name
    if kind not in Subject.Kind.values:
        errors.setdefault("kind", []).append("主体类别无效。")
    if kind == Subject.Kind.NATURAL_PERSON:
        if uscc:
            errors.setdefault("uscc", []).append("自然人不填写统一社会信用代码。")
        try:
            cleaned["id_number"] = validate_id_number(id_number or "")
        except ValidationError as exc:
            errors.setdefault("id_number", []).extend(exc.messages)
    elif kind in Subject.Kind.values:
        if id_number:
            errors.setdefault("id_number", []).append("组织和个体工商户不填写身份证号码，请填写统一社会信用代码。")
        try:
            cleaned["uscc"] = validate_uscc(uscc or "")
        except ValidationError as exc:
            errors.setdefault("uscc", []).extend(exc.messages)
    if errors:
        raise ValidationError(errors)
    return cleaned


@transaction.atomic
def subject_create(
    *,
    scope: Scope,
    kind: str,
    name: str,
    region: Region,
    uscc: str | None = None,
    id_number: str | None = None,
    legal_representative: str = "",
    address: str = "",
    status: str = Subject.Status.ACTIVE,
    managing_department: Department | None = None,
) -> Subject:
    cleaned = _clean_identity(kind=kind, name=name, uscc=uscc, id_number=id_number)
    if not scope.region_allowed(region.pk):
        raise ValidationError({"region": ["所属区划不在您的管辖范围内。"]})
    department = managing_department or scope.department
    if department is None:
        raise ValidationError({"managing_department": ["请指定维护部门。"]})
    if not scope.is_global and scope.department is not None and department != scope.department:
        raise PermissionDenied("只能以本部门身份新增主体。")
    subject = Subject(
        kind=kind,
        name=cleaned["name"],
        uscc=cleaned.get("uscc"),
        legal_representative=legal_representative.strip(),
        address=address.strip(),
        region=region,
        managing_department=department,
        status=status,
    )
    if "id_number" in cleaned:
        subject.set_id_number(cleaned["id_number"])
    if subject.uscc and Subject.objects.filter(uscc=subject.uscc).exists():
        raise ValidationError({"uscc": ["该统一社会信用代码已登记，请勿重复新增。"]})
    if subject.id_number_hmac and Subject.objects.filter(id_number_hmac=subject.id_number_hmac).exists():
        raise ValidationError({"id_number": ["该身份证号码已登记，请勿重复新增。"]})
    refresh_search_fields(subject, former=[])
    try:
        with transaction.atomic():
            subject.save()
    except IntegrityError:
        raise ValidationError({"uscc": ["该主体已登记（代码重复），请勿重复新增。"]}) from None
    audit.record(
        action="create",
        instance=subject,
        subject_id=subject.pk,
        after=audit.snapshot(subject, AUDIT_EXCLUDE),
    )
    return subject


EDITABLE_FIELDS = ("name", "legal_representative", "address", "region", "status")


@transaction.atomic
def subject_update(*, scope: Scope, subject: Subject, reason: str = "", **changes) -> Subject:
    """Change a subject's basic data. A new name keeps the old one as 曾用名."""
    subject = Subject.objects.select_for_update().get(pk=subject.pk)
    if not can_edit_subject(scope, subject):
        raise PermissionDenied(_NO_SCOPE)
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({f: ["该字段不能在此修改。"] for f in sorted(unknown)})
    before = audit.snapshot(subject, AUDIT_EXCLUDE)
    old_name = subject.name
    if "name" in changes:
        name = (changes["name"] or "").strip()
        if not name:
            raise ValidationError({"name": ["名称/姓名不能为空。"]})
        changes["name"] = name
    if "region" in changes and not scope.region_allowed(changes["region"].pk):
        raise ValidationError({"region": ["所属区划不在您的管辖范围内。"]})
    for field, value in changes.items():
        setattr(subject, field, value.strip() if isinstance(value, str) and field != "status" else value)
    if subject.name != old_name:
        SubjectName.objects.create(subject=subject, name=old_name, used_until=date.today())
    refresh_search_fields(subject)
    subject.save()
    b, a = audit.diff(before, audit.snapshot(subject, AUDIT_EXCLUDE))
    if a:
        audit.record(action="update", instance=subject, subject_id=subject.pk, before=b, after=a, reason=reason)
    return subject


@transaction.atomic
def subject_code_add(*, scope: Scope, subject: Subject, kind: str, value: str) -> SubjectCode:
    if not can_edit_subject(scope, subject):
        raise PermissionDenied(_NO_SCOPE)
    value = normalize_code(value)
    if kind not in SubjectCode.Kind.values:
        raise ValidationError({"kind": ["代码类型无效。"]})
    if not value or len(value) > 40:
        raise ValidationError({"value": ["代码不能为空，且不超过40个字符。"]})
    if SubjectCode.objects.filter(kind=kind, value=value).exists():
        raise ValidationError({"value": ["该代码已登记在其他主体名下。"]})
    code = SubjectCode.objects.create(subject=subject, kind=kind, value=value)
    audit.record(action="create", instance=code, subject_id=subject.pk, after=audit.snapshot(code))
    return code


@transaction.atomic
def relation_add(
    *,
    scope: Scope,
    organization: Subject,
    person: Subject,
    role: str,
    valid_from: date,
    valid_until: date | None = None,
    note: str = "",
) -> SubjectRelation:
    if not can_edit_subject(scope, organization):
        raise PermissionDenied(_NO_SCOPE)
    errors: dict[str, list[str]] = {}
    if organization.is_person:
        errors["organization"] = ["关联人员只能登记在组织或个体工商户名下。"]
    if not person.is_person:
        errors["person"] = ["关联人员必须是自然人。"]
    if role not in SubjectRelation.Role.values:
        errors["role"] = ["关系类型无效。"]
    if valid_until and valid_until < valid_from:
        errors["valid_until"] = ["终止日期不能早于起始日期。"]
    if errors:
        raise ValidationError(errors)
    if SubjectRelation.objects.filter(
        organization=organization, person=person, role=role, valid_from=valid_from
    ).exists():
        raise ValidationError({"person": ["该关联关系已登记。"]})
    relation = SubjectRelation.objects.create(
        organization=organization,
        person=person,
        role=role,
        valid_from=valid_from,
        valid_until=valid_until,
        note=note.strip(),
    )
    audit.record(action="create", instance=relation, subject_id=organization.pk, after=audit.snapshot(relation))
    return relation


@transaction.atomic
def relation_end(*, scope: Scope, relation: SubjectRelation, valid_until: date) -> SubjectRelation:
    if not can_edit_subject(scope, relation.organization):
        raise PermissionDenied(_NO_SCOPE)
    if valid_until < relation.valid_from:
        raise ValidationError({"valid_until": ["终止日期不能早于起始日期。"]})
    before = audit.snapshot(relation)
    relation.valid_until = valid_until
    relation.save(update_fields=["valid_until"])
    b, a = audit.diff(before, audit.snapshot(relation))
    audit.record(action="update", instance=relation, subject_id=relation.organization_id, before=b, after=a)
    return relation


def may_reveal_id_numbers(user: User) -> bool:
    return user.is_superuser or user.role in (User.Role.ADMIN, User.Role.COORDINATOR)


@transaction.atomic
def subject_reveal_id_number(*, user: User, subject: Subject, reason: str) -> str:
    """Return the clear ID number to an authorised user, auditing the read (SPEC §14)."""
    if not may_reveal_id_numbers(user):
        raise PermissionDenied("您的角色无权查看完整身份证号码。")
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise ValidationError({"reason": ["请填写查看完整身份证号码的事由。"]})
    audit.record(action="read", instance=subject, subject_id=subject.pk, reason=reason)
    return subject.reveal_id_number()


@transaction.atomic
def relation_add_person(
    *,
    scope: Scope,
    organization: Subject,
    person_name: str,
    person_id_number: str,
    role: str,
    valid_from: date,
    valid_until: date | None = None,
    note: str = "",
) -> SubjectRelation:
    """Link a natural person (found by ID number, registered when new) to an organisation."""
    from ..selectors import subject_by_code

    try:
        normalized = validate_id_number(person_id_number)
    except ValidationError as exc:
        raise ValidationError({"person_id_number": exc.messages}) from None
    person = subject_by_code(normalized)
    if person is None:
        try:
            person = subject_create(
                scope=scope,
                kind=Subject.Kind.NATURAL_PERSON,
                name=person_name,
                id_number=normalized,
                region=organization.region,
                managing_department=organization.managing_department,
            )
        except ValidationError as exc:
            raise ValidationError(
                {"person_name" if k == "name" else k: v for k, v in exc.message_dict.items()}
            ) from None
    return relation_add(
        scope=scope,
        organization=organization,
        person=person,
        role=role,
        valid_from=valid_from,
        valid_until=valid_until,
        note=note,
    )


def subject_record_read(*, subject: Subject, purpose: str) -> None:
    """Audit a staff read of a natural person's data (not public: SPEC §14)."""
    if subject.is_person:
        audit.record(action="read", instance=subject, subject_id=subject.pk, reason=purpose)

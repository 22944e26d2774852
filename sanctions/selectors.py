"""Reads shared by the workbench, the API, the services and the sweeps.

The matching rule "which published measures apply to this entry" lives here once
(``measures_for_entry``) and is used both to create enforcement tasks and to answer checks.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass, field
from datetime import date

from dateutil.relativedelta import relativedelta
from django.db.models import Count, Exists, F, FilteredRelation, OuterRef, Q, QuerySet
from django.utils import timezone

from creditsys import versions
from creditsys.db import PreparedQuery, loaded_instance_builder
from creditsys.policy import Period, Unit, get_profile
from registry.models import Subject
from registry.scoping import Scope
from registry.selectors import (  # penalties and commitments (registry)
    adverse_records,
    has_adverse_records,
    subjects_by_codes,
    with_adverse_flags,
)
from registry.validators import classify_code, mask_id_number, normalize_code

from .models import LIST_TYPE_SHORT, BlackCategory, ChangeEvent, CheckLog, EnforcementTask, ListEntry, ListType, Measure

logger = logging.getLogger("creditsys.sanctions")

ADVERSE_LIST_TYPES = (ListType.BLACK, ListType.FOCUS)


def today() -> date:
    return timezone.localdate()


def period_before(period: Period, day: date) -> date:
    """The start of a look-back period ending on ``day`` (calendar arithmetic)."""
    if period.unit == Unit.YEARS:
        return day - relativedelta(years=period.length)
    if period.unit == Unit.MONTHS:
        return day - relativedelta(months=period.length)
    return day - relativedelta(days=period.length * (7 / 5 if period.unit == Unit.WORKING_DAYS else 1))


# --- scoping ----------------------------------------------------------------------------------


def visible_entries(scope: Scope, queryset: QuerySet | None = None) -> QuerySet:
    qs = ListEntry.objects.all() if queryset is None else queryset
    if scope.region_ids is None:
        return qs
    return qs.filter(region_id__in=scope.region_ids)


def can_edit_entry(scope: Scope, entry: ListEntry) -> bool:
    if scope.is_global:
        return True
    if scope.edit_by_region:
        return scope.region_allowed(entry.region_id)
    return scope.department is not None and entry.initiating_department_id == scope.department.pk


def visible_tasks(scope: Scope, queryset: QuerySet | None = None) -> QuerySet:
    qs = EnforcementTask.objects.all() if queryset is None else queryset
    if scope.is_global:
        return qs
    if scope.edit_by_region:
        return qs.filter(department__region_id__in=scope.region_ids or ())
    if scope.department is None:
        return qs.none()
    return qs.filter(department=scope.department)


def can_answer_task(scope: Scope, task: EnforcementTask) -> bool:
    if scope.is_global:
        return True
    if scope.edit_by_region:
        return scope.region_allowed(task.department.region_id)
    return scope.department is not None and task.department_id == scope.department.pk


def visible_changes(scope: Scope) -> QuerySet:
    qs = ChangeEvent.objects.all()
    if scope.region_ids is None:
        return qs
    return qs.filter(Q(region_id__in=scope.region_ids) | Q(region__isnull=True))


def active_entries(subject: Subject, list_types=None) -> QuerySet:
    qs = ListEntry.objects.filter(subject=subject, status=ListEntry.Status.PUBLISHED)
    if list_types:
        qs = qs.filter(list_type__in=list_types)
    return qs


def red_list_obstacles(subject: Subject, *, on: date | None = None) -> list[str]:
    """Why the subject may not be on the red list (empty: eligible). SPEC §6."""
    on = on or today()
    profile = get_profile()
    reasons = []
    for entry in active_entries(subject, ADVERSE_LIST_TYPES).select_related("initiating_department"):
        reasons.append(f"该主体在{entry.short_type}中（{entry.basis_document}，{entry.initiating_department}）。")
    since = period_before(profile.red_list_lookback, on)
    for text in adverse_records(subject, since=since):
        reasons.append(f"{since:%Y年%m月%d日}以来有不良信用记录：{text}")
    return reasons


def clean_period_start(on: date) -> date:
    """The first day of the clean period (连续N年无不良信用记录) that ends on ``on``."""
    return _years_before(on, get_profile().trustworthy_clean_years)


@functools.lru_cache(maxsize=64)
def _years_before(on: date, years: int) -> date:
    # Every check asks for the same day: the relativedelta arithmetic once a day, not per check.
    return on - relativedelta(years=years)


def is_trustworthy(subject: Subject, *, on: date | None = None) -> bool:
    """ "连续三年无不良信用记录": no adverse entry and no adverse record in the clean period."""
    since = clean_period_start(on or today())
    if active_entries(subject, ADVERSE_LIST_TYPES).exists():
        return False
    if ListEntry.objects.filter(
        subject=subject, list_type__in=ADVERSE_LIST_TYPES, status=ListEntry.Status.REMOVED, removed_at__date__gte=since
    ).exists():
        return False
    return not has_adverse_records(subject, since=since)


# --- measures ------------------------------------------------------------------------------------


@dataclass
class MeasureCatalogue:
    """The published measures with their implementing department ids, loaded once per call."""

    measures: list[Measure] = field(default_factory=list)
    # measures_for_entry() per (list type, category, target, subject kind): the only entry facts
    # measure_matches() reads, so entries alike share one answer; also what a check lists per
    # department (``_listed_measures``, ``_clean_record_incentives``).
    matches: dict = field(default_factory=dict, repr=False)

    @classmethod
    def load(cls) -> MeasureCatalogue:
        qs = (
            Measure.objects.filter(status=Measure.Status.PUBLISHED)
            .select_related("memorandum")
            .prefetch_related("implementing_departments")
            .order_by("code")
        )
        return cls(list(qs))

    @classmethod
    def current(cls) -> MeasureCatalogue:
        """The catalogue, memoised per process while the shared catalogue version is unchanged.

        Any change of a measure, memorandum or department bumps the version (``catalogue_changed``),
        so every process reloads at its next check. Without the shared cache: loaded per call.
        """
        version = versions.current(CATALOGUE_VERSION_KEY)
        if version is not None and _catalogue_memo[0] == version:
            return _catalogue_memo[1]
        catalogue = cls.load()
        if version is not None:
            _catalogue_memo[:] = [version, catalogue]
        return catalogue


CATALOGUE_VERSION_KEY = versions.register("sanctions:catalogue-version")
_catalogue_memo: list = [None, None]  # [version, MeasureCatalogue]


def _forget_catalogue() -> None:
    _catalogue_memo[:] = [None, None]


def catalogue_changed(*args, **kwargs) -> None:
    """Measures, memoranda or departments changed: forget memoised catalogues everywhere."""
    versions.changed(CATALOGUE_VERSION_KEY, _forget_catalogue)


def subject_target(entry: ListEntry) -> str:
    if entry.source_entry_id:
        return "answerable_person"
    if entry.subject.kind == Subject.Kind.NATURAL_PERSON:
        return "natural_person"
    return "organization"


def measure_matches(measure: Measure, entry: ListEntry) -> bool:
    """THE matching rule (SPEC §8.1): published, list type, category, subject kind, memorandum."""
    if measure.status != Measure.Status.PUBLISHED:
        return False  # 未经公布的信用惩戒措施不得实施
    if entry.list_type not in (measure.list_types or []):
        return False
    if measure.categories and entry.category and entry.category not in measure.categories:
        return False
    target = subject_target(entry)
    kinds = measure.subject_kinds or []
    if target not in kinds:
        # 个体工商户 are organisations and run by a natural person: either kind matches them.
        if not (entry.subject.kind == Subject.Kind.INDIVIDUAL_BUSINESS and "natural_person" in kinds):
            return False
    if measure.memorandum_id and not measure.memorandum.covers(entry.list_type, entry.category):
        return False
    return True


def measures_for_entry(entry: ListEntry, catalogue: MeasureCatalogue | None = None) -> list[Measure]:
    catalogue = catalogue or MeasureCatalogue.load()
    key = (entry.list_type, entry.category, subject_target(entry), entry.subject.kind)
    found = catalogue.matches.get(key)
    if found is None:
        found = catalogue.matches[key] = [m for m in catalogue.measures if measure_matches(m, entry)]
    return list(found)


def public_measures() -> QuerySet:
    return (
        Measure.objects.filter(status=Measure.Status.PUBLISHED)
        .select_related("memorandum")
        .prefetch_related("implementing_departments")
        .order_by("kind", "code")
    )


# --- the check (应查必查) ------------------------------------------------------------------------


def mask_code(code: str) -> str:
    normalized = normalize_code(code or "")[:40]
    return _masked(normalized, classify_code(normalized))


def _masked(normalized: str, readings) -> str:
    """``mask_code`` of a normalised code whose readings (``classify_code``) are known."""
    for kind, value in readings:
        if kind != "uscc":
            return mask_id_number(value)
    if len(normalized) == 18 and normalized[:17].isdigit():
        return mask_id_number(normalized)
    return normalized


def _implementers(measure: Measure) -> tuple[frozenset, list[str]]:
    """Ids and names of the implementing departments, computed once per (memoised) measure object."""
    found = measure.__dict__.get("_implementers")
    if found is None:
        departments = list(measure.implementing_departments.all())
        found = measure.__dict__["_implementers"] = (
            frozenset(d.pk for d in departments),
            [d.name for d in departments],
        )
    return found


def _measure_facts(measure: Measure) -> dict:
    """What every answer row says of a measure, computed once per (memoised) measure object."""
    found = measure.__dict__.get("_check_facts")
    if found is None:
        found = measure.__dict__["_check_facts"] = {
            "code": measure.code,
            "version": measure.version,
            "name": measure.name,
            "kind": measure.kind,
            "binding": measure.get_binding_display(),
            "national_class": measure.national_class,
            "legal_basis": measure.legal_basis,
            "field": measure.field,
            "implementing_departments": _implementers(measure)[1],
        }
    return found


def _measure_row(measure: Measure, entry: ListEntry, *, department_id: int | None) -> dict:
    return {
        **_measure_facts(measure),
        "entry_id": entry.pk,
        "list_type": entry.list_type,
        "applies_to_asking_department": department_id is None or department_id in _implementers(measure)[0],
        "suspended": entry.is_suspended,
        "suspension_reason": entry.suspension_reason if entry.is_suspended else "",
    }


# Labels by value: ``get_FOO_display()`` costs more per call than a dictionary, 10,000 times a batch.
_LIST_TYPE_LABELS = dict(ListType.choices)
_CATEGORY_LABELS = dict(BlackCategory.choices)
_SUBJECT_KIND_LABELS = dict(Subject.Kind.choices)


def _entry_row(entry: ListEntry) -> dict:
    return {
        "id": entry.pk,
        "list_type": entry.list_type,
        "list_type_display": str(_LIST_TYPE_LABELS.get(entry.list_type, entry.list_type)),
        "category": entry.category,
        "category_display": str(_CATEGORY_LABELS.get(entry.category, entry.category)) if entry.category else "",
        "basis_document": entry.basis_document,
        "legal_basis": entry.legal_basis,
        "initiating_department": entry.initiating_department_name,
        "decision_date": entry.decision_date.isoformat(),
        "valid_from": entry.valid_from.isoformat(),
        "valid_until": entry.valid_until.isoformat() if entry.valid_until else None,
        "suspended": entry.is_suspended,
        "suspension_reason": entry.suspension_reason if entry.is_suspended else "",
        "as_answerable_person_of": entry.answerable_person_of or "",
        "relation_role": entry.relation_role,
    }


# What an answer reads of an entry (``_entry_row``, ``measure_matches``): not the long free texts.
CHECK_ENTRY_FIELDS = (
    "subject_id",
    "list_type",
    "category",
    "basis_document",
    "legal_basis",
    "decision_date",
    "valid_from",
    "valid_until",
    "status",
    "is_suspended",
    "suspension_reason",
    "source_entry_id",
    "relation_role",
)


def _check_relevant(since: date, prefix: str = "") -> Q:
    """Entries a check shows (published) or counts against trustworthiness (removed adverse);
    ``prefix``: the path to the entries (``"list_entries__"`` from a subject)."""
    return Q(**{f"{prefix}status": ListEntry.Status.PUBLISHED}) | Q(
        **{
            f"{prefix}status": ListEntry.Status.REMOVED,
            f"{prefix}list_type__in": ADVERSE_LIST_TYPES,
            f"{prefix}removed_at__date__gte": since,
        }
    )


def _check_relevant_entries(since: date) -> QuerySet:
    return ListEntry.objects.filter(_check_relevant(since))


def _check_subjects(since: date) -> QuerySet:
    # Only what an answer shows (the search columns are large and unused here).
    return with_adverse_flags(
        Subject.objects.only("kind", "name", "uscc", "id_number_hmac", "id_number_masked"), since=since
    )


# The entry columns of a check's subject rows (``_CHECK_SUBJECTS``), as the entries query reads them.
_ENTRY_COLUMNS = {
    **{f"entry_{name}": F(f"relevant_entry__{name}") for name in ("id", *CHECK_ENTRY_FIELDS)},
    "entry_initiating_department_name": F("relevant_entry__initiating_department__name"),
    "entry_answerable_person_of": F("relevant_entry__source_entry__subject__name"),
}


def _check_subjects_with_entries(usccs: list[str], hmacs: list[str], since: date) -> QuerySet:
    """The subjects with these USCCs or ID-number HMACs, once per relevant entry (or once, with
    empty entry columns, when there is none): subject, flags and entries in one statement, where
    a separate read of the entries cost a second round trip for every listed subject."""
    return (
        _check_subjects(since)
        .filter(Q(uscc__any=usccs) | Q(id_number_hmac__any=hmacs))
        .annotate(relevant_entry=FilteredRelation("list_entries", condition=_check_relevant(since, "list_entries__")))
        .annotate(**_ENTRY_COLUMNS)
        .order_by("pk", "relevant_entry__list_type", "relevant_entry__decision_date", "relevant_entry__pk")
    )


def _grouped_with_entries(columns: tuple[str, ...], rows: list[tuple]) -> list[Subject]:
    """``_check_subjects_with_entries`` rows (``PreparedQuery.rows``) as one subject each, its
    entries in ``check_entries``."""
    layout = _subject_row_layout(columns)
    subject, entry = loaded_instance_builder(Subject), loaded_instance_builder(ListEntry)
    subjects: dict[int, Subject] = {}
    for row in rows:
        found = subjects.get(row[layout.pk])
        if found is None:
            found = subjects[row[layout.pk]] = subject(**{name: row[i] for name, i in layout.fields})
            for name, i in layout.annotations:
                setattr(found, name, row[i])
            found.check_entries = []
        if row[layout.entry_pk] is not None:
            loaded = entry(**{name: row[i] for name, i in layout.entry_fields})
            loaded.initiating_department_name = row[layout.department]
            loaded.answerable_person_of = row[layout.answerable_person_of]
            found.check_entries.append(loaded)
    return list(subjects.values())


@dataclass(frozen=True)
class _SubjectRowLayout:
    pk: int
    fields: tuple  # (attname, position) of the subject's fields
    annotations: tuple  # (name, position) of its other columns (the adverse flags)
    entry_pk: int
    entry_fields: tuple  # (attname, position) of the entry's fields
    department: int
    answerable_person_of: int


@functools.cache
def _subject_row_layout(columns: tuple[str, ...]) -> _SubjectRowLayout:
    at = {name: i for i, name in enumerate(columns)}
    subject_fields = {f.attname for f in Subject._meta.concrete_fields}
    return _SubjectRowLayout(
        pk=at["id"],
        fields=tuple((n, i) for n, i in at.items() if n in subject_fields),
        annotations=tuple((n, i) for n, i in at.items() if n not in subject_fields and not n.startswith("entry_")),
        entry_pk=at["entry_id"],
        entry_fields=tuple((n, at[f"entry_{n}"]) for n in ("id", *CHECK_ENTRY_FIELDS)),
        department=at["entry_initiating_department_name"],
        answerable_person_of=at["entry_answerable_person_of"],
    )


# The check's reads, compiled once per process (compiling them cost more CPU than running them).
_CHECK_SUBJECTS = PreparedQuery(_check_subjects_with_entries, usccs=list[str], hmacs=list[str], since=date)
_CHECK_ENTRIES = PreparedQuery(
    lambda subject_ids, since: (
        _check_relevant_entries(since)
        .filter(subject_id__any=subject_ids)
        .only(*CHECK_ENTRY_FIELDS)
        .annotate(
            initiating_department_name=F("initiating_department__name"),
            answerable_person_of=F("source_entry__subject__name"),
        )
        .order_by("list_type", "decision_date", "pk")
    ),
    subject_ids=list[int],
    since=date,
)


def check_answer(
    code: str,
    *,
    department_id: int | None,
    on: date | None = None,
    catalogue: MeasureCatalogue | None = None,
) -> dict:
    """The answer to "may we proceed with this subject?" for the asking department.

    Punishment measures are listed only when the asking department implements them (a region-wide
    or city-wide caller without a department sees all, each marked with its departments). Never
    raises for bad input: invalid and unknown codes get a clear answer.
    """
    return check_answers([code], department_id=department_id, on=on, catalogue=catalogue)[0][0]


def check_answers(
    codes: list[str],
    *,
    department_id: int | None,
    on: date | None = None,
    catalogue: MeasureCatalogue | None = None,
) -> list[tuple[dict, Subject | None]]:
    """``check_answer`` for many codes, with the subject found for each (or None).

    A fixed number of queries whatever the number of codes (no query per code): the subjects with
    their adverse-record flags in one query, their list entries in another.
    """
    on = on or today()
    catalogue = catalogue or MeasureCatalogue.current()
    answers: list[dict] = []
    raws: list[str | None] = []
    for code in codes:
        raw = (code or "").strip()
        normalized = normalize_code(raw)
        readings = classify_code(raw) if normalized and len(normalized) <= 40 else ()
        answer = {
            "code": _masked(normalized[:40], readings),
            "valid_code": True,
            "found": False,
            "subject": None,
            "entries": [],
            "measures": [],
            "incentives": [],
            "trustworthy": False,
            "message": "",
        }
        answers.append(answer)
        raws.append(None)
        if not normalized or len(normalized) > 40:
            answer.update(valid_code=False, message="代码为空或格式无效：请填写18位统一社会信用代码或身份证号码。")
            continue
        if not readings and len(normalized) == 18:
            answer.update(valid_code=False, message="代码校验位错误：不是有效的统一社会信用代码或身份证号码，请核对。")
            continue
        raws[-1] = raw
    since = clean_period_start(on)
    wanted = {raw for raw in raws if raw is not None}
    subjects = (
        subjects_by_codes(
            wanted,
            # Subjects found by a secondary code, and whether they have entries (read below).
            lambda: _check_subjects(since).annotate(
                has_entries=Exists(_check_relevant_entries(since).filter(subject=OuterRef("pk")))
            ),
            primary=lambda usccs, hmacs: _grouped_with_entries(
                *_CHECK_SUBJECTS.rows(usccs=usccs, hmacs=hmacs, since=since)
            ),
        )
        if wanted
        else {}
    )
    by_id = {s.pk: s for s in subjects.values() if s is not None}
    entries = [e for s in by_id.values() for e in getattr(s, "check_entries", ())]
    # Subjects found by a secondary code (an old registration number) come without their entries.
    with_entries = sorted(pk for pk, s in by_id.items() if not hasattr(s, "check_entries") and s.has_entries)
    if with_entries:
        entries += _CHECK_ENTRIES.raw(subject_ids=with_entries, since=since)
    published: dict[int, list[ListEntry]] = {}
    removed_adverse: set[int] = set()
    for entry in entries:
        entry.subject = by_id[entry.subject_id]  # already loaded: no join
        if entry.status == ListEntry.Status.PUBLISHED:
            published.setdefault(entry.subject_id, []).append(entry)
        else:
            removed_adverse.add(entry.subject_id)
    results = []
    for answer, raw in zip(answers, raws, strict=True):
        subject = subjects.get(raw) if raw is not None else None
        if raw is not None:
            _fill_answer(
                answer,
                subject,
                published.get(subject.pk, []) if subject else [],
                clean=subject is not None
                and subject.pk not in removed_adverse
                and not (subject.adverse_penalty or subject.adverse_commitment),
                department_id=department_id,
                catalogue=catalogue,
            )
        results.append((answer, subject))
    return results


def _fill_answer(answer: dict, subject, entries, *, clean: bool, department_id, catalogue) -> None:
    if subject is None:
        answer["message"] = "未找到该代码对应的信用主体：本系统无该主体的名单记录，可依法办理。"
        return
    answer["found"] = True
    answer["subject"] = {
        "name": subject.name,
        "kind": subject.kind,
        "kind_display": str(_SUBJECT_KIND_LABELS.get(subject.kind, subject.kind)),
        "code": subject.code,
    }
    for entry in entries:
        answer["entries"].append(_entry_row(entry))
        for measure in _listed_measures(entry, catalogue, department_id):
            row = _measure_row(measure, entry, department_id=department_id)
            (answer["incentives"] if measure.kind == Measure.Kind.INCENTIVE else answer["measures"]).append(row)
    has_red = any(e.list_type == ListType.RED for e in entries)
    # is_trustworthy(): no adverse entry now, none removed in the clean period, no adverse record.
    trustworthy = clean and not any(e.list_type in ADVERSE_LIST_TYPES for e in entries)
    answer["trustworthy"] = trustworthy
    if trustworthy and not has_red:
        answer["incentives"].extend(dict(row) for row in _clean_record_incentives(catalogue, department_id))
    answer["message"] = summarize(answer)


def _listed_measures(entry: ListEntry, catalogue: MeasureCatalogue, department_id: int | None) -> list[Measure]:
    """The measures a check lists for an entry: those matching it (``measures_for_entry``), and of
    them only those the asking department implements (all for a caller without a department).
    Kept in the catalogue per entry kind and department: entries alike list the same measures."""
    key = ("listed", entry.list_type, entry.category, subject_target(entry), entry.subject.kind, department_id)
    found = catalogue.matches.get(key)
    if found is None:
        found = catalogue.matches[key] = [
            m
            for m in measures_for_entry(entry, catalogue)
            if department_id is None or department_id in _implementers(m)[0]
        ]
    return found


def _clean_record_incentives(catalogue: MeasureCatalogue, department_id: int | None) -> list[dict]:
    """The incentive rows of a subject with a clean record (连续N年无不良信用记录), per department."""
    years = get_profile().trustworthy_clean_years
    key = ("clean", department_id, years)
    found = catalogue.matches.get(key)
    if found is None:
        found = catalogue.matches[key] = [
            {
                **_measure_facts(measure),
                "entry_id": None,
                "list_type": None,
                "applies_to_asking_department": True,
                "suspended": False,
                "suspension_reason": "",
                "reason": f"连续{years}年无不良信用记录",
            }
            for measure in catalogue.measures
            if measure.kind == Measure.Kind.INCENTIVE
            and measure.for_clean_record
            and (department_id is None or department_id in _implementers(measure)[0])
        ]
    return found


def summarize(answer: dict) -> str:
    if not answer["found"]:
        return answer["message"]
    if not answer["entries"]:
        text = "该主体无有效名单记录"
        if answer["trustworthy"]:
            text += "，属于连续无不良信用记录主体"
    else:
        counts: dict[str, int] = {}
        for e in answer["entries"]:
            counts[e["list_type"]] = counts.get(e["list_type"], 0) + 1
        text = "有效名单：" + "、".join(f"{LIST_TYPE_SHORT[k]}{v}条" for k, v in counts.items())
    suspended = sum(1 for m in answer["measures"] if m["suspended"])
    text += f"；本部门适用惩戒措施{len(answer['measures'])}项"
    if suspended:
        text += f"（其中{suspended}项因异议核实暂停执行）"
    text += f"，激励措施{len(answer['incentives'])}项。"
    return text


# --- statistics (跟踪问效) -----------------------------------------------------------------------


def task_statistics(*, on: date | None = None, scope: Scope | None = None) -> list[dict]:
    """Per department: tasks pushed / answered / overdue and the feedback rate."""
    on = on or today()
    qs = EnforcementTask.objects.exclude(status=EnforcementTask.Status.CANCELLED)
    if scope is not None:
        qs = visible_tasks(scope, qs)
    rows = (
        qs.values("department_id", "department__name", "department__region__name")
        .annotate(
            pushed=Count("pk"),
            answered=Count("pk", filter=Q(status=EnforcementTask.Status.ANSWERED)),
            overdue=Count("pk", filter=Q(status=EnforcementTask.Status.PENDING, due_date__lt=on)),
            answered_late=Count(
                "pk", filter=Q(status=EnforcementTask.Status.ANSWERED, answered_at__date__gt=F("due_date"))
            ),
        )
        .order_by("department__region__name", "department__name")
    )
    result = []
    for r in rows:
        rate = round(100 * r["answered"] / r["pushed"], 1) if r["pushed"] else 0.0
        result.append(
            {
                "department": r["department__name"],
                "region": r["department__region__name"],
                "pushed": r["pushed"],
                "answered": r["answered"],
                "overdue": r["overdue"],
                "answered_late": r["answered_late"],
                "feedback_rate": rate,
            }
        )
    return result


def region_statistics(dept_rows: list[dict]) -> list[dict]:
    regions: dict[str, dict] = {}
    for r in dept_rows:
        agg = regions.setdefault(
            r["region"], {"region": r["region"], "pushed": 0, "answered": 0, "overdue": 0, "answered_late": 0}
        )
        for k in ("pushed", "answered", "overdue", "answered_late"):
            agg[k] += r[k]
    for agg in regions.values():
        agg["feedback_rate"] = round(100 * agg["answered"] / agg["pushed"], 1) if agg["pushed"] else 0.0
    return list(regions.values())


def check_statistics(scope: Scope | None = None) -> list[dict]:
    qs = CheckLog.objects.all()
    if scope is not None and scope.region_ids is not None:
        qs = qs.filter(region_id__in=scope.region_ids)
    return list(
        qs.values("matter")
        .annotate(checks=Count("pk"), hits=Count("pk", filter=Q(entry_count__gt=0)))
        .order_by("-checks", "matter")[:30]
    )


def entry_statistics(scope: Scope | None = None) -> list[dict]:
    """Entries published per month and list type."""
    from django.db.models.functions import TruncMonth

    qs = ListEntry.objects.filter(published_at__isnull=False, source_entry__isnull=True)
    if scope is not None:
        qs = visible_entries(scope, qs)
    rows = (
        qs.annotate(month=TruncMonth("published_at"))
        .values("month", "list_type")
        .annotate(n=Count("pk"))
        .order_by("month", "list_type")
    )
    months: dict[str, dict] = {}
    for r in rows:
        key = r["month"].strftime("%Y-%m") if r["month"] else "—"
        months.setdefault(key, {"month": key, "red": 0, "focus": 0, "black": 0})[r["list_type"]] = r["n"]
    return list(months.values())

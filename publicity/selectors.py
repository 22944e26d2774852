"""What the public may see (SPEC §12, §14): the one place that decides it.

Only 社会公开 data within its publication window appears; 授权查询 / 政务共享 data never does. Pages,
search, credit reports and the sitemap all read through these functions.
"""

from __future__ import annotations

from datetime import date

from django.core.paginator import Page, Paginator
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from creditsys.db import PreparedQuery
from disputes import selectors as dispute_selectors
from registry import selectors as registry_selectors
from registry.models import Disclosure, LicenseRecord, PenaltyRecord, RecordStatus, Subject
from registry.models.commitments import Commitment
from sanctions import selectors as sanctions_selectors
from sanctions.models import ListEntry, ListType

from .masking import public_name

PUBLIC_LIST_TYPES = (ListType.RED, ListType.FOCUS, ListType.BLACK)
BADGES = {
    ListType.RED: ("红名单", "red-list"),
    ListType.FOCUS: ("重点关注", "focus"),
    ListType.BLACK: ("严重失信", "black"),
}


def today() -> date:
    return timezone.localdate()


def public_penalties(on: date | None = None) -> QuerySet:
    """Penalties published to society and inside their publication window today."""
    on = on or today()
    return PenaltyRecord.objects.filter(
        disclosure=Disclosure.PUBLIC,
        status=RecordStatus.PUBLISHED,
        published=True,
        publish_from__lte=on,
        publish_until__gte=on,
    )


def public_licenses(on: date | None = None) -> QuerySet:
    return LicenseRecord.objects.filter(disclosure=Disclosure.PUBLIC, status=RecordStatus.PUBLISHED)


def public_entries(on: date | None = None) -> QuerySet:
    on = on or today()
    return ListEntry.objects.filter(status=ListEntry.Status.PUBLISHED, list_type__in=PUBLIC_LIST_TYPES).filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=on), valid_from__lte=on
    )


def public_commitments() -> QuerySet:
    return Commitment.objects.filter(disclosure=Disclosure.PUBLIC).exclude(status=Commitment.Status.WITHDRAWN)


def publicly_visible_subjects(on: date | None = None) -> QuerySet:
    """Organisations and individual businesses; natural persons only while on a public list."""
    listed_people = public_entries(on).filter(subject__kind=Subject.Kind.NATURAL_PERSON).values("subject_id")
    return Subject.objects.filter(~Q(kind=Subject.Kind.NATURAL_PERSON) | Q(pk__in=listed_people))


# One public subject for its profile page and credit report: without the large search columns, with
# its region's name (``region_name``), compiled once per process.
_PUBLIC_SUBJECT = PreparedQuery(
    lambda pk, on: (
        publicly_visible_subjects(on)
        .filter(pk=pk)
        .defer("search_text", "name_grams")
        .annotate(region_name=F("region__name"))
        .order_by()
    ),
    pk=int,
    on=date,
)


def public_subject(pk: int) -> Subject | None:
    """The subject with this id if the public may see it today, else None."""
    return next(iter(_PUBLIC_SUBJECT.raw(pk=pk, on=today())), None)


# The public search ranks at most this many matches (plus exact names): a one-character query
# matches a fifth of a city's register, and counting or sorting all of them is what made it slow.
SEARCH_LIMIT = 200


def search(query: str) -> list[int]:
    """Public search: ids of the subjects found by name (the registry's n-gram index) or by USCC, ranked.

    Natural persons are never found by name or ID number on the public site. More than
    ``SEARCH_LIMIT`` ids means "refine the query".
    """
    return registry_selectors.subject_search_ids(query, limit=SEARCH_LIMIT, public_only=True)


SEARCH_PAGE_SIZE = 20


def _listed(list_type: str, on: date):
    return Exists(public_entries(on).filter(subject_id=OuterRef("pk"), list_type=list_type))


# A result page's subjects with their badges as EXISTS flags: one statement per page (it was three:
# the subjects, their list entries, their open objections), compiled once per process.
_SEARCH_RESULTS = PreparedQuery(
    lambda ids, on: (
        Subject.objects.filter(pk__any=ids)
        .only("kind", "name", "uscc", "legal_representative")  # not the large search columns
        .annotate(
            region_name=F("region__name"),
            **{f"listed_{list_type}": _listed(list_type, on) for list_type in PUBLIC_LIST_TYPES},
            entry_suspended=Exists(public_entries(on).filter(subject_id=OuterRef("pk"), is_suspended=True)),
            objection_open=dispute_selectors.open_objection_exists(),
        )
        .order_by()
    ),
    ids=list[int],
    on=date,
)


def search_page(query: str, page_number=None) -> tuple[Page, bool]:
    """One page of public search results with their badges, and whether there were more than
    ``SEARCH_LIMIT`` matches. Ranked ids first, then only the page's subjects are read."""
    ids = search(query) if query else []
    more = len(ids) > SEARCH_LIMIT
    page = Paginator(ids[:SEARCH_LIMIT], SEARCH_PAGE_SIZE).get_page(page_number)
    page_ids = list(page.object_list)
    subjects = {s.pk: s for s in _SEARCH_RESULTS.raw(ids=page_ids, on=today())} if page_ids else {}
    page.object_list = [subjects[pk] for pk in page_ids if pk in subjects]
    for subject in page.object_list:
        subject.public_badges = _badges(subject)
    return page, more


def _badges(subject) -> list[tuple[str, str]]:
    """Public badges of a search result (红名单 / 重点关注 / 严重失信, then 存在异议), in the profile's order."""
    badges = [BADGES[list_type] for list_type in PUBLIC_LIST_TYPES if getattr(subject, f"listed_{list_type}")]
    if subject.entry_suspended or subject.objection_open:
        badges.append(("存在异议", "objection"))
    return badges


_PROFILE_PENALTY = (
    "document_number",
    "violation_type",
    "categories",
    "penalty_content",
    "authority_name",
    "decision_date",
    "publish_until",
    "repairable_from",
)
_PROFILE_LICENSE = (
    "document_number",
    "decision_document_name",
    "category",
    "authority_name",
    "decision_date",
    "valid_until",
)


# A subject's public records: wide rows (50+ columns), so only the columns the profile page and the
# credit report show; compiled once per process (building and compiling the querysets cost more CPU
# than PostgreSQL spent running them).
_PROFILE_PENALTIES = PreparedQuery(
    lambda subject_id, on: (
        public_penalties(on).filter(subject_id=subject_id).only(*_PROFILE_PENALTY).order_by("-decision_date")
    ),
    subject_id=int,
    on=date,
)
_PROFILE_LICENSES = PreparedQuery(
    lambda subject_id: (
        public_licenses().filter(subject_id=subject_id).only(*_PROFILE_LICENSE).order_by("-decision_date")
    ),
    subject_id=int,
)

# Entries and commitments name their department (``initiating_department_name``, ``department_name``).
_PROFILE_ENTRIES = PreparedQuery(
    lambda subject_id, on: (
        public_entries(on)
        .filter(subject_id=subject_id)
        .annotate(initiating_department_name=F("initiating_department__name"))
        .order_by("list_type", "-valid_from")
    ),
    subject_id=int,
    on=date,
)
_PROFILE_COMMITMENTS = PreparedQuery(
    lambda subject_id: (
        public_commitments()
        .filter(subject_id=subject_id)
        .annotate(department_name=F("department__name"))
        .order_by("-commitment_date")
    ),
    subject_id=int,
)


def subject_profile(subject: Subject, on: date | None = None) -> dict:
    """Everything the public may see about one subject (profile page and credit report)."""
    on = on or today()
    marks = dispute_selectors.objection_marks(subject)
    penalties = list(_PROFILE_PENALTIES.raw(subject_id=subject.pk, on=on))
    licenses = list(_PROFILE_LICENSES.raw(subject_id=subject.pk))
    entries = list(_PROFILE_ENTRIES.raw(subject_id=subject.pk, on=on))
    commitments = list(_PROFILE_COMMITMENTS.raw(subject_id=subject.pk))
    for p in penalties:
        p.under_objection = p.pk in marks.get("penalty", set())
    for lic in licenses:
        lic.under_objection = lic.pk in marks.get("license", set())
    for e in entries:
        e.under_objection = e.is_suspended or e.pk in marks.get("entry", set())
    badges = []
    for list_type in (ListType.RED, ListType.FOCUS, ListType.BLACK):
        if any(e.list_type == list_type for e in entries):
            badges.append(BADGES[list_type])
    if any(getattr(x, "under_objection", False) for x in [*penalties, *licenses, *entries]):
        badges.append(("存在异议", "objection"))
    return {
        "subject": subject,
        "display_name": public_name(subject.name, subject.is_person),
        "code": subject.uscc or subject.id_number_masked,
        "is_person": subject.is_person,
        "penalties": penalties,
        "licenses": licenses,
        "entries": entries,
        "commitments": commitments,
        "repair_statements": dispute_selectors.repair_statements(subject),
        "badges": badges,
        "as_of": on,
    }


def home_counts(on: date | None = None) -> dict:
    on = on or today()
    entries = public_entries(on)
    return {
        "subjects": Subject.objects.exclude(kind=Subject.Kind.NATURAL_PERSON).count(),
        "licenses": public_licenses(on).count(),
        "penalties": public_penalties(on).count(),
        "red": entries.filter(list_type=ListType.RED).count(),
        "black": entries.filter(list_type=ListType.BLACK).count(),
    }


def latest_entries(list_type: str, limit: int = 8, on: date | None = None) -> list:
    entries = list(
        public_entries(on)
        .filter(list_type=list_type)
        .select_related("subject", "initiating_department")
        .order_by("-published_at", "-pk")[:limit]
    )
    for entry in entries:
        entry.public_subject_name = public_name(entry.subject.name, entry.subject.is_person)
    return entries


def published_measures() -> QuerySet:
    return sanctions_selectors.public_measures()


def describe_target(kind: str | None, target_id: int) -> dict | None:
    """A public description of what an objection or repair is about; None unless it is public."""
    if kind in ("penalty", "publication"):
        record = public_penalties().filter(pk=target_id).select_related("subject").first()
        if record is None:
            return None
        label = "行政处罚信息" if kind == "penalty" else "行政处罚信息的公示期限"
        return {
            "label": label,
            "title": record.document_number,
            "subject": public_name(record.subject_name, record.subject.is_person),
            "date": record.decision_date,
        }
    if kind == "license":
        record = public_licenses().filter(pk=target_id).select_related("subject").first()
        if record is None:
            return None
        return {
            "label": "行政许可信息",
            "title": record.document_number,
            "subject": public_name(record.subject_name, record.subject.is_person),
            "date": record.decision_date,
        }
    if kind == "entry":
        entry = public_entries().filter(pk=target_id).select_related("subject").first()
        if entry is None:
            return None
        return {
            "label": entry.short_type,
            "title": entry.basis_document,
            "subject": public_name(entry.subject.name, entry.subject.is_person),
            "date": entry.valid_from,
        }
    return None


def tip_status(tracking_number: str, query_code: str) -> dict | None:
    import secrets

    from creditsys import crypto

    from .models import Tip

    tip = Tip.objects.filter(tracking_number=tracking_number).first()
    if tip is None or not secrets.compare_digest(tip.query_code_hash, crypto.lookup_hmac(query_code)):
        return None
    return {
        "kind_label": "举报",
        "tracking_number": tip.tracking_number,
        "status_label": tip.get_status_display(),
        "received_on": timezone.localdate(tip.created_at),
        "decision": tip.reply,
        "messages": [],
    }

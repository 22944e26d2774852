"""Reads of registry data that several callers share: subject lookup by code and name search."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date

from django.db import connection
from django.db.models import Case, Exists, IntegerField, OuterRef, Q, QuerySet, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Length

from creditsys import crypto
from creditsys.db import PreparedQuery

from .models import Subject, SubjectCode
from .names import normalize_name, query_grams, strip_legal_form
from .validators import classify_code, normalize_code


def subject_by_code(code: str, queryset: QuerySet | None = None) -> Subject | None:
    """Exact lookup by USCC, personal ID number (via its HMAC) or a secondary code."""
    qs = Subject.objects.all() if queryset is None else queryset
    readings = classify_code(code)
    for kind, value in readings:
        if kind == "uscc":
            found = qs.filter(uscc=value).first()
        else:
            found = qs.filter(id_number_hmac=crypto.lookup_hmac(value)).first()
        if found is not None:
            return found
    if readings:
        return None
    normalized = normalize_code(code)
    if not normalized:
        return None
    subject_ids = SubjectCode.objects.filter(value=normalized).values("subject_id")
    return qs.filter(pk__in=subject_ids).first()


def _queryset(queryset) -> QuerySet:
    if queryset is None:
        return Subject.objects.all()
    return queryset() if callable(queryset) else queryset


def subjects_by_codes(
    codes,
    queryset: QuerySet | Callable[[], QuerySet] | None = None,
    *,
    primary: Callable[[list[str], list[str]], Iterable[Subject]] | None = None,
) -> dict[str, Subject | None]:
    """``subject_by_code`` for many codes at once, in at most two queries whatever their number.

    Same answer per code as ``subject_by_code``: the USCC reading before the ID-number reading, and
    secondary codes (old registration numbers) only for codes that are neither. ``primary(usccs,
    hmacs)``, when given, reads the subjects by USCC or ID-number HMAC instead of ``queryset`` (the
    check passes a compiled query, see ``creditsys.db.PreparedQuery``); it must return the same rows.
    ``queryset`` may then be a function returning it, called only for secondary codes (building a
    queryset with subqueries costs more than the check's reads).
    """
    if primary is None:
        qs = _queryset(queryset)

        def primary(usccs, hmacs):
            return qs.filter(Q(uscc__any=usccs) | Q(id_number_hmac__any=hmacs)).order_by()

    readings = {code: classify_code(code) for code in codes}
    hmac_of: dict[str, str] = {}
    usccs: set[str] = set()
    for found in readings.values():
        for kind, value in found:
            if kind == "uscc":
                usccs.add(value)
            elif value not in hmac_of:
                hmac_of[value] = crypto.lookup_hmac(value)
    by_uscc: dict[str, Subject] = {}
    by_hmac: dict[str, Subject] = {}
    if usccs or hmac_of:
        for subject in primary(sorted(usccs), sorted(hmac_of.values())):
            if subject.uscc:
                by_uscc[subject.uscc] = subject
            if subject.id_number_hmac:
                by_hmac[subject.id_number_hmac] = subject
    secondary = {code: normalize_code(code) for code, found in readings.items() if not found}
    by_secondary: dict[str, Subject] = {}
    wanted = {v for v in secondary.values() if v}
    if wanted:
        rows = SubjectCode.objects.filter(value__in=wanted).values_list("value", "subject_id")
        ids_of: dict[str, set[int]] = {}
        for value, subject_id in rows:
            ids_of.setdefault(value, set()).add(subject_id)
        qs = _queryset(queryset)
        subjects = {s.pk: s for s in qs.filter(pk__in={i for ids in ids_of.values() for i in ids})}
        for value, ids in ids_of.items():
            candidates = sorted((subjects[i] for i in ids if i in subjects), key=lambda s: (s.name, s.pk))
            if candidates:  # .first() in the model's ordering (name, pk), as subject_by_code
                by_secondary[value] = candidates[0]
    result: dict[str, Subject | None] = {}
    for code, found in readings.items():
        subject = None
        for kind, value in found:
            subject = by_uscc.get(value) if kind == "uscc" else by_hmac.get(hmac_of[value])
            if subject is not None:
                break
        if not found:
            subject = by_secondary.get(secondary[code])
        result[code] = subject
    return result


def _search_terms(query: str, qs: QuerySet):
    """(subject found by code, or None; the name core; the grams filter) of a search query."""
    query = (query or "").strip()
    if not query:
        return None, "", None
    code = normalize_code(query)
    if code.isascii() and code.isalnum() and len(code) >= 8:  # looks like a code, not a name
        by_code = subject_by_code(query, qs)
        if by_code is not None:
            return by_code, "", None
    core = strip_legal_form(normalize_name(query))
    if not core:
        return None, "", None
    matching = qs.filter(name_grams__contains_all=query_grams(core))
    if len(core) > 2 or connection.vendor != "postgresql":
        matching = matching.filter(search_text__contains=core)
    return None, core, matching


def search_rank(name: str, search_text: str, *, query: str, core: str) -> tuple[int, int]:
    """THE ranking of name search: exact names first, then names starting with the query, then the
    rest; shorter names first within each. ``subject_search`` applies it in SQL, ``subject_search_ids``
    in Python (tests keep the two equal)."""
    rank = 0 if name == query else 1 if search_text.startswith(core) else 2
    return rank, len(name)


def subject_search(query: str, queryset: QuerySet | None = None) -> QuerySet:
    """Subjects whose current or former name contains the query, or whose code is the query.

    On PostgreSQL the filter is ``name_grams @> ARRAY[...]`` on a GIN index, for queries of any
    length (one character included); longer queries are then re-checked with a substring test on
    the few rows the index returns. Results rank as ``search_rank``; all matches are ranked (the
    workbench and the API page through them). The public site bounds its work with
    ``subject_search_ids``.
    """
    qs = Subject.objects.all() if queryset is None else queryset
    found, core, matching = _search_terms(query, qs)
    if found is not None:
        return qs.filter(pk=found.pk)
    if matching is None:
        return qs.none()
    query = query.strip()
    return matching.annotate(
        rank=Case(
            When(name=query, then=Value(0)),
            When(search_text__startswith=core, then=Value(1)),
            default=Value(2),
            output_field=IntegerField(),
        ),
        name_length=Length("name"),
    ).order_by("rank", "name_length", "pk")


# The import's subject lookup: up to 500 codes per chunk, compiled once (``PreparedQuery``), the
# subjects built without ``Model.__init__``, with what matching a row needs.
_SUBJECT_MATCH_FIELDS = ("id", "kind", "name", "uscc", "id_number_hmac")
_SUBJECTS_BY_CODE = {
    field: PreparedQuery(
        lambda codes, field=field: (
            Subject.objects.filter(**{f"{field}__any": codes}).only(*_SUBJECT_MATCH_FIELDS).order_by()
        ),
        codes=list[str],
    )
    for field in ("uscc", "id_number_hmac")
}


def subjects_by_key(field: str, codes: Iterable[str]) -> list[Subject]:
    """Subjects whose ``field`` (``uscc`` or ``id_number_hmac``: a record's ``_subject_key``) is one
    of ``codes``, with the fields that matching an imported row reads (the others load on access)."""
    return list(_SUBJECTS_BY_CODE[field].raw(codes=list(codes)))


def _public_register() -> QuerySet:
    return Subject.objects.exclude(kind=Subject.Kind.NATURAL_PERSON)


# The public search's short-query reads, compiled once and run as prepared statements (their plans
# do not depend on the values): any ``limit`` subjects holding the gram, from the B-tree of short
# grams (migration 0007), and the subjects named exactly as the query.
_PUBLIC_SHORT_MATCHES = PreparedQuery(
    lambda gram, limit: (
        _public_register()
        .filter(pk__in=RawSQL("SELECT subject_id FROM registry_subject_gram WHERE gram = %s LIMIT %s", (gram, limit)))
        .only("name", "search_text")
        .order_by()
    ),
    gram=str,
    limit=int,
)
_PUBLIC_EXACT_NAMES = PreparedQuery(
    lambda name: _public_register().filter(name=name).only("name", "search_text").order_by(), name=str
)


def subject_search_ids(
    query: str, queryset: QuerySet | None = None, *, limit: int, public_only: bool = False
) -> list[int]:
    """Ids of the subjects ``subject_search`` finds, ranked, bounded by ``limit``: two short reads.

    The exact names and the first ``limit + 1`` matches the database comes across — unordered, so
    that it stops early: a sequential scan for a common character, the n-gram index for rarer ones
    (an ``ORDER BY`` here made PostgreSQL walk the primary key through most of the table). They
    come with their names, so ranking, counting and paging them take no further query. More than
    ``limit`` ids means the caller should ask the user to refine the query.

    ``public_only``: search the public register (natural persons are never found by name; no
    ``queryset``). A 1–2 character query on PostgreSQL then reads the B-tree of short grams
    (``registry_subject_gram``; the same matches as the GIN filter), which stops after ``limit + 1``
    entries where the GIN index reads the gram's whole posting list (10,000+ entries for a
    character in 1 % of the names).
    """
    if public_only:
        if queryset is not None:
            raise TypeError("public_only searches the public register: do not pass a queryset")
        queryset = _public_register()
    qs = Subject.objects.all() if queryset is None else queryset
    found, core, matching = _search_terms(query, qs)
    if found is not None:
        return [found.pk]
    if matching is None:
        return []
    query = query.strip()
    if public_only and len(core) <= 2 and connection.vendor == "postgresql":
        found_rows = list(_PUBLIC_SHORT_MATCHES.raw(gram=core, limit=limit + 1))
        found_rows += _PUBLIC_EXACT_NAMES.raw(name=query)
        candidates = [(s.pk, s.name, s.search_text) for s in found_rows]
    else:
        columns = ("pk", "name", "search_text")
        candidates = list(matching.order_by().values_list(*columns)[: limit + 1])
        candidates += qs.filter(name=query).order_by().values_list(*columns)
    rows = {row[0]: row for row in candidates}
    ranked = sorted(rows.values(), key=lambda r: (*search_rank(r[1], r[2] or "", query=query, core=core), r[0]))
    return [row[0] for row in ranked]


# --- adverse information (red-list eligibility; called by sanctions) --------------------------

ADVERSE_SEVERITIES = ("general", "serious")


def _adverse_querysets(subject, since):
    from .models import Commitment, PenaltyRecord, RecordStatus

    penalties = (
        PenaltyRecord.objects.filter(subject=subject, severity__in=ADVERSE_SEVERITIES, decision_date__gte=since)
        .exclude(status=RecordStatus.WITHDRAWN)
        .order_by("-decision_date", "-pk")
    )
    commitments = Commitment.objects.filter(
        subject=subject, status=Commitment.Status.UNKEPT, due_date__gte=since
    ).order_by("-due_date", "-pk")
    return penalties, commitments


def with_adverse_flags(queryset: QuerySet, *, since: date) -> QuerySet:
    """Subjects annotated with ``adverse_penalty`` / ``adverse_commitment``: the rule of
    ``has_adverse_records`` evaluated in the same query, for many subjects at once."""
    penalties, commitments = _adverse_querysets(OuterRef("pk"), since)
    return queryset.annotate(adverse_penalty=Exists(penalties), adverse_commitment=Exists(commitments))


def has_adverse_records(subject, *, since: date) -> bool:
    """True when the subject has a non-withdrawn 一般/严重 penalty decided on or after ``since``,
    or an unkept (flagged) commitment whose due date is on or after ``since``."""
    penalties, commitments = _adverse_querysets(subject, since)
    return penalties.exists() or commitments.exists()


def adverse_records(subject, *, since: date) -> list[str]:
    """Short Chinese descriptions of the adverse records counted by ``has_adverse_records``."""
    from .rules import SEVERITY_LABELS

    penalties, commitments = _adverse_querysets(subject, since)
    lines = [
        f"{p.decision_date:%Y-%m-%d} {p.authority_name}行政处罚（{SEVERITY_LABELS.get(p.severity, p.severity)}失信，"
        f"{p.document_number}）"
        for p in penalties.select_related(None)[:50]
    ]
    lines += [
        f"{c.due_date:%Y-%m-%d} 未履行{c.get_kind_display()}（{c.matter}，承诺书编号 {c.number}）"
        for c in commitments[:50]
    ]
    return lines

"""Reads of registry data that several callers share: subject lookup by code and name search."""

from __future__ import annotations

from django.db import connection
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.db.models.functions import Length

from creditsys import crypto

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


def subject_search(query: str, queryset: QuerySet | None = None) -> QuerySet:
    """Subjects whose current or former name contains the query, or whose code is the query.

    On PostgreSQL the filter is ``name_grams @> ARRAY[...]`` on a GIN index, for queries of any
    length (one character included); longer queries are then re-checked with a substring test on
    the few rows the index returns. Results rank exact names first, then prefixes, then shorter.
    """
    qs = Subject.objects.all() if queryset is None else queryset
    query = (query or "").strip()
    if not query:
        return qs.none()
    code = normalize_code(query)
    if code.isascii() and code.isalnum() and len(code) >= 8:  # looks like a code, not a name
        by_code = subject_by_code(query, qs)
        if by_code is not None:
            return qs.filter(pk=by_code.pk)
    normalized = normalize_name(query)
    core = strip_legal_form(normalized)
    if not core:
        return qs.none()
    grams = query_grams(core)
    qs = qs.filter(name_grams__contains_all=grams)
    if len(core) > 2 or connection.vendor != "postgresql":
        qs = qs.filter(search_text__contains=core)
    return qs.annotate(
        rank=Case(
            When(name=query, then=Value(0)),
            When(search_text__startswith=core, then=Value(1)),
            default=Value(2),
            output_field=IntegerField(),
        ),
        name_length=Length("name"),
    ).order_by("rank", "name_length", "pk")

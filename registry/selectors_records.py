"""Reads of 双公示 records and commitments, scoped like everything else (SPEC §14)."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from .models import Commitment, LicenseRecord, PenaltyRecord
from .scoping import Scope

MODELS = {"penalty": PenaltyRecord, "license": LicenseRecord}


def visible_records(scope: Scope, kind: str, queryset: QuerySet | None = None) -> QuerySet:
    """Records a user/client may see: city-wide, its region's departments, or its own department."""
    qs = MODELS[kind].objects.all() if queryset is None else queryset
    qs = qs.select_related("subject", "department", "source_department")
    if scope.is_global or scope.region_ids is None and scope.edit_by_region:
        return qs
    if scope.edit_by_region:
        return qs.filter(
            Q(department__region_id__in=scope.region_ids) | Q(source_department__region_id__in=scope.region_ids)
        )
    if scope.department is None:
        return qs.none()
    return qs.filter(Q(department=scope.department) | Q(source_department=scope.department))


def visible_commitments(scope: Scope, queryset: QuerySet | None = None) -> QuerySet:
    qs = Commitment.objects.all() if queryset is None else queryset
    qs = qs.select_related("subject", "department")
    if scope.is_global or scope.region_ids is None and scope.edit_by_region:
        return qs
    if scope.edit_by_region:
        return qs.filter(department__region_id__in=scope.region_ids)
    if scope.department is None:
        return qs.none()
    return qs.filter(department=scope.department)


def record_history(record) -> QuerySet:
    return record.revisions.order_by("-version", "-pk")

"""Who may see and change what (SPEC §14): one rule for web users and API clients alike.

* City coordinators, administrators and city-level API clients act city-wide.
* County coordinators and region API clients act within their region (and the regions below it).
* Clerks, reviewers and department API clients *see* subjects within their department's region and
  *change* only the subjects their own department maintains.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from .models import ApiClient, Department, Region, Subject, User


@dataclass(frozen=True)
class Scope:
    label: str
    department: Department | None
    region_ids: tuple[int, ...] | None  # None = everywhere
    edit_by_region: bool  # True: may change anything in the region; False: own department only
    is_global: bool = False

    def region_allowed(self, region_id: int) -> bool:
        return self.region_ids is None or region_id in self.region_ids


def _region_ids(region: Region | None) -> tuple[int, ...] | None:
    if region is None:
        return ()
    if region.parent_id is None:
        return None  # the top region: city-wide
    return tuple(region.subtree_ids())


def scope_for_user(user: User) -> Scope:
    if user.is_superuser or user.role in (User.Role.ADMIN, User.Role.COORDINATOR):
        return Scope(str(user), user.department, None, True, is_global=True)
    if user.role == User.Role.COUNTY_COORDINATOR:
        region = user.region or (user.department.region if user.department else None)
        return Scope(str(user), user.department, _region_ids(region), True)
    if user.department is None:
        return Scope(str(user), None, (), False)
    return Scope(str(user), user.department, _region_ids(user.department.region), False)


def scope_for_client(client: ApiClient) -> Scope:
    if client.department_id is not None:
        return Scope(client.name, client.department, _region_ids(client.department.region), False)
    region_ids = _region_ids(client.region)
    # A region's client acts for that region's credit office (which maintains what it creates).
    office = Department.objects.filter(region=client.region, is_credit_office=True, is_active=True).first()
    return Scope(client.name, office, region_ids, True, is_global=region_ids is None)


def scope_for(principal) -> Scope:
    if isinstance(principal, ApiClient):
        return scope_for_client(principal)
    return scope_for_user(principal)


def visible_subjects(scope: Scope, queryset: QuerySet | None = None) -> QuerySet:
    qs = Subject.objects.all() if queryset is None else queryset
    if scope.region_ids is None:
        return qs
    return qs.filter(region_id__in=scope.region_ids)


def can_edit_subject(scope: Scope, subject: Subject) -> bool:
    if scope.is_global:
        return True
    if scope.edit_by_region:
        return scope.region_allowed(subject.region_id)
    return scope.department is not None and subject.managing_department_id == scope.department.pk


def allowed_regions(scope: Scope) -> QuerySet:
    qs = Region.objects.all()
    return qs if scope.region_ids is None else qs.filter(pk__in=scope.region_ids)

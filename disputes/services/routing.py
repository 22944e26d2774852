"""Who handles an item and who hears about it: the city credit office (where escalations go), the
handler and reviewer checks, the actor's name on a decision, and the notifications to the staff
and to the applicant."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from creditsys.notifications import notify
from registry.models import Department, User
from registry.scoping import Scope

from .. import selectors
from .common import _item_type

REVIEWER_ROLES = (User.Role.REVIEWER, User.Role.COORDINATOR, User.Role.COUNTY_COORDINATOR, User.Role.ADMIN)


def credit_office() -> Department | None:
    return Department.objects.filter(is_credit_office=True, region__parent__isnull=True, is_active=True).first()


def _require_handler(scope: Scope, item) -> None:
    if not selectors.can_handle(scope, item):
        raise PermissionDenied("该申请不由本部门承办，无权处理。")


def _require_reviewer(user) -> None:
    if user is not None and not (user.is_superuser or user.role in REVIEWER_ROLES):
        raise PermissionDenied("处理决定须由审核员作出。")


def _actor_name(user) -> str:
    from creditsys import context

    if user is not None:
        return str(user)
    return context.current().actor or "system"


def _department_users(department_id: int | None, roles=None):
    qs = User.objects.filter(department_id=department_id, is_active=True).exclude(email="")
    if roles:
        qs = qs.filter(role__in=roles)
    return qs


def _notify_staff(item, department: Department | None, event: str, title: str, body: str, roles=None) -> None:
    """Inbox message to a department and an e-mail to each of its users with an address."""
    if department is None:
        return
    key = f"{_item_type(item)}:{item.pk}:{event}"
    link = selectors.workbench_url(item)
    notify(
        key=f"{key}:inbox:{department.pk}",
        channel="inbox",
        title=title,
        body=body,
        department_id=department.pk,
        link=link,
        instance=item,
    )
    for user in _department_users(department.pk, roles):
        notify(
            key=f"{key}:mail:{user.pk}",
            channel="email",
            title=title,
            body=body,
            user_id=user.pk,
            email=user.email,
            link=link,
            instance=item,
        )


def _notify_applicant(item, event: str, title: str, body: str) -> None:
    notify(
        key=f"{_item_type(item)}:{item.pk}:{event}:applicant",
        channel="applicant",
        title=title,
        body=body,
        tracking_number=item.tracking_number,
        instance=item,
    )

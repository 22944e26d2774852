"""Workbench pages for subjects. Thin: forms for shape, services for rules, selectors for reads."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from creditsys.calendar_alerts import next_year_calendar_status
from creditsys.models import AuditEvent

from . import selectors, services
from .forms import (
    RelationForm,
    RevealForm,
    SubjectCodeForm,
    SubjectCreateForm,
    SubjectEditForm,
    SubjectSearchForm,
    apply_service_errors,
)
from .models import Subject, User
from .scoping import allowed_regions, can_edit_subject, scope_for_user, visible_subjects
from .workbench import home_panels


def _visible_subject(request, pk) -> Subject:
    scope = scope_for_user(request.user)
    return get_object_or_404(visible_subjects(scope).select_related("region", "managing_department"), pk=pk)


@login_required
def home(request):
    scope = scope_for_user(request.user)
    mine = Subject.objects.none()
    if scope.department is not None:
        mine = Subject.objects.filter(managing_department=scope.department)
    context = {
        "scope": scope,
        "subject_count": visible_subjects(scope).count(),
        "own_count": mine.count(),
        "recent_subjects": mine.select_related("region").order_by("-updated_at")[:8],
        "my_events": AuditEvent.objects.filter(actor_id=request.user.pk).order_by("-id")[:8],
        "calendar": next_year_calendar_status(),
        "is_coordinator": scope.is_global or request.user.role == User.Role.COUNTY_COORDINATOR,
        "panels": home_panels(user=request.user, scope=scope),
    }
    return render(request, "workbench/home.html", context)


@login_required
def subject_list(request):
    scope = scope_for_user(request.user)
    form = SubjectSearchForm(request.GET or None, regions=allowed_regions(scope))
    qs = visible_subjects(scope).select_related("region", "managing_department")
    if form.is_valid():
        data = form.cleaned_data
        if data["kind"]:
            qs = qs.filter(kind=data["kind"])
        if data["status"]:
            qs = qs.filter(status=data["status"])
        if data["region"]:
            qs = qs.filter(region=data["region"])
        if data["q"]:
            qs = selectors.subject_search(data["q"], qs)
        else:
            qs = qs.order_by("-updated_at", "-pk")
    else:
        qs = qs.order_by("-updated_at", "-pk")
    page = Paginator(qs, 25).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request, "workbench/subject_list.html", {"form": form, "page": page, "querystring": params.urlencode()}
    )


@login_required
def subject_detail(request, pk):
    subject = _visible_subject(request, pk)
    services.subject_record_read(subject=subject, purpose="工作台查看自然人主体详情")
    return _render_detail(request, subject)


def _render_detail(request, subject, revealed: str | None = None, reveal_form=None):
    scope = scope_for_user(request.user)
    relations = subject.person_relations.select_related("person")
    memberships = subject.organization_relations.select_related("organization")
    history = AuditEvent.objects.filter(subject_id=subject.pk).order_by("-id")[:50]
    editable = can_edit_subject(scope, subject)
    return render(
        request,
        "workbench/subject_detail.html",
        {
            "subject": subject,
            "relations": relations,
            "memberships": memberships,
            "codes": subject.codes.all(),
            "former_names": subject.former_names.all(),
            "history": history,
            "editable": editable,
            "code_form": SubjectCodeForm(),
            "relation_form": RelationForm(),
            "reveal_form": reveal_form or RevealForm(),
            "may_reveal": subject.is_person and services.may_reveal_id_numbers(request.user),
            "revealed": revealed,
        },
    )


@login_required
def subject_create(request):
    scope = scope_for_user(request.user)
    regions = allowed_regions(scope)
    form = SubjectCreateForm(request.POST or None, regions=regions)
    if request.method == "POST" and form.is_valid():
        try:
            subject = services.subject_create(scope=scope, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"已新增信用主体：{subject.name}")
            return redirect("registry:subject-detail", pk=subject.pk)
    return render(request, "workbench/subject_form.html", {"form": form, "title": "新增信用主体"})


@login_required
def subject_edit(request, pk):
    scope = scope_for_user(request.user)
    subject = _visible_subject(request, pk)
    if not can_edit_subject(scope, subject):
        raise PermissionDenied("您无权维护该主体的信息。")
    initial = {f: getattr(subject, f) for f in services.EDITABLE_FIELDS}
    form = SubjectEditForm(request.POST or None, initial=initial, regions=allowed_regions(scope))
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        reason = data.pop("reason")
        try:
            services.subject_update(scope=scope, subject=subject, reason=reason, **data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, "修改已保存，修改前后内容已记入变更记录。")
            return redirect("registry:subject-detail", pk=subject.pk)
    return render(
        request, "workbench/subject_form.html", {"form": form, "title": f"修改：{subject.name}", "subject": subject}
    )


def _post_to_subject(request, pk, form_class, action):
    """Handle a small POST form on the subject page; errors come back as messages."""
    scope = scope_for_user(request.user)
    subject = _visible_subject(request, pk)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            action(scope, subject, form.cleaned_data)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items() if hasattr(exc, "error_dict") else [("", exc.messages)]:
                label = form.fields[field].label if field in form.fields else ""
                for error in errors:
                    messages.error(request, f"{label}：{error}" if label else error)
        else:
            messages.success(request, "已保存。")
    else:
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            for error in errors:
                messages.error(request, f"{label}：{error}" if label else error)
    return redirect("registry:subject-detail", pk=subject.pk)


@login_required
@require_POST
def subject_code_add(request, pk):
    return _post_to_subject(
        request, pk, SubjectCodeForm, lambda scope, s, d: services.subject_code_add(scope=scope, subject=s, **d)
    )


@login_required
@require_POST
def relation_add(request, pk):
    return _post_to_subject(
        request, pk, RelationForm, lambda scope, s, d: services.relation_add_person(scope=scope, organization=s, **d)
    )


@login_required
@require_POST
def reveal_id_number(request, pk):
    """Show the clear ID number once, in this response only (never stored in the session)."""
    subject = _visible_subject(request, pk)
    form = RevealForm(request.POST)
    revealed = None
    if form.is_valid():
        try:
            revealed = services.subject_reveal_id_number(
                user=request.user, subject=subject, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
    response = _render_detail(request, subject, revealed=revealed, reveal_form=form)
    response["Cache-Control"] = "no-store"
    return response

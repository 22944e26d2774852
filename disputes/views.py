"""Workbench pages for objections and repairs: queues with due dates, filing, decisions, the
coordinator's overdue overview, the staff inbox and permission-checked attachment downloads."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from creditsys import audit, notifications
from registry.forms import apply_service_errors
from registry.scoping import scope_for_user

from . import forms, selectors, services
from .models import Attachment, Objection, RepairApplication


def _is_coordinator(user) -> bool:
    scope = scope_for_user(user)
    return scope.is_global or bool(scope.department and scope.department.is_credit_office)


def _is_reviewer(user) -> bool:
    return user.is_superuser or user.role in services.REVIEWER_ROLES


def _status_filter(request, qs, open_statuses):
    status = request.GET.get("status", "open")
    if status == "open":
        qs = qs.filter(status__in=open_statuses)
    elif status != "all":
        qs = qs.filter(status=status)
    return status, qs


@login_required
def objection_list(request):
    scope = scope_for_user(request.user)
    status, qs = _status_filter(request, selectors.visible_objections(scope), [Objection.Status.OPEN])
    rows = selectors.queue(qs.order_by("due_date", "pk")[:500])
    return render(request, "disputes/objection_list.html", {"rows": rows, "status": status})


@login_required
def repair_list(request):
    scope = scope_for_user(request.user)
    status, qs = _status_filter(request, selectors.visible_repairs(scope), list(RepairApplication.OPEN_STATUSES))
    rows = selectors.queue(qs.order_by("decision_due", "pk")[:500])
    form = forms.EligibilityForm(request.GET if "target_id" in request.GET else None)
    eligibility = None
    if form.is_bound and form.is_valid():
        eligibility = selectors.repair_eligibility(**form.cleaned_data, on=timezone.localdate())
    return render(
        request,
        "disputes/repair_list.html",
        {"rows": rows, "status": status, "form": form, "eligibility": eligibility},
    )


def _uploads(request, *names):
    files = []
    for name in names:
        files.extend((name, f) for f in request.FILES.getlist(name))
    return files


@login_required
def objection_create(request):
    form = forms.ObjectionForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            objection = services.objection_file(
                channel="web",
                scope=scope_for_user(request.user),
                target_kind=data["target_kind"],
                target_id=data["target_id"],
                applicant_name=data["applicant_name"],
                applicant_id_number=data["applicant_id_number"],
                applicant_phone=data["applicant_phone"],
                reason=data["reason"],
                attachments=request.FILES.getlist("attachments"),
                agent_authorization=request.FILES.get("agent_authorization"),
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(
                request,
                f"异议申请已受理，申请编号 {objection.tracking_number}，查询码 {objection.query_code}"
                "（仅显示一次，请告知申请人妥善保存）。相关联合惩戒措施已暂停执行。",
            )
            return redirect("disputes:objection-detail", objection.pk)
    return render(request, "disputes/application_form.html", {"form": form, "title": "受理异议申请"})


@login_required
def repair_create(request):
    form = forms.RepairForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        files = [
            (kind, f)
            for kind, field in (("application", "application"), ("commitment", "commitment"), ("proof", "proof"))
            for f in request.FILES.getlist(field)
        ]
        try:
            app = services.repair_apply(
                channel="web",
                scope=scope_for_user(request.user),
                target_kind=data["target_kind"],
                target_id=data["target_id"],
                applicant_name=data["applicant_name"],
                applicant_id_number=data["applicant_id_number"],
                applicant_phone=data["applicant_phone"],
                statement=data["statement"],
                attachments=files,
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(
                request,
                f"信用修复申请已登记，申请编号 {app.tracking_number}，查询码 {app.query_code}（仅显示一次，请告知申请人）。",
            )
            return redirect("disputes:repair-detail", app.pk)
    return render(request, "disputes/application_form.html", {"form": form, "title": "登记信用修复申请"})


def _visible_or_404(qs, pk):
    item = qs.filter(pk=pk).first()
    if item is None:
        raise Http404("未找到该申请，或不在您的承办范围内。")
    return item


@login_required
def objection_detail(request, pk):
    scope = scope_for_user(request.user)
    objection = _visible_or_404(selectors.visible_objections(scope), pk)
    decision_form = forms.ObjectionDecisionForm(request.POST if request.POST.get("do") == "decide" else None)
    route_form = forms.RouteForm(request.POST if request.POST.get("do") == "route" else None)
    if request.method == "POST":
        try:
            if decision_form.is_bound and decision_form.is_valid():
                data = decision_form.cleaned_data
                corrections = {}
                if data["correction_field"]:
                    corrections[data["correction_field"].strip()] = data["correction_value"]
                services.objection_decide(
                    scope=scope,
                    objection=objection,
                    decision=data["decision"],
                    reasons=data["reasons"],
                    corrections=corrections,
                    user=request.user,
                )
                messages.success(request, "处理决定已作出，已通知申请人。")
                return redirect("disputes:objection-detail", pk)
            if route_form.is_bound and route_form.is_valid():
                services.objection_route(scope=scope, objection=objection, **route_form.cleaned_data)
                messages.success(request, "已转办。")
                return redirect("disputes:objection-list")
        except ValidationError as exc:
            apply_service_errors(decision_form if decision_form.is_bound else route_form, exc)
        except PermissionDenied as exc:
            messages.error(request, str(exc))
    return render(
        request,
        "disputes/objection_detail.html",
        {
            "item": objection,
            "due": selectors.remaining(objection) if objection.is_open else None,
            "decision_form": decision_form,
            "route_form": route_form,
            "can_decide": objection.is_open and _is_reviewer(request.user),
            "can_route": objection.is_open and _is_coordinator(request.user),
            "messages_to_applicant": notifications.applicant_messages(objection.tracking_number),
        },
    )


@login_required
def repair_detail(request, pk):
    scope = scope_for_user(request.user)
    app = _visible_or_404(selectors.visible_repairs(scope), pk)
    accept_form = forms.RepairAcceptForm(request.POST if request.POST.get("do") == "accept" else None)
    decision_form = forms.RepairDecisionForm(request.POST if request.POST.get("do") == "decide" else None)
    if request.method == "POST":
        try:
            if accept_form.is_bound and accept_form.is_valid():
                services.repair_accept(scope=scope, application=app, user=request.user, **accept_form.cleaned_data)
                messages.success(request, "已办理受理意见。")
                return redirect("disputes:repair-detail", pk)
            if decision_form.is_bound and decision_form.is_valid():
                services.repair_decide(scope=scope, application=app, user=request.user, **decision_form.cleaned_data)
                messages.success(request, "修复决定已作出，已通知申请人。")
                return redirect("disputes:repair-detail", pk)
        except ValidationError as exc:
            apply_service_errors(decision_form if decision_form.is_bound else accept_form, exc)
        except PermissionDenied as exc:
            messages.error(request, str(exc))
    eligibility = selectors.repair_eligibility(
        target_kind=app.target_kind, target_id=app.target.pk, on=timezone.localdate(), exclude=app.pk
    )
    return render(
        request,
        "disputes/repair_detail.html",
        {
            "item": app,
            "due": selectors.remaining(app) if app.is_open else None,
            "eligibility": eligibility,
            "accept_form": accept_form,
            "decision_form": decision_form,
            "can_accept": app.status == RepairApplication.Status.RECEIVED,
            "can_decide": app.status == RepairApplication.Status.ACCEPTED and _is_reviewer(request.user),
            "messages_to_applicant": notifications.applicant_messages(app.tracking_number),
        },
    )


@login_required
def overdue(request):
    if not _is_coordinator(request.user) and request.user.role != "county_coordinator":
        raise PermissionDenied("逾期总览供信用办协调员使用。")
    data = selectors.overdue(scope_for_user(request.user))
    return render(request, "disputes/overdue.html", data)


@login_required
def inbox(request):
    if request.method == "POST":
        ids = [int(i) for i in request.POST.getlist("ids") if i.isdigit()]
        if request.POST.get("all"):
            ids = list(notifications.inbox_for(request.user).values_list("pk", flat=True))
        notifications.mark_read(user=request.user, ids=ids)
        return redirect("disputes:inbox")
    rows = notifications.inbox_for(request.user)[:200]
    return render(request, "disputes/inbox.html", {"rows": rows})


@login_required
def attachment_download(request, pk):
    attachment = get_object_or_404(Attachment.objects.select_related("objection", "repair"), pk=pk)
    owner = attachment.objection or attachment.repair
    if not selectors.can_handle(scope_for_user(request.user), owner):
        raise PermissionDenied("无权查看该申请材料。")
    audit.record(
        action="read",
        instance=attachment,
        subject_id=owner.subject_id,
        reason=f"查看申请材料（{owner.tracking_number}）",
    )
    response = FileResponse(
        attachment.file.open("rb"), content_type=attachment.content_type, filename=attachment.original_name
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response

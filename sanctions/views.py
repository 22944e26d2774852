"""Workbench pages for measures, list entries, tasks, the check and statistics. Thin: forms for
shape, services for rules, selectors for reads."""

from io import BytesIO

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from creditsys.policy import get_profile
from registry.forms import apply_service_errors
from registry.scoping import scope_for_user, visible_subjects
from registry.selectors import subject_by_code

from . import charts, forms, selectors, services
from .models import EnforcementTask, ListEntry, Measure, TaskAlert


def _errors_to_messages(request, exc: ValidationError) -> None:
    for msg in exc.messages:
        messages.error(request, msg)


def _is_coordinator(user) -> bool:
    scope = scope_for_user(user)
    return scope.is_global or bool(scope.department and scope.department.is_credit_office)


# --- measures -------------------------------------------------------------------------------------


@login_required
def measure_list(request):
    status = request.GET.get("status", "")
    qs = Measure.objects.prefetch_related("implementing_departments").order_by("code", "-version")
    if status in Measure.Status.values:
        qs = qs.filter(status=status)
    kind = request.GET.get("kind", "")
    if kind in Measure.Kind.values:
        qs = qs.filter(kind=kind)
    return render(
        request,
        "sanctions/measure_list.html",
        {
            "measures": qs,
            "status": status,
            "kind": kind,
            "can_manage": _is_coordinator(request.user),
            "statuses": Measure.Status.choices,
            "kinds": Measure.Kind.choices,
        },
    )


def _measure_values(data: dict) -> tuple[dict, list]:
    values = dict(data)
    values.pop("code", None)
    departments = values.pop("implementing_departments")
    return values, departments


@login_required
def measure_create(request):
    if not _is_coordinator(request.user):
        raise PermissionDenied("只有市信用办（协调员）可以管理措施清单。")
    form = forms.MeasureForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        values, departments = _measure_values(form.cleaned_data)
        try:
            measure = services.measure_create(
                scope=scope_for_user(request.user),
                code=form.cleaned_data["code"],
                implementing_departments=departments,
                **values,
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"已保存草稿：{measure}")
            return redirect("sanctions:measure-detail", measure.pk)
    return render(request, "sanctions/measure_form.html", {"form": form, "measure": None})


@login_required
def measure_detail(request, pk):
    measure = get_object_or_404(Measure.objects.select_related("memorandum", "previous"), pk=pk)
    can_manage = _is_coordinator(request.user)
    form = None
    if measure.status == Measure.Status.DRAFT and can_manage:
        initial = {f: getattr(measure, f) for f in services.MEASURE_FIELDS}
        initial["code"] = measure.code
        initial["implementing_departments"] = list(measure.implementing_departments.all())
        form = forms.MeasureForm(request.POST or None, initial=initial)
        form.fields["code"].disabled = True
        if request.method == "POST" and form.is_valid():
            values, departments = _measure_values(form.cleaned_data)
            try:
                services.measure_update(
                    scope=scope_for_user(request.user), measure=measure, implementing_departments=departments, **values
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, "草稿已保存。")
                return redirect("sanctions:measure-detail", measure.pk)
    versions = Measure.objects.filter(code=measure.code).order_by("-version")
    return render(
        request,
        "sanctions/measure_detail.html",
        {"measure": measure, "form": form, "can_manage": can_manage, "versions": versions},
    )


@login_required
@require_POST
def measure_action(request, pk, action):
    measure = get_object_or_404(Measure, pk=pk)
    scope = scope_for_user(request.user)
    handlers = {
        "publish": lambda: services.measure_publish(scope=scope, measure=measure),
        "retire": lambda: services.measure_retire(scope=scope, measure=measure, reason=request.POST.get("reason", "")),
        "revise": lambda: services.measure_revise(scope=scope, measure=measure),
    }
    if action not in handlers:
        raise PermissionDenied("不支持的操作。")
    try:
        result = handlers[action]()
    except ValidationError as exc:
        _errors_to_messages(request, exc)
        return redirect("sanctions:measure-detail", measure.pk)
    messages.success(
        request, {"publish": "措施已公布。", "retire": "措施已废止。", "revise": "已生成新版本草稿。"}[action]
    )
    return redirect("sanctions:measure-detail", result.pk)


# --- list entries ---------------------------------------------------------------------------------


def _visible_entry(request, pk) -> ListEntry:
    scope = scope_for_user(request.user)
    qs = selectors.visible_entries(scope).select_related(
        "subject", "initiating_department", "region", "proposed_by", "reviewed_by", "source_entry__subject"
    )
    return get_object_or_404(qs, pk=pk)


@login_required
def entry_list(request):
    scope = scope_for_user(request.user)
    qs = selectors.visible_entries(scope).select_related("subject", "initiating_department")
    status = request.GET.get("status", "")
    if status in ListEntry.Status.values:
        qs = qs.filter(status=status)
    list_type = request.GET.get("list_type", "")
    if list_type:
        qs = qs.filter(list_type=list_type)
    page = Paginator(qs.order_by("-updated_at", "-pk"), 25).get_page(request.GET.get("page"))
    return render(
        request,
        "sanctions/entry_list.html",
        {"page": page, "status": status, "list_type": list_type, "statuses": ListEntry.Status.choices},
    )


@login_required
def entry_create(request):
    scope = scope_for_user(request.user)
    form = forms.EntryForm(request.POST or None, initial={"decision_date": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        subject = subject_by_code(data.pop("subject_code"), visible_subjects(scope))
        if subject is None:
            form.add_error("subject_code", "未找到该代码对应的信用主体（或不在您的管辖范围内），请先登记主体。")
        else:
            try:
                entry = services.entry_create(
                    scope=scope, subject=subject, proposed_by=request.user, submit="submit" in request.POST, **data
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(
                    request, f"名单记录已{'提交审核' if entry.status == 'under_review' else '保存为草稿'}。"
                )
                return redirect("sanctions:entry-detail", entry.pk)
    return render(request, "sanctions/entry_form.html", {"form": form})


@login_required
def entry_detail(request, pk):
    entry = _visible_entry(request, pk)
    scope = scope_for_user(request.user)
    tasks = entry.tasks.select_related("measure", "department").order_by("kind", "measure__code")
    return render(
        request,
        "sanctions/entry_detail.html",
        {
            "entry": entry,
            "tasks": tasks,
            "editable": selectors.can_edit_entry(scope, entry),
            "may_review": entry.proposed_by_id != request.user.pk and request.user.role in services.REVIEWER_ROLES,
            "review_form": forms.ReviewForm(),
            "publish_form": forms.PublishForm(),
            "remove_form": forms.RemoveForm(),
            "derived": entry.derived_entries.select_related("subject"),
            "measures": selectors.measures_for_entry(entry),
        },
    )


@login_required
def entry_notice(request, pk):
    """The printable 告知书: facts, basis, measures, removal conditions and remedies."""
    entry = _visible_entry(request, pk)
    return render(
        request,
        "sanctions/entry_notice.html",
        {"entry": entry, "measures": selectors.measures_for_entry(entry), "profile": get_profile()},
    )


@login_required
@require_POST
def entry_action(request, pk, action):
    entry = _visible_entry(request, pk)
    scope = scope_for_user(request.user)
    try:
        if action == "submit":
            services.entry_submit(scope=scope, entry=entry)
            messages.success(request, "已提交审核。")
        elif action in ("approve", "reject"):
            form = forms.ReviewForm(request.POST)
            form.is_valid()
            services.entry_review(
                scope=scope,
                entry=entry,
                user=request.user,
                approve=action == "approve",
                note=form.cleaned_data.get("note", ""),
            )
            messages.success(request, "审核通过。" if action == "approve" else "已退回。")
        elif action == "notify":
            services.entry_notify(scope=scope, entry=entry)
            messages.success(request, "已告知当事人，陈述申辩期开始。请打印告知书送达。")
        elif action == "publish":
            form = forms.PublishForm(request.POST)
            form.is_valid()
            services.entry_publish(scope=scope, entry=entry, statement_waived=form.cleaned_data["statement_waived"])
            messages.success(request, "已公布，已向实施部门推送联合奖惩任务。")
        elif action == "remove":
            form = forms.RemoveForm(request.POST)
            if not form.is_valid():
                raise ValidationError({"reason": ["请选择移出原因。"]})
            services.entry_remove(scope=scope, entry=entry, **form.cleaned_data)
            messages.success(request, "已移出名单，已推送解除措施任务。")
        else:
            raise PermissionDenied("不支持的操作。")
    except ValidationError as exc:
        _errors_to_messages(request, exc)
    return redirect("sanctions:entry-detail", entry.pk)


# --- tasks ------------------------------------------------------------------------------------------


@login_required
def task_list(request):
    scope = scope_for_user(request.user)
    qs = selectors.visible_tasks(scope).select_related("measure", "department", "entry__subject")
    status = request.GET.get("status", "pending")
    today = timezone.localdate()
    if status == "overdue":
        qs = qs.filter(status=EnforcementTask.Status.PENDING, due_date__lt=today)
    elif status in EnforcementTask.Status.values:
        qs = qs.filter(status=status)
    page = Paginator(qs.order_by("due_date", "pk"), 30).get_page(request.GET.get("page"))
    alerts = TaskAlert.objects.select_related("task").order_by("-created_at")
    if not scope.is_global:
        alerts = alerts.filter(department=scope.department) if scope.department else alerts.none()
    return render(
        request,
        "sanctions/task_list.html",
        {"page": page, "status": status, "today": today, "alerts": alerts[:10]},
    )


@login_required
def task_detail(request, pk):
    scope = scope_for_user(request.user)
    task = get_object_or_404(
        selectors.visible_tasks(scope).select_related("measure", "department", "entry__subject", "answered_by"), pk=pk
    )
    form = forms.FeedbackForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.task_feedback(scope=scope, task=task, user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, "反馈已提交。")
            return redirect("sanctions:task-list")
    return render(request, "sanctions/task_detail.html", {"task": task, "form": form, "today": timezone.localdate()})


# --- check ------------------------------------------------------------------------------------------


@login_required
def check(request):
    form = forms.CheckForm(request.POST or None)
    answers = None
    if request.method == "POST" and form.is_valid():
        try:
            answers = services.check_perform(
                principal=request.user, codes=form.code_list(), matter=form.cleaned_data["matter"]
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
    return render(request, "sanctions/check.html", {"form": form, "answers": answers})


# --- statistics ------------------------------------------------------------------------------------


def _stats(request):
    if not _is_coordinator(request.user) and request.user.role != "county_coordinator":
        raise PermissionDenied("统计分析仅供信用办协调员查看。")
    scope = scope_for_user(request.user)
    departments = selectors.task_statistics(scope=scope)
    return {
        "departments": departments,
        "regions": selectors.region_statistics(departments),
        "checks": selectors.check_statistics(scope),
        "entries": selectors.entry_statistics(scope),
    }


@login_required
def stats(request):
    data = _stats(request)
    task_series = [("pushed", "推送"), ("answered", "已反馈"), ("overdue", "逾期")]
    context = {
        **data,
        "dept_chart": charts.bar_chart(data["departments"], label="department", series=task_series, title="各部门任务"),
        "region_chart": charts.bar_chart(data["regions"], label="region", series=task_series, title="各区划任务"),
        "check_chart": charts.bar_chart(
            data["checks"], label="matter", series=[("checks", "核查次数"), ("hits", "命中名单")], title="核查事项"
        ),
        "entry_chart": charts.bar_chart(
            data["entries"],
            label="month",
            series=[("red", "红名单"), ("focus", "重点关注"), ("black", "黑名单")],
            title="每月公布名单",
        ),
    }
    return render(request, "sanctions/stats.html", context)


@login_required
def stats_export(request):
    from openpyxl import Workbook

    data = _stats(request)
    wb = Workbook()
    sheets = [
        (
            "各部门任务",
            "departments",
            [
                ("region", "区划"),
                ("department", "部门"),
                ("pushed", "推送任务"),
                ("answered", "已反馈"),
                ("overdue", "逾期未反馈"),
                ("answered_late", "逾期反馈"),
                ("feedback_rate", "反馈率%"),
            ],
        ),
        (
            "各区划任务",
            "regions",
            [
                ("region", "区划"),
                ("pushed", "推送任务"),
                ("answered", "已反馈"),
                ("overdue", "逾期未反馈"),
                ("feedback_rate", "反馈率%"),
            ],
        ),
        ("核查事项", "checks", [("matter", "办理事项"), ("checks", "核查次数"), ("hits", "命中名单")]),
        ("每月名单", "entries", [("month", "月份"), ("red", "红名单"), ("focus", "重点关注名单"), ("black", "黑名单")]),
    ]
    wb.remove(wb.active)
    for title, key, columns in sheets:
        ws = wb.create_sheet(title)
        ws.append([c[1] for c in columns])
        for row in data[key]:
            ws.append([row.get(c[0]) for c in columns])
    buffer = BytesIO()
    wb.save(buffer)
    response = HttpResponse(
        buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="sanctions-stats-{timezone.localdate():%Y%m%d}.xlsx"'
    return response

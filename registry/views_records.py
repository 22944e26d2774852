"""Workbench pages for 双公示 records, commitments, imports and repair notices. Thin: forms for
shape, services for rules, selectors for reads; scoped to the user's department/region."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from creditsys.models import AuditEvent

from . import documents, services
from .forms import apply_service_errors
from .forms_records import (
    CommitmentForm,
    CommitmentStatusForm,
    ImportForm,
    RecordFilterForm,
    RecordForm,
    WithdrawForm,
)
from .models import Commitment, Department, ImportJob
from .scoping import scope_for_user
from .selectors_records import record_history, visible_commitments, visible_records

KINDS = {"penalty": "行政处罚", "license": "行政许可"}


def _kind(kind: str) -> str:
    if kind not in KINDS:
        raise Http404
    return kind


def _departments(scope):
    qs = Department.objects.filter(is_active=True)
    if scope.is_global:
        return qs
    if scope.edit_by_region:
        return qs.filter(region_id__in=scope.region_ids or [])
    return qs.filter(pk=scope.department.pk) if scope.department else qs.none()


def _querystring(request):
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


@login_required
def record_list(request, kind):
    kind = _kind(kind)
    scope = scope_for_user(request.user)
    form = RecordFilterForm(request.GET or None, departments=_departments(scope), kind=kind)
    qs = visible_records(scope, kind)
    if form.is_valid():
        d = form.cleaned_data
        if d["q"]:
            qs = qs.filter(Q(subject_name__contains=d["q"]) | Q(document_number__contains=d["q"]) | Q(uscc=d["q"]))
        if d["department"]:
            qs = qs.filter(Q(department=d["department"]) | Q(source_department=d["department"]))
        if d["status"]:
            qs = qs.filter(status=d["status"])
        if d.get("severity"):
            qs = qs.filter(severity=d["severity"])
        if d["date_from"]:
            qs = qs.filter(decision_date__gte=d["date_from"])
        if d["date_to"]:
            qs = qs.filter(decision_date__lte=d["date_to"])
        if d["late"]:
            qs = qs.filter(is_late=True)
    page = Paginator(qs.order_by("-decision_date", "-pk"), 25).get_page(request.GET.get("page"))
    return render(
        request,
        "workbench/records/list.html",
        {"form": form, "page": page, "kind": kind, "kind_label": KINDS[kind], "querystring": _querystring(request)},
    )


def _visible_record(request, kind, pk):
    return get_object_or_404(visible_records(scope_for_user(request.user), _kind(kind)), pk=pk)


@login_required
def record_detail(request, kind, pk):
    record = _visible_record(request, kind, pk)
    scope = scope_for_user(request.user)
    events = AuditEvent.objects.filter(object_type=record._meta.label_lower, object_id=str(record.pk)).order_by("-id")
    return render(
        request,
        "workbench/records/detail.html",
        {
            "record": record,
            "kind": kind,
            "kind_label": KINDS[kind],
            "revisions": record_history(record),
            "events": events[:50],
            "editable": services.can_edit_record(scope, record) and not record.is_withdrawn,
            "withdraw_form": WithdrawForm(),
        },
    )


def _default_input(request, kind):
    dept = request.user.department
    data = {"subject_category": "organization", "disclosure": "public"}
    if dept:
        data.update(authority_uscc=dept.uscc, source_uscc=dept.uscc)
    if kind == "license":
        data["current_status"] = "valid"
    return data


@login_required
def record_create(request, kind):
    kind = _kind(kind)
    scope = scope_for_user(request.user)
    form = RecordForm(request.POST or None, kind=kind, initial=_default_input(request, kind))
    if request.method == "POST" and form.is_valid():
        try:
            result = services.record_upsert(scope=scope, kind=kind, data=form.cleaned_data, reason="工作台录入")
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            text = {
                "created": "已新增",
                "updated": "该文书号已存在，已按更正保存",
                "unchanged": "该记录已存在且内容相同",
            }
            messages.success(request, f"{text[result.outcome]}：{result.record}")
            return redirect("registry:record-detail", kind=kind, pk=result.record.pk)
    return render(
        request, "workbench/records/form.html", {"form": form, "title": f"录入{KINDS[kind]}信息", "kind": kind}
    )


@login_required
def record_correct(request, kind, pk):
    record = _visible_record(request, kind, pk)
    scope = scope_for_user(request.user)
    if not services.can_edit_record(scope, record) or record.is_withdrawn:
        raise PermissionDenied("该记录不能由您更正。")
    initial = services.record_input(record)
    form = RecordForm(request.POST or None, kind=kind, correcting=True, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        reason = data.pop("reason")
        try:
            result = services.record_correct(scope=scope, record=record, reason=reason, **data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(
                request, "更正已保存，原版本保留在历史记录中。" if result.outcome == "updated" else "内容未变化。"
            )
            return redirect("registry:record-detail", kind=kind, pk=record.pk)
    response = render(
        request,
        "workbench/records/form.html",
        {"form": form, "title": f"更正：{record}", "kind": kind, "record": record},
    )
    response["Cache-Control"] = "no-store"  # the form holds clear ID numbers
    return response


@login_required
@require_POST
def record_withdraw(request, kind, pk):
    record = _visible_record(request, kind, pk)
    form = WithdrawForm(request.POST)
    if form.is_valid():
        try:
            services.record_withdraw(
                scope=scope_for_user(request.user), record=record, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        else:
            messages.success(request, "记录已撤销，撤销事由和原内容已保留。")
    else:
        messages.error(request, "请填写撤销事由。")
    return redirect("registry:record-detail", kind=kind, pk=record.pk)


@login_required
def repair_notice(request, pk):
    record = _visible_record(request, "penalty", pk)
    if request.GET.get("format") == "pdf":
        response = HttpResponse(documents.repair_notice_pdf(record), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="repair-notice-{record.pk}.pdf"'
        return response
    return HttpResponse(documents.repair_notice_html(record))


# --- commitments ------------------------------------------------------------------------------


@login_required
def commitment_list(request):
    scope = scope_for_user(request.user)
    qs = visible_commitments(scope)
    status = request.GET.get("status", "")
    if status in Commitment.Status.values:
        qs = qs.filter(status=status)
    q = request.GET.get("q", "").strip()
    if q:
        qs = qs.filter(Q(subject__name__contains=q) | Q(number__contains=q) | Q(subject__uscc=q))
    page = Paginator(qs.order_by("-commitment_date", "-pk"), 25).get_page(request.GET.get("page"))
    return render(
        request,
        "workbench/records/commitments.html",
        {
            "page": page,
            "statuses": Commitment.Status.choices,
            "status": status,
            "q": q,
            "querystring": _querystring(request),
            "status_form": CommitmentStatusForm(),
        },
    )


@login_required
def commitment_create(request):
    scope = scope_for_user(request.user)
    form = CommitmentForm(request.POST or None, initial={"disclosure": "public"})
    if request.method == "POST" and form.is_valid():
        try:
            services.commitment_upsert(scope=scope, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, "信用承诺已登记。")
            return redirect("registry:commitment-list")
    return render(request, "workbench/records/form.html", {"form": form, "title": "登记信用承诺"})


@login_required
@require_POST
def commitment_status(request, pk):
    scope = scope_for_user(request.user)
    commitment = get_object_or_404(visible_commitments(scope), pk=pk)
    form = CommitmentStatusForm(request.POST)
    if form.is_valid():
        try:
            services.commitment_set_status(scope=scope, commitment=commitment, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, "；".join(getattr(exc, "messages", [str(exc)])))
        else:
            messages.success(request, "已办理。")
    return redirect("registry:commitment-list")


# --- imports ----------------------------------------------------------------------------------


def _jobs(request):
    qs = ImportJob.objects.select_related("created_by")
    scope = scope_for_user(request.user)
    return qs if scope.is_global else qs.filter(created_by=request.user)


@login_required
def import_page(request):
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = services.import_job_create(
                user=request.user, kind=form.cleaned_data["kind"], uploaded_file=form.cleaned_data["file"]
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            return redirect("registry:import-job", pk=job.pk)
    return render(request, "workbench/records/import.html", {"form": form, "jobs": _jobs(request)[:20]})


@login_required
def import_job(request, pk):
    job = get_object_or_404(_jobs(request), pk=pk)
    if request.GET.get("format") == "json":
        from django.http import JsonResponse

        return JsonResponse(
            {"status": job.status, "percent": job.percent, "processed": job.processed_rows, "total": job.total_rows}
        )
    return render(request, "workbench/records/import_job.html", {"job": job})


@login_required
def import_error_report(request, pk):
    job = get_object_or_404(_jobs(request), pk=pk)
    if not job.error_report:
        raise Http404
    return FileResponse(job.error_report.open("rb"), as_attachment=True, filename=f"导入错误报告-{job.pk}.csv")


@login_required
def import_template(request, kind, fmt):
    kind = _kind(kind)
    if fmt == "xlsx":
        content = services.template_xlsx(kind)
        ctype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    elif fmt == "csv":
        content, ctype = services.template_csv(kind), "text/csv; charset=utf-8"
    else:
        raise Http404
    response = HttpResponse(content, content_type=ctype)
    filename = f"{KINDS[kind]}信息导入模板.{fmt}"
    from urllib.parse import quote

    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response

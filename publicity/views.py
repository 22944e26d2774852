"""The public site 信用中国（地方）. Reads go through ``publicity.selectors`` only."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_http_methods

from sanctions.models import ListType

from . import selectors
from .cache import public_page
from .forms import ObjectionForm, RecordFilterForm, RepairForm, StatusForm, TipForm, VerifyForm
from .masking import public_name
from .models import Article
from .protection import rate_limited
from .reports import report_generate, report_verify
from .services import tip_submit

PAGE_SIZE = 20


def _page(request, qs, size=PAGE_SIZE):
    page = Paginator(qs, size).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return page, params.urlencode()


@public_page
def home(request):
    return render(
        request,
        "publicity/home.html",
        {
            "counts": selectors.home_counts(),
            "latest_red": selectors.latest_entries(ListType.RED, 6),
            "latest_black": selectors.latest_entries(ListType.BLACK, 6),
            "notices": Article.objects.filter(is_published=True, category=Article.Category.NOTICE)[:6],
            "cases": Article.objects.filter(is_published=True, category=Article.Category.CASE)[:4],
        },
    )


@public_page
@rate_limited(key="search", limit=120, window=60, methods=("GET",))
def search(request):
    query = (request.GET.get("q") or "").strip()[:100]
    page, more = selectors.search_page(query, request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "publicity/search.html",
        {"q": query, "page": page, "querystring": params.urlencode(), "more": more, "limit": selectors.SEARCH_LIMIT},
    )


def _public_subject(pk):
    subject = selectors.public_subject(pk)
    if subject is None:
        raise Http404
    return subject


@public_page
def subject_profile(request, pk):
    subject = _public_subject(pk)
    return render(request, "publicity/profile.html", selectors.subject_profile(subject))


@rate_limited(key="report", limit=20, window=600, methods=("GET",))
def subject_report(request, pk):
    subject = _public_subject(pk)
    rendered = report_generate(subject=subject, base_url=request.build_absolute_uri("/"))
    response = HttpResponse(rendered.pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="credit-report-{rendered.report.number}.pdf"'
    response["X-Report-Number"] = rendered.report.number
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "POST"])
@rate_limited(key="verify", limit=30, window=600)
def verify(request):
    data = request.POST if request.method == "POST" else (request.GET if "number" in request.GET else None)
    form = VerifyForm(data, request.FILES or None)
    result = None
    if data is not None and form.is_valid():
        upload = form.cleaned_data.get("pdf")
        pdf = upload.read(20 * 1024 * 1024 + 1) if upload else None
        result = report_verify(number=form.cleaned_data["number"], code=form.cleaned_data["code"], pdf=pdf)
    return render(request, "publicity/verify.html", {"form": form, "result": result})


def _filter_records(request, qs):
    """The 双公示 listing filters: name, issuing department and decision date range."""
    form = RecordFilterForm(request.GET or None)
    if form.is_valid():
        data = form.cleaned_data
        if data["q"]:
            qs = qs.filter(subject_name__contains=data["q"]).exclude(subject__kind="natural_person")
        if data["department"]:
            qs = qs.filter(department=data["department"])
        if data["date_from"]:
            qs = qs.filter(decision_date__gte=data["date_from"])
        if data["date_to"]:
            qs = qs.filter(decision_date__lte=data["date_to"])
    return form, qs


def _record_listing(request, qs, template):
    form, qs = _filter_records(request, qs.select_related("subject", "department").order_by("-decision_date", "-pk"))
    page, querystring = _page(request, qs)
    for record in page:
        record.public_subject_name = public_name(record.subject_name, record.subject.is_person)
    return render(request, template, {"page": page, "querystring": querystring, "form": form})


@public_page
def penalties(request):
    return _record_listing(request, selectors.public_penalties(), "publicity/penalties.html")


@public_page
def licenses(request):
    return _record_listing(request, selectors.public_licenses(), "publicity/licenses.html")


@public_page
def list_entries(request, list_type):
    if list_type not in (ListType.RED, ListType.BLACK):
        raise Http404
    qs = (
        selectors.public_entries()
        .filter(list_type=list_type)
        .select_related("subject", "initiating_department")
        .order_by("-valid_from", "-pk")
    )
    page, querystring = _page(request, qs)
    for entry in page:
        entry.public_subject_name = public_name(entry.subject.name, entry.subject.is_person)
    title = "守信激励对象名单（红名单）" if list_type == ListType.RED else "严重失信主体名单（黑名单）"
    return render(
        request,
        "publicity/entries.html",
        {"page": page, "querystring": querystring, "title": title, "list_type": list_type},
    )


@public_page
def measures(request):
    return render(
        request,
        "publicity/measures.html",
        {"measures": selectors.published_measures().prefetch_related("implementing_departments")},
    )


@public_page
def articles(request, category):
    if category not in Article.Category.values:
        raise Http404
    page, querystring = _page(request, Article.objects.filter(is_published=True, category=category))
    return render(
        request,
        "publicity/articles.html",
        {"page": page, "querystring": querystring, "category": Article.Category(category)},
    )


@public_page
def article_detail(request, pk):
    article = get_object_or_404(Article, pk=pk, is_published=True)
    return render(
        request,
        "publicity/article.html",
        {"article": article, "paragraphs": [p for p in article.body.split("\n\n") if p.strip()]},
    )


def _target(request):
    """The record or entry an application is about, as chosen on a profile page."""
    kind = request.GET.get("kind") or request.POST.get("target_kind")
    try:
        target_id = int(request.GET.get("id") or request.POST.get("target_id") or 0)
    except ValueError:
        target_id = 0
    described = selectors.describe_target(kind, target_id)
    if described is None:
        raise Http404("申请对象不存在或未公示。")
    return kind, target_id, described


def _uploads(form, names):
    return [form.cleaned_data[n] for n in names if form.cleaned_data.get(n)]


def _apply_errors(form, exc: ValidationError):
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


@require_http_methods(["GET", "POST"])
@rate_limited(key="apply", limit=10, window=3600)
def apply_objection(request):
    kind, target_id, described = _target(request)
    form = ObjectionForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        from disputes.services import objection_file

        data = form.cleaned_data
        try:
            with transaction.atomic():
                objection = objection_file(
                    channel="public",
                    target_kind=kind,
                    target_id=target_id,
                    applicant_name=data["applicant_name"],
                    applicant_id_number=data["applicant_id_number"],
                    applicant_phone=data["applicant_phone"],
                    reason=data["reason"],
                    attachments=_uploads(form, ["attachment"]),
                )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            return _receipt(request, "异议申请", objection)
    return render(
        request,
        "publicity/apply.html",
        {"form": form, "title": "异议申诉", "target": described, "kind": kind, "target_id": target_id},
    )


@require_http_methods(["GET", "POST"])
@rate_limited(key="apply", limit=10, window=3600)
def apply_repair(request):
    from disputes.selectors import repair_eligibility

    kind, target_id, described = _target(request)
    eligibility = repair_eligibility(target_kind=kind, target_id=target_id, on=selectors.today())
    form = RepairForm(request.POST or None, request.FILES or None) if eligibility["eligible"] else None
    if form is not None and request.method == "POST" and form.is_valid():
        from disputes.services import repair_apply

        data = form.cleaned_data
        try:
            with transaction.atomic():
                application = repair_apply(
                    channel="public",
                    target_kind=kind,
                    target_id=target_id,
                    applicant_name=data["applicant_name"],
                    applicant_id_number=data["applicant_id_number"],
                    applicant_phone=data["applicant_phone"],
                    statement=data["statement"],
                    attachments=_uploads(form, ["commitment_letter", "proof"]),
                )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            return _receipt(request, "信用修复申请", application)
    return render(
        request,
        "publicity/apply.html",
        {
            "form": form,
            "title": "信用修复申请",
            "target": described,
            "kind": kind,
            "target_id": target_id,
            "eligibility": eligibility,
        },
    )


def _receipt(request, title, application):
    response = render(
        request,
        "publicity/receipt.html",
        {"title": title, "tracking_number": application.tracking_number, "query_code": application.query_code},
    )
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "POST"])
@rate_limited(key="apply", limit=10, window=3600)
def tip(request):
    form = TipForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        created, query_code = tip_submit(
            target_name=data["target_name"],
            target_code=data["target_code"],
            content=data["content"],
            reporter_name=data["reporter_name"],
            reporter_phone=data["reporter_phone"],
        )
        created.query_code = query_code
        return _receipt(request, "举报", created)
    return render(request, "publicity/tip.html", {"form": form})


@require_http_methods(["GET", "POST"])
@rate_limited(key="status", limit=30, window=600)
def application_status(request):
    form = StatusForm(request.POST or None)
    status = None
    not_found = False
    if request.method == "POST" and form.is_valid():
        from disputes.selectors import application_status as lookup

        number, code = form.cleaned_data["tracking_number"].strip(), form.cleaned_data["query_code"].strip()
        status = lookup(number, code) or selectors.tip_status(number, code)
        not_found = status is None
    response = render(request, "publicity/status.html", {"form": form, "status": status, "not_found": not_found})
    response["Cache-Control"] = "no-store"
    return response


@public_page
def guide(request, topic):
    if topic not in ("repair", "objection"):
        raise Http404
    return render(request, f"publicity/guide_{topic}.html")

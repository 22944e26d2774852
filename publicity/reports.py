"""公共信用信息报告: build the payload, sign it, render the PDF, verify a report (SPEC §12).

The payload (a JSON document of exactly what the report shows) is stored with the report; its
SHA-256 digest is signed with a key derived from FIELD_ENCRYPTION_KEY. Verification by number and
code recomputes both; an uploaded PDF is compared with the SHA-256 recorded when it was generated.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import io
import json
import logging
import re
import secrets
import threading
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from creditsys import crypto
from creditsys.policy import get_profile

from .models import CreditReport
from .selectors import subject_profile

logger = logging.getLogger(__name__)

SIGN_PURPOSE = "credit-report"
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def canonical(payload: dict) -> bytes:
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def _d(value) -> str:
    return value.isoformat() if value else ""


def build_payload(subject, on=None) -> dict:
    """The report's content; ``subject`` as ``selectors.public_subject`` reads it (with ``region_name``)."""
    profile = subject_profile(subject, on)
    return {
        "subject": {
            "name": profile["display_name"],
            "code": profile["code"],
            "kind": subject.get_kind_display(),
            "legal_representative": "" if subject.is_person else subject.legal_representative,
            "address": "" if subject.is_person else subject.address,
            "region": subject.region_name,
            "status": subject.get_status_display(),
        },
        "entries": [
            {
                "type": e.short_type,
                "category": e.get_category_display() if e.category else "",
                "basis_document": e.basis_document,
                "legal_basis": e.legal_basis,
                "department": e.initiating_department_name,
                "valid_from": _d(e.valid_from),
                "valid_until": _d(e.valid_until),
                "under_objection": e.under_objection,
            }
            for e in profile["entries"]
        ],
        "penalties": [
            {
                "document_number": p.document_number,
                "decision_date": _d(p.decision_date),
                "authority": p.authority_name,
                "violation_type": p.violation_type,
                "categories": p.categories,
                "content": p.penalty_content,
                "publish_until": _d(p.publish_until),
                "repairable_from": _d(p.repairable_from),
                "under_objection": p.under_objection,
            }
            for p in profile["penalties"]
        ],
        "licenses": [
            {
                "document_number": lic.document_number,
                "name": lic.decision_document_name,
                "category": lic.get_category_display(),
                "decision_date": _d(lic.decision_date),
                "valid_until": "长期" if lic.is_long_term else _d(lic.valid_until),
                "authority": lic.authority_name,
            }
            for lic in profile["licenses"]
        ],
        "commitments": [
            {
                "kind": c.get_kind_display(),
                "matter": c.matter,
                "date": _d(c.commitment_date),
                "department": c.department_name,
                "status": c.get_status_display(),
            }
            for c in profile["commitments"]
        ],
        "as_of": _d(profile["as_of"]),
        "issuer": get_profile().site_title,
    }


def _new_number(now) -> str:
    return f"XY{now:%Y%m%d}{secrets.randbelow(10**8):08d}"


@dataclass
class RenderedReport:
    report: CreditReport
    pdf: bytes


@transaction.atomic
def report_generate(*, subject, base_url: str = "") -> RenderedReport:
    """Create, sign and render a report for a subject the public may see (``selectors.public_subject``)."""
    now = timezone.now()
    payload = build_payload(subject)
    digest = hashlib.sha256(canonical(payload)).hexdigest()
    report = CreditReport(
        number=_new_number(timezone.localtime(now)),
        verification_code="".join(secrets.choice(_CODE_ALPHABET) for _ in range(8)),
        subject_id=subject.pk,
        subject_name=payload["subject"]["name"],
        generated_at=now,
        payload=payload,
        content_digest=digest,
        signature=crypto.sign(digest.encode(), SIGN_PURPOSE),
    )
    while CreditReport.objects.filter(number=report.number).exists():
        report.number = _new_number(timezone.localtime(now))
    pdf = render_pdf(report, base_url=base_url)
    report.pdf_sha256 = hashlib.sha256(pdf).hexdigest()
    report.save()
    return RenderedReport(report, pdf)


def verify_url(report: CreditReport, base_url: str) -> str:
    return (
        base_url.rstrip("/") + reverse("publicity:verify") + f"?number={report.number}&code={report.verification_code}"
    )


def qr_png_uri(data: str) -> str:
    """The verification QR code as a PNG data URI.

    A bitmap, not inline SVG: an inline SVG path of ~1,000 segments went through WeasyPrint's
    HTML parser, style cascade and path drawing on every report (about 40 ms); a 1-bit PNG is
    embedded as is. Eight pixels per module, drawn without interpolation, stays sharp in print.
    """
    import qrcode

    image = qrcode.make(data, box_size=8, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


_engines = threading.local()


def _pdf_engine():
    """WeasyPrint objects shared by every report rendered in this thread.

    One FontConfiguration keeps Pango's font map, so the CJK face is looked up and loaded once,
    not per report; the stylesheet is parsed once instead of from a <style> in every document.
    Per thread, not per process: a Pango font map must not be used by two threads at once.
    WeasyPrint is imported here, not at module level: it takes most of a second, and only the
    processes that render reports should pay for it.
    """
    engine = getattr(_engines, "engine", None)
    if engine is None:
        from weasyprint import CSS
        from weasyprint.text.fonts import FontConfiguration

        font_config = FontConfiguration()
        css_path = settings.BASE_DIR / "templates" / "publicity" / "report_pdf.css"
        stylesheet = CSS(string=css_path.read_text(encoding="utf-8"), font_config=font_config)
        engine = _engines.engine = (_lean_html_class(), font_config, stylesheet)
    return engine


# WeasyPrint's user-agent stylesheet gives every element styles for five footnote and note
# pseudo-elements (plus ::marker): computing them is a tenth of a long report's rendering time.
# A report has no footnotes or notes.
_UNUSED_UA_RULE = re.compile(r"^::(footnote-call|footnote-marker|note-call|note-marker|note-callback) .*$", re.M)


@functools.cache
def _lean_html_class():
    """HTML with WeasyPrint's user-agent stylesheet minus the footnote and note pseudo-elements.

    Relies on ``HTML._ua_stylesheets`` and ``weasyprint.html.UA`` of WeasyPrint 70 (pinned in
    requirements.txt); if a later version changes them, reports use the stock stylesheet and are
    only slower (``tests/test_publicity.py`` checks that the lean one is in use).
    """
    from weasyprint import CSS, HTML

    try:
        from weasyprint.css.counters import CounterStyle
        from weasyprint.html import UA, UA_FORM_STYLESHEET
    except ImportError:
        return HTML
    if not callable(getattr(HTML, "_ua_stylesheets", None)) or not _UNUSED_UA_RULE.search(UA):
        return HTML
    # Its @counter-style rules are already in WeasyPrint's UA_COUNTER_STYLE, which rendering uses;
    # a throwaway registry keeps them from being defined twice (and warned about).
    lean = CSS(string=_UNUSED_UA_RULE.sub("", UA), counter_style=CounterStyle())

    class LeanHTML(HTML):
        def _ua_stylesheets(self, forms=False):
            return [lean, UA_FORM_STYLESHEET] if forms else [lean]

    return LeanHTML


def html_to_pdf(html: str, *, base_url: str | None = None) -> bytes:
    HTML, font_config, stylesheet = _pdf_engine()
    return HTML(string=html, base_url=base_url).write_pdf(stylesheets=[stylesheet], font_config=font_config)


def render_pdf(report: CreditReport, *, base_url: str = "") -> bytes:
    url = verify_url(report, base_url or "http://localhost")
    html = render_to_string(
        "publicity/report_pdf.html",
        {
            "report": report,
            "p": report.payload,
            "generated_local": timezone.localtime(report.generated_at),
            "qr_uri": qr_png_uri(url),
            "verify_url": url,
        },
    )
    return html_to_pdf(html, base_url=base_url or None)


def warm_up() -> None:
    """Render a dummy report in a web worker before its first request (called from wsgi.py).

    Otherwise the first report each worker renders takes about a second longer (WeasyPrint and
    Pillow imports, fontconfig, opening the fonts, compiling the template), which is what a p95
    over a few dozen requests spread across workers shows. Nothing is stored. Never fatal: the
    server must start even if the PDF stack is broken.
    """
    sample = {
        "subject": dict.fromkeys(
            ("name", "code", "kind", "legal_representative", "address", "region", "status"), "示例"
        ),
        "entries": [],
        "penalties": [dict.fromkeys(("document_number", "authority", "violation_type", "content"), "示例 0123456789")],
        "licenses": [],
        "commitments": [],
        "as_of": "",
        "issuer": "公共信用信息报告",
    }
    report = CreditReport(
        number="XY0", verification_code="WARMUP00", generated_at=timezone.now(), payload=sample, content_digest=""
    )
    try:
        render_pdf(report)
    except Exception:  # noqa: BLE001 - a broken PDF stack must not stop the web server
        logger.exception("credit report PDF warm-up failed")


@dataclass
class Verification:
    genuine: bool
    message: str
    report: CreditReport | None = None


def report_verify(*, number: str, code: str, pdf: bytes | None = None) -> Verification:
    number = (number or "").strip().upper()
    code = (code or "").strip().upper()
    report = CreditReport.objects.filter(number=number).first()
    if report is None or not secrets.compare_digest(report.verification_code, code):
        return Verification(False, "未找到该报告编号与验证码对应的报告：该报告不是本平台出具的真实报告。")
    digest = hashlib.sha256(canonical(report.payload)).hexdigest()
    if digest != report.content_digest or not secrets.compare_digest(
        crypto.sign(digest.encode(), SIGN_PURPOSE), report.signature
    ):
        return Verification(False, "报告存档内容与签名不符：该报告已被篡改，不是真实报告。", report)
    if pdf is not None and hashlib.sha256(pdf).hexdigest() != report.pdf_sha256:
        return Verification(False, "上传的文件与本平台出具的报告不一致：文件已被修改，不是真实报告。", report)
    return Verification(True, "验证通过：该报告由本平台出具，内容未被篡改。", report)

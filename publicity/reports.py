"""公共信用信息报告: build the payload, sign it, render the PDF, verify a report (SPEC §12).

The payload (a JSON document of exactly what the report shows) is stored with the report; its
SHA-256 digest is signed with a key derived from FIELD_ENCRYPTION_KEY. Verification by number and
code recomputes both; an uploaded PDF is compared with the SHA-256 recorded when it was generated.
"""

from __future__ import annotations

import hashlib
import io
import json
import secrets
from dataclasses import dataclass

from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from creditsys import crypto
from creditsys.policy import get_profile

from .models import CreditReport
from .selectors import subject_profile

SIGN_PURPOSE = "credit-report"
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def canonical(payload: dict) -> bytes:
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def _d(value) -> str:
    return value.isoformat() if value else ""


def build_payload(subject, on=None) -> dict:
    profile = subject_profile(subject, on)
    return {
        "subject": {
            "name": profile["display_name"],
            "code": profile["code"],
            "kind": subject.get_kind_display(),
            "legal_representative": "" if subject.is_person else subject.legal_representative,
            "address": "" if subject.is_person else subject.address,
            "region": subject.region.name,
            "status": subject.get_status_display(),
        },
        "entries": [
            {
                "type": e.short_type,
                "category": e.get_category_display() if e.category else "",
                "basis_document": e.basis_document,
                "legal_basis": e.legal_basis,
                "department": str(e.initiating_department),
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
                "department": str(c.department),
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
    """Create, sign and render a report for a subject the public may see."""
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


def qr_svg(data: str) -> str:
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue().decode()


def render_pdf(report: CreditReport, *, base_url: str = "") -> bytes:
    from weasyprint import HTML

    html = render_to_string(
        "publicity/report_pdf.html",
        {
            "report": report,
            "p": report.payload,
            "generated_local": timezone.localtime(report.generated_at),
            "qr_svg": qr_svg(verify_url(report, base_url or "http://localhost")),
            "verify_url": verify_url(report, base_url or "http://localhost"),
        },
    )
    return HTML(string=html, base_url=base_url or None).write_pdf()


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

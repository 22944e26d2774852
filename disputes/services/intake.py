"""Intake of objections and repair applications: the applicant's input cleaned, the uploaded files
checked (count, size, type by content) and saved, the tracking number and the query code (stored
only hashed)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import secrets
import uuid
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction

from creditsys import crypto
from registry.scoping import Scope
from registry.validators import mask_id_number, validate_id_number

from ..models import Attachment

MAX_UPLOAD_BYTES = getattr(settings, "DISPUTES_MAX_UPLOAD_BYTES", 10 * 1024 * 1024)
MAX_FILES = 10
ALLOWED_TYPES = {
    "pdf": ("application/pdf", (b"%PDF-",)),
    "jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
}
_PHONE = re.compile(r"^[0-9+\-() ]{7,20}$")
_QUERY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def _clean_applicant(errors: dict, name: str, id_number: str, phone: str) -> tuple[str, str, str]:
    name = (name or "").strip()
    if not name:
        errors["applicant_name"] = ["请填写申请人姓名或名称。"]
    elif len(name) > 100:
        errors["applicant_name"] = ["申请人姓名或名称过长（不超过100字）。"]
    clean_id = ""
    try:
        clean_id = validate_id_number(id_number or "")
    except ValidationError as exc:
        errors["applicant_id_number"] = exc.messages
    phone = (phone or "").strip()
    if not _PHONE.match(phone):
        errors["applicant_phone"] = ["请填写有效的联系电话。"]
    return name, clean_id, phone


def _target_id(errors: dict, raw) -> int | None:
    try:
        value = int(raw)
    except (TypeError, ValueError):
        errors["target_id"] = ["异议（修复）对象编号无效。"]
        return None
    if value <= 0 or value > 2**62:
        errors["target_id"] = ["异议（修复）对象编号无效。"]
        return None
    return value


def _file_parts(item, default_kind: str) -> tuple[str, str, bytes]:
    """(kind, name, content) from an uploaded file, a ``(kind, file)`` pair or an API dict."""
    kind = default_kind
    if isinstance(item, tuple | list) and len(item) == 2:
        kind, item = item
    if isinstance(item, dict):
        kind = item.get("kind") or kind
        name = str(item.get("name") or "")
        content = item.get("content")
        if content is None and item.get("content_base64") is not None:
            try:
                content = base64.b64decode(str(item["content_base64"]), validate=True)
            except (binascii.Error, ValueError):
                raise ValueError("文件内容不是有效的 Base64 编码。") from None
        if isinstance(content, str):
            content = content.encode()
        return kind, name, bytes(content or b"")
    size = getattr(item, "size", None)
    if size is not None and size > MAX_UPLOAD_BYTES:
        name = str(getattr(item, "name", "") or "")
        raise ValueError(f"“{name}”超过 {MAX_UPLOAD_BYTES // (1024 * 1024)} MB 的大小限制。")
    if hasattr(item, "seek"):
        item.seek(0)
    return kind, str(getattr(item, "name", "") or ""), item.read()


def _clean_files(errors: dict, field: str, items, default_kind: str) -> list[tuple[str, str, bytes, str]]:
    items = [i for i in (items or ()) if i]
    out, messages = [], []
    if len(items) > MAX_FILES:
        errors[field] = [f"最多上传{MAX_FILES}个文件。"]
        return []
    for item in items:
        try:
            kind, name, content = _file_parts(item, default_kind)
        except ValueError as exc:
            messages.append(str(exc))
            continue
        name = name.replace("\\", "/").rsplit("/", 1)[-1][:200] or "未命名"
        ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
        if kind not in Attachment.Kind.values:
            messages.append(f"“{name}”的材料类型无效。")
        elif ext not in ALLOWED_TYPES:
            messages.append(f"“{name}”：只接受 PDF、JPG、PNG 格式的文件。")
        elif not content:
            messages.append(f"“{name}”是空文件。")
        elif len(content) > MAX_UPLOAD_BYTES:
            messages.append(f"“{name}”超过 {MAX_UPLOAD_BYTES // (1024 * 1024)} MB 的大小限制。")
        elif not content.startswith(ALLOWED_TYPES[ext][1]):
            messages.append(f"“{name}”的内容与扩展名不符（不是有效的 {ext.upper()} 文件）。")
        else:
            out.append((kind, name, content, ext))
    if messages:
        errors[field] = messages
    return out


def _save_files(owner_field: str, owner, files) -> None:
    for kind, name, content, ext in files:
        Attachment.objects.create(
            **{owner_field: owner},
            kind=kind,
            file=ContentFile(content, name=f"{uuid.uuid4().hex}.{ext}"),  # never trust the given name on disk
            original_name=name,
            content_type=ALLOWED_TYPES[ext][0],
            size=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
        )


def _codes(prefix: str, today: date) -> tuple[str, str]:
    tracking = f"{prefix}{today:%Y%m%d}{secrets.randbelow(10**6):06d}"
    code = "".join(secrets.choice(_QUERY_ALPHABET) for _ in range(8))
    return tracking, code


def query_code_hash(tracking_number: str, code: str) -> str:
    return crypto.lookup_hmac(f"query-code:{tracking_number}:{(code or '').strip().upper()}")


def _save_new(item, prefix: str, today: date) -> str:
    """Save with a fresh tracking number (retrying on the rare collision); returns the query code."""
    for _ in range(5):
        item.tracking_number, code = _codes(prefix, today)
        item.query_code_hash = query_code_hash(item.tracking_number, code)
        try:
            with transaction.atomic():
                item.save()
        except IntegrityError:
            item.pk = None
            continue
        return code
    raise RuntimeError("could not allocate a tracking number")


def _set_applicant(item, name: str, id_number: str, phone: str) -> None:
    item.applicant_name = name
    item.applicant_id_hmac = crypto.lookup_hmac(id_number)
    item.applicant_id_encrypted = crypto.encrypt(id_number)
    item.applicant_id_masked = mask_id_number(id_number)
    item.applicant_phone = phone


def _check_scope_visible(scope: Scope | None, subject) -> None:
    if scope is not None and not scope.region_allowed(subject.region_id):
        raise ValidationError({"target_id": ["该对象不在本部门（本区划）的管辖范围内。"]})

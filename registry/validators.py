"""Identifier normalisation and validation (SPEC §4), with Chinese messages.

USCC per GB 32100-2015 (letter-first registration authorities such as N…, Y…, A… are valid — which
python-stdnum's ``uscc.validate`` wrongly rejects); personal ID per GB 11643-1999 (ISO 7064
MOD 11-2 and a real date of birth; the area-code table is not consulted because it is incomplete).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from datetime import date

from django.core.exceptions import ValidationError

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUE = {c: i for i, c in enumerate(USCC_ALPHABET)}
_USCC_WEIGHTS = [pow(3, i, 31) for i in range(17)]
# First character: registration authority (登记管理部门代码).
USCC_AUTHORITIES = {
    "1": "机构编制",
    "2": "外交",
    "3": "司法行政",
    "4": "文化",
    "5": "民政",
    "6": "旅游",
    "7": "宗教",
    "8": "工会",
    "9": "市场监管（工商）",
    "A": "中央军委改革和编制办公室",
    "N": "农业农村",
    "Y": "其他",
}

_ID_WEIGHTS = [pow(2, 17 - i, 11) for i in range(17)]
_ID_CHECK = "10X98765432"
_SEPARATORS = re.compile(r"[\s\-－—_·.．]+")


def normalize_code(raw: str) -> str:
    """Full-width → half-width (NFKC), strip spaces and dashes, upper-case."""
    if raw is None:
        return ""
    text = unicodedata.normalize("NFKC", str(raw))
    return _SEPARATORS.sub("", text).upper()


def uscc_check_char(first17: str) -> str:
    total = sum(_USCC_VALUE[c] * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def validate_uscc(raw: str) -> str:
    """Return the normalised USCC or raise ``ValidationError`` with a Chinese message."""
    code = normalize_code(raw)
    if not code:
        raise ValidationError("统一社会信用代码不能为空。", code="required")
    if len(code) != 18:
        raise ValidationError("统一社会信用代码应为18位，当前为%(n)d位。", code="length", params={"n": len(code)})
    bad = sorted({c for c in code if c not in _USCC_VALUE})
    if bad:
        raise ValidationError(
            "统一社会信用代码含有不允许的字符：%(chars)s（不使用 I、O、S、V、Z）。",
            code="charset",
            params={"chars": "、".join(bad)},
        )
    if code[0] not in USCC_AUTHORITIES:
        raise ValidationError(
            "统一社会信用代码第1位（登记管理部门代码）“%(c)s”无效。", code="authority", params={"c": code[0]}
        )
    if not code[2:8].isdigit():
        raise ValidationError("统一社会信用代码第3—8位应为行政区划码（数字）。", code="region")
    expected = uscc_check_char(code[:17])
    if code[17] != expected:
        raise ValidationError("统一社会信用代码校验位错误，请核对后重新输入。", code="checksum")
    return code


def id_check_char(first17: str) -> str:
    return _ID_CHECK[sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]


def validate_id_number(raw: str) -> str:
    """Return the normalised 18-character ID number or raise ``ValidationError``."""
    code = normalize_code(raw)
    if not code:
        raise ValidationError("身份证号码不能为空。", code="required")
    if len(code) != 18:
        raise ValidationError("身份证号码应为18位，当前为%(n)d位。", code="length", params={"n": len(code)})
    if not code[:17].isdigit() or not (code[17].isdigit() or code[17] == "X"):
        raise ValidationError("身份证号码前17位应为数字，最后一位为数字或 X。", code="charset")
    try:
        birth = date(int(code[6:10]), int(code[10:12]), int(code[12:14]))
    except ValueError:
        raise ValidationError("身份证号码中的出生日期无效。", code="birth_date") from None
    if birth < date(1880, 1, 1) or birth > date.today():
        raise ValidationError("身份证号码中的出生日期不在合理范围内。", code="birth_date")
    if code[17] != id_check_char(code[:17]):
        raise ValidationError("身份证号码校验位错误，请核对后重新输入。", code="checksum")
    return code


def mask_id_number(code: str) -> str:
    """``110105********002X``: area code and last four characters only."""
    if not code:
        return ""
    return code[:6] + "*" * (len(code) - 10) + code[-4:]


def classify_code(raw: str) -> list[tuple[str, str]]:
    """Every valid reading of a code: ``[("uscc", code)]``, ``[("id_number", code)]``, both, or none.

    An 18-digit string can pass both check-digit tests, so callers must try each reading.
    """
    if isinstance(raw, str) and len(raw) <= 64:
        return list(_classify_cached(raw))  # a batch check classifies each code several times
    return list(_classify(raw))


def _classify(raw) -> tuple[tuple[str, str], ...]:
    readings = []
    for kind, validator in (("uscc", validate_uscc), ("id_number", validate_id_number)):
        try:
            readings.append((kind, validator(raw)))
        except ValidationError:
            continue
    return tuple(readings)


_classify_cached = functools.lru_cache(maxsize=4096)(_classify)

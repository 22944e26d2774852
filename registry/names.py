"""Name normalisation and n-grams for subject search (SPEC §4)."""

import re
import unicodedata

_BRACKETS = str.maketrans({"（": "(", "）": ")", "【": "(", "】": ")", "〔": "(", "〕": ")", "[": "(", "]": ")"})
_DROP = re.compile(r"[\s·•・\"'“”‘’,，.。、;；:：!！?？()]+")
# Longest first, so that 有限责任公司 is removed whole rather than leaving 有限责任.
LEGAL_FORM_SUFFIXES = (
    "股份有限公司",
    "有限责任公司",
    "有限公司",
    "股份合作公司",
    "合伙企业(有限合伙)",
    "合伙企业(普通合伙)",
    "普通合伙",
    "有限合伙",
    "合伙企业",
    "专业合作社",
    "合作社",
    "集团公司",
    "公司",
    "个体工商户",
)


def normalize_name(name: str) -> str:
    """NFKC (full-width → half-width), unify brackets, drop spaces and punctuation, lower-case."""
    text = unicodedata.normalize("NFKC", name or "").translate(_BRACKETS)
    text = text.replace("(有限合伙)", "有限合伙").replace("(普通合伙)", "普通合伙")
    return _DROP.sub("", text).lower()


def strip_legal_form(normalized: str) -> str:
    """The distinctive part of a normalised name: 林芝雪域有限责任公司 → 林芝雪域."""
    for suffix in LEGAL_FORM_SUFFIXES:
        s = normalize_name(suffix)
        if normalized.endswith(s) and len(normalized) > len(s):
            return normalized[: -len(s)]
    return normalized


def name_grams(names: list[str]) -> list[str]:
    """Unigrams and bigrams of every normalised name (current and former)."""
    grams: set[str] = set()
    for name in names:
        n = normalize_name(name)
        grams.update(n)
        grams.update(n[i : i + 2] for i in range(len(n) - 1))
    return sorted(grams)


def query_grams(normalized_query: str) -> list[str]:
    """Grams a matching name must contain: the query itself if short, else its bigrams."""
    if len(normalized_query) <= 2:
        return [normalized_query] if normalized_query else []
    return sorted({normalized_query[i : i + 2] for i in range(len(normalized_query) - 1)})

"""Masking of natural persons on the public site (SPEC §12)."""


def mask_person_name(name: str) -> str:
    """张三 → 张*, 欧阳娜娜 → 欧***: the surname's first character only."""
    name = (name or "").strip()
    if not name:
        return ""
    return name[0] + "*" * max(1, len(name) - 1)


def public_name(name: str, is_person: bool) -> str:
    return mask_person_name(name) if is_person else name

import pytest
from django.core.exceptions import ValidationError

from registry.demo import make_id_number, make_uscc
from registry.validators import (
    classify_code,
    mask_id_number,
    normalize_code,
    uscc_check_char,
    validate_id_number,
    validate_uscc,
)

# Real-format codes with correct check characters, letter-first authorities included.
VALID_USCC = [
    "91350100M000100Y43",  # 工商 (9), a widely published example
    "11100000000013127D",  # 机构编制 (1)
    "N2540402MA6T00001X",  # 农业 (N): rejected by python-stdnum
    "Y1540400MA6T00002K",  # 其他 (Y)
    "A1540400MA6T00003P",  # 军队 (A)
]


def _fix(code17: str) -> str:
    return code17 + uscc_check_char(code17)


@pytest.mark.parametrize("code17", [c[:17] for c in VALID_USCC])
def test_valid_uscc_including_letter_first(code17):
    code = _fix(code17)
    assert validate_uscc(code) == code


def test_python_stdnum_rejects_letter_first_but_we_accept():
    from stdnum.cn import uscc as stdnum_uscc

    code = _fix("N2540402MA6T00001")
    with pytest.raises(Exception):
        stdnum_uscc.validate(code)
    assert validate_uscc(code) == code


def test_full_width_spaced_and_lower_case_input_is_normalised():
    code = _fix("91540400MA6T0G9K2")
    messy = " " + code[:6].lower() + " - " + code[6:] + " "
    full_width = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in code)
    assert validate_uscc(messy) == code
    assert validate_uscc(full_width) == code
    assert normalize_code("９１５４　０４００") == "91540400"


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("", "不能为空"),
        ("91540400MA6T0G9K", "应为18位"),
        ("91540400MA6T0G9KIO", "不允许的字符"),
        ("Z1540400MA6T0G9K2X", "不允许的字符"),
        ("B1540400MA6T0G9K2X", "登记管理部门代码"),
        ("91ABCDEFMA6T0G9K2X", "行政区划码"),
    ],
)
def test_invalid_uscc_messages_are_chinese_and_specific(raw, fragment):
    with pytest.raises(ValidationError) as exc:
        validate_uscc(raw)
    assert fragment in exc.value.messages[0]


def test_uscc_wrong_check_character():
    code = _fix("91540400MA6T0G9K2")
    wrong = code[:17] + ("0" if code[17] != "0" else "1")
    with pytest.raises(ValidationError) as exc:
        validate_uscc(wrong)
    assert "校验位错误" in exc.value.messages[0]


def test_generated_demo_codes_are_valid():
    assert validate_uscc(make_uscc("9", "1", "540400", 12345))
    from datetime import date

    assert validate_id_number(make_id_number("540402", date(1985, 6, 30), 7))


def test_valid_id_numbers():
    # The GB 11643 example number and one with check character X.
    assert validate_id_number("11010519491231002X") == "11010519491231002X"
    assert validate_id_number("11010519491231002x") == "11010519491231002X"
    # Area code missing from python-stdnum's table must not be rejected.
    from datetime import date

    unknown_area = make_id_number("999999", date(1990, 2, 3), 12)
    assert validate_id_number(unknown_area) == unknown_area


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("11010519491231002", "应为18位"),
        ("1101051949123100AX", "前17位应为数字"),
        ("110105194902300021", "出生日期无效"),  # 30 February
        ("110105210001010021", "出生日期"),  # born in 2100
        ("110105194912310021", "校验位错误"),
    ],
)
def test_invalid_id_numbers(raw, fragment):
    with pytest.raises(ValidationError) as exc:
        validate_id_number(raw)
    assert fragment in exc.value.messages[0]


def test_mask_id_number():
    assert mask_id_number("11010519491231002X") == "110105********002X"


def test_classify_code():
    assert classify_code("11010519491231002X") == [("id_number", "11010519491231002X")]
    uscc = _fix("91540400MA6T0G9K2")
    assert classify_code(uscc) == [("uscc", uscc)]
    assert classify_code("not a code") == []

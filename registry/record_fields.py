"""The national 双公示 template layouts: column order and Chinese headers of the 行政许可 and
行政处罚 import files (and the downloadable templates), mapped to the service's field names.

One list per kind; the import reader, the template writer and the error report all use it, so the
columns cannot drift apart.
"""

from __future__ import annotations

import functools

SUBJECT_COLUMNS = [
    ("subject_name", "行政相对人名称", True),
    ("subject_category", "行政相对人类别", True),
    ("uscc", "统一社会信用代码", False),
    ("business_registration_no", "工商注册号", False),
    ("organization_code", "组织机构代码", False),
    ("tax_number", "税务登记号", False),
    ("institution_certificate_no", "事业单位证书号", False),
    ("social_organization_no", "社会组织登记证号", False),
    ("legal_representative", "法定代表人", False),
    ("legal_rep_id_type", "法定代表人证件类型", False),
    ("legal_rep_id_number", "法定代表人证件号码", False),
    ("id_type", "证件类型", False),
    ("id_number", "证件号码", False),
]

PENALTY_COLUMNS = [
    *SUBJECT_COLUMNS,
    ("document_number", "行政处罚决定书文号", True),
    ("violation_type", "违法行为类型", True),
    ("violation_facts", "违法事实", True),
    ("legal_basis", "处罚依据", True),
    ("categories", "处罚类别", True),
    ("penalty_content", "处罚内容", True),
    ("fine_amount", "罚款金额（万元）", False),
    ("confiscated_amount", "没收违法所得、没收非法财物的金额（万元）", False),
    ("license_suspended", "暂扣或吊销证照名称及编号", False),
    ("decision_date", "处罚决定日期", True),
    ("penalty_valid_until", "处罚有效期", True),
    ("publication_deadline", "公示截止期", False),
    ("authority_name", "处罚机关", True),
    ("authority_uscc", "处罚机关统一社会信用代码", True),
    ("source_name", "数据来源单位", True),
    ("source_uscc", "数据来源单位统一社会信用代码", True),
    ("severity", "失信程度", True),
    ("disclosure", "公开属性", False),
    ("remarks", "备注", False),
]

LICENSE_COLUMNS = [
    *SUBJECT_COLUMNS,
    ("decision_document_name", "行政许可决定文书名称", True),
    ("document_number", "行政许可决定文书号", True),
    ("category", "许可类别", True),
    ("certificate_name", "许可证书名称", False),
    ("license_number", "许可编号", False),
    ("content", "许可内容", True),
    ("decision_date", "许可决定日期", True),
    ("valid_from", "有效期自", True),
    ("valid_until", "有效期至", True),
    ("authority_name", "许可机关", True),
    ("authority_uscc", "许可机关统一社会信用代码", True),
    ("current_status", "当前状态", True),
    ("source_name", "数据来源单位", True),
    ("source_uscc", "数据来源单位统一社会信用代码", True),
    ("disclosure", "公开属性", False),
    ("remarks", "备注", False),
]

COLUMNS = {"penalty": PENALTY_COLUMNS, "license": LICENSE_COLUMNS}


@functools.cache
def labels(kind: str) -> dict[str, str]:
    """Field name → Chinese label (one shared dict per kind: do not modify it)."""
    return {name: label for name, label, _ in COLUMNS[kind]}


def header_map(kind: str) -> dict[str, str]:
    """Chinese header (and the field name itself) → field name, for reading files."""
    mapping = {}
    for name, label, _ in COLUMNS[kind]:
        mapping[label] = name
        mapping[name] = name
    # Common variants seen in department spreadsheets.
    mapping["行政相对人代码_1(统一社会信用代码)"] = "uscc"
    mapping["许可决定日期"] = "decision_date"
    return mapping


TEMPLATE_NOTES = {
    "penalty": [
        "行政相对人类别：法人及非法人组织 / 个体工商户 / 自然人",
        "失信程度：轻微 / 一般 / 严重（决定公示期限：轻微按本地政策；一般最短3个月、最长1年；严重最短1年、最长3年）",
        "处罚类别：警告、通报批评、罚款、没收违法所得、没收非法财物、暂扣许可证件、降低资质等级、吊销许可证件、"
        "限制开展生产经营活动、责令停产停业、责令关闭、限制从业、行政拘留、其他；多个以分号分隔",
        "日期格式：YYYY-MM-DD；金额单位：万元；公开属性：社会公开 / 授权查询 / 政务共享（默认社会公开）",
        "自然人填写证件类型（身份证）和证件号码；组织和个体工商户填写统一社会信用代码",
    ],
    "license": [
        "行政相对人类别：法人及非法人组织 / 个体工商户 / 自然人",
        "许可类别：普通 / 特许 / 认可 / 核准 / 登记 / 其他；当前状态：有效 / 无效",
        "有效期至填 2099-12-31 表示长期；日期格式：YYYY-MM-DD",
        "公开属性：社会公开 / 授权查询 / 政务共享（默认社会公开）",
    ],
}

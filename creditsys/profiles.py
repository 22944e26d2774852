"""The municipal profiles shipped with creditsys (one per seed plan in ``shared/seeds``).

Each differs from the national default only where its plan says so; see ``docs/seeds.md`` for the
passages these values come from.
"""

from dataclasses import replace

from .policy import NATIONAL, working_days

LINZHI = replace(
    NATIONAL,
    code="linzhi",
    municipality="西藏自治区林芝市",
    site_title="信用中国（西藏林芝）",
    source="林芝市进一步完善守信联合激励和失信联合惩戒制度加快社会信用体系建设高质量发展的实施方案",
)

XIAOYI = replace(
    NATIONAL,
    code="xiaoyi",
    municipality="山西省孝义市",
    site_title="信用中国（山西孝义）",
    source="孝政发〔2017〕25号",
)

PUYANG = replace(
    NATIONAL,
    code="puyang",
    municipality="河南省濮阳县",
    site_title="信用中国（河南濮阳）",
    source="濮县信用办〔2022〕12号",
)

GANZHOU = replace(
    NATIONAL,
    code="ganzhou",
    municipality="江西省赣州市",
    site_title="信用中国（江西赣州）",
    source="赣州市进一步完善守信联合激励和失信联合惩戒制度加快社会信用体系建设高质量发展的实施方案",
)

YOUXI = replace(
    NATIONAL,
    code="youxi",
    municipality="福建省尤溪县",
    site_title="信用中国（福建尤溪）",
    source="尤政文〔2021〕185号",
    objection_period=working_days(20),
)

MUNICIPAL_PROFILES = {p.code: p for p in (LINZHI, XIAOYI, PUYANG, GANZHOU, YOUXI)}

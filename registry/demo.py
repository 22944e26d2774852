"""Demo data for ``make run``: regions, departments, users, API clients and subjects.

Idempotent: every row is found by its natural key (code, USCC, username, HMAC) before it is
created, so running the loader again changes nothing. The municipality follows the profile.
"""

from __future__ import annotations

import random
from datetime import date

from django.db import transaction

from creditsys import context
from creditsys.api.authentication import hash_key
from creditsys.policy import get_profile

from . import services
from .models import LONG_TERM, ApiClient, Department, Region, Subject, User
from .scoping import Scope
from .selectors import subject_by_code
from .validators import id_check_char, uscc_check_char

DEMO_PASSWORD = "Demo-2026-creditsys"
# A fixed key so that the README can show a working curl example against demo data only.
DEMO_API_KEY = "cs_demo0001_demo-key-for-local-development-only-do-not-deploy"

REGIONS = {
    "linzhi": (
        "540400",
        "林芝市",
        [
            ("540402", "巴宜区"),
            ("540421", "工布江达县"),
            ("540481", "米林市"),
            ("540423", "墨脱县"),
            ("540424", "波密县"),
            ("540425", "察隅县"),
            ("540426", "朗县"),
        ],
    ),
    "ganzhou": (
        "360700",
        "赣州市",
        [("360702", "章贡区"), ("360703", "南康区"), ("360704", "赣县区"), ("360722", "信丰县"), ("360781", "瑞金市")],
    ),
    "xiaoyi": ("141181", "孝义市", []),
    "puyang": ("410928", "濮阳县", []),
    "youxi": ("350426", "尤溪县", []),
}
REGIONS["national"] = REGIONS["linzhi"]

CITY_DEPARTMENTS = [
    ("发展和改革委员会（信用办）", "发改委", True),
    ("市场监督管理局", "市场监管局", False),
    ("税务局", "税务局", False),
    ("财政局", "财政局", False),
    ("住房和城乡建设局", "住建局", False),
    ("人力资源和社会保障局", "人社局", False),
    ("生态环境局", "生态环境局", False),
    ("交通运输局", "交通运输局", False),
]

COMPANY_WORDS = [
    "雪域",
    "高原",
    "尼洋",
    "鲁朗",
    "工布",
    "藏东",
    "林海",
    "桃花",
    "绿源",
    "康达",
    "恒信",
    "宏远",
    "诚信",
    "天成",
    "瑞丰",
    "金达",
    "华源",
    "新城",
    "安泰",
    "兴业",
    "益民",
    "长青",
    "嘉禾",
    "明德",
]
TRADES = [
    ("建筑工程", "有限公司"),
    ("商贸", "有限责任公司"),
    ("餐饮管理", "有限公司"),
    ("物流", "有限公司"),
    ("旅游开发", "股份有限公司"),
    ("农牧业专业合作社", ""),
    ("医药", "有限公司"),
    ("环保科技", "有限公司"),
    ("劳务派遣", "有限公司"),
    ("砂石料", "有限责任公司"),
]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗次仁扎西"
GIVEN = ["建国", "卓玛", "伟", "芳", "强", "丽", "军", "平措", "晓明", "海燕", "德吉", "志刚", "秀英", "旺堆"]


def make_uscc(authority: str, kind: str, region_code: str, serial: int) -> str:
    org_code = f"{serial:08d}"[-8:] + "0"
    first17 = f"{authority}{kind}{region_code}{org_code}"
    return first17 + uscc_check_char(first17)


def make_id_number(region_code: str, birth: date, serial: int) -> str:
    first17 = f"{region_code}{birth:%Y%m%d}{serial % 1000:03d}"
    return first17 + id_check_char(first17)


def _demo_scope() -> Scope:
    return Scope("demo", None, None, True, is_global=True)


@transaction.atomic
def load(*, subjects: int = 60) -> dict:
    profile = get_profile()
    city_code, city_name, counties = REGIONS.get(profile.code, REGIONS["linzhi"])
    counts = {"regions": 0, "departments": 0, "users": 0, "subjects": 0, "api_clients": 0}
    with context.acting(actor="load_demo", channel="system"):
        city, created = Region.objects.get_or_create(
            code=city_code, defaults={"name": city_name, "level": Region.Level.CITY}
        )
        counts["regions"] += created
        county_regions = []
        for code, name in counties:
            region, created = Region.objects.get_or_create(
                code=code, defaults={"name": name, "level": Region.Level.COUNTY, "parent": city}
            )
            county_regions.append(region)
            counts["regions"] += created

        prefix = city_name[:-1] if city_name.endswith(("市", "县")) else city_name
        departments = []
        for i, (name, short, credit_office) in enumerate(CITY_DEPARTMENTS, start=1):
            dept, created = Department.objects.get_or_create(
                uscc=make_uscc("1", "1", city_code, 10_000 + i),
                defaults={
                    "name": f"{city_name}{name}",
                    "short_name": f"{prefix}{short}",
                    "region": city,
                    "level": Department.Level.CITY,
                    "is_credit_office": credit_office,
                },
            )
            departments.append(dept)
            counts["departments"] += created
        county_depts = []
        for j, region in enumerate(county_regions[:2], start=1):
            for k, (name, short) in enumerate(
                [("发展和改革委员会", "发改委"), ("市场监督管理局", "市场监管局")], start=1
            ):
                dept, created = Department.objects.get_or_create(
                    uscc=make_uscc("1", "1", region.code, 20_000 + j * 10 + k),
                    defaults={
                        "name": f"{region.name}{name}",
                        "short_name": f"{region.name}{short}",
                        "region": region,
                        "level": Department.Level.COUNTY,
                        "parent": departments[0] if k == 1 else departments[1],
                        "is_credit_office": k == 1,
                    },
                )
                county_depts.append(dept)
                counts["departments"] += created

        users = [
            ("admin", "系统管理员", User.Role.ADMIN, departments[0], None),
            ("xinyongban", "信用办 李协调", User.Role.COORDINATOR, departments[0], None),
            ("scjg_luru", "市场监管局 王录入", User.Role.CLERK, departments[1], None),
            ("scjg_shenhe", "市场监管局 张审核", User.Role.REVIEWER, departments[1], None),
            ("shuiwu_luru", "税务局 陈录入", User.Role.CLERK, departments[2], None),
            ("caizheng_luru", "财政局 赵录入", User.Role.CLERK, departments[3], None),
        ]
        if county_depts:
            users.append(
                (
                    "xian_xyb",
                    f"{county_regions[0].name}信用办 扎西",
                    User.Role.COUNTY_COORDINATOR,
                    county_depts[0],
                    county_regions[0],
                )
            )
        for username, full_name, role, dept, region in users:
            if User.objects.filter(username=username).exists():
                continue
            user = User(
                username=username,
                full_name=full_name,
                role=role,
                department=dept,
                region=region,
                is_staff=role == User.Role.ADMIN,
                is_superuser=role == User.Role.ADMIN,
            )
            user.set_password(DEMO_PASSWORD)
            user.save()
            counts["users"] += 1

        prefix_hash = DEMO_API_KEY.split("_")[1]
        if not ApiClient.objects.filter(key_prefix=prefix_hash).exists():
            ApiClient.objects.create(
                name="演示：市级信用平台",
                region=city,
                scopes=["read", "write", "check"],
                key_prefix=prefix_hash,
                key_hash=hash_key(DEMO_API_KEY),
            )
            counts["api_clients"] += 1

        counts["subjects"] += _load_subjects(city, county_regions, departments + county_depts, subjects)
        counts.update(_load_records(departments + county_depts))
    return counts


def _load_subjects(city, county_regions, departments, n) -> int:
    rng = random.Random(20261121)  # fixed seed: same names and codes on every run
    scope = _demo_scope()
    regions = [city, *county_regions]
    created = 0
    region_for_people = city.code
    for i in range(n):
        word = COMPANY_WORDS[i % len(COMPANY_WORDS)]
        trade, form = TRADES[rng.randrange(len(TRADES))]
        region = regions[i % len(regions)]
        dept = departments[1 + i % 2] if len(departments) > 2 else departments[0]
        kind = Subject.Kind.INDIVIDUAL_BUSINESS if i % 7 == 6 else Subject.Kind.ORGANIZATION
        if kind == Subject.Kind.INDIVIDUAL_BUSINESS:
            name = f"{region.name}{word}{trade.replace('专业合作社', '')}经营部"
            uscc = make_uscc("9", "2", region.code, 500_000 + i)
        elif form == "":
            name = f"{region.name}{word}{trade}"
            uscc = make_uscc("N", "2", region.code, 700_000 + i)
        else:
            name = (
                f"{city.name[:2]}{word}{trade}{form}" if i < len(COMPANY_WORDS) else f"{region.name}{word}{trade}{form}"
            )
            uscc = make_uscc("9", "1", region.code, 300_000 + i)
        legal_name = SURNAMES[rng.randrange(len(SURNAMES))] + GIVEN[rng.randrange(len(GIVEN))]
        address = f"{region.name}{word}路{rng.randint(1, 300)}号"
        birth = date(1960 + rng.randrange(40), 1 + rng.randrange(12), 1 + rng.randrange(28))
        org = Subject.objects.filter(uscc=uscc).first()
        if org is None:
            org = services.subject_create(
                scope=scope,
                kind=kind,
                name=name,
                uscc=uscc,
                region=region,
                managing_department=dept,
                legal_representative=legal_name,
                address=address,
            )
            created += 1
        if kind == Subject.Kind.ORGANIZATION and i % 3 == 0:
            id_number = make_id_number(region_for_people, birth, 100 + i)
            person = subject_by_code(id_number)
            if person is None:
                services.relation_add_person(
                    scope=scope,
                    organization=org,
                    person_name=legal_name,
                    person_id_number=id_number,
                    role="legal_representative",
                    valid_from=date(2020, 1, 1),
                )
                created += 1
    return created


# --- 双公示 records and commitments (issue 3) ----------------------------------------------------

PENALTY_CASES = [
    # (violation type, facts, basis, categories, content, fine 万元, severity)
    (
        "未按规定公示年度报告",
        "当事人未按照规定的期限公示上一年度年度报告。",
        "《企业信息公示暂行条例》第十八条",
        "警告",
        "警告",
        "",
        "minor",
    ),
    (
        "销售过期食品",
        "当事人经营超过保质期的预包装食品，货值金额较小。",
        "《中华人民共和国食品安全法》第一百二十四条",
        "罚款;没收违法所得",
        "没收违法所得并处罚款人民币五万元",
        "5",
        "general",
    ),
    (
        "未按规定申报纳税",
        "当事人未按照规定期限办理纳税申报和报送纳税资料。",
        "《中华人民共和国税收征收管理法》第六十二条",
        "罚款",
        "处罚款人民币二千元",
        "0.2",
        "general",
    ),
    (
        "建设工程未取得施工许可擅自施工",
        "当事人未取得施工许可证擅自施工，情节严重。",
        "《建设工程质量管理条例》第五十七条",
        "罚款;责令停产停业",
        "责令停止施工，处工程合同价款百分之二的罚款",
        "38.6",
        "serious",
    ),
    (
        "超标排放污染物",
        "当事人通过暗管逃避监管的方式排放水污染物。",
        "《中华人民共和国水污染防治法》第八十三条",
        "罚款;责令停产停业",
        "处罚款人民币六十万元，责令停产整治",
        "60",
        "serious",
    ),
]
PENALTY_DATES = [
    date(2024, 9, 12),
    date(2025, 6, 3),
    date(2026, 1, 20),
    date(2026, 3, 31),
    date(2026, 4, 1),
    date(2026, 8, 18),
]
LICENSE_CASES = [
    ("食品经营许可决定书", "普通", "食品经营许可证", "预包装食品销售（含冷藏冷冻食品）", 5),
    ("建筑工程施工许可决定书", "普通", "建筑工程施工许可证", "新建综合楼工程施工", 2),
    ("排污许可决定书", "核准", "排污许可证", "废水、废气排放", 5),
    ("企业设立登记通知书", "登记", "营业执照", "有限责任公司设立登记", None),
]


def _record_data(subject, dept, **fields) -> dict:
    return {
        "subject_name": subject.name,
        "subject_category": subject.kind,
        "uscc": subject.uscc,
        "legal_representative": subject.legal_representative or "未登记",
        "authority_uscc": dept.uscc,
        "authority_name": dept.name,
        "source_uscc": dept.uscc,
        "source_name": dept.name,
        **fields,
    }


def _load_records(departments) -> dict:
    """Licences, penalties (all severities, both rule-set eras) and commitments; idempotent by
    (department, 文书号) / (department, 承诺书编号): a second run reports everything unchanged."""
    from datetime import timedelta

    from . import services as svc

    scope = _demo_scope()
    counts = {"licenses": 0, "penalties": 0, "commitments": 0}
    orgs = list(Subject.objects.exclude(uscc=None).exclude(kind=Subject.Kind.NATURAL_PERSON).order_by("uscc")[:40])
    issuing = [d for d in departments if not d.is_credit_office][:6]
    if not orgs or not issuing:
        return counts
    for i, subject in enumerate(orgs[:24]):
        dept = issuing[i % len(issuing)]
        case = PENALTY_CASES[i % len(PENALTY_CASES)]
        decided = PENALTY_DATES[i % len(PENALTY_DATES)]
        reported = decided + timedelta(days=3 + (i % 4) * 5)  # some are reported late (迟报)
        data = _record_data(
            subject,
            dept,
            document_number=f"{dept.short_name or dept.name}罚〔{decided.year}〕{100 + i}号",
            violation_type=case[0],
            violation_facts=case[1],
            legal_basis=case[2],
            categories=case[3],
            penalty_content=case[4],
            fine_amount=case[5],
            decision_date=decided.isoformat(),
            penalty_valid_until=decided.isoformat(),
            severity=case[6],
        )
        result = svc.record_upsert(scope=scope, kind="penalty", data=data, today=reported, reason="演示数据")
        counts["penalties"] += result.outcome == "created"
    for i, subject in enumerate(orgs[10:40]):
        dept = issuing[(i + 1) % len(issuing)]
        name, category, cert, content, years = LICENSE_CASES[i % len(LICENSE_CASES)]
        decided = date(2025, 1, 6) + timedelta(days=23 * i)
        until = LONG_TERM if years is None else decided.replace(year=decided.year + years) - timedelta(days=1)
        data = _record_data(
            subject,
            dept,
            decision_document_name=name,
            document_number=f"{dept.short_name or dept.name}许〔{decided.year}〕{200 + i}号",
            category=category,
            certificate_name=cert,
            license_number=f"XK{decided:%Y%m%d}{i:04d}",
            content=content,
            decision_date=decided.isoformat(),
            valid_from=decided.isoformat(),
            valid_until=until.isoformat(),
            current_status="valid",
        )
        result = svc.record_upsert(scope=scope, kind="license", data=data, today=decided + timedelta(days=2))
        counts["licenses"] += result.outcome == "created"
    commitments = [
        (
            "notification",
            "食品经营许可（告知承诺制）",
            "承诺所填报信息真实、准确，符合许可条件。",
            date(2026, 2, 3),
            None,
        ),
        (
            "tolerance",
            "建筑工程施工许可（容缺受理）",
            "承诺30日内补交消防设计审查合格意见。",
            date(2026, 5, 6),
            date(2026, 6, 5),
        ),
        ("tolerance", "排污许可（容缺受理）", "承诺60日内补交环境影响评价批复。", date(2026, 10, 9), date(2026, 12, 8)),
        ("repair", "行政处罚信用修复", "承诺已全面纠正失信行为，今后依法诚信经营。", date(2026, 7, 1), None),
        ("voluntary", "主动公开信用承诺", "承诺诚信经营、守法经营，自觉接受社会监督。", date(2026, 3, 15), None),
    ]
    for i, subject in enumerate(orgs[:15]):
        dept = issuing[i % len(issuing)]
        kind, matter, content, made, due = commitments[i % len(commitments)]
        result = svc.commitment_upsert(
            scope=scope,
            subject=subject,
            department_uscc=dept.uscc,
            number=f"CN{made:%Y}-{dept.pk:02d}-{i:03d}",
            kind=kind,
            matter=matter,
            content=content,
            commitment_date=made.isoformat(),
            due_date=due.isoformat() if due else None,
        )
        counts["commitments"] += result.outcome == "created"
    # Sweeps as beat would run them: end publications past their maximum, flag unkept commitments.
    svc.penalty_publication_sweep()
    svc.commitment_sweep()
    return counts

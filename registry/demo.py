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
from .models import ApiClient, Department, Region, Subject, User
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

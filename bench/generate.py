"""Fast, deterministic data generator for the benchmark (PostgreSQL only).

Subjects are built in Python (valid USCCs and ID numbers, encrypted + HMACed ID numbers through
``creditsys.crypto``, search columns through ``registry.names``) and streamed with ``COPY``; the big
tables (licences, penalties, list entries, enforcement tasks, objections) are generated inside
PostgreSQL with ``INSERT … SELECT generate_series`` in two parallel sessions. Secondary indexes are
dropped during the load and rebuilt afterwards with their exact definitions; foreign-key triggers
are skipped (``session_replication_role = replica``) because every id written is valid by
construction. The reference data (regions, departments, users, measure catalogue) comes from the
project's own demo loaders.

Run by ``bench/run.py``; standalone: ``python bench/generate.py --mode small``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import sys
import threading
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "creditsys.settings")

import django  # noqa: E402

django.setup()

import psycopg  # noqa: E402
from django.conf import settings  # noqa: E402
from django.utils import timezone  # noqa: E402

from creditsys import crypto  # noqa: E402
from registry.demo import make_id_number, make_uscc  # noqa: E402
from registry.names import name_grams, normalize_name  # noqa: E402
from registry.validators import mask_id_number  # noqa: E402

SIZES = {
    "small": {
        "subjects": 20_000,
        "records": 100_000,
        "entries": 4_000,
        "tasks": 40_000,
        "objections_pending": 20_000,
        "objections_due": 100,
    },
    "full": {
        "subjects": 1_000_000,
        "records": 5_000_000,
        "entries": 200_000,
        "tasks": 2_000_000,
        "objections_pending": 1_000_000,
        "objections_due": 1_000,
    },
}
SERIAL_BASE = 10_000_000  # USCC serials above the demo loaders' ranges
# "Today" as the application sees it (TIME_ZONE), not the database server's current_date (UTC).
TODAY = f"date '{timezone.localdate().isoformat()}'"

# Characters of 字号 (trade names), most frequent first: drawn with a Zipf-like weight so that
# 1-character queries match realistic shares of the registry (a few % for 华/兴, far less for 朴).
ZIHAO = (
    "华兴盛达鑫源恒泰丰信德隆昌宏通顺安康嘉益新金利发永成和瑞祥福广龙海天鼎诚汇博远明升中凯宇创联合"
    "美佳星云银辉景晟荣泽峰林森卓越聚力润邦晨弘骏腾飞科立致臻睿智旺优锦绿雪原藏东南北西江山川河湖石"
    "阳光春秋万千百亿众志浩宁平正方圆元亨晶磊鹏程达腾跃欣怡乐多吉祥格桑尼洋鲁朗工布雅鲁波密察隅米"
    "郎拉萨昌都日喀则那曲阿里墨脱松柏竹梅兰菊桃李杏梨桂芳香茂蓝青红白黑紫玉珍宝贵富强胜豪雄伟杰"
)
ZIHAO = "".join(dict.fromkeys(ZIHAO))  # unique, order kept
TRADES = [
    ("建筑工程", "有限公司"),
    ("商贸", "有限责任公司"),
    ("餐饮管理", "有限公司"),
    ("物流", "有限公司"),
    ("旅游开发", "股份有限公司"),
    ("医药", "有限公司"),
    ("环保科技", "有限公司"),
    ("劳务派遣", "有限公司"),
    ("砂石料", "有限责任公司"),
    ("信息技术", "有限公司"),
    ("房地产开发", "有限公司"),
    ("农业开发", "有限公司"),
    ("电子商务", "有限公司"),
    ("文化传媒", "有限公司"),
    ("汽车销售服务", "有限公司"),
    ("装饰工程", "有限公司"),
    ("机械设备租赁", "有限公司"),
    ("食品", "有限公司"),
    ("酒店管理", "有限公司"),
    ("教育咨询", "有限公司"),
    ("物业管理", "有限公司"),
    ("运输", "有限责任公司"),
    ("建材", "有限公司"),
    ("园林绿化工程", "有限公司"),
    ("水电安装工程", "有限公司"),
    ("茶业", "有限公司"),
    ("能源", "股份有限公司"),
    ("矿业", "有限责任公司"),
    ("网络科技", "有限公司"),
    ("人力资源服务", "有限公司"),
    ("农牧业", "专业合作社"),
    ("藏药材种植", "专业合作社"),
]
SHOPS = [
    "便利店",
    "餐馆",
    "烟酒店",
    "理发店",
    "五金店",
    "农家乐",
    "汽车修理部",
    "副食店",
    "茶馆",
    "服装店",
    "药店",
    "超市",
    "小吃店",
    "建材经营部",
    "百货商店",
    "甜茶馆",
    "家电维修部",
]
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任"
    "沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔"
)
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚桂英华建国志红玉兰海燕波宁辉鹏飞斌婷雪梅琳晨阳浩宇欣怡"
TIBETAN = ["扎西", "卓玛", "次仁", "德吉", "平措", "旺堆", "格桑", "央金", "多吉", "拉姆", "索朗", "尼玛", "达瓦"]
STREETS = ["福清路", "广东路", "八一大街", "滨河大道", "珠海路", "双拥路", "康扎街", "育才路", "香港路", "天津路"]


def zipf_weights(n: int, s: float = 0.9) -> list[float]:
    return [1 / (k**s) for k in range(1, n + 1)]


class Names:
    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.zcum = list(itertools.accumulate(zipf_weights(len(ZIHAO))))
        self.scum = list(itertools.accumulate(zipf_weights(len(SURNAMES), 0.7)))

    def zihao(self) -> str:
        k = 2 if self.rng.random() < 0.85 else 3
        return "".join(self.rng.choices(ZIHAO, cum_weights=self.zcum, k=k))

    def person(self) -> str:
        rng = self.rng
        if rng.random() < 0.2:
            return rng.choice(TIBETAN) + (rng.choice(TIBETAN) if rng.random() < 0.3 else "")
        given = "".join(rng.choice(GIVEN) for _ in range(1 if rng.random() < 0.4 else 2))
        return rng.choices(SURNAMES, cum_weights=self.scum, k=1)[0] + given


def person_index_ok(i: int) -> bool:
    return i % 20 >= 16  # 20 % natural persons


def kind_of(i: int) -> str:
    r = i % 20
    if r < 11:
        return "organization"
    if r < 16:
        return "individual_business"
    return "natural_person"


def person_id_number(region_code: str, i: int) -> str:
    """Deterministic, valid, unique ID number of subject index ``i``."""
    birth = date(1950, 1, 1) + timedelta(days=(i // 1000) * 37 % 20000)
    return make_id_number(region_code, birth, i % 1000)


def log(msg: str) -> None:
    print(f"[generate {time.strftime('%H:%M:%S')}] {msg}", flush=True)


# --- helpers ------------------------------------------------------------------------------------


def not_null_defaults(cur, table: str, given: set[str]) -> dict[str, str]:
    """SQL literals for every NOT NULL column without a DB default that the caller did not give."""
    cur.execute(
        """SELECT column_name, data_type FROM information_schema.columns
           WHERE table_name = %s AND is_nullable = 'NO' AND column_default IS NULL
             AND is_identity = 'NO'""",
        (table,),
    )
    out = {}
    for column, dtype in cur.fetchall():
        if column in given:
            continue
        if dtype in ("character varying", "text", "character"):
            out[column] = "''"
        elif dtype == "boolean":
            out[column] = "false"
        elif dtype in ("integer", "bigint", "smallint", "numeric"):
            out[column] = "0"
        elif dtype == "jsonb":
            out[column] = "'[]'::jsonb"
        elif dtype == "ARRAY":
            out[column] = "'{}'"
        elif dtype.startswith("timestamp"):
            out[column] = "now()"
        elif dtype == "date":
            out[column] = TODAY
        else:
            raise RuntimeError(f"{table}.{column}: no default for type {dtype}")
    return out


def insert_select(conn, table: str, columns: dict[str, str], from_sql: str, params=None) -> int:
    with conn.cursor() as cur:
        cols = dict(columns)
        cols.update(not_null_defaults(cur, table, set(cols)))
        sql = f"INSERT INTO {table} ({', '.join(cols)}) SELECT {', '.join(cols.values())} {from_sql}"
        cur.execute(sql, params)
        return cur.rowcount


def secondary_indexes(conn, table: str) -> list[tuple[str, str]]:
    """Indexes not backing a constraint (those are dropped and rebuilt around the bulk load)."""
    with conn.cursor() as cur:
        cur.execute(
            """SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x
               JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
               WHERE t.relname = %s AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.oid)""",
            (table,),
        )
        return cur.fetchall()


def connect(url: str):
    conn = psycopg.connect(url, autocommit=True)
    with conn.cursor() as cur:
        cur.execute("SET session_replication_role = replica")  # skip FK triggers: ids are valid by construction
        cur.execute("SET synchronous_commit = off")
        cur.execute("SET maintenance_work_mem = '512MB'")
        cur.execute("SET work_mem = '128MB'")
    return conn


# --- reference data -----------------------------------------------------------------------------


def load_reference() -> dict:
    from creditsys.api.authentication import generate_key
    from registry import demo as registry_demo
    from registry.models import ApiClient, Department, Region, User
    from sanctions import demo as sanctions_demo

    registry_demo.load(subjects=0)
    sanctions_demo.load_catalogue()
    market = Department.objects.filter(short_name__contains="市场监管", region__parent__isnull=True).first()
    key, prefix, hashed = generate_key()
    ApiClient.objects.filter(name="bench-check").delete()
    ApiClient.objects.create(
        name="bench-check", department=market, scopes=["read", "check"], key_prefix=prefix, key_hash=hashed
    )
    clerk = User.objects.filter(role=User.Role.CLERK, department=market).first()
    regions = list(Region.objects.order_by("pk").values("pk", "code", "name"))
    return {"api_key": key, "clerk": clerk.username, "market_department": market.pk, "regions": regions}


# --- subjects (Python + COPY) ---------------------------------------------------------------------


SUBJECT_COLUMNS = [
    "id",
    "kind",
    "name",
    "uscc",
    "id_number_hmac",
    "id_number_encrypted",
    "id_number_masked",
    "legal_representative",
    "address",
    "status",
    "search_text",
    "name_grams",
    "created_at",
    "updated_at",
    "managing_department_id",
    "region_id",
]


def subject_row(i: int, base: int, names: Names, regions: list[dict], depts: list[int], now) -> tuple:
    region = regions[i % len(regions)]
    rname = region["name"]
    kind = kind_of(i)
    rng = names.rng
    uscc = hmac_ = enc = ""
    masked = ""
    legal = ""
    address = ""
    if kind == "organization":
        trade, form = TRADES[int(len(TRADES) * rng.random() ** 1.5)]
        prefix = rname if rng.random() < 0.7 else rname[:2]
        name = f"{prefix}{names.zihao()}{trade}{form}"
        uscc = make_uscc(
            "N" if form == "专业合作社" else "9", "2" if form == "专业合作社" else "1", region["code"], SERIAL_BASE + i
        )
        legal = names.person()
        address = f"{rname}{rng.choice(STREETS)}{rng.randint(1, 400)}号"
    elif kind == "individual_business":
        shop = rng.choice(SHOPS)
        middle = names.person() if rng.random() < 0.4 else names.zihao()
        name = f"{rname}{middle}{shop}"
        uscc = make_uscc("9", "2", region["code"], SERIAL_BASE + i)
        legal = names.person()
        address = f"{rname}{rng.choice(STREETS)}{rng.randint(1, 400)}号"
    else:
        name = names.person()
        number = person_id_number(region["code"], i)
        hmac_ = crypto.lookup_hmac(number)
        enc = crypto.encrypt(number)
        masked = mask_id_number(number)
    status = "active" if rng.random() < 0.93 else rng.choice(["deregistered", "revoked"])
    return (
        base + 1 + i,
        kind,
        name,
        uscc or None,
        hmac_ or None,
        enc,
        masked,
        legal,
        address,
        status,
        normalize_name(name),
        name_grams([name]),
        now,
        now,
        depts[i % len(depts)],
        region["pk"],
    )


def load_subjects(url: str, n: int, ref: dict, depts: list[int]) -> int:
    names = Names(20261121)
    now = timezone.now()
    conn = connect(url)
    with conn.cursor() as cur:
        cur.execute("SELECT coalesce(max(id), 0) FROM registry_subject")
        base = cur.fetchone()[0]
        dropped = secondary_indexes(conn, "registry_subject")
        for name, _ in dropped:
            cur.execute(f'DROP INDEX "{name}"')
        t0 = time.time()
        with cur.copy(f"COPY registry_subject ({', '.join(SUBJECT_COLUMNS)}) FROM STDIN") as copy:
            for i in range(n):
                copy.write_row(subject_row(i, base, names, ref["regions"], depts, now))
                if i and i % 200_000 == 0:
                    log(f"subjects {i:,} ({i / (time.time() - t0):,.0f}/s)")
        log(f"subjects COPY {n:,} rows in {time.time() - t0:.1f}s; rebuilding {len(dropped)} indexes")
        for _name, definition in dropped:
            cur.execute(definition)
        cur.execute(
            "SELECT setval(pg_get_serial_sequence('registry_subject', 'id'), (SELECT max(id) FROM registry_subject))"
        )
        # The short-gram index of the public search (registry migration 0007): its trigger does
        # not fire in replica mode, so the loaded rows are indexed here, as the migration does.
        t1 = time.time()
        cur.execute("ALTER TABLE registry_subject_gram DROP CONSTRAINT registry_subject_gram_pkey")
        cur.execute("DROP INDEX registry_subject_gram_subject_idx")
        cur.execute(
            "INSERT INTO registry_subject_gram (gram, subject_id) "
            "SELECT DISTINCT g, s.id FROM registry_subject s, unnest(s.name_grams) AS g "
            "WHERE s.id > %s AND s.kind <> 'natural_person' AND char_length(g) <= 2",
            (base,),
        )
        rows = cur.rowcount
        cur.execute(
            "ALTER TABLE registry_subject_gram ADD CONSTRAINT registry_subject_gram_pkey PRIMARY KEY (gram, subject_id)"
        )
        cur.execute("CREATE INDEX registry_subject_gram_subject_idx ON registry_subject_gram (subject_id)")
        log(f"subject short grams: {rows:,} rows in {time.time() - t1:.1f}s")
    conn.close()
    return base


# --- big tables (SQL inside PostgreSQL) -----------------------------------------------------------


def _subject_pick(n: int, hot: float = 0.1) -> str:
    """SQL for a subject index: 90 % uniform, 10 % from a hot 1 % (many records each)."""
    return (
        f"CASE WHEN random() < {hot} THEN floor(random() * {max(1, n // 100)}) ELSE floor(random() * {n}) END::bigint"
    )


def _org_id(base: int, col: str = "p") -> str:
    """Indexes with i % 20 >= 16 are natural persons: move them onto an organisation."""
    return f"{base} + 1 + CASE WHEN {col} % 20 >= 16 THEN {col} - 5 ELSE {col} END"


DEPT_JOIN = (
    "JOIN (SELECT row_number() OVER (ORDER BY id) - 1 AS ix, id, name, uscc FROM registry_department) dep "
    "ON dep.ix = x.g % (SELECT count(*) FROM registry_department)"
)


def load_records(url: str, table: str, n: int, nsubjects: int, base: int, seed: float) -> None:
    conn = connect(url)
    t0 = time.time()
    with conn.cursor() as cur:
        cur.execute("SELECT setseed(%s)", (seed,))
        dropped = secondary_indexes(conn, table)
        for name, _ in dropped:
            cur.execute(f'DROP INDEX "{name}"')
    common = {
        "subject_id": "s.id",
        "subject_name": "s.name",
        "subject_category": "s.kind",
        "uscc": "s.uscc",
        "legal_representative": "s.legal_representative",
        "decision_date": "x.dd",
        "department_id": "dep.id",
        "authority_name": "dep.name",
        "authority_uscc": "dep.uscc",
        "source_department_id": "dep.id",
        "source_name": "dep.name",
        "source_uscc": "dep.uscc",
        "disclosure": "CASE WHEN x.r2 < 0.9 THEN 'public' WHEN x.r2 < 0.95 THEN 'authorized' ELSE 'government' END",
        "reported_on": "x.dd + 3",
        "report_due": "x.dd + 7",
        "version": "1",
        "input_hash": "md5(x.g::text)",
        "created_at": "now()",
        "updated_at": "now()",
    }
    inner = (
        f"FROM (SELECT g, {_org_id(base)} AS sid, dd, r1, r2 FROM (SELECT g, {_subject_pick(nsubjects)} AS p, "
        f"{TODAY} - (random() * 1400)::int AS dd, random() AS r1, random() AS r2 "
        f"FROM generate_series(1, {n}) g) x1) x JOIN registry_subject s ON s.id = x.sid " + DEPT_JOIN
    )
    if table == "registry_penaltyrecord":
        severity = "CASE WHEN x.r1 < 0.5 THEN 'minor' WHEN x.r1 < 0.9 THEN 'general' ELSE 'serious' END"
        until = (
            "CASE WHEN x.r1 < 0.5 THEN NULL WHEN x.r1 < 0.9 THEN (x.dd + interval '1 year')::date "
            "ELSE (x.dd + interval '3 years')::date END"
        )
        cols = {
            **common,
            "document_number": "left(dep.name, 2) || '罚〔' || extract(year FROM x.dd)::int || '〕' || x.g || '号'",
            "violation_type": "(ARRAY['未按规定公示年度报告','无证经营','超范围经营','虚假宣传','产品质量不合格',"
            "'未按规定申报纳税','违规排放污染物','拖欠农民工工资','安全生产违法'])[1 + x.g % 9]",
            "violation_facts": "'经查，当事人存在' || (ARRAY['未按规定公示年度报告','无证经营','超范围经营'])[1 + x.g % 3] "
            "|| '的违法行为，事实清楚，证据确凿。'",
            "legal_basis": "'《中华人民共和国行政处罚法》第二十八条'",
            "categories": "CASE WHEN x.r1 < 0.5 THEN '警告' ELSE '警告；罚款' END",
            "penalty_content": "CASE WHEN x.r1 < 0.5 THEN '警告' ELSE '警告，并处罚款人民币' || (1 + x.g % 50) || '千元' END",
            "fine_amount": "CASE WHEN x.r1 < 0.5 THEN NULL ELSE (1 + x.g % 50) / 10.0 END",
            "penalty_valid_until": "x.dd",
            "severity": severity,
            "rule_set": "CASE WHEN x.dd >= date '2026-04-01' THEN 'ndrc36' ELSE 'ndrc58' END",
            "published": "x.r1 >= 0.5",
            "publish_from": "CASE WHEN x.r1 < 0.5 THEN NULL ELSE x.dd END",
            "repairable_from": "CASE WHEN x.r1 < 0.5 THEN NULL WHEN x.r1 < 0.9 THEN (x.dd + interval '3 months')::date "
            "ELSE (x.dd + interval '1 year')::date END",
            "publish_until": until,
            "status": f"CASE WHEN x.r1 < 0.5 THEN 'not_published' WHEN {until} <= {TODAY} THEN 'ended' "
            "ELSE 'published' END",
        }
    else:
        cols = {
            **common,
            "document_number": "left(dep.name, 2) || '许字〔' || extract(year FROM x.dd)::int || '〕' || x.g || '号'",
            "decision_document_name": "(ARRAY['食品经营许可决定书','建筑工程施工许可决定书','道路运输经营许可决定书',"
            "'药品经营许可决定书','排污许可决定书'])[1 + x.g % 5]",
            "category": "(ARRAY['ordinary','special','recognition','approval','registration'])[1 + x.g % 5]",
            "certificate_name": "'许可证'",
            "license_number": "'XK' || x.g",
            "content": "'准予许可，许可范围以证书载明为准。'",
            "valid_from": "x.dd",
            "valid_until": "CASE WHEN x.r1 < 0.2 THEN date '2099-12-31' ELSE (x.dd + interval '5 years')::date END",
            "current_status": "'valid'",
            "status": "'published'",
        }
    rows = insert_select(conn, table, cols, inner)
    log(f"{table}: {rows:,} rows in {time.time() - t0:.1f}s; rebuilding {len(dropped)} indexes")
    with conn.cursor() as cur:
        for _name, definition in dropped:
            cur.execute(definition)
        cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
    log(f"{table}: done in {time.time() - t0:.1f}s")
    conn.close()


def load_entries_and_tasks(url: str, sizes: dict, base: int) -> None:
    conn = connect(url)
    t0 = time.time()
    n, nsub = sizes["entries"], sizes["subjects"]
    saved = {t: secondary_indexes(conn, t) for t in ("sanctions_listentry", "sanctions_enforcementtask")}
    with conn.cursor() as cur:
        cur.execute("SELECT setseed(0.3)")
        for indexes in saved.values():
            for name, _ in indexes:
                cur.execute(f'DROP INDEX "{name}"')
    # Entries: 10 % natural persons, the rest organisations; 85 % published.
    subject = (
        f"{base} + 1 + CASE WHEN random() < 0.1 THEN 16 + 20 * floor(random() * {max(1, nsub // 20)}) "
        f"ELSE floor(random() * {nsub}) END"
    )
    inner = (
        f"FROM (SELECT g, ({subject})::bigint AS sid, {TODAY} - (30 + random() * 1000)::int AS dd, "
        f"random() AS r1, random() AS r2 FROM generate_series(1, {n}) g) x "
        "JOIN registry_subject s ON s.id = x.sid " + DEPT_JOIN
    )
    list_type = "CASE WHEN x.r1 < 0.4 THEN 'black' WHEN x.r1 < 0.7 THEN 'focus' ELSE 'red' END"
    cols = {
        "subject_id": "s.id",
        "region_id": "s.region_id",
        "initiating_department_id": "dep.id",
        "list_type": list_type,
        "category": "CASE WHEN x.r1 < 0.4 THEN (ARRAY['health_safety','market_order','legal_obligation','other'])[1 + x.g % 4] "
        "ELSE '' END",
        "basis_document": "left(dep.name, 2) || '认定〔' || extract(year FROM x.dd)::int || '〕' || x.g || '号'",
        "legal_basis": "'《失信行为纠正后的信用信息修复管理办法（试行）》'",
        "facts": "'经认定，' || s.name || '存在相关行为。'",
        "decision_date": "x.dd",
        "valid_from": "x.dd",
        "valid_until": "CASE WHEN x.r2 < 0.1 THEN NULL ELSE x.dd + 1095 END",
        "status": "CASE WHEN x.r2 < 0.85 THEN 'published' ELSE 'removed' END",
        "published_at": "x.dd::timestamptz",
        "removed_at": "CASE WHEN x.r2 < 0.85 THEN NULL ELSE now() END",
        "removal_reason": "CASE WHEN x.r2 < 0.85 THEN '' ELSE 'expired' END",
        "proposer_name": "'录入员'",
        "reviewer_name": "'审核员'",
        "created_via": "'web'",
        "created_at": "now()",
        "updated_at": "now()",
    }
    rows = insert_select(conn, "sanctions_listentry", cols, inner)
    log(f"sanctions_listentry: {rows:,} rows in {time.time() - t0:.1f}s")
    # Tasks: entry × (measure, implementing department) pairs of published punishment measures, unique.
    t1 = time.time()
    with conn.cursor() as cur:
        cur.execute(
            """CREATE TEMP TABLE combos AS SELECT row_number() OVER (ORDER BY m.id, d.department_id) - 1 AS ix,
                      m.id AS measure_id, d.department_id
               FROM sanctions_measure m JOIN sanctions_measure_implementing_departments d ON d.measure_id = m.id
               WHERE m.status = 'published' AND m.kind = 'punishment'"""
        )
        cur.execute("SELECT count(*) FROM combos")
        ncombos = cur.fetchone()[0]
        cur.execute("SELECT min(id), max(id), count(*) FROM sanctions_listentry")
        first_entry, last_entry, nentries = cur.fetchone()
    if last_entry - first_entry + 1 != nentries:
        raise RuntimeError("list entry ids are not contiguous: generate into a fresh database")
    per_entry = max(1, -(-sizes["tasks"] // nentries))
    if per_entry > ncombos:
        raise RuntimeError(f"{per_entry} tasks per entry but only {ncombos} measure/department pairs")
    inner = (
        f"FROM (SELECT g, {first_entry} + (g % {nentries}) AS entry_id, (g / {nentries}) AS cix, "
        f"{TODAY} - (random() * 900)::int AS started, random() AS r FROM generate_series(0, {sizes['tasks'] - 1}) g) x "
        f"JOIN combos c ON c.ix = (x.cix + x.entry_id) % {ncombos}"
    )
    # (cix + entry) mod ncombos differs for every cix < ncombos: (entry, measure, department) stays unique
    cols = {
        "entry_id": "x.entry_id",
        "measure_id": "c.measure_id",
        "department_id": "c.department_id",
        "kind": "'apply'",
        "status": "CASE WHEN x.r < 0.8 THEN 'answered' ELSE 'pending' END",
        "started_on": "x.started",
        "due_date": "x.started + 20",
        "escalate_on": "x.started + 30",
        "outcome": "CASE WHEN x.r < 0.8 THEN 'applied' ELSE '' END",
        "answered_at": "CASE WHEN x.r < 0.8 THEN (x.started + 10)::timestamptz END",
        "created_at": "now()",
    }
    rows = insert_select(conn, "sanctions_enforcementtask", cols, inner)
    log(f"sanctions_enforcementtask: {rows:,} rows in {time.time() - t1:.1f}s; rebuilding indexes")
    conn.close()
    restore_indexes(url, saved)
    log(f"entries and tasks: done in {time.time() - t0:.1f}s")


def restore_indexes(url: str, saved: dict[str, list[tuple[str, str]]]) -> None:
    conn = connect(url)
    with conn.cursor() as cur:
        for table, indexes in saved.items():
            for _name, definition in indexes:
                cur.execute(definition)
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
    conn.close()


def load_objections(url: str, sizes: dict) -> None:
    """Open objections: ``objections_pending`` not yet due (reminders weeks ahead), ``objections_due`` due."""
    conn = connect(url)
    t0 = time.time()
    pending, due = sizes["objections_pending"], sizes["objections_due"]
    with conn.cursor() as cur:
        cur.execute("SELECT min(id), max(id) FROM registry_penaltyrecord")
        lo, hi = cur.fetchone()
        dropped = secondary_indexes(conn, "disputes_objection")
        for name, _ in dropped:
            cur.execute(f'DROP INDEX "{name}"')
    total = pending + due
    inner = (
        f"FROM (SELECT g, {lo} + (g::bigint * 7919) % ({hi} - {lo} + 1) AS pid FROM generate_series(1, {total}) g) x "
        "JOIN registry_penaltyrecord p ON p.id = x.pid"
    )
    remind = f"CASE WHEN x.g <= {due} THEN {TODAY} - 1 ELSE {TODAY} + 2 + (x.g % 30) END"
    cols = {
        "tracking_number": "'YYB' || lpad(x.g::text, 12, '0')",
        "query_code_hash": "md5(x.g::text) || md5((x.g + 1)::text)",
        "channel": "'public'",
        "subject_id": "p.subject_id",
        "department_id": "p.department_id",
        "applicant_name": "'申请人'",
        "applicant_id_hmac": "md5('a' || x.g) || md5('b' || x.g)",
        "applicant_id_masked": "'540402********1234'",
        "applicant_phone": "'13800000000'",
        "received_on": f"{TODAY} - 10",
        "next_action": "'remind'",
        "next_action_on": remind,
        "target_kind": "'penalty'",
        "penalty_id": "p.id",
        "reason": "'处罚信息有误，申请核实。'",
        "status": "'open'",
        "remind_on": remind,
        "due_date": f"({remind}) + 5",
        "created_at": "now()",
        "updated_at": "now()",
    }
    rows = insert_select(conn, "disputes_objection", cols, inner)
    with conn.cursor() as cur:
        for _name, definition in dropped:
            cur.execute(definition)
        cur.execute(
            "SELECT setval(pg_get_serial_sequence('disputes_objection', 'id'), (SELECT max(id) FROM disputes_objection))"
        )
    log(f"disputes_objection: {rows:,} rows ({due:,} due) in {time.time() - t0:.1f}s")
    conn.close()


# --- sample pools for the load generator ----------------------------------------------------------


def write_pools(url: str, out: Path, sizes: dict, base: int, ref: dict) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(7)
    regions = ref["regions"]
    n = sizes["subjects"]
    conn = psycopg.connect(url, autocommit=True)
    cur = conn.cursor()
    cur.execute("SELECT setseed(0.7)")

    def rows(sql, *params):
        cur.execute(sql, params)
        return [r[0] for r in cur.fetchall()]

    org_codes = rows(
        "SELECT uscc FROM registry_subject WHERE uscc IS NOT NULL AND id > %s ORDER BY random() LIMIT 1500", base
    )
    listed = rows(
        "SELECT s.uscc FROM sanctions_listentry e JOIN registry_subject s ON s.id = e.subject_id "
        "WHERE e.status = 'published' AND s.uscc IS NOT NULL ORDER BY random() LIMIT 400"
    )
    people = [
        person_id_number(regions[i % len(regions)]["code"], i)
        for i in rng.sample(range(n), min(n, 3000))
        if person_index_ok(i)
    ][:300]
    unknown = [make_uscc("9", "1", "540400", 90_000_000 + k) for k in range(200)]
    invalid = [c[:17] + ("0" if c[17] != "0" else "1") for c in org_codes[:50]]
    codes = org_codes[:1000] + listed + people + unknown + invalid
    rng.shuffle(codes)
    (out / "check_codes.txt").write_text(
        "\n".join(f"/api/v1/check/?code={c}&matter=%E6%94%BF%E5%BA%9C%E9%87%87%E8%B4%AD" for c in codes) + "\n"
    )
    bodies = []
    for k in range(6):
        batch = [codes[(k * 997 + j) % len(codes)] for j in range(1000)]
        bodies.append(json.dumps({"codes": batch, "matter": "政府采购"}, ensure_ascii=False))
    (out / "check_batch.txt").write_text("\n".join(bodies) + "\n")

    names = rows(
        "SELECT name FROM registry_subject WHERE kind <> 'natural_person' AND id > %s ORDER BY random() LIMIT 2000",
        base,
    )
    one = list(ZIHAO[:40]) + [r["name"][0] for r in regions]
    two_common = [
        "建筑",
        "商贸",
        "物流",
        "餐饮",
        "医药",
        "科技",
        "工程",
        "开发",
        "林芝",
        "华兴",
        "鑫源",
        "便利",
        "超市",
    ]
    two = two_common + [nm[len(nm) // 2 - 1 : len(nm) // 2 + 1] for nm in names[:200]]
    three = [nm[2 : 2 + rng.randint(3, 6)] for nm in names[200:700]] + names[700:900]

    def search_lines(queries):
        return "\n".join(f"/search/?q={quote(q)}" for q in queries if q.strip()) + "\n"

    (out / "search_1.txt").write_text(search_lines(one))
    (out / "search_2.txt").write_text(search_lines(two))
    (out / "search_3.txt").write_text(search_lines(three))
    (out / "search_code.txt").write_text(search_lines(org_codes[:500]))

    typical = rows(
        "SELECT id FROM registry_subject WHERE kind <> 'natural_person' AND id > %s ORDER BY random() LIMIT 500", base
    )
    hot = rows(
        "SELECT id FROM registry_subject WHERE kind <> 'natural_person' AND id > %s AND id <= %s ORDER BY random() LIMIT 100",
        base,
        base + max(1, n // 100),
    )
    (out / "profile.txt").write_text("\n".join(f"/subjects/{i}/" for i in typical + hot) + "\n")
    (out / "report.txt").write_text("\n".join(f"/subjects/{i}/report.pdf" for i in typical[:200]) + "\n")
    (out / "report_hot.txt").write_text("\n".join(f"/subjects/{i}/report.pdf" for i in hot[:50]) + "\n")
    import_subjects = []
    cur.execute(
        "SELECT name, uscc, kind FROM registry_subject WHERE uscc IS NOT NULL AND id > %s ORDER BY random() LIMIT 5000",
        (base,),
    )
    import_subjects = [list(r) for r in cur.fetchall()]
    (out / "import_subjects.json").write_text(json.dumps(import_subjects, ensure_ascii=False))
    conn.close()
    return {"codes": len(codes), "names": len(names)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", choices=sorted(SIZES), default="small")
    parser.add_argument("--out", help="where the request pools go (default bench/out/pools-<mode>)")
    args = parser.parse_args()
    sizes = SIZES[args.mode]
    args.out = args.out or str(ROOT / "bench" / "out" / f"pools-{args.mode}")
    db = settings.DATABASES["default"]
    url = f"postgresql://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    if db.get("PASSWORD"):
        url = f"postgresql://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    timings = {}
    t0 = time.time()
    ref = load_reference()
    conn = psycopg.connect(url, autocommit=True)
    with conn.cursor() as cur:
        cur.execute("SELECT id FROM registry_department ORDER BY id")
        depts = [r[0] for r in cur.fetchall()]
    conn.close()
    timings["reference"] = time.time() - t0

    t = time.time()
    base = load_subjects(url, sizes["subjects"], ref, depts)
    timings["subjects"] = time.time() - t

    t = time.time()
    n_lic = sizes["records"] * 7 // 10
    jobs = [
        threading.Thread(
            target=load_records, args=(url, "registry_licenserecord", n_lic, sizes["subjects"], base, 0.11)
        ),
        threading.Thread(
            target=load_records,
            args=(url, "registry_penaltyrecord", sizes["records"] - n_lic, sizes["subjects"], base, 0.22),
        ),
    ]
    for j in jobs:
        j.start()
    # list entries and tasks in this thread while the records load in the other two sessions
    load_entries_and_tasks(url, sizes, base)
    for j in jobs:
        j.join()
    timings["records_entries_tasks"] = time.time() - t

    t = time.time()
    load_objections(url, sizes)
    timings["objections"] = time.time() - t

    t = time.time()
    conn = psycopg.connect(url, autocommit=True)
    with conn.cursor() as cur:
        cur.execute("VACUUM ANALYZE")
    conn.close()
    timings["vacuum_analyze"] = time.time() - t

    pools = write_pools(url, Path(args.out), sizes, base, ref)
    timings["total"] = time.time() - t0
    result = {
        "mode": args.mode,
        "sizes": sizes,
        "subject_id_base": base,
        "api_key": ref["api_key"],
        "clerk": ref["clerk"],
        "timings_s": {k: round(v, 1) for k, v in timings.items()},
        "pools": pools,
        "generated_at": datetime.now().isoformat(timespec="seconds"),
    }
    (Path(args.out) / "generate.json").write_text(json.dumps(result, ensure_ascii=False, indent=2))
    log(f"done in {timings['total']:.1f}s: {json.dumps(result['timings_s'])}")


if __name__ == "__main__":
    main()

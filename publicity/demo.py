"""Demo articles for the public site (idempotent: found by title)."""

from datetime import date

from .models import Article

ARTICLES = [
    (
        Article.Category.POLICY,
        "国务院办公厅关于进一步完善失信约束制度构建诚信建设长效机制的指导意见",
        "国办发〔2020〕49号",
        date(2020, 12, 18),
        "科学界定公共信用信息纳入范围和程序。\n\n规范严重失信主体名单认定标准和程序。\n\n依法依规开展失信惩戒，按照过惩相当原则确定惩戒措施。\n\n建立有利于自我纠错、主动自新的信用修复机制。",
    ),
    (
        Article.Category.POLICY,
        "信用修复管理办法",
        "国家发展改革委令第36号",
        date(2025, 11, 20),
        "本办法自2026年4月1日起施行。\n\n一般失信行为的行政处罚信息最短公示期为三个月、最长公示期为一年；严重失信行为的行政处罚信息最短公示期为一年、最长公示期为三年。\n\n信用修复申请应当自收到之日起三个工作日内作出是否受理的决定，十个工作日内办结。",
    ),
    (
        Article.Category.NOTICE,
        "关于开展2026年度守信激励对象名单认定工作的通知",
        "",
        date(2026, 10, 9),
        "各县（区）、各部门：\n\n请按照守信激励对象认定标准，于规定时间内报送本部门、本行业守信激励对象建议名单。",
    ),
    (
        Article.Category.NOTICE,
        "信用修复和异议申诉网上办理服务上线",
        "",
        date(2026, 9, 1),
        "即日起，信用主体可通过本网站在线提交信用修复和异议申请，凭受理编号和查询码查询办理进度。",
    ),
    (
        Article.Category.CASE,
        "某建筑公司拒不履行法院判决被列入严重失信主体名单并实施联合惩戒",
        "",
        date(2026, 8, 15),
        "该公司经法院判决应支付工程款，有履行能力而拒不履行，被依法纳入失信被执行人名单。\n\n相关部门依据合作备忘录，在政府采购、招标投标、行政许可等方面对其实施联合惩戒。",
    ),
    (
        Article.Category.CASE,
        "某商贸公司主动纠正失信行为完成信用修复",
        "",
        date(2026, 7, 20),
        "该公司因未按时公示年度报告受到行政处罚。最短公示期届满后，公司补报年度报告、提交信用承诺书，申请信用修复。\n\n经审核，相关处罚信息提前停止公示，信用报告同步更新。",
    ),
]


def load() -> int:
    created = 0
    for category, title, source, published_on, body in ARTICLES:
        _, made = Article.objects.get_or_create(
            title=title, defaults={"category": category, "source": source, "published_on": published_on, "body": body}
        )
        created += made
    return created

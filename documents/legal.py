"""What each legal basis (DOMAIN.md, "Legal basis") makes a document cite, and the remedies printed on decisions.

The articles a decision is made under, the enforcement route and the party's time to sue are patrol's
(``LEGAL_BASIS_RULES``, ``patrol.periods``); this adds what only documents need: the article the construction
breaks and the facts in the law's words. A case without a ``legal_basis`` yet (before 立案) is cited as
``planning_art65``, the township's own power and the usual basis.
"""
from patrol.choices import LEGAL_BASIS_RULES, LegalBasis
from patrol.periods import PERIODS, Counting

PLANNING_LAW = "《中华人民共和国城乡规划法》"
LAND_LAW = "《中华人民共和国土地管理法》"
COERCION_LAW = "《中华人民共和国行政强制法》"

# basis: (the law, the article broken, the violation as the law words it)
VIOLATIONS = {
    # 第41条: building in a township or village planning area needs a 乡村建设规划许可证.
    LegalBasis.PLANNING_ART65: (PLANNING_LAW, "第四十一条",
                                "未取得乡村建设规划许可证或者未按照乡村建设规划许可证的规定进行建设"),
    # 第40条: building in a city or town planning area needs a 建设工程规划许可证.
    LegalBasis.PLANNING_ART64: (PLANNING_LAW, "第四十条",
                                "未取得建设工程规划许可证或者未按照建设工程规划许可证的规定进行建设"),
    # 第62条: a rural household builds its one house on land approved for it.
    LegalBasis.LAND_ART78: (LAND_LAW, "第六十二条", "未经批准非法占用土地建设住宅"),
}


def basis_code(case):
    code = case.legal_basis or LegalBasis.PLANNING_ART65
    return code if code in VIOLATIONS else LegalBasis.PLANNING_ART65


def basis_content(case):
    code = basis_code(case)
    rule = LEGAL_BASIS_RULES[code]
    law, violated, violation = VIOLATIONS[code]
    return {"code": str(code), "law": law, "violated": violated, "violation": violation,
            "articles": rule.articles, "route": str(rule.route), "coercion_law": COERCION_LAW}


def _window(period_name):
    """A period as a decision prints it: (the number, "日" or "个月")."""
    period = PERIODS[period_name]
    return period.length, "个月" if period.counting == Counting.MONTHS else "日"


def remedies_content(jurisdiction, case):
    """The reconsideration body and the court printed on decisions (行政处罚法 第59条), with the party's windows.

    The bodies are the jurisdiction's settings; a jurisdiction that has not set them yet gets the bodies the law
    designates for a township's decision, in general words (行政复议法 第24条: the county government;
    行政诉讼法 第18条: the court where the authority sits). The windows are patrol.periods' (行政复议法 第20条:
    60 days; 行政诉讼法 第46条: 6 months, or 15 days for land under 土地管理法 第83条).
    """
    body, court = jurisdiction.reconsideration_body, jurisdiction.court
    reconsideration, reconsideration_unit = _window("reconsideration")
    litigation, litigation_unit = _window(LEGAL_BASIS_RULES[basis_code(case)].litigation_period)
    return {
        "reconsideration_body": body or "所在县（市、区）人民政府",
        "reconsideration_days": reconsideration,
        "reconsideration_unit": reconsideration_unit,
        "court": court or "有管辖权的人民法院",
        "litigation_length": litigation,
        "litigation_unit": litigation_unit,
    }

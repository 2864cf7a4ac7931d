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

# basis: (the law, the article broken, the violation in the words of the article the decision is made under)
# The words were checked against the texts of 城乡规划法 (2019年4月23日第二次修正) and 土地管理法 (2019年8月26日修正).
VIOLATIONS = {
    # 第41条: building in a township or village planning area needs a 乡村建设规划许可证; the words are 第65条's.
    LegalBasis.PLANNING_ART65: (PLANNING_LAW, "第四十一条",
                                "未依法取得乡村建设规划许可证或者未按照乡村建设规划许可证的规定进行建设"),
    # 第40条: building in a city or town planning area needs a 建设工程规划许可证; the words are 第64条's.
    LegalBasis.PLANNING_ART64: (PLANNING_LAW, "第四十条",
                                "未取得建设工程规划许可证或者未按照建设工程规划许可证的规定进行建设"),
    # 第62条: a rural household builds its one house on land approved for it; the words are 第78条's.
    LegalBasis.LAND_ART78: (LAND_LAW, "第六十二条", "未经批准或者采取欺骗手段骗取批准，非法占用土地建住宅"),
}

# What the article decided under lets the body order, as the 事前 page lists its duties: in the article's words
# (第64条's shortened: it also sets the fines, which this software does not decide).
MEASURES = {
    LegalBasis.PLANNING_ART65: "责令停止建设、限期改正；逾期不改正的，可以拆除",
    LegalBasis.PLANNING_ART64: "责令停止建设、限期改正或者限期拆除",
    LegalBasis.LAND_ART78: "责令退还非法占用的土地，限期拆除在非法占用的土地上新建的房屋",
}

# The articles each basis decides under, in the law's words, for readers who have not the law at hand (the public
# page of 执法公示 prints them beside LEGAL_BASIS_RULES' citation). Always Chinese, as the law is; a new paragraph
# (款) of an article is a new line. Checked word for word against the texts of 城乡规划法 (2019年4月23日第二次修正)
# and 土地管理法 (2019年8月26日第三次修正) as published in the national database of laws.
ARTICLE_TEXTS = {
    LegalBasis.PLANNING_ART65: [
        ("《中华人民共和国城乡规划法》第六十五条",
         "在乡、村庄规划区内未依法取得乡村建设规划许可证或者未按照乡村建设规划许可证的规定进行建设的，"
         "由乡、镇人民政府责令停止建设、限期改正；逾期不改正的，可以拆除。"),
    ],
    LegalBasis.PLANNING_ART64: [
        ("《中华人民共和国城乡规划法》第六十四条",
         "未取得建设工程规划许可证或者未按照建设工程规划许可证的规定进行建设的，由县级以上地方人民政府城乡规划主管部门"
         "责令停止建设；尚可采取改正措施消除对规划实施的影响的，限期改正，处建设工程造价百分之五以上百分之十以下的罚款；"
         "无法采取改正措施消除影响的，限期拆除，不能拆除的，没收实物或者违法收入，可以并处建设工程造价百分之十以下的罚款。"),
        ("《中华人民共和国城乡规划法》第六十八条",
         "城乡规划主管部门作出责令停止建设或者限期拆除的决定后，当事人不停止建设或者逾期不拆除的，建设工程所在地县级以上"
         "地方人民政府可以责成有关部门采取查封施工现场、强制拆除等措施。"),
    ],
    LegalBasis.LAND_ART78: [
        ("《中华人民共和国土地管理法》第七十八条",
         "农村村民未经批准或者采取欺骗手段骗取批准，非法占用土地建住宅的，由县级以上人民政府农业农村主管部门责令退还"
         "非法占用的土地，限期拆除在非法占用的土地上新建的房屋。\n超过省、自治区、直辖市规定的标准，多占的土地以非法占用"
         "土地论处。"),
        ("《中华人民共和国土地管理法》第八十三条",
         "依照本法规定，责令限期拆除在非法占用的土地上新建的建筑物和其他设施的，建设单位或者个人必须立即停止施工，"
         "自行拆除；对继续施工的，作出处罚决定的机关有权制止。建设单位或者个人对责令限期拆除的行政处罚决定不服的，"
         "可以在接到责令限期拆除决定之日起十五日内，向人民法院起诉；期满不起诉又不自行拆除的，由作出处罚决定的机关依法"
         "申请人民法院强制执行，费用由违法者承担。"),
    ],
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

"""Every kind of document renders as an official Chinese document: title, number, party, articles, deadline; the
CJK font embedded; the same bytes every time; no English whatever the issuer's language."""
import re
from datetime import date

import pytest
from django.utils import translation

from documents import fonts
from documents.choices import DocumentKind
from documents.rendering import render_pdf
from documents.services import record_service
from tests.documents.conftest import at, flat, issue, needs_poppler, pdf_fonts, pdf_text

pytestmark = [pytest.mark.django_db, needs_poppler]

K = DocumentKind
DEADLINE = date(2026, 12, 14)
OFFICERS = [{"name": "李四", "certificate": "15010012345"}, {"name": "王五", "certificate": "15010054321"}]

# kind: (content, keyword arguments of issue_document, fragments the PDF must show besides title, number, party)
KINDS = {
    K.FILING_APPROVAL: ({"officers": OFFICERS}, {}, ["第四十一条", "第六十五条", "同意立案"]),
    K.INSPECTION_RECORD: ({"officers": OFFICERS, "started_at": "2026-03-03T09:00:00+08:00",
                           "ended_at": "2026-03-03T09:40:00+08:00", "photo_count": 6},
                          {}, ["行政处罚法》第四十三条、第四十五条、第五十五条", "15010012345", "15010054321", "拍摄现场照片六张"]),
    K.INTERVIEW_RECORD: ({"officers": OFFICERS, "questions": [{"q": "该房屋是谁建的？", "a": "是我建的。"}]}, {},
                         ["行政处罚法》第四十三条、第四十五条、第五十五条", "该房屋是谁建的", "15010012345"]),
    K.STOP_CONSTRUCTION_ORDER: ({}, {"deadline": DEADLINE}, ["第四十一条", "第六十五条", "立即停止建设"]),
    K.RECTIFICATION_ORDER: ({}, {"deadline": DEADLINE}, ["第四十一条", "第六十五条", "行政复议", "六十日内"]),
    K.INTENT_NOTICE: ({}, {}, ["第六十五条", "第六十四条", "陈述、申辩", "五个工作日内", "听证"]),
    K.STATEMENT_RECORD: ({"officers": OFFICERS, "statement": "房屋是自住用房。",
                          "points": [{"point": "自住用房", "adopted": False, "reason": "不影响违法事实认定"}]},
                         {}, ["第四十五条", "第三十六条", "不予采纳"]),
    K.HEARING_NOTICE: ({"hearing_at": "2026-04-10T09:30:00+08:00", "hearing_place": "乡政府二楼会议室",
                        "chair": "赵六"}, {}, ["第六十四条", "2026年4月10日9时30分", "乡政府二楼会议室"]),
    K.HEARING_RECORD: ({"officers": OFFICERS, "chair": "赵六", "statement": "请求从轻处理。"}, {},
                       ["第六十四条", "赵六", "请求从轻处理"]),
    K.LEGAL_REVIEW_OPINION: ({"checklist": [{"label": "程序", "passed": True, "remark": "告知已送达"}],
                              "conclusion": "同意作出限期拆除决定。"}, {}, ["第五十八条", "告知已送达"]),
    K.COLLECTIVE_DISCUSSION_RECORD: ({"officers": OFFICERS, "attendees": ["乡长", "分管副乡长"],
                                      "conclusion": "同意限期拆除。"}, {}, ["第五十七条", "同意限期拆除"]),
    K.DEMOLITION_DECISION: ({}, {"deadline": DEADLINE}, ["第四十一条", "第六十五条", "第四十四条", "行政诉讼"]),
    K.REMINDER: ({}, {"deadline": DEADLINE}, ["第三十五条", "陈述权和申辩权"]),
    K.ENFORCEMENT_DECISION: ({"execution_from": "2026-12-20"}, {}, ["第六十五条", "第三十七条", "2026年12月20日"]),
    K.ENFORCEMENT_ANNOUNCEMENT: ({}, {"deadline": DEADLINE}, ["第四十四条", "特此公告"]),
    K.COURT_ENFORCEMENT_APPLICATION: ({}, {}, ["第五十三条", "被申请人：张三"]),
    K.EXECUTION_RECORD: ({"officers": OFFICERS, "execution": "组织机械拆除完毕。",
                          "property_handling": "屋内物品已清点，交当事人亲属保管。"}, {},
                         ["第四十四条", "15010054321", "屋内物品已清点"]),
    K.SERVICE_RECEIPT: ({"served_document": {"title": "责令限期改正通知书", "number": "TST〔2026〕限改字第9号"},
                         "service": {"method": "in_person", "method_display": "直接送达", "served_on": "2026-03-03",
                                     "recipient_name": "张三", "recipient_relation_display": "当事人本人"}},
                        {}, ["TST〔2026〕限改字第9号", "直接送达", "2026年3月3日"]),
    K.CLOSING_APPROVAL: ({"resolution": "强制拆除"}, {}, ["第六十五条", "同意结案"]),
    K.DOSSIER_COVER: ({}, {}, ["行政执法案卷", "卷内文件目录", "第六十五条"]),
}
TITLES = {K.DOSSIER_COVER: "行政执法案卷"}
DEADLINE_KINDS = {kind for kind, (_c, kwargs, _f) in KINDS.items() if "deadline" in kwargs}


def test_every_kind_has_a_case_here():
    assert set(KINDS) == set(K)


@pytest.mark.parametrize("kind", list(K), ids=str)
def test_each_kind_shows_title_number_party_articles_and_deadline(kind, filed_case, users, tmp_path):
    content, kwargs, fragments = KINDS[kind]
    document = issue(filed_case, kind, users["supervisor"], content=content, now=at(2026, 3, 3), **kwargs)
    text = flat(pdf_text(document.pdf.open("rb").read(), tmp_path))
    assert flat(TITLES.get(kind, document.content["title"])) in text
    assert document.number in text
    assert "张三" in text
    assert "测试执法队" in text  # the issuing body
    for fragment in fragments:
        assert flat(fragment) in text, fragment
    if kind in DEADLINE_KINDS:
        assert "2026年12月14日" in text
    # Nothing of Python shows through (a template looking up c.items once printed the whole dict).
    assert not re.search(r"dict_|\{'|None|True|False", text), text


def test_a_period_counted_from_service_is_written_out_in_chinese(filed_case, users, tmp_path):
    document = issue(filed_case, K.RECTIFICATION_ORDER, users["supervisor"], now=at(2026, 3, 3), period_days=15)
    text = flat(pdf_text(document.pdf.open("rb").read(), tmp_path))
    assert "自收到本通知书之日起十五日内自行改正" in text


def embedded_fonts(data, tmp_path):
    rows = [line.split() for line in pdf_fonts(data, tmp_path).splitlines()[2:]]
    # Columns after the name and type: encoding, emb, sub, uni, object id, generation.
    return {row[0].split("+")[-1]: row[-5] == "yes" for row in rows}


def test_the_cjk_fonts_are_embedded(filed_case, users, tmp_path):
    assert fonts.available_faces(), "run `manage.py build_document_fonts` (make test does)"
    document = issue(filed_case, K.DEMOLITION_DECISION, users["supervisor"], deadline=DEADLINE)
    embedded = embedded_fonts(document.pdf.open("rb").read(), tmp_path)
    # Noto Serif CJK SC cut down to GB 2312 (documents.fonts), regular and bold, both embedded.
    assert embedded == {"Xuncha-Serif": True, "Xuncha-Serif-Bold": True}, embedded


def test_a_character_outside_gb2312_in_a_name_is_set_from_the_full_font(filed_case, users, tmp_path):
    filed_case.party_name = "王堃喆"  # 堃 and 喆 are not in GB 2312
    filed_case.save(update_fields=["party_name"])
    document = issue(filed_case, K.DEMOLITION_DECISION, users["supervisor"], deadline=DEADLINE)
    data = document.pdf.open("rb").read()
    assert "王堃喆" in flat(pdf_text(data, tmp_path))
    embedded = embedded_fonts(data, tmp_path)
    assert embedded.get("Noto-Serif-CJK-SC") is True and embedded.get("Xuncha-Serif") is True, embedded


def test_the_same_document_renders_to_the_same_bytes(filed_case, users):
    document = issue(filed_case, K.RECTIFICATION_ORDER, users["supervisor"], deadline=DEADLINE)
    stored = document.pdf.open("rb").read()
    again = render_pdf(kind=document.kind, number=document.number, issued_on=document.issued_on,
                       content=document.content)
    assert again == stored == render_pdf(kind=document.kind, number=document.number,
                                         issued_on=document.issued_on, content=document.content)
    assert b"/CreationDate" not in stored and b"/ModDate" not in stored


def test_a_document_issued_by_an_english_speaking_officer_has_no_english(filed_case, users, tmp_path):
    supervisor = users["supervisor"]
    supervisor.language, supervisor.last_name, supervisor.first_name = "en", "刘", "队长"
    supervisor.save(update_fields=["language", "last_name", "first_name"])
    with translation.override("en"):
        order = issue(filed_case, K.STOP_CONSTRUCTION_ORDER, supervisor, deadline=DEADLINE, now=at(2026, 3, 3))
        receipt = record_service(document_id=order.pk, actor=supervisor, method="left_at_premises",
                                 served_on=date(2026, 3, 3), witness_name="村委会主任", now=at(2026, 3, 3, 15)).receipt
    for document in (order, receipt):
        text = pdf_text(document.pdf.open("rb").read(), tmp_path)
        # The jurisdiction's code (TST) is part of the case reference and the number prefix, not English.
        latin = re.findall(r"[A-Za-z]{2,}", text.replace("TST", ""))
        assert latin == [], (document.kind, latin)
        assert "留置送达" in flat(text) or "违法加建/扩建" in flat(text)


def test_each_document_of_the_procedure_cites_the_ones_before_it(filed_case, users, tmp_path):
    supervisor = users["supervisor"]
    chain = [(K.RECTIFICATION_ORDER, at(2026, 3, 3)), (K.INTENT_NOTICE, at(2026, 3, 20)),
             (K.DEMOLITION_DECISION, at(2026, 4, 10)), (K.REMINDER, at(2026, 11, 2)),
             (K.ENFORCEMENT_DECISION, at(2026, 11, 16)), (K.ENFORCEMENT_ANNOUNCEMENT, at(2026, 11, 17))]
    issued = {}
    for kind, now in chain:
        issued[kind] = issue(filed_case, kind, supervisor, now=now, period_days=10)
        record_service(document_id=issued[kind].pk, actor=supervisor, method="left_at_premises",
                       served_on=now.date(), witness_name="村委会主任", now=now)

    def text(kind):
        return flat(pdf_text(issued[kind].pdf.open("rb").read(), tmp_path))

    assert f"2026年3月3日向你（单位）送达了《责令限期改正通知书》（{issued[K.RECTIFICATION_ORDER].number}）" in text(
        K.INTENT_NOTICE)
    assert f"《行政处罚事先告知书》（{issued[K.INTENT_NOTICE].number}）" in text(K.DEMOLITION_DECISION)
    assert f"（{issued[K.DEMOLITION_DECISION].number}）" in text(K.REMINDER)
    assert "该决定书已于2026年4月10日送达" in text(K.REMINDER)
    enforcement = text(K.ENFORCEMENT_DECISION)
    assert issued[K.DEMOLITION_DECISION].number in enforcement and issued[K.REMINDER].number in enforcement
    assert issued[K.ENFORCEMENT_DECISION].number in text(K.ENFORCEMENT_ANNOUNCEMENT)


def test_a_decision_on_occupied_land_names_the_court_route_and_fifteen_days_to_sue(filed_case, users, tmp_path):
    from django.db import transaction

    from documents.services import issue_document
    from patrol.models import Case

    with transaction.atomic():
        case = Case.objects.select_for_update().select_related("jurisdiction").get(pk=filed_case.pk)
        case.legal_basis = "land_art78"
        case.save(update_fields=["legal_basis"])
        document = issue_document(case=case, kind=K.DEMOLITION_DECISION, content={}, actor=users["supervisor"],
                                  deadline=DEADLINE)
    text = flat(pdf_text(document.pdf.open("rb").read(), tmp_path))
    assert "《中华人民共和国土地管理法》第七十八条、第八十三条" in text
    assert "未经批准或者采取欺骗手段骗取批准，非法占用土地建住宅" in text  # 土地管理法 第78条's words
    assert "十五日内向有管辖权的人民法院提起行政诉讼" in text
    assert "申请人民法院强制执行" in text


def test_decisions_name_the_jurisdictions_reconsideration_body_and_court(filed_case, users, tmp_path):
    jurisdiction = filed_case.jurisdiction
    jurisdiction.reconsideration_body, jurisdiction.court = "测试县人民政府", "测试县人民法院"
    jurisdiction.statement_window_days = 3
    jurisdiction.save(update_fields=["reconsideration_body", "court", "statement_window_days"])
    decision = issue(filed_case, K.DEMOLITION_DECISION, users["supervisor"], deadline=DEADLINE)
    text = flat(pdf_text(decision.pdf.open("rb").read(), tmp_path))
    assert "六十日内向测试县人民政府申请行政复议" in text
    assert "六个月内向测试县人民法院提起行政诉讼" in text
    notice = issue(filed_case, K.INTENT_NOTICE, users["supervisor"])
    assert "自收到本告知书之日起三个工作日内向本机关提出" in flat(pdf_text(notice.pdf.open("rb").read(), tmp_path))

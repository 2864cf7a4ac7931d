"""The public pages of 执法公示: anonymous, per jurisdiction, masked, cached, under the app's CSP."""
import re
from datetime import date

import pytest
from django.urls import reverse

from disclosure import selectors, services
from disclosure.masking import PERSONAL_NUMBER
from disclosure.models import PublishedDecision
from patrol.choices import Role, Status
from patrol.workflow import ACTIONS
from tests.disclosure.conftest import K, at, decide
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(users, public_jurisdiction, other_jurisdiction, media):
    """Two decisions of the test jurisdiction and one of the other, all published."""
    mine = [decide(users, when=at(2026, 3, 31)),
            decide(users, kind=K.ENFORCEMENT_DECISION, when=at(2026, 4, 20), party="欧阳娜娜", phone="13912345678",
                   description="欧阳娜娜于2026年3月在自家院内加盖二层，身份证号150102199001011234")]
    theirs = decide(users, actor="other_supervisor", when=at(2026, 3, 31), party="赵六", description="远村加盖",
                    location=other_point())
    services.run_daily(at(2026, 4, 21, 6))
    return mine, theirs


def other_point():
    return __import__("django.contrib.gis.geos", fromlist=["Point"]).Point(112.605, 41.705, srid=4326)


def get(client, name, code="TST", **params):
    return client.get(reverse(name, args=[code]), params)


def text_of(response):
    return response.content.decode()


def test_the_before_page_is_public_and_names_the_body_its_officers_its_law_and_remedies(client, users,
                                                                                          public_jurisdiction):
    expired = UserFactory(username="expired", role=Role.INSPECTOR, jurisdiction=public_jurisdiction,
                          last_name="过", first_name="期", certificate_number="EXP-000001",
                          certificate_valid_until=date(2020, 1, 1))
    response = get(client, "disclosure-before")
    assert response.status_code == 200
    html = text_of(response)
    assert "测试执法队" in html and "测试县测试镇政府路1号" in html and "0471-6612345" in html
    for role in ("inspector", "inspector2", "supervisor"):
        assert users[role].certificate_number in html
    assert expired.certificate_number not in html  # expired: not an officer today
    assert users["other_supervisor"].certificate_number not in html  # another jurisdiction's
    # The configured bases, with the article texts cited.
    assert "乡、镇人民政府责令停止建设、限期改正；逾期不改正的，可以拆除" in html
    assert "《中华人民共和国土地管理法》第八十三条" in html
    assert "城乡规划法》第六十八条" not in html  # not a basis this jurisdiction uses
    # In the law's words: 第七十八条's two paragraphs (款) on two lines; each basis's duty as its article words it.
    assert "限期拆除在非法占用的土地上新建的房屋。<br>超过省、自治区、直辖市规定的标准" in html
    assert ("对未经批准或者采取欺骗手段骗取批准，非法占用土地建住宅的行为，依照《中华人民共和国土地管理法》第七十八条、"
            "第八十三条责令退还非法占用的土地，限期拆除在非法占用的土地上新建的房屋") in html
    assert ("对未依法取得乡村建设规划许可证或者未按照乡村建设规划许可证的规定进行建设的行为，依照《中华人民共和国城乡规划法》"
            "第六十五条责令停止建设、限期改正；逾期不改正的，可以拆除") in html
    assert "测试县人民政府" in html and "测试县人民法院" in html
    assert "<script" not in html and " style=" not in html  # nothing the CSP would refuse
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert "csrftoken" not in response.cookies and "sessionid" not in response.cookies


def test_the_flowchart_lists_exactly_the_registrys_actions_and_every_state(client, public_jurisdiction):
    html = text_of(get(client, "disclosure-before"))
    svg = html[html.index("<svg"):html.index("</svg>")]
    assert set(re.findall(r'data-action="([a-z_]+)"', svg)) == set(ACTIONS)
    assert set(re.findall(r'data-status="([a-z_]+)"', svg)) == set(Status.values)
    for spec in ACTIONS.values():
        assert str(spec.label) in svg


def test_the_decisions_are_public_masked_and_only_the_jurisdictions_own(client, published):
    (decision, enforcement), theirs = published
    response = get(client, "disclosure-decisions")
    assert response.status_code == 200
    html = text_of(response)
    assert decision.number in html and enforcement.number in html
    assert theirs.number not in html and "赵" not in html
    assert "张某某" in html and "欧阳某某" in html
    for secret in ("张三", "欧阳娜娜", "13800000000", "13912345678", "12号", "150102199001011234"):
        assert secret not in html
    assert PERSONAL_NUMBER.search(html) is None, PERSONAL_NUMBER.search(html)
    assert "东村" in html and "限期拆除决定书" in html
    other = text_of(get(client, "disclosure-decisions", code="OTH"))
    assert theirs.number in other and decision.number not in other and "赵某某" in other


def test_no_phone_or_id_number_on_any_public_page_but_the_bodys_phone_and_the_officers_certificates(client, users,
                                                                                                     published):
    """Every public page scanned for phone and ID numbers (disclosure.masking.PERSONAL_NUMBER): the only ones are
    what the 事前 page must show — the body's public phone and its officers' 执法证号 — never the parties' numbers
    nor the officers' own phones."""
    for role in ("inspector", "inspector2", "supervisor"):
        type(users[role]).objects.filter(pk=users[role].pk).update(phone=f"1390000000{len(role)}")
    jurisdiction = users["supervisor"].jurisdiction
    allowed = {jurisdiction.public_phone, *(users[role].certificate_number
                                           for role in ("inspector", "inspector2", "supervisor", "leader", "legal"))}
    pages = [get(client, "disclosure-before"), get(client, "disclosure-decisions"),
             get(client, "disclosure-decisions", year=2026, kind=K.ENFORCEMENT_DECISION),
             get(client, "disclosure-feed")]
    found = []
    for response in pages:
        assert response.status_code == 200
        found.append({match.group(0) for match in PERSONAL_NUMBER.finditer(text_of(response))})
        assert found[-1] <= allowed, (response.request["PATH_INFO"], found[-1] - allowed)
    assert jurisdiction.public_phone in found[0]  # the scan sees a phone number where there is one


def test_the_feed_is_atom_masked_and_per_jurisdiction(client, published):
    (decision, enforcement), theirs = published
    response = get(client, "disclosure-feed")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/atom+xml")
    xml = text_of(response)
    assert decision.number in xml and enforcement.number in xml and theirs.number not in xml
    assert "张三" not in xml and "欧阳娜娜" not in xml and PERSONAL_NUMBER.search(xml) is None
    assert response["Cache-Control"] == "max-age=300, public" or "public" in response["Cache-Control"]


def test_search_by_village_year_and_kind_and_paging(client, users, published):
    (decision, enforcement), _theirs = published
    village = decision.case.village
    html = text_of(get(client, "disclosure-decisions", kind=K.ENFORCEMENT_DECISION))
    assert enforcement.number in html and decision.number not in html
    assert decision.number not in text_of(get(client, "disclosure-decisions", year=2025))
    assert decision.number in text_of(get(client, "disclosure-decisions", year=2026, village=village.pk))
    west = village.jurisdiction.villages.exclude(pk=village.pk).get()
    assert decision.number not in text_of(get(client, "disclosure-decisions", village=west.pk))
    # Another jurisdiction's village is not a choice: the filter is refused and said so, nothing leaks.
    foreign = text_of(get(client, "disclosure-decisions", village=_theirs.case.village_id))
    assert _theirs.number not in foreign and "field-error" in foreign


def test_the_list_is_paged_and_a_page_keeps_the_search(client, published, monkeypatch):
    (decision, enforcement), _theirs = published
    monkeypatch.setattr("disclosure.views.PAGE_SIZE", 1)
    first = text_of(get(client, "disclosure-decisions", year=2026))
    assert enforcement.number in first and decision.number not in first  # newest decision first
    older = re.search(r'href="\?year=2026&amp;after=([0-9.-]+)" rel="next"', first)
    assert older and 'rel="prev"' not in first
    second = text_of(get(client, "disclosure-decisions", year=2026, after=older[1]))
    assert decision.number in second and enforcement.number not in second
    assert 'rel="next"' not in second  # the last page
    newer = re.search(r'href="\?year=2026&amp;before=([0-9.-]+)" rel="prev"', second)
    back = text_of(get(client, "disclosure-decisions", year=2026, before=newer[1]))
    assert enforcement.number in back and decision.number not in back and 'rel="prev"' not in back
    # A cursor made by hand, past the end or not a cursor at all, shows the first page.
    for cursor in ("2000-01-01.1", "2026-02-30.5", "x"):
        assert enforcement.number in text_of(get(client, "disclosure-decisions", year=2026, after=cursor))


@pytest.mark.parametrize("size", [1, 2, 3, 7])
def test_paging_forward_then_back_visits_every_entry_once_in_order(users, public_jurisdiction, media, size):
    """Many decisions on the same day and on others: the cursor pages hold each entry once, in the list's order,
    forward to the end and back to the top, and each page is full but the last."""
    days = [at(2026, 3, 2), at(2026, 3, 2), at(2026, 3, 2), at(2026, 3, 5), at(2026, 3, 9), at(2026, 3, 9),
            at(2026, 3, 11)]
    for when in days:
        decide(users, when=when)
    services.run_daily(at(2026, 3, 31, 6))
    entries = selectors.search(public_jurisdiction)
    everything = [row["pk"] for row in entries]
    assert len(everything) == len(days)
    pages = [selectors.page_of(entries, size=size)]
    while pages[-1].older:
        pages.append(selectors.page_of(entries, size=size, after=pages[-1].older))
    assert [row["pk"] for page in pages for row in page.rows] == everything
    assert all(len(page.rows) == size for page in pages[:-1])
    back = [pages[-1]]
    while back[-1].newer:
        back.append(selectors.page_of(entries, size=size, before=back[-1].newer))
    assert [row["pk"] for row in back[-1].rows] == everything[:size]  # back at the top, a full page
    assert back[-1].newer is None and len(back) == len(pages)


def test_a_page_makes_two_queries_and_a_repeat_one(client, published, django_assert_num_queries):
    """However many entries and however deep: the jurisdiction (with the ETag's parts, villages and years), then
    the page's rows; a repeat with the ETag only the first."""
    first = get(client, "disclosure-decisions")
    with django_assert_num_queries(2):
        response = get(client, "disclosure-decisions", year=2026, after="2026-04-20.999999")
    assert response.status_code == 200
    with django_assert_num_queries(1):
        repeat = client.get(reverse("disclosure-decisions", args=["TST"]), HTTP_IF_NONE_MATCH=first["ETag"])
    assert repeat.status_code == 304


def test_a_withdrawn_decision_leaves_a_line_saying_when(client, users, published):
    (decision, _enforcement), _theirs = published
    entry = PublishedDecision.objects.get(document=decision)
    PublishedDecision.objects.filter(pk=entry.pk).update(status="revoked", withdrawn_at=at(2026, 5, 21, 6))
    html = text_of(get(client, "disclosure-decisions"))
    line = html[html.index(f'id="d{entry.pk}"'):]
    line = line[:line.index("</li>")]
    assert "该决定已被撤销，已于 2026年5月21日 撤回公示" in line
    assert decision.number in line and "张某某" not in line


def test_held_back_and_taken_down_entries_are_not_public(client, users, published):
    (decision, enforcement), _theirs = published
    entry = PublishedDecision.objects.get(document=decision)
    services.hold_back(entry_id=entry.pk, actor=users["supervisor"], reason="核实中")
    PublishedDecision.objects.filter(document=enforcement).update(taken_down_at=at(2031, 4, 22))
    html = text_of(get(client, "disclosure-decisions"))
    assert decision.number not in html and enforcement.number not in html


def test_an_unknown_jurisdiction_is_404(client, db):
    assert client.get(reverse("disclosure-before", args=["NOPE"])).status_code == 404
    assert client.get(reverse("disclosure-decisions", args=["NOPE"])).status_code == 404
    assert client.get(reverse("disclosure-feed", args=["NOPE"])).status_code == 404


@pytest.mark.parametrize("name", ["disclosure-before", "disclosure-decisions", "disclosure-feed"])
def test_pages_are_publicly_cacheable_and_a_repeat_answers_304(client, published, name):
    first = get(client, name)
    assert first.status_code == 200
    assert "public" in first["Cache-Control"] and "max-age=300" in first["Cache-Control"]
    assert "Cookie" not in first.get("Vary", "") and not first.cookies
    repeat = client.get(reverse(name, args=["TST"]), HTTP_IF_NONE_MATCH=first["ETag"])
    assert repeat.status_code == 304 and repeat["ETag"] == first["ETag"] and not repeat.content


def test_a_change_to_the_entries_changes_the_etag(client, users, published):
    first = get(client, "disclosure-decisions")
    (decision, _enforcement), _theirs = published
    services.hold_back(entry_id=PublishedDecision.objects.get(document=decision).pk, actor=users["supervisor"],
                       reason="核实中")
    again = client.get(reverse("disclosure-decisions", args=["TST"]), HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 200 and again["ETag"] != first["ETag"]
    # And another query is another page with its own ETag.
    assert get(client, "disclosure-decisions", year=2026)["ETag"] != again["ETag"]

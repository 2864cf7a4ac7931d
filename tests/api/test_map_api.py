"""The map's data endpoints: points or grid clusters, the same filters as the case list, validators, isolation."""
import gzip
import json
from datetime import timedelta

import pytest
from django.contrib.gis.geos import LineString, Point
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from patrol import workflow
from patrol.bulk import add_synthetic_cases
from patrol.choices import CampaignStatus, Category, Resolution, Stage, Status
from patrol.models import Campaign, Case, Patrol
from tests.factories import finding

# The SQL is meant for PostGIS and SpatiaLite alike, so the whole module is in the SpatiaLite smoke run.
pytestmark = [pytest.mark.django_db, pytest.mark.smoke]

TST_VIEW = "111.59,40.69,111.65,40.73"  # both test villages
BOTH_JURISDICTIONS = "111.0,40.0,113.0,42.0"


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def get_cases(user, bbox=TST_VIEW, zoom=14, **params):
    return api(user).get("/api/v1/map/cases/", {"bbox": bbox, "zoom": zoom, **params})


def report(user, lng, lat, **changes):
    """A case reported through the workflow (so it has its first event), then put into the state a test needs."""
    case, _ = workflow.report_finding(actor=user, **finding(location=Point(lng, lat, srid=4326)))
    if changes:
        Case.objects.filter(pk=case.pk).update(**changes)
        case.refresh_from_db()
    return case


@pytest.fixture
def cases(users, jurisdiction, other_jurisdiction):
    """Four cases of TST in both villages and every kind of state the filters look at, one case of OTH."""
    today = timezone.localdate()
    campaign = Campaign.objects.create(jurisdiction=jurisdiction, name="春季整治", starts_on=today - timedelta(days=10),
                                       ends_on=today + timedelta(days=10), status=CampaignStatus.ACTIVE)
    inspector, inspector2 = users["inspector"], users["inspector2"]
    made = {
        "reported": report(inspector, 111.605, 40.705, address="村东头小卖部", party_name="张三",
                           category=Category.EXTENSION, stage=Stage.UNDER_CONSTRUCTION),
        "overdue": report(inspector, 111.610, 40.710, status=Status.ORDERED, deadline=today - timedelta(days=3),
                          category=Category.NEW_CONSTRUCTION, stage=Stage.COMPLETED, campaign=campaign,
                          responsible=inspector2, address="河道旁"),
        "ordered": report(inspector, 111.625, 40.705, status=Status.ORDERED,
                             deadline=today + timedelta(days=5), category=Category.EXTENSION,
                             stage=Stage.UNDER_CONSTRUCTION, address="学校北侧"),
        "closed": report(inspector, 111.630, 40.715, status=Status.CLOSED, resolution=Resolution.RECTIFIED_BY_PARTY,
                         closed_at=timezone.now(), created_at=timezone.now() - timedelta(days=60),
                         category=Category.OTHER, stage=Stage.UNDER_CONSTRUCTION, address="果园"),
        "other": report(users["other_supervisor"], 112.605, 41.705, address="村东头"),
    }
    made["campaign"] = campaign
    return made


def ids(response):
    assert response.status_code == 200, response.content
    return {f["properties"]["id"] for f in response.json()["features"]}


# --- points and clusters ---------------------------------------------------------------------------


def test_a_viewport_with_few_cases_returns_each_case_as_a_point_with_its_map_properties(users, cases):
    response = get_cases(users["supervisor"])
    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    data = response.json()
    assert data["type"] == "FeatureCollection" and data["mode"] == "points" and data["total"] == 4
    by_id = {f["id"]: f for f in data["features"]}
    overdue = by_id[cases["overdue"].pk]
    assert overdue["geometry"] == {"type": "Point", "coordinates": [pytest.approx(111.610), pytest.approx(40.710)]}
    assert overdue["properties"] == {
        "id": cases["overdue"].pk, "reference": cases["overdue"].reference, "status": "ordered", "overdue": True,
        "category": "new_construction", "deadline": cases["overdue"].deadline.isoformat(),
        "village": cases["overdue"].village_id,
    }
    assert by_id[cases["ordered"].pk]["properties"]["overdue"] is False
    assert by_id[cases["reported"].pk]["properties"]["deadline"] is None


def test_more_cases_than_the_point_limit_come_back_as_clusters_with_counts_by_status(users, cases, settings):
    settings.MAP_MAX_POINTS = 3
    data = get_cases(users["supervisor"], zoom=3).json()
    assert data["mode"] == "clusters" and data["total"] == 4
    # At zoom 3 a cell is 11.25 degrees wide: all four cases fall in one cell.
    [cluster] = data["features"]
    assert cluster["properties"] == {"cluster": True, "count": 4, "overdue": 1,
                                     "by_status": {"reported": 1, "ordered": 2, "closed": 1}}
    lng, lat = cluster["geometry"]["coordinates"]
    assert lng == pytest.approx((111.605 + 111.610 + 111.625 + 111.630) / 4, abs=1e-6)
    assert lat == pytest.approx((40.705 + 40.710 + 40.705 + 40.715) / 4, abs=1e-6)


def test_at_a_closer_zoom_clusters_split_along_the_grid_and_still_add_up(users, cases, settings):
    settings.MAP_MAX_POINTS = 3
    data = get_cases(users["supervisor"], zoom=13).json()
    cell = data["cell"]
    assert data["mode"] == "clusters" and cell == pytest.approx(360 / 2 ** 13 / 4)
    assert len(data["features"]) > 1
    assert sum(f["properties"]["count"] for f in data["features"]) == 4
    for feature in data["features"]:
        assert sum(feature["properties"]["by_status"].values()) == feature["properties"]["count"]
    # Just under the limit the same viewport is points again.
    settings.MAP_MAX_POINTS = 4
    assert get_cases(users["supervisor"], zoom=13).json()["mode"] == "points"


def test_cases_outside_the_viewport_are_left_out(users, cases):
    only_dongcun = "111.600,40.700,111.615,40.720"
    assert ids(get_cases(users["supervisor"], bbox=only_dongcun)) == {cases["reported"].pk, cases["overdue"].pk}


# --- the filters -----------------------------------------------------------------------------------

FILTERS = [
    ("status", lambda c: {"status": "reported"}, {"reported"}),
    ("two statuses", lambda c: {"status": ["ordered", "closed"]}, {"overdue", "ordered", "closed"}),
    ("overdue", lambda c: {"overdue": "true"}, {"overdue"}),
    ("not overdue", lambda c: {"overdue": "false"}, {"reported", "ordered", "closed"}),
    ("village", lambda c: {"village": c["reported"].village_id}, {"reported", "overdue"}),
    ("campaign", lambda c: {"campaign": c["campaign"].pk}, {"overdue"}),
    ("inspector", lambda c: {"inspector": c["overdue"].responsible_id}, {"overdue"}),
    ("category", lambda c: {"category": "extension"}, {"reported", "ordered"}),
    ("stage", lambda c: {"stage": "completed"}, {"overdue"}),
    ("reported from", lambda c: {"reported_from": (timezone.localdate() - timedelta(days=30)).isoformat()},
     {"reported", "overdue", "ordered"}),
    ("reported to", lambda c: {"reported_to": (timezone.localdate() - timedelta(days=30)).isoformat()}, {"closed"}),
    ("text in the address", lambda c: {"q": "小卖部"}, {"reported"}),
    ("text in the party", lambda c: {"q": "张三"}, {"reported"}),
    ("text in the reference", lambda c: {"q": c["ordered"].reference}, {"ordered"}),
]


@pytest.mark.parametrize("name, params, expected", FILTERS, ids=[f[0] for f in FILTERS])
def test_each_filter_narrows_points_and_clusters_alike(users, cases, settings, name, params, expected):
    query = params(cases)
    assert ids(get_cases(users["supervisor"], **query)) == {cases[label].pk for label in expected}
    settings.MAP_MAX_POINTS = 0
    clusters = get_cases(users["supervisor"], **query).json()
    assert clusters["mode"] == "clusters" and clusters["total"] == len(expected)


def test_the_list_and_the_kpis_take_the_same_filters(users, cases):
    client = api(users["supervisor"])
    rows = client.get("/api/v1/map/list/", {"bbox": TST_VIEW, "category": "extension"}).json()["results"]
    assert {r["id"] for r in rows} == {cases["reported"].pk, cases["ordered"].pk}
    kpis = client.get("/api/v1/map/kpis/", {"category": "extension"}).json()
    assert kpis["open"] == 2 and kpis["by_status"]["reported"] == 1 and kpis["by_status"]["ordered"] == 1


# --- validation ------------------------------------------------------------------------------------


@pytest.mark.parametrize("bbox", [None, "", "111,40,112", "a,b,c,d", "111,40,112,41,5", "nan,40,112,41",
                                  "1e2,40,112,41", " 111,40,112,41", "111,40,inf,41"])
def test_a_missing_or_bad_bbox_is_a_400_naming_bbox(users, bbox):
    params = {"zoom": 12} if bbox is None else {"bbox": bbox, "zoom": 12}
    response = api(users["supervisor"]).get("/api/v1/map/cases/", params, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid" and list(error["fields"]) == ["bbox"]
    assert error["fields"]["bbox"][0]  # a message the page can show


def test_a_viewport_past_the_world_is_clipped_and_corners_in_any_order_are_swapped(users, cases):
    # What the schema's pattern allows is answered (issue #18): a map panned around the world sends lng 190.
    client = api(users["supervisor"])
    expected = {f["id"] for f in client.get("/api/v1/map/cases/", {"bbox": "111,40,112,41", "zoom": 12}).json()[
        "features"]}
    assert expected
    for bbox in ("112,41,111,40", "111,40,190,91", "-200,-100,200,100"):
        response = client.get("/api/v1/map/cases/", {"bbox": bbox, "zoom": 12})
        assert response.status_code == 200, (bbox, response.content)
        assert {f["id"] for f in response.json()["features"]} >= expected, bbox
    assert client.get("/api/v1/map/cases/", {"bbox": "111,41,112,41", "zoom": 12}).json()["features"] == []


@pytest.mark.parametrize("zoom", [None, "", "x", "1.5", "-1", "23", " 5"])
def test_a_missing_or_bad_zoom_is_a_400_naming_zoom(users, zoom):
    params = {"bbox": TST_VIEW} if zoom is None else {"bbox": TST_VIEW, "zoom": zoom}
    response = api(users["supervisor"]).get("/api/v1/map/cases/", params)
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["zoom"]


def test_an_unknown_filter_value_is_a_400_naming_the_filter(users):
    response = get_cases(users["supervisor"], status="demolished")
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["status"]


def test_the_map_data_needs_a_signed_in_user(db):
    assert APIClient().get("/api/v1/map/cases/", {"bbox": TST_VIEW, "zoom": 12}).status_code == 401


# --- validators ------------------------------------------------------------------------------------


def test_an_unchanged_view_is_answered_304_and_a_change_to_a_case_gives_a_new_etag(users, cases):
    client = api(users["supervisor"])
    first = client.get("/api/v1/map/cases/", {"bbox": TST_VIEW, "zoom": 14})
    etag = first["ETag"]
    assert etag.startswith('"') and first["Cache-Control"] == "private, no-cache"

    again = client.get("/api/v1/map/cases/", {"bbox": TST_VIEW, "zoom": 14}, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b"" and again["ETag"] == etag
    # The weak form a gzipping proxy or gzip_page sends back matches too.
    weak = client.get("/api/v1/map/cases/", {"bbox": TST_VIEW, "zoom": 14}, HTTP_IF_NONE_MATCH=f"W/{etag}")
    assert weak.status_code == 304

    filtered = client.get("/api/v1/map/cases/", {"bbox": TST_VIEW, "zoom": 14, "status": "reported"},
                          HTTP_IF_NONE_MATCH=etag)
    assert filtered.status_code == 200 and filtered["ETag"] != etag

    workflow.file_case(case_id=cases["reported"].pk, actor=users["supervisor"], legal_basis="planning_art65", note="立案")
    changed = client.get("/api/v1/map/cases/", {"bbox": TST_VIEW, "zoom": 14}, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag
    assert {f["properties"]["status"] for f in changed.json()["features"]} >= {"filed"}


def test_a_change_in_another_jurisdiction_keeps_the_etag(users, cases):
    client = api(users["supervisor"])
    etag = client.get("/api/v1/map/cases/", {"bbox": TST_VIEW, "zoom": 14})["ETag"]
    workflow.file_case(case_id=cases["other"].pk, actor=users["other_supervisor"], legal_basis="planning_art65", note="立案")
    assert client.get("/api/v1/map/cases/", {"bbox": TST_VIEW, "zoom": 14}, HTTP_IF_NONE_MATCH=etag).status_code == 304


def test_large_answers_are_gzipped_for_clients_that_accept_it(users, cases):
    response = api(users["supervisor"]).get("/api/v1/map/cases/", {"bbox": TST_VIEW, "zoom": 14},
                                            HTTP_ACCEPT_ENCODING="gzip")
    assert response["Content-Encoding"] == "gzip"
    assert len(json.loads(gzip.decompress(response.content))["features"]) == 4


# --- jurisdiction isolation ------------------------------------------------------------------------


def test_a_user_of_another_jurisdiction_sees_none_of_these_cases_on_the_map(users, cases, settings):
    other = users["other_supervisor"]
    assert ids(get_cases(other, bbox=BOTH_JURISDICTIONS)) == {cases["other"].pk}
    assert ids(get_cases(users["supervisor"], bbox=BOTH_JURISDICTIONS)) == {
        cases[k].pk for k in ("reported", "overdue", "ordered", "closed")}
    assert get_cases(other, bbox=TST_VIEW).json()["features"] == []
    settings.MAP_MAX_POINTS = 0
    assert get_cases(other, bbox=BOTH_JURISDICTIONS, zoom=3).json()["total"] == 1


def test_no_map_endpoint_shows_another_jurisdictions_rows(users, cases, jurisdiction):
    inspector = users["inspector"]
    Patrol.objects.create(jurisdiction=jurisdiction, inspector=inspector, started_at=timezone.now(),
                          track=LineString((111.601, 40.701), (111.605, 40.705), srid=4326))
    client = api(users["other_supervisor"])
    rows = client.get("/api/v1/map/list/", {"bbox": BOTH_JURISDICTIONS}).json()["results"]
    assert [r["id"] for r in rows] == [cases["other"].pk]
    assert client.get("/api/v1/map/kpis/").json()["by_status"]["reported"] == 1
    heat = client.get("/api/v1/map/heat/", {"bbox": BOTH_JURISDICTIONS, "zoom": 12}).json()
    assert sum(p[2] for p in heat["points"]) == 1
    assert [f["properties"]["name"] for f in client.get("/api/v1/map/villages/").json()["features"]] == ["远村"]
    assert client.get("/api/v1/map/campaigns/").json()["features"] == []
    assert client.get("/api/v1/map/tracks/").json()["features"] == []


# --- query counts ----------------------------------------------------------------------------------


def count_queries(user, **params):
    with CaptureQueriesContext(connection) as queries:
        assert get_cases(user, **params).status_code == 200
    return len(queries)


def test_the_number_of_queries_does_not_grow_with_the_number_of_cases(users, cases, jurisdiction, settings,
                                                                      django_assert_max_num_queries):
    supervisor = users["supervisor"]
    # The validator and the points (at most one more than the limit): two queries.
    with django_assert_max_num_queries(2):
        get_cases(supervisor)
    settings.MAP_MAX_POINTS = 2
    # Then the grid, inside a transaction that turns PostgreSQL's JIT off (SET LOCAL, and a savepoint and its
    # release inside the test's transaction).
    with django_assert_max_num_queries(6):
        get_cases(supervisor)
    few_points, few_clusters = count_queries(supervisor, zoom=13, status="closed"), count_queries(supervisor, zoom=13)

    add_synthetic_cases(jurisdiction=jurisdiction, actor=users["inspector"], count=300, seed=1)
    settings.MAP_MAX_POINTS = 1000
    assert count_queries(supervisor, zoom=13) == few_points
    settings.MAP_MAX_POINTS = 2
    assert count_queries(supervisor, zoom=13) == few_clusters


# --- the other layers ------------------------------------------------------------------------------


def test_villages_carry_the_last_patrol_and_whether_it_was_within_seven_days(users, jurisdiction):
    dongcun, xicun = jurisdiction.villages.order_by("name")
    for village, days_ago in ((dongcun, 2), (xicun, 9)):
        patrol = Patrol.objects.create(jurisdiction=jurisdiction, inspector=users["inspector"],
                                       started_at=timezone.now() - timedelta(days=days_ago))
        patrol.villages.set([village])
    data = api(users["leader"]).get("/api/v1/map/villages/").json()
    by_name = {f["properties"]["name"]: f for f in data["features"]}
    assert by_name["东村"]["properties"]["patrolled_recently"] is True
    assert by_name["西村"]["properties"]["patrolled_recently"] is False
    assert by_name["西村"]["properties"]["last_patrol_at"] is not None
    assert by_name["东村"]["geometry"]["type"] == "MultiPolygon"


def test_tracks_are_those_of_the_last_seven_days(users, jurisdiction):
    track = LineString((111.601, 40.701), (111.605, 40.705), srid=4326)
    recent = Patrol.objects.create(jurisdiction=jurisdiction, inspector=users["inspector"], track=track,
                                   started_at=timezone.now() - timedelta(days=1), distance_m=1234)
    Patrol.objects.create(jurisdiction=jurisdiction, inspector=users["inspector"], track=track,
                          started_at=timezone.now() - timedelta(days=8))
    [feature] = api(users["supervisor"]).get("/api/v1/map/tracks/").json()["features"]
    assert feature["id"] == recent.pk and feature["geometry"]["type"] == "LineString"
    assert feature["properties"]["distance_km"] == 1.23
    assert feature["properties"]["inspector"] == str(users["inspector"])


@pytest.mark.parametrize("role", ["inspector", "inspector2", "supervisor", "legal", "leader"])
def test_an_inspector_sees_only_their_own_tracks_and_the_other_roles_the_jurisdictions(users, jurisdiction, role):
    track = LineString((111.601, 40.701), (111.605, 40.705), srid=4326)
    started = timezone.now() - timedelta(hours=3)
    own = {name: Patrol.objects.create(jurisdiction=jurisdiction, inspector=users[name], track=track,
                                       started_at=started).pk for name in ("inspector", "inspector2")}
    seen = {f["id"] for f in api(users[role]).get("/api/v1/map/tracks/").json()["features"]}
    assert seen == ({own[role]} if role in own else set(own.values()))


def test_a_campaign_without_a_drawn_area_covers_its_villages(users, jurisdiction):
    today = timezone.localdate()
    campaign = Campaign.objects.create(jurisdiction=jurisdiction, name="全域整治", starts_on=today, ends_on=today,
                                       status=CampaignStatus.ACTIVE)
    campaign.villages.set(jurisdiction.villages.all())
    [feature] = api(users["leader"]).get("/api/v1/map/campaigns/").json()["features"]
    assert feature["properties"]["name"] == "全域整治" and feature["properties"]["active"] is True
    coordinates = json.dumps(feature["geometry"]["coordinates"])
    # The union of the two adjoining squares reaches from 111.60 to 111.64.
    assert "111.6," in coordinates and "111.64," in coordinates


def test_the_heat_grid_counts_every_matching_case_once(users, cases):
    heat = api(users["supervisor"]).get("/api/v1/map/heat/", {"bbox": TST_VIEW, "zoom": 16}).json()
    assert sum(p[2] for p in heat["points"]) == 4 and heat["max"] >= 1
    assert all(40.69 < lat < 40.73 and 111.59 < lng < 111.65 for lat, lng, _ in heat["points"])


def test_the_list_is_sorted_as_asked_and_gives_coordinates_to_centre_the_map(users, cases):
    client = api(users["supervisor"])
    rows = client.get("/api/v1/map/list/", {"bbox": TST_VIEW}).json()["results"]
    # Default: nearest deadline first, so the overdue case leads; cases without a deadline last.
    assert [r["id"] for r in rows[:2]] == [cases["overdue"].pk, cases["ordered"].pk]
    assert rows[0]["overdue"] is True and rows[0]["lng"] == pytest.approx(111.610)
    by_reference = client.get("/api/v1/map/list/", {"bbox": TST_VIEW, "ordering": "-reference"}).json()
    references = [r["reference"] for r in by_reference["results"]]
    assert references == sorted(references, reverse=True) and by_reference["truncated"] is False


def test_the_kpis_follow_the_domain_definitions(users, cases):
    kpis = api(users["leader"]).get("/api/v1/map/kpis/").json()
    assert kpis["open"] == 3 and kpis["overdue"] == 1 and kpis["closed"] == 1  # closed this month
    # 整改率 (DOMAIN.md, one definition everywhere): of the cases filed in the period (this month), the share
    # closed by its end. These cases were put into their states without a 立案 event: none was filed this month.
    assert kpis["filed"] == 0 and kpis["rectification_rate"] is None
    workflow.file_case(case_id=cases["reported"].pk, actor=users["supervisor"], legal_basis="planning_art65", note="立案")
    kpis = api(users["leader"]).get("/api/v1/map/kpis/").json()
    assert kpis["filed"] == 1 and kpis["rectification_rate"] == 0.0


# --- the page ----------------------------------------------------------------------------------------


def page_json(client, element_id, url="/map/"):
    response = client.get(url)
    assert response.status_code == 200
    body = response.content.decode()
    opening = f'<script id="{element_id}" type="application/json">'
    start = body.index(opening) + len(opening)
    return json.loads(body[start:body.index("</script>", start)])


def test_the_map_page_offers_tianditu_only_when_a_key_is_set(client, users, settings):
    client.force_login(users["supervisor"])
    settings.TIANDITU_KEY = ""
    assert [base["key"] for base in page_json(client, "xuncha-config")["tiles"]] == ["osm"]
    settings.TIANDITU_KEY = "a-browser-key"
    config = page_json(client, "xuncha-config")
    assert [base["key"] for base in config["tiles"]] == ["osm", "tianditu", "tianditu_img"]
    assert config["urls"]["map_cases"] == "/api/v1/map/cases/"
    assert set(page_json(client, "map-config")["villages"].values()) == {"东村", "西村"}


def test_the_map_page_fills_the_filters_and_kpis_from_the_link(client, users, cases):
    client.force_login(users["supervisor"])
    body = client.get("/map/", {"status": "ordered", "category": "extension"}).content.decode()
    assert 'name="status" value="ordered" checked' in body
    assert 'name="category" value="extension" checked' in body
    assert '<span class="value" data-kpi="open">1</span>' in body
    # A link with a filter value that does not exist is shown unfiltered, with a word about it.
    assert "筛选条件无效" in client.get("/map/", {"status": "nonsense"}).content.decode()


def test_the_map_page_runs_as_many_queries_with_300_more_cases(client, users, cases, jurisdiction):
    client.force_login(users["supervisor"])
    client.get("/map/")  # the session and the language settle on the first request
    with CaptureQueriesContext(connection) as before:
        assert client.get("/map/").status_code == 200
    add_synthetic_cases(jurisdiction=jurisdiction, actor=users["inspector"], count=300, seed=2)
    with CaptureQueriesContext(connection) as after:
        assert client.get("/map/").status_code == 200
    # The KPI strip's counts now come from the rollup (one query) and its period figures from three index ranges
    # (registered, closed, filed in the period: patrol.kpis.period_sums) instead of one scan of every case.
    assert len(after) == len(before) <= 13

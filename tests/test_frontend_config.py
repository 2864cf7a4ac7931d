"""The one configuration the pages' scripts read (patrol/frontend.py): its URLs lead to the views they name, its
base maps follow the settings, and every page with a map carries it."""
import json
import posixpath
import re
from pathlib import Path

import pytest
from django.urls import resolve

from patrol import frontend
from patrol.views import field_modules
from tests.factories import finding

STATIC = Path(__file__).resolve().parents[1] / "static"


def page_config(client, url):
    body = client.get(url).content.decode()
    found = re.findall(r'<script id="xuncha-config" type="application/json">(.*?)</script>', body, re.S)
    assert len(found) == 1, f"{url} should carry the configuration exactly once"
    return json.loads(found[0])


@pytest.mark.parametrize(("name", "view_name"), [
    ("field_page", "field"), ("case_page", "case"), ("login", "login"), ("service_worker", "service-worker"),
    ("cases", "api-cases"), ("case", "api-case"), ("case_photos", "api-case-photos"), ("nearby", "api-cases-nearby"),
    ("field_cases", "api-cases-field"), ("case_events", "api-case-events"),
    ("patrols", "api-patrols"), ("patrol_track", "api-patrol-track"), ("patrol_finish", "api-patrol-finish"),
    ("map_cases", "api-map-cases"), ("map_list", "api-map-list"), ("map_kpis", "api-map-kpis"),
    ("map_heat", "api-map-heat"), ("map_villages", "api-map-villages"), ("map_campaigns", "api-map-campaigns"),
    ("map_tracks", "api-map-tracks"),
])
def test_each_url_of_the_configuration_resolves_to_its_view_once_the_id_is_filled_in(name, view_name):
    template = frontend.frontend_config()["urls"][name]
    match = resolve(template.replace("{id}", "42"))
    assert match.url_name == view_name
    assert match.kwargs.get("pk", 42) == 42


def test_the_action_url_takes_the_case_and_the_action():
    template = frontend.frontend_config()["urls"]["case_action"]
    match = resolve(template.replace("{id}", "42").replace("{action}", "reinspect"))
    assert (match.url_name, match.kwargs) == ("api-case-action", {"pk": 42, "action": "reinspect"})


def test_the_configuration_names_every_url_the_scripts_ask_for():
    asked = set()
    for script in STATIC.joinpath("js").rglob("*.js"):
        text = script.read_text()
        asked |= set(re.findall(r'\burl\("(\w+)"', text)) | set(re.findall(r"\burls\.(\w+)", text))
    assert asked, "the scripts read their URLs through config.js"
    assert asked <= set(frontend.frontend_config()["urls"])


def test_without_a_tianditu_key_openstreetmap_is_the_only_base_map(settings):
    settings.TIANDITU_KEY = ""
    (osm,) = frontend.frontend_config()["tiles"]
    assert osm["key"] == "osm"
    # The same layer as the admin's boundary widget: one place holds its address.
    assert [layer["url"] for layer in osm["layers"]] == [settings.LEAFLET_CONFIG["TILES"][0][1]]
    assert "OpenStreetMap" in osm["layers"][0]["options"]["attribution"]


def test_a_tianditu_key_adds_vector_and_imagery_each_with_its_labels_in_web_mercator(settings):
    settings.TIANDITU_KEY = "key/with+odd chars"
    tiles = {base["key"]: base for base in frontend.frontend_config()["tiles"]}
    assert list(tiles) == ["osm", "tianditu", "tianditu_img"]
    assert tiles["tianditu"]["label"] == "天地图 矢量" and tiles["tianditu_img"]["label"] == "天地图 影像"
    layers = {base: [re.search(r"/(\w+)_w/wmts\?", layer["url"]).group(1) for layer in tiles[base]["layers"]]
              for base in ("tianditu", "tianditu_img")}
    assert layers == {"tianditu": ["vec", "cva"], "tianditu_img": ["img", "cia"]}
    for layer in tiles["tianditu"]["layers"] + tiles["tianditu_img"]["layers"]:
        assert layer["url"].startswith("https://t{s}.tianditu.gov.cn/")
        assert "TILEMATRIXSET=w&" in layer["url"] and "{z}" in layer["url"]
        assert layer["url"].endswith("&tk=key%2Fwith%2Bodd%20chars")
        assert layer["options"]["subdomains"] == "01234567" and "天地图" in layer["options"]["attribution"]


def test_the_base_map_labels_follow_the_language(settings):
    settings.TIANDITU_KEY = "k"
    from django.utils import translation

    with translation.override("en"):
        labels = [base["label"] for base in frontend.frontend_config()["tiles"]]
    assert labels == ["OpenStreetMap", "Tianditu vector", "Tianditu imagery"]


@pytest.mark.django_db
def test_the_field_case_and_map_pages_carry_the_same_configuration(client, users, settings):
    from patrol import workflow

    settings.TIANDITU_KEY = "k"
    case, _ = workflow.report_finding(actor=users["inspector"], **finding())
    client.force_login(users["supervisor"])
    configs = [page_config(client, url) for url in ("/field/", f"/cases/{case.pk}/", "/map/")]
    assert configs[0] == configs[1] == configs[2]
    assert [base["key"] for base in configs[0]["tiles"]] == ["osm", "tianditu", "tianditu_img"]


def module_graph(entries, lazy=False):
    """The modules ``entries`` import, directly or not, followed here independently of patrol.views; with ``lazy``,
    also those loaded when first needed (``import("…")``)."""
    needed, todo = set(), list(entries)
    while todo:
        name = todo.pop()
        if name in needed:
            continue
        needed.add(name)
        source = (STATIC / name).read_text()
        targets = re.findall(r'^(?:import|export)\b[^;]*?from\s*"([^"]+)";', source, re.M)
        if lazy:
            targets += re.findall(r'\bimport\(\s*"([^"]+)"\s*\)', source)
        for target in targets:
            todo.append(posixpath.normpath(posixpath.join(posixpath.dirname(name), target)))
    return needed


@pytest.mark.django_db
def test_the_service_worker_keeps_every_module_the_field_page_loads(client, users):
    """The page must open after a reload without network: a module it loads or imports but the worker did not keep
    would fail to load, and with it everything that module does (the 待核查 list is js/tuban/field.js)."""
    client.force_login(users["inspector"])
    body = client.get("/field/").content.decode()
    entries = re.findall(r'<script type="module" src="/static/([^"]+)"></script>', body)
    assert {"js/field.js", "js/tuban/field.js"} <= set(entries)
    needed = module_graph(entries, lazy=True)
    assert needed == set(field_modules())
    assert "js/field/records.js" in needed  # loaded when a record is first opened, and offline too
    worker = client.get("/sw.js").content.decode()
    precache = json.loads(re.search(r"^var PRECACHE = (.*);$", worker, re.M).group(1))
    assert {f"/static/{name}" for name in needed} <= set(precache)


@pytest.mark.django_db
def test_the_field_page_preloads_every_module_it_imports(client, users):
    client.force_login(users["inspector"])
    body = client.get("/field/").content.decode()
    preloaded = re.findall(r'<link rel="modulepreload" href="/static/([^"]+)">', body)
    entries = re.findall(r'<script type="module" src="/static/([^"]+)"></script>', body)
    assert sorted(preloaded) == sorted(module_graph(entries) - set(entries))
    # The on-site records' modules are not part of the first load (bench/field.py): loaded when first opened.
    assert "js/field/records.js" not in preloaded and "js/field/signpad.js" not in preloaded

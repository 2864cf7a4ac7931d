"""Field capture figures (issue #3), printed, not asserted:

  1. bytes of the field page's first load (HTML, CSS, JS; gzip; map tiles excluded), target ≤ 150 KiB;
  2. uploaded bytes per photo ÷ the original 12-megapixel JPEG, target ≤ 0.15;
  3. server time to create a finding ÷ the time of a trivial authenticated API view, target ≤ 4;
  4. tap on 保存 → "saved on the phone" shown, with Chromium's CPU throttled ×4 (a mid-range phone), target
     ≤ 100 ms (#15; median of 7, photos already prepared, as when the inspector taps).

Run: .venv/bin/python bench/field.py   (uses a throw-away PostGIS test database)
"""
import gzip
import io
import random
import statistics
import time
import uuid

from _setup import django_with_test_database, textured_jpeg

teardown = django_with_test_database()

from django.contrib.gis.geos import MultiPolygon, Polygon  # noqa: E402
from django.test import Client  # noqa: E402
from django.contrib.staticfiles.handlers import StaticFilesHandler  # noqa: E402
from django.test.testcases import LiveServerThread  # noqa: E402
from PIL import Image  # noqa: E402

from gis.models import Jurisdiction, Village  # noqa: E402
from patrol.models import Photo, User  # noqa: E402


TAPS = 7
# Runs in the page: taps 保存 and resolves with the milliseconds until the "saved on the phone" note shows.
TAP_TO_SAVED = """() => new Promise((resolve) => {
  const toast = document.getElementById("toast");
  const started = performance.now();
  const seen = new MutationObserver(() => {
    if (!toast.hidden) { seen.disconnect(); resolve(performance.now() - started); }
  });
  toast.hidden = true;
  seen.observe(toast, { attributes: true, childList: true });
  document.querySelector("#finding-form button[type=submit]").click();
})"""


def small_photo(n):
    out = io.BytesIO()
    Image.new("RGB", (1600, 1200), (40 * n % 255, 120, 90)).save(out, "JPEG", quality=85)
    return out.getvalue()


def main():
    jurisdiction = Jurisdiction.objects.create(code="BEN", name="Bench")
    Village.objects.create(jurisdiction=jurisdiction, name="村",
                           boundary=MultiPolygon(Polygon.from_bbox((111.6, 40.7, 111.62, 40.72)), srid=4326))
    user = User.objects.create_user("bench", password="bench-password-1", role="inspector", jurisdiction=jurisdiction)

    # 3. create-finding time ÷ trivial authenticated view, same process, same database.
    client = Client()
    client.force_login(user)
    def timed(fn, n):
        samples = []
        for _ in range(n):
            t = time.perf_counter()
            fn()
            samples.append(time.perf_counter() - t)
        return statistics.median(samples)
    for _ in range(5):
        client.get("/api/v1/me/")
    trivial = timed(lambda: client.get("/api/v1/me/"), 200)
    rng = random.Random(1)

    def create():
        # Spread over the village, as real findings are (the nearby-case check looks around each one).
        point = [round(rng.uniform(111.601, 111.619), 6), round(rng.uniform(40.701, 40.719), 6)]
        body = {"client_uuid": str(uuid.uuid4()), "location": {"type": "Point", "coordinates": point},
                "accuracy_m": 5, "category": "extension", "stage": "completed", "address": "bench"}
        response = client.post("/api/v1/cases/", body, content_type="application/json")
        assert response.status_code == 201, response.content
    create_time = timed(create, 200)

    # 1 and 2 in Chromium against a live server.
    from playwright.sync_api import sync_playwright

    server = LiveServerThread("127.0.0.1", StaticFilesHandler)
    server.daemon = True
    server.start()
    server.is_ready.wait()
    if server.error:
        raise server.error
    base = f"http://127.0.0.1:{server.port}"
    original = textured_jpeg()  # a 12 MP camera original
    loaded = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu",
                                    "--disable-background-networking"])
        context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, locale="zh-CN",
                                      geolocation={"latitude": 40.705, "longitude": 111.605, "accuracy": 5},
                                      permissions=["geolocation"], service_workers="block")
        context.route("https://tile.openstreetmap.org/**", lambda route: route.abort())
        page = context.new_page()
        page.on("pageerror", lambda e: print("page error:", e))
        page.goto(base + "/accounts/login/")
        page.fill("#id_username", "bench")
        page.fill("#id_password", "bench-password-1")
        page.click("main button[type=submit]")
        page.wait_for_url("**/field/")

        fresh = browser.new_context(storage_state=context.storage_state(), service_workers="block")
        fresh_page = fresh.new_page()
        fresh_page.on("response", lambda r: loaded.append(r) if r.url.startswith(base) else None)
        fresh_page.goto(base + "/field/")
        fresh_page.wait_for_load_state("networkidle")
        first_load = sum(len(gzip.compress(r.body(), 6)) for r in loaded if r.request.resource_type in
                         ("document", "stylesheet", "script"))
        kinds = sorted({f"{r.request.resource_type}:{r.url[len(base):]}" for r in loaded})

        page.wait_for_selector("#field-app[data-ready=true]")
        cdp = context.new_cdp_session(page)
        taps = []
        for n in range(TAPS):
            page.click("#btn-new-finding")
            context.set_geolocation({"latitude": 40.705, "longitude": 111.605, "accuracy": 5})  # a fresh fix
            page.wait_for_selector("#loc-status:has-text('±')")
            photo = original if n == 0 else small_photo(n)
            page.set_input_files("#f-photos", files=[{"name": "IMG.jpg", "mimeType": "image/jpeg", "buffer": photo}])
            page.wait_for_selector("#photo-previews img")
            page.select_option("#f-category", "extension")
            cdp.send("Emulation.setCPUThrottlingRate", {"rate": 4})
            taps.append(page.evaluate(TAP_TO_SAVED))
            cdp.send("Emulation.setCPUThrottlingRate", {"rate": 1})
            page.wait_for_selector(f"#field-app[data-sent='{n + 1}']", state="attached", timeout=60000)
        browser.close()
    server.terminate()
    uploaded = Photo.objects.order_by("pk").first().size_bytes

    print("Field capture benchmark (figures from this run)")
    print(f"  first load of /field/ (HTML+CSS+JS, gzip -6): {first_load / 1024:.1f} KiB   target ≤ 150 KiB")
    for kind in kinds:
        print(f"      {kind}")
    print(f"  photo: original {len(original) / 1e6:.2f} MB (4000×3000), uploaded {uploaded / 1e6:.3f} MB, "
          f"ratio {uploaded / len(original):.3f}   target ≤ 0.15")
    print(f"  create finding {create_time * 1000:.1f} ms ÷ GET /api/v1/me/ {trivial * 1000:.1f} ms "
          f"= {create_time / trivial:.2f}   target ≤ 4   (medians of 200)")
    print(f"  tap on 保存 → saved on the phone, CPU ×4: median {statistics.median(taps):.0f} ms, "
          f"max {max(taps):.0f} ms of {len(taps)}   target ≤ 100 ms")


try:
    main()
finally:
    teardown()

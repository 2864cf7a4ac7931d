// 卫片图斑 on the field page (tuban/templates/tuban/_field_block.html): the 图斑 waiting to be checked, nearest
// first with distance and direction from the phone, drawn on a small map in their own colour; and the on-site
// check — far, near and inside photos with position and heading, and the result — kept in this module's own outbox
// in IndexedDB until the server confirmed it. The 图斑 themselves are kept on the phone too, so the list and the map
// work without network. The API is idempotent by the client_uuids made here, so a retry never doubles anything.
import { addBaseMaps } from "../basemap.js";
import { config } from "../config.js";
import { HttpError, errorText, send } from "../field/net.js";
import { preparePhoto } from "../field/photo.js";
import { openStores } from "../field/idb.js";
import { fmt, uuid4 } from "../field/util.js";

const section = document.getElementById("tuban-field");
const ID = "918273645";
const COLOURS = { pending: "#e8590c", mine: "#c2255c" };
const DRAIN_EVERY_MS = 15000;

function $(id) { return document.getElementById(id); }

// --- the phone's store ----------------------------------------------------------------------------

const store = openStores("xuncha-tuban", { tuban: { keyPath: "id" }, outbox: { keyPath: "id", autoIncrement: true } });

const saved = {
  replace: (features) => store("tuban", "readwrite", (s) => { s.clear(); features.forEach((f) => s.put(f)); }),
  all: () => store("tuban", "readonly", (s) => s.getAll()),
  remove: (id) => store("tuban", "readwrite", (s) => s.delete(id)),
};
const outbox = {
  add: (item) => store("outbox", "readwrite", (s) => s.add(item)),
  put: (item) => store("outbox", "readwrite", (s) => s.put(item)),
  remove: (id) => store("outbox", "readwrite", (s) => s.delete(id)),
  all: () => store("outbox", "readonly", (s) => s.getAll()),
};

// --- geometry on the phone ------------------------------------------------------------------------

const M_PER_DEG = 111320;

function rings(feature) {
  const g = feature.geometry;
  if (!g) return [];
  return g.type === "Polygon" ? g.coordinates : [].concat(...g.coordinates);
}

function inside(point, feature) {
  let within = false;
  (feature.geometry.type === "Polygon" ? [feature.geometry.coordinates] : feature.geometry.coordinates)
    .forEach((polygon) => {
      polygon.forEach((ring) => {
        for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
          const [xi, yi] = ring[i], [xj, yj] = ring[j];
          if ((yi > point[1]) !== (yj > point[1]) && point[0] < (xj - xi) * (point[1] - yi) / (yj - yi) + xi) {
            within = !within;
          }
        }
      });
    });
  return within;
}

// Metres from the phone to the 图斑's edge (0 inside), on a local flat projection: plenty within a few km.
export function distanceM(point, feature) {
  if (inside(point, feature)) return 0;
  const k = Math.cos(point[1] * Math.PI / 180);
  const xy = (c) => [(c[0] - point[0]) * M_PER_DEG * k, (c[1] - point[1]) * M_PER_DEG];
  let best = Infinity;
  rings(feature).forEach((ring) => {
    for (let i = 1; i < ring.length; i++) {
      const [ax, ay] = xy(ring[i - 1]), [bx, by] = xy(ring[i]);
      const dx = bx - ax, dy = by - ay, len = dx * dx + dy * dy;
      const t = len ? Math.max(0, Math.min(1, -(ax * dx + ay * dy) / len)) : 0;
      best = Math.min(best, Math.hypot(ax + t * dx, ay + t * dy));
    }
  });
  return best;
}

function centre(feature) {
  let x = 0, y = 0, n = 0;
  rings(feature).forEach((ring) => ring.forEach((c) => { x += c[0]; y += c[1]; n++; }));
  return [x / n, y / n];
}

// One of eight compass directions from the phone to the 图斑's centre.
function direction(point, feature) {
  const c = centre(feature), k = Math.cos(point[1] * Math.PI / 180);
  const bearing = (Math.atan2((c[0] - point[0]) * k, c[1] - point[1]) * 180 / Math.PI + 360) % 360;
  return section.dataset.tDirections.split(",")[Math.round(bearing / 45) % 8];
}

// --- the page ---------------------------------------------------------------------------------------

let features = [], here = null, accuracy = null, heading = null, map = null, layer = null, current = null;
const photos = { far: [], near: [], inside: [] };

function apiUrl(name, id) { return section.dataset[name].replace(ID, String(id)); }

function load() {
  const url = section.dataset.listUrl + "?status=pending";
  return send("GET", url).then((collection) => {
    features = collection.features;
    $("tuban-status").textContent = "";
    return saved.replace(features);
  }).catch(() => saved.all().then((kept) => {
    features = kept;
    $("tuban-status").textContent = section.dataset.tOfflineList;
  })).then(() => outbox.all()).then((items) => {
    // A check waiting in the outbox is done as far as the list is concerned.
    const waiting = new Set(items.map((item) => item.tuban_id));
    features = features.filter((f) => !waiting.has(f.id));
    render();
  });
}

function visible() {
  const mine = $("tuban-filter").value === "mine";
  return features.filter((f) => !mine || String(f.properties.assignee) === section.dataset.me);
}

function render() {
  section.hidden = false;
  const shown = visible().map((f) => ({ f: f, d: here ? distanceM(here, f) : null }));
  shown.sort((a, b) => (a.d === null ? 0 : a.d) - (b.d === null ? 0 : b.d));
  const list = $("tuban-list");
  list.textContent = "";
  if (!shown.length) {
    const li = document.createElement("li");
    li.className = "muted";
    li.textContent = section.dataset.tNone;
    list.appendChild(li);
  }
  shown.forEach(({ f, d }) => {
    const li = document.createElement("li");
    li.className = "tuban-item";
    li.dataset.id = f.id;
    li.dataset.number = f.properties.number;
    const where = d === null ? section.dataset.tNoFix : d === 0 ? section.dataset.tInside
      : fmt(section.dataset.tDistance, { m: Math.round(d), dir: direction(here, f) });
    const button = document.createElement("button");
    button.type = "button";
    button.className = "secondary small";
    button.textContent = f.properties.number + " · " + (f.properties.village_name || "") + " · " + where;
    button.addEventListener("click", () => open(f));
    li.appendChild(button);
    list.appendChild(li);
  });
  drawMap(shown.map((s) => s.f));
}

function drawMap(shown) {
  if (!window.L) return;
  if (!map) {
    map = L.map("tuban-map", { zoomControl: true });
    addBaseMaps(map);
    map.setView(config.default_center, config.default_zoom);
  }
  if (layer) layer.remove();
  layer = L.geoJSON({ type: "FeatureCollection", features: shown }, {
    style: (f) => ({ color: String(f.properties.assignee) === section.dataset.me ? COLOURS.mine : COLOURS.pending,
                     weight: 2, fillOpacity: 0.25, className: "tuban-polygon" }),
    onEachFeature: (f, polygonLayer) => { polygonLayer.on("click", () => open(f)); },
  }).addTo(map);
  if (shown.length) map.fitBounds(layer.getBounds(), { maxZoom: 17 });
}

// --- the check ------------------------------------------------------------------------------------

function open(feature) {
  current = feature;
  Object.keys(photos).forEach((kind) => { photos[kind] = []; $("tuban-" + kind).value = ""; });
  ["tuban-permit", "tuban-case", "tuban-reason", "tuban-note"].forEach((id) => { $(id).value = ""; });
  $("tuban-form-title").textContent = feature.properties.number + " " + (feature.properties.change_type || "");
  showDistance();
  $("tuban-form-error").hidden = true;
  $("tuban-form").hidden = false;
  $("tuban-form").scrollIntoView();
}

function showDistance() {
  if (!current) return;
  const d = here ? distanceM(here, current) : null;
  $("tuban-form-distance").textContent = d === null ? section.dataset.tNoFix : d === 0 ? section.dataset.tInside
    : fmt(section.dataset.tDistance, { m: Math.round(d), dir: direction(here, current) });
  $("tuban-form-distance").dataset.distance = d === null ? "" : String(Math.round(d));
}

function addPhotos(input) {
  const kind = input.dataset.kind;
  const now = new Date();
  const point = here ? { type: "Point", coordinates: here } : null;
  Promise.all(Array.from(input.files).map((file) => preparePhoto(file, { now: now, here: point, accuracy: accuracy })))
    .then((prepared) => {
      prepared.forEach((photo) => { photo.kind = kind; photo.heading = heading; });
      photos[kind] = photos[kind].concat(prepared);
      input.dataset.ready = String(photos[kind].length);
    });
}

function fail(message) {
  $("tuban-form-error").textContent = message;
  $("tuban-form-error").hidden = false;
}

function save(event) {
  event.preventDefault();
  const verdict = $("tuban-verdict").value;
  const all = photos.far.concat(photos.near, photos.inside);
  if (!photos.far.length || !photos.near.length || !photos.inside.length) { fail(section.dataset.tNeedPhotos); return; }
  const nearM = Number(section.dataset.nearM);
  const d = here ? distanceM(here, current) : null;
  const reason = $("tuban-reason").value.trim();
  if ((d === null || d > nearM) && !reason) { fail(fmt(section.dataset.tNeedReason, { m: nearM })); return; }
  if (verdict === "legal" && !$("tuban-permit").value.trim()) { fail(section.dataset.tNeedPermit); return; }
  if (verdict === "already_handled" && !$("tuban-case").value) { fail(section.dataset.tNeedCase); return; }
  const body = {
    client_uuid: uuid4(), verdict: verdict, photos: all.map((p) => p.client_uuid),
    location: here ? { type: "Point", coordinates: here } : null, accuracy_m: accuracy,
    position_reason: reason, permit_number: $("tuban-permit").value.trim(), note: $("tuban-note").value.trim(),
  };
  if (verdict === "already_handled") body.case = Number($("tuban-case").value);
  const item = { kind: "tuban_verify", tuban_id: current.id, number: current.properties.number, photos: all,
                 body: body, state: "waiting" };
  outbox.add(item).then(() => {
    features = features.filter((f) => f.id !== current.id);
    current = null;
    $("tuban-form").hidden = true;
    $("tuban-status").textContent = section.dataset.tSaved;
    render();
    return renderOutbox();
  }).then(drain);
}

// --- the outbox -----------------------------------------------------------------------------------

function renderOutbox() {
  return outbox.all().then((items) => {
    const count = $("tuban-queue");
    count.dataset.count = String(items.length);
    count.textContent = items.length ? fmt(section.dataset.tQueue, { n: items.length }) : section.dataset.tQueueEmpty;
    const list = $("tuban-outbox");
    list.textContent = "";
    items.filter((item) => item.state === "failed").forEach((item) => {
      const li = document.createElement("li");
      li.className = "queue-item failed";
      li.textContent = item.number + " · " + section.dataset.tFailed + " · " + (item.error || "");
      const retry = document.createElement("button");
      retry.type = "button";
      retry.className = "secondary small";
      retry.textContent = section.dataset.tRetry;
      retry.addEventListener("click", () => { item.state = "waiting"; outbox.put(item).then(drain); });
      li.appendChild(retry);
      list.appendChild(li);
    });
  });
}

function sendItem(item) {
  let chain = Promise.resolve();
  item.photos.forEach((photo) => {
    chain = chain.then(() => {
      if (photo.done) return null;
      const form = new FormData();
      form.append("file", photo.blob, photo.client_uuid + ".jpg");
      ["client_uuid", "sha256", "taken_at", "kind"].forEach((k) => { form.append(k, photo[k]); });
      if (photo.location) form.append("location", JSON.stringify(photo.location));
      if (photo.accuracy_m != null) form.append("accuracy_m", photo.accuracy_m);
      if (photo.heading != null) form.append("heading", photo.heading);
      return send("POST", apiUrl("photosUrl", item.tuban_id), form).then(() => {
        photo.done = true;
        return outbox.put(item);
      });
    });
  });
  return chain.then(() => send("POST", apiUrl("verifyUrl", item.tuban_id), item.body));
}

let draining = false;
function drain() {
  if (draining) return Promise.resolve();
  draining = true;
  return outbox.all().then((items) => {
    let chain = Promise.resolve(true);
    items.sort((a, b) => a.id - b.id).forEach((item) => {
      chain = chain.then((goOn) => {
        if (!goOn || item.state === "failed") return goOn;
        return sendItem(item).then(() => outbox.remove(item.id)).then(() => saved.remove(item.tuban_id)).then(() => {
          section.dataset.sent = String(Number(section.dataset.sent || 0) + 1);
          return true;
        }, (error) => {
          if (error instanceof HttpError && error.status !== 401) {
            item.state = "failed";
            item.error = errorText(error.body) || ("HTTP " + error.status);
            return outbox.put(item).then(() => true);
          }
          return false; // no network (or signed out): keep it and stop for now
        });
      });
    });
    return chain;
  }).catch(() => { /* keep everything; try again later */ }).then(() => {
    draining = false;
    return renderOutbox();
  });
}

// --- wiring ---------------------------------------------------------------------------------------

if (section) {
  $("tuban-filter").addEventListener("change", render);
  ["far", "near", "inside"].forEach((kind) => {
    $("tuban-" + kind).addEventListener("change", (event) => addPhotos(event.target));
  });
  $("tuban-verdict").addEventListener("change", () => {
    $("tuban-permit-row").hidden = $("tuban-verdict").value !== "legal";
    $("tuban-case-row").hidden = $("tuban-verdict").value !== "already_handled";
  });
  $("tuban-form").addEventListener("submit", save);
  $("tuban-cancel").addEventListener("click", () => { $("tuban-form").hidden = true; current = null; });
  if (navigator.geolocation) {
    navigator.geolocation.watchPosition((position) => {
      here = [position.coords.longitude, position.coords.latitude];
      accuracy = Math.round(position.coords.accuracy);
      render();
      showDistance();
    }, () => { /* no fix: the list says so */ }, { enableHighAccuracy: true, maximumAge: 10000, timeout: 30000 });
  }
  window.addEventListener("deviceorientationabsolute", (e) => {
    if (e.alpha != null) heading = Math.round((360 - e.alpha) % 360);
  });
  window.addEventListener("online", () => { drain().then(load); });
  setInterval(() => { if (navigator.onLine) drain(); }, DRAIN_EVERY_MS);
  load().then(renderOutbox).then(drain).then(() => { section.dataset.ready = "true"; });
}

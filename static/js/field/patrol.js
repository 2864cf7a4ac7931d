// A patrol: its start, its GPS track in numbered batches, and its end with a note, each through the outbox. The
// active patrol and the points not yet batched are kept in IndexedDB, so a reload or a dead battery loses nothing.
import { meta, outbox } from "./outbox.js";
import { $, T } from "./page.js";
import { fmt, uuid4 } from "./util.js";

const TRACK_BATCH = 20, TRACK_FLUSH_MS = 60000;
// Battery: a point is kept only when the phone moved this far, or this long passed standing still. The watch
// stops with the screen; what was collected goes out when the page is back (the outbox).
const MIN_STEP_M = 10, MIN_STEP_MS = 30000;

let trackWatch = null, trackBuffer = [], lastFlush = Date.now(), queued = () => {}, ticker = null;

// Metres between two { lng, lat } on the WGS-84 sphere (haversine; a patrol is a few kilometres).
export function metresBetween(a, b) {
  const rad = Math.PI / 180, dLat = (b.lat - a.lat) * rad, dLng = (b.lng - a.lng) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLng / 2) ** 2;
  return 2 * 6371008.8 * Math.asin(Math.sqrt(h));
}

function elapsed(startedAt) {
  const minutes = Math.max(0, Math.floor((Date.now() - new Date(startedAt).getTime()) / 60000));
  return Math.floor(minutes / 60) + ":" + String(minutes % 60).padStart(2, "0");
}

// The bar under the buttons: time since the start, distance walked, the villages the server placed the track in.
function showBar(active) {
  const bar = $("patrol-bar");
  bar.hidden = !active;
  if (!active) return;
  const km = ((active.distance_m || 0) / 1000).toFixed(2);
  const villages = active.villages && active.villages.length ? active.villages.join("、") : T.villages_none;
  bar.textContent = fmt(T.patrol_bar, { time: elapsed(active.started_at), km: km, n: active.points || 0,
                                         villages: villages });
  bar.dataset.distance = String(Math.round(active.distance_m || 0));
}

function patrolButton(active) {
  const b = $("btn-patrol");
  b.firstChild.textContent = active ? b.dataset.finish : b.dataset.start;
  b.classList.toggle("active", !!active);
  showBar(active);
  clearInterval(ticker);
  if (active) ticker = setInterval(() => showBar(active), 30000);
}

// The villages the server found the track in (a track batch's receipt), shown in the bar.
let running = null;  // the active patrol this page records (the object the GPS watch updates)
export function patrolVillages(clientUuid, names) {
  if (!running || running.client_uuid !== clientUuid) return null;
  running.villages = names;
  showBar(running);
  return meta.set("active_patrol", running);
}

function startTrack(active) {
  running = active;
  if (!navigator.geolocation) { gpsProblem(T.patrol_gps_denied); return; }
  if (trackWatch !== null) return;
  trackWatch = navigator.geolocation.watchPosition((position) => {
    gpsProblem(null);
    const c = position.coords;
    const point = { lng: Number(c.longitude.toFixed(7)), lat: Number(c.latitude.toFixed(7)),
                    t: new Date(position.timestamp).toISOString(), accuracy_m: Math.round(c.accuracy) };
    const last = active.last;
    if (last) {
      const step = metresBetween(last, point);
      if (step < MIN_STEP_M && position.timestamp - new Date(last.t).getTime() < MIN_STEP_MS) return;
      active.distance_m = (active.distance_m || 0) + step;
    }
    active.last = point;
    trackBuffer.push(point);
    active.points = (active.points || 0) + 1;
    meta.set("active_patrol", active);
    showBar(active);
    meta.set("track_buffer", trackBuffer);
    if (trackBuffer.length >= TRACK_BATCH || Date.now() - lastFlush > TRACK_FLUSH_MS) flushTrack(active);
  }, (error) => {
    // The patrol goes on (a patrol is a record even without a track), but the inspector is told: with the position
    // denied not one point is recorded; without a signal, points resume when the fix returns.
    gpsProblem(error && error.code === 1 ? T.patrol_gps_denied : T.patrol_gps_lost);
  }, { enableHighAccuracy: true, maximumAge: 10000 });
}

function gpsProblem(text) {
  const note = $("patrol-gps");
  note.textContent = text || "";
  note.hidden = !text;
}

function flushTrack(active) {
  lastFlush = Date.now();
  if (!trackBuffer.length) return Promise.resolve();
  const points = trackBuffer;
  trackBuffer = [];
  active.seq = (active.seq || 0) + 1;
  return meta.set("active_patrol", active)
    .then(() => outbox.add({ kind: "track", patrol_client_uuid: active.client_uuid, seq: active.seq, points: points, state: "waiting" }))
    .then(() => meta.set("track_buffer", []))
    .then(() => { queued(); });
}

// A patrol belongs to a campaign only when the inspector chose one (the dialog starts on "无").
function askToStart() {
  const dialog = $("start-dialog");
  if ($("p-campaign").options.length < 2) { start(""); return; }  // no active campaign: nothing to choose
  $("p-campaign").value = "";
  dialog.showModal();
  dialog.addEventListener("close", function onClose() {
    dialog.removeEventListener("close", onClose);
    if (dialog.returnValue === "start") start($("p-campaign").value);
  });
}

function start(campaign) {
  const active = { client_uuid: uuid4(), started_at: new Date().toISOString(), seq: 0, points: 0 };
  const body = { client_uuid: active.client_uuid, started_at: active.started_at };
  if (campaign) { body.kind = "campaign"; body.campaign = parseInt(campaign, 10); }
  return meta.set("active_patrol", active)
    .then(() => outbox.add({ kind: "patrol_start", client_uuid: active.client_uuid, body: body, state: "waiting" }))
    .then(() => { patrolButton(active); startTrack(active); queued(); });
}

function askToFinish(active) {
  const dialog = $("finish-dialog");
  $("finish-note").value = "";
  dialog.showModal();
  dialog.addEventListener("close", function onClose() {
    dialog.removeEventListener("close", onClose);
    if (dialog.returnValue !== "finish") return;
    if (trackWatch !== null) navigator.geolocation.clearWatch(trackWatch);
    trackWatch = null;
    gpsProblem(null);
    flushTrack(active).then(() => outbox.add({
      kind: "patrol_finish", patrol_client_uuid: active.client_uuid, state: "waiting",
      body: { note: $("finish-note").value.trim(), ended_at: new Date().toISOString() },
    })).then(() => { running = null; return meta.remove("active_patrol"); })
      .then(() => { patrolButton(null); queued(); });
  });
}

// ``changed()`` runs whenever the patrol put something in the outbox. A patrol active before a reload goes on.
export function setUpPatrols({ changed }) {
  queued = changed;
  $("btn-patrol").addEventListener("click", () => {
    meta.get("active_patrol").then((active) => (active ? askToFinish(active) : askToStart()));
  });
  return Promise.all([meta.get("active_patrol"), meta.get("track_buffer")]).then(([active, buffer]) => {
    trackBuffer = buffer || [];
    patrolButton(active);
    if (active) startTrack(active);
  });
}

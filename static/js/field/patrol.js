// A patrol: its start, its GPS track in numbered batches, and its end with a note, each through the outbox. The
// active patrol and the points not yet batched are kept in IndexedDB, so a reload or a dead battery loses nothing.
import { meta, outbox } from "./outbox.js";
import { $, T } from "./page.js";
import { fmt, uuid4 } from "./util.js";

const TRACK_BATCH = 20, TRACK_FLUSH_MS = 60000;

let trackWatch = null, trackBuffer = [], lastFlush = Date.now(), queued = () => {};

function patrolButton(active) {
  const b = $("btn-patrol");
  b.firstChild.textContent = active ? b.dataset.finish : b.dataset.start;
  b.classList.toggle("active", !!active);
  $("patrol-bar").hidden = !active;
  if (active) $("patrol-bar").textContent = fmt(T.patrolling, { n: active.points || 0 });
}

function startTrack(active) {
  if (!navigator.geolocation || trackWatch !== null) return;
  trackWatch = navigator.geolocation.watchPosition((position) => {
    const c = position.coords;
    trackBuffer.push({ lng: Number(c.longitude.toFixed(7)), lat: Number(c.latitude.toFixed(7)),
                       t: new Date(position.timestamp).toISOString(), accuracy_m: Math.round(c.accuracy) });
    active.points = (active.points || 0) + 1;
    patrolButton(active);
    meta.set("track_buffer", trackBuffer);
    if (trackBuffer.length >= TRACK_BATCH || Date.now() - lastFlush > TRACK_FLUSH_MS) flushTrack(active);
  }, () => { /* keep the patrol going; points resume when the fix returns */ },
  { enableHighAccuracy: true, maximumAge: 5000 });
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

function start() {
  const active = { client_uuid: uuid4(), started_at: new Date().toISOString(), seq: 0, points: 0 };
  const body = { client_uuid: active.client_uuid, started_at: active.started_at };
  const campaign = $("f-campaign").value;
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
    flushTrack(active).then(() => outbox.add({
      kind: "patrol_finish", patrol_client_uuid: active.client_uuid, state: "waiting",
      body: { note: $("finish-note").value.trim(), ended_at: new Date().toISOString() },
    })).then(() => meta.remove("active_patrol"))
      .then(() => { patrolButton(null); queued(); });
  });
}

// ``changed()`` runs whenever the patrol put something in the outbox. A patrol active before a reload goes on.
export function setUpPatrols({ changed }) {
  queued = changed;
  $("btn-patrol").addEventListener("click", () => {
    meta.get("active_patrol").then((active) => (active ? askToFinish(active) : start()));
  });
  return Promise.all([meta.get("active_patrol"), meta.get("track_buffer")]).then(([active, buffer]) => {
    trackBuffer = buffer || [];
    patrolButton(active);
    if (active) startTrack(active);
  });
}

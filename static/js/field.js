// The inspector's field page (patrol/templates/patrol/field.html), offline first: findings, photos and patrol
// tracks go into the outbox (field/outbox.js) and leave it when the server confirmed them. The service worker
// (patrol/templates/patrol/sw.js) keeps the page and these modules for a reload without network.
import { config, url } from "./config.js";
import { editRecord, reapply, refreshCases, renderCases, setUpCases } from "./field/cases.js";
import { setUpFindingForm } from "./field/form.js";
import { showNearbyCases } from "./field/nearby.js";
import { drain as drainOutbox, outbox } from "./field/outbox.js";
import { $, T, app, remember } from "./field/page.js";
import { patrolVillages, setUpPatrols } from "./field/patrol.js";
import { clearProgress, rememberDelivered, renderQueue, setProgress } from "./field/queue.js";
import { sendItem } from "./field/sync.js";
import { fmt } from "./field/util.js";

const DRAIN_EVERY_MS = 15000;

let form = null;  // the finding form's handle: edit(item) opens a refused finding again

function edit(item) { return item.kind === "record" ? editRecord(item) : form.edit(item); }

function render() { return renderQueue(retry, edit, (item) => reapply(item, retry)); }

function retry(item) {
  item.state = "waiting";
  item.next_try = 0;
  outbox.put(item).then(drain);
}

function drain() {
  return drainOutbox({
    send: (item) => {
      item.state = "uploading";
      render();
      return sendItem(item, {
        onProgress: (sent, fraction) => setProgress(sent.id, fraction),
        onVillages: patrolVillages,
        onNearby: (sent) => {
          const n = sent.nearby[0];
          remember(fmt(T.nearby_found, { ref: n.reference, m: Math.round(n.distance_m) }) + " — " + sent.reference);
        },
      });
    },
    // How many items this page has delivered (also lets tests and the bench wait for delivery).
    delivered: (item) => {
      rememberDelivered(item);
      // The case changed with it (a new version, maybe closed): the phone's copy follows.
      if (item.kind === "reinspect" || item.kind === "record") refreshCases();
      app.dataset.sent = String(Number(app.dataset.sent || 0) + 1);
    },
    settled: (item) => clearProgress(item.id),
    signedOut: () => {
      window.location.href = url("login") + "?next=" + encodeURIComponent(config.urls.field_page);
    },
    done: render,
  });
}

if (app) {
  form = setUpFindingForm({ saved: () => render().then(() => { app.dataset.saved = String(Number(app.dataset.saved || 0) + 1); drain(); }) });
  setUpPatrols({ changed: () => { render(); drain(); } });
  // records.js is loaded the first time a record is opened (not on the first load of the page).
  setUpCases({ saved: () => render().then(() => { renderCases(); drain(); }),
               records: () => import("./field/records.js") });
  $("btn-nearby").addEventListener("click", showNearbyCases);

  // The backoff is for a network that fails; the phone saying it is back online is the moment to try at once.
  window.addEventListener("online", () => {
    outbox.all().then((items) => Promise.all(items.filter((i) => i.state !== "failed" && i.next_try)
      .map((i) => { i.next_try = 0; return outbox.put(i); })))
      .catch(() => null).then(() => { render(); drain(); });
    refreshCases();
  });
  window.addEventListener("offline", render);
  setInterval(() => { if (navigator.onLine) drain(); }, DRAIN_EVERY_MS);
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(url("service_worker"), { scope: "/" }).catch(() => { /* page still works online */ });
  }
  render().then(drain);
  app.dataset.ready = "true";
}

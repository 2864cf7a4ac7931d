// Re-inspection and on-site records offline (#14, #15): the cases the inspector may need on site are kept on the
// phone — the cases they are responsible for and the open cases within 2 km of the phone's last position (GET
// /api/v1/cases/field/, one call, refreshed when online, 304 when nothing changed) — with each case's ETag, so a
// re-inspection or a record (records.js, loaded when one is opened) made without network goes through the outbox
// (sync.js) on the version of the case the inspector saw. A case changed meanwhile comes back as 412: the queue
// offers to look at the case as it is now and send the re-inspection or record again on it.
import { url } from "../config.js";
import { outbox } from "./outbox.js";
import { $, T, button, toast } from "./page.js";
import { preparePhoto } from "./photo.js";
import { fmt, uuid4 } from "./util.js";
import { openStores } from "./idb.js";

// The phone moved this far from where the store was last filled: fill it again (the nearby cases changed).
const REFRESH_AFTER_M = 500;
const REFRESH_EVERY_MS = 5 * 60000;

const store = openStores("xuncha-cases", { cases: { keyPath: "id" }, meta: { keyPath: "key" } });

export const caseStore = {
  all: () => store("cases", "readonly", (s) => s.getAll()),
  get: (id) => store("cases", "readonly", (s) => s.get(id)),
  put: (c) => store("cases", "readwrite", (s) => s.put(c)),
  // One transaction: the store is never seen half replaced.
  replace: (cases) => store("cases", "readwrite", (s) => { s.clear(); cases.forEach((c) => s.put(c)); }),
  getMeta: (key) => store("meta", "readonly", (s) => s.get(key)).then((r) => (r ? r.value : null)),
  setMeta: (key, value) => store("meta", "readwrite", (s) => s.put({ key: key, value: value })),
};

function metres(a, b) {
  const rad = Math.PI / 180, dLat = (b.lat - a.lat) * rad, dLng = (b.lng - a.lng) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLng / 2) ** 2;
  return 12742000 * Math.asin(Math.sqrt(h));
}

// --- filling the store --------------------------------------------------------------------------------------------

let refreshing = null;

export function refreshCases() {
  if (!navigator.onLine) return Promise.resolve(false);
  if (refreshing) return refreshing;
  refreshing = Promise.all([caseStore.getMeta("position"), caseStore.getMeta("list")]).then(([position, list]) => {
    const query = position ? "?lng=" + position.lng + "&lat=" + position.lat : "";
    const headers = { Accept: "application/json" };
    // The list's ETag answers for the position it was asked at only.
    if (list && list.etag && JSON.stringify(list.position) === JSON.stringify(position)) headers["If-None-Match"] = list.etag;
    return fetch(url("field_cases") + query, { credentials: "same-origin", headers: headers }).then((response) => {
      if (response.status === 304) return caseStore.setMeta("list", Object.assign(list, { at: Date.now() }));
      if (!response.ok) return null;
      return response.json().then((data) => caseStore.replace(data.cases)
        .then(() => caseStore.setMeta("officers", { list: data.officers || [], me: data.me }))
        .then(() => caseStore.setMeta("list", {
          etag: response.headers.get("ETag"), position: position, at: Date.now(), n: data.cases.length })));
    });
  }).then(() => true, () => false).then((done) => {
    refreshing = null;
    return renderCases().then(() => done);
  });
  return refreshing;
}

// Where the phone is (once per page, and not precise: 2 km decides), kept for the next refresh without a fix.
function locate() {
  if (!navigator.geolocation) return;
  navigator.geolocation.getCurrentPosition((fix) => {
    const here = { lng: Math.round(fix.coords.longitude * 1e5) / 1e5, lat: Math.round(fix.coords.latitude * 1e5) / 1e5 };
    Promise.all([caseStore.getMeta("position"), caseStore.getMeta("list")]).then(([before, list]) => {
      if (before && list && list.position && metres(before, here) < REFRESH_AFTER_M) return null;
      return caseStore.setMeta("position", here).then(refreshCases);
    });
  }, () => { /* no fix: the inspector's own cases still come */ }, { maximumAge: 600000, timeout: 20000 });
}

// --- the 复查 list ----------------------------------------------------------------------------------------------

// The actions the phone records offline (workflow.OFFLINE_ACTIONS): the outbox item's kind, or the record's action.
const OFFLINE_ACTIONS = ["reinspect", "record_inspection", "record_interview"];
export function actionOf(item) { return item.kind === "record" ? item.action : item.kind; }

// case id → what waits in the outbox for it, in words ("复查待上传", "现场检查笔录待上传").
function pendingByCase() {
  return outbox.all().then((items) => {
    const pending = new Map();
    items.filter((i) => OFFLINE_ACTIONS.indexOf(actionOf(i)) !== -1).forEach((i) => {
      const words = T[actionOf(i) + "_pending"];
      pending.set(i.case_id, (pending.has(i.case_id) ? pending.get(i.case_id) + T.separator : "") + words);
    });
    return pending;
  });
}

function offers(c, action) { return c.actions.indexOf(action) !== -1; }
function can(c) { return offers(c, "reinspect"); }

// Those that may be re-inspected first, overdue first, then by deadline; the others nearest first.
function byUse(a, b) {
  if (can(a) !== can(b)) return can(a) ? -1 : 1;
  if (a.overdue !== b.overdue) return a.overdue ? -1 : 1;
  if ((a.deadline || "9") !== (b.deadline || "9")) return (a.deadline || "9") < (b.deadline || "9") ? -1 : 1;
  return (a.distance_m || 0) - (b.distance_m || 0);
}

function stamp(time) {
  const d = new Date(time);
  return (d.getMonth() + 1) + "-" + d.getDate() + " " + String(d.getHours()).padStart(2, "0") + ":"
    + String(d.getMinutes()).padStart(2, "0");
}

export function renderCases() {
  const list = $("reinspect-list");
  if (!list) return Promise.resolve();
  return Promise.all([caseStore.all(), caseStore.getMeta("list"), pendingByCase()]).then(([cases, info, pending]) => {
    list.textContent = "";
    cases.sort(byUse).forEach((c) => {
      const li = document.createElement("li");
      li.className = "stored-case" + (can(c) ? " can" : "");
      li.dataset.caseId = c.id;
      const open = document.createElement("button");
      open.type = "button";
      open.className = "stored-case-open";
      if (c.thumbnails.length) {
        const img = document.createElement("img");
        img.src = c.thumbnails[0];
        img.alt = "";
        open.appendChild(img);
      }
      const text = document.createElement("span");
      const strong = document.createElement("strong");
      strong.textContent = c.reference;
      text.appendChild(strong);
      text.appendChild(document.createTextNode(" · " + c.status_display + (c.mine ? " · " + T.mine : "")));
      const where = document.createElement("small");
      where.textContent = [c.village, c.address].filter(Boolean).join(" ")
        + (c.distance_m != null ? " · " + fmt(T.distance, { m: c.distance_m }) : "");
      text.appendChild(where);
      if (c.deadline) {
        const due = document.createElement("small");
        due.className = "deadline" + (c.overdue ? " overdue" : "");
        due.textContent = fmt(T.deadline, { date: c.deadline }) + (c.overdue ? " · " + T.overdue : "");
        text.appendChild(due);
      }
      if (pending.has(c.id)) {
        const wait = document.createElement("small");
        wait.className = "pending";
        wait.textContent = pending.get(c.id);
        text.appendChild(wait);
      }
      open.appendChild(text);
      open.addEventListener("click", () => openCase(c.id));
      li.appendChild(open);
      list.appendChild(li);
    });
    $("reinspect-none").hidden = cases.length > 0;
    const when = $("reinspect-when");
    when.textContent = info ? fmt(navigator.onLine ? T.store_at : T.store_offline, { time: stamp(info.at), n: cases.length }) : "";
    $("reinspect-count").textContent = String(cases.filter(can).length);
  });
}

// --- one case: its summary and the re-inspection form -------------------------------------------------------------

let current = null;  // { caseId, clientUuid, photos: [promise], saving }

function summaryRow(dl, label, value) {
  if (!value) return;
  const dt = document.createElement("dt"), dd = document.createElement("dd");
  dt.textContent = label;
  dd.textContent = value;
  dl.appendChild(dt);
  dl.appendChild(dd);
}

export function showSummary(box, c) {
  box.textContent = "";
  const dl = document.createElement("dl");
  dl.className = "case-summary";
  summaryRow(dl, T.label_status, c.status_display);
  summaryRow(dl, T.label_category, c.category_display);
  summaryRow(dl, T.label_address, [c.village, c.address].filter(Boolean).join(" "));
  summaryRow(dl, T.label_deadline, c.deadline ? c.deadline + (c.overdue ? " · " + T.overdue : "") : "");
  box.appendChild(dl);
  if (c.thumbnails && c.thumbnails.length) {
    const row = document.createElement("div");
    row.className = "previews";
    c.thumbnails.forEach((src) => {
      const img = document.createElement("img");
      img.src = src;
      img.alt = "";
      row.appendChild(img);
    });
    box.appendChild(row);
  }
}

// Where an action recorded on the phone was made goes into its event (the GPS works without network): the fix is put
// in ``holder.location`` when it comes; without one (the position denied, no signal), none — never a made-up point —
// and ``note`` (an element of the form) says so while the form is still the one it was opened for.
export function locateAction(holder, note) {
  if (note) note.hidden = true;
  const without = () => {
    if (note && !holder.location && !holder.closed) { note.textContent = T.action_no_gps; note.hidden = false; }
  };
  if (!navigator.geolocation) { without(); return; }
  navigator.geolocation.getCurrentPosition((fix) => {
    holder.location = { type: "Point", coordinates: [fix.coords.longitude, fix.coords.latitude] };
    if (note && !holder.closed) note.hidden = true;
  }, without, { enableHighAccuracy: true, maximumAge: 60000, timeout: 30000 });
}

function openCase(id) {
  return caseStore.get(id).then((c) => {
    if (!c) return;
    const form = $("reinspect-form");
    closeCase();
    current = { caseId: c.id, clientUuid: uuid4(), photos: [], saving: false, location: null };
    locateAction(current, $("reinspect-no-gps"));
    form.hidden = false;
    $("reinspect-heading").textContent = fmt(T.reinspect_heading, { ref: c.reference });
    showSummary($("reinspect-summary"), c);
    $("reinspect-fields").hidden = !can(c);
    $("reinspect-save").hidden = !can(c);
    $("reinspect-unavailable").hidden = can(c);
    // The on-site records this case may take now, each opening its form (records.js, loaded the first time).
    const records = $("case-records");
    let any = false;
    records.querySelectorAll("button[data-record]").forEach((b) => {
      b.hidden = !offers(c, b.dataset.record);
      any = any || !b.hidden;
    });
    records.hidden = !any;
    $("reinspect-unavailable").textContent = fmt(T.cannot_reinspect, { status: c.status_display });
    showMissing();
    form.scrollIntoView({ block: "start" });
  });
}

function closeCase() {
  // Opened from a case page's address: once closed, a reload shows the field page, not the case again.
  if (/^#case-/.test(window.location.hash)) history.replaceState(null, "", window.location.pathname);
  const form = $("reinspect-form");
  form.reset();
  form.hidden = true;
  $("reinspect-previews").textContent = "";
  $("reinspect-error").hidden = true;
  $("reinspect-no-gps").hidden = true;
  if (current) current.closed = true;
  current = null;
}

function missing() {
  const form = $("reinspect-form"), problems = [];
  const result = form.querySelector("input[name=result]:checked");
  if (!result) problems.push(T.need_result);
  if (!form.note.value.trim()) problems.push(T.need_note);
  if (result && result.value === "rectified" && !current.photos.length) problems.push(T.need_after_photos);
  return problems;
}

function showMissing() {
  if (!current) return;
  const problems = missing(), box = $("reinspect-missing");
  box.textContent = problems.length ? T.missing + " " + problems.join(T.separator) : T.ready_to_save;
  box.classList.toggle("ready", !problems.length);
}

function addPhotos(event) {
  const owner = current;
  Array.prototype.forEach.call(event.target.files, (file) => {
    const ready = preparePhoto(file, { now: new Date(), here: null, accuracy: null })
      .then((photo) => Object.assign(photo, { stage: "after" }));
    owner.photos.push(ready);
    ready.then((photo) => {
      if (current !== owner) return;
      const img = document.createElement("img");
      img.src = URL.createObjectURL(photo.blob);
      img.alt = "";
      $("reinspect-previews").appendChild(img);
    });
  });
  event.target.value = "";
  showMissing();
}

function save(event, saved) {
  event.preventDefault();
  if (!current || current.saving) return;  // a second tap while the first is saved
  const problems = missing();
  if (problems.length) {
    $("reinspect-error").textContent = T.missing + " " + problems.join(T.separator);
    $("reinspect-error").hidden = false;
    return;
  }
  const form = event.target, mine = current;
  mine.saving = true;
  const body = { result: form.querySelector("input[name=result]:checked").value, note: form.note.value.trim(),
                 client_uuid: mine.clientUuid };
  if (mine.location) body.location = mine.location;
  Promise.all([caseStore.get(mine.caseId), Promise.all(mine.photos)]).then(([c, photos]) => {
    // The ETag the inspector saw goes with the item: the server takes the re-inspection only on that version.
    const item = { kind: "reinspect", client_uuid: mine.clientUuid, case_id: c.id, reference: c.reference,
                   etag: c.etag, body: body, photos: photos, state: "waiting", created: Date.now() };
    return outbox.addOnce(item).then((id) => { item.id = id; return item; });
  }).then((item) => {
    closeCase();
    window.scrollTo(0, 0);
    toast(T.reinspect_saved);
    return saved(item);
  }, (error) => {
    mine.saving = false;
    $("reinspect-error").textContent = T.save_failed + " " + (error && error.message ? error.message : "");
    $("reinspect-error").hidden = false;
  });
}

// --- a re-inspection or record the server refused because the case changed (412) ------------------------------------

// What happened to the case after the version the phone read ("id-version" in its ETag), but not the evidence sent
// before the action itself (the re-inspection's photos, the record's signatures).
function changesSince(etag, events) {
  const match = /-(\d+)"$/.exec(etag || "");
  const seen = match ? Number(match[1]) : 0;
  return events.filter((e) => e.seq > seen && e.action !== "add_photo" && e.action !== "add_signature");
}

// What the inspector recorded, in one line beside the case as it is now.
function yoursText(item) {
  if (item.kind === "record") {
    return fmt(T.reapply_yours_record, { record: T[item.action] }) + " " + (item.body.facts || item.body.interviewee);
  }
  const label = document.querySelector('#reinspect-form input[name=result][value="' + item.body.result + '"]');
  return fmt(T.reapply_yours, { result: label ? label.parentNode.textContent.trim() : item.body.result,
                                n: item.photos.length }) + " " + item.body.note;
}

// Read the case as it is now, show it beside what the inspector recorded, and if the re-inspection or record is still
// possible let them send it again on the current version (``resend(item)`` puts it back in line).
export function reapply(item, resend) {
  const panel = $("reapply-panel"), box = $("reapply-state"), actions = $("reapply-actions");
  panel.hidden = false;
  actions.textContent = "";
  box.textContent = T.reapply_loading;
  panel.scrollIntoView({ block: "start" });
  if (!navigator.onLine) { box.textContent = T.reapply_offline; return Promise.resolve(); }
  const asked = { credentials: "same-origin", headers: { Accept: "application/json" } };
  return Promise.all([fetch(url("case", { id: item.case_id }), asked), fetch(url("case_events", { id: item.case_id }), asked)])
    .then(([response, events]) => {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return Promise.all([response.json(), events.ok ? events.json() : { results: [] }]).then(([data, record]) => (
        { data: data, etag: response.headers.get("ETag"), changes: changesSince(item.etag, record.results) }));
    }).then(({ data, etag, changes }) => {
      const action = actionOf(item);
      const option = (data.available_actions || []).find((a) => a.action === action);
      const fresh = { id: data.id, reference: data.reference, etag: etag, address: data.address,
                      village: data.village_name || "", status: data.status,
                      status_display: data.status_display, category: data.category,
                      category_display: data.category_display, deadline: data.deadline, overdue: !!data.overdue,
                      party_name: data.party_name || "",
                      actions: (data.available_actions || []).filter((a) => a.available
                        && OFFLINE_ACTIONS.indexOf(a.action) !== -1).map((a) => a.action) };
      return caseStore.get(item.case_id).then((kept) => {
        const c = Object.assign(kept || { mine: false, distance_m: null, thumbnails: [] }, fresh);
        return caseStore.put(c).then(() => c);
      }).then((c) => {
        $("reapply-heading").textContent = fmt(T.reapply_heading, { ref: c.reference });
        box.textContent = "";
        showSummary(box, c);
        if (changes.length) {
          const heading = document.createElement("p");
          heading.textContent = T.reapply_changes;
          const list = document.createElement("ul");
          list.className = "changes";
          changes.forEach((e) => {
            const li = document.createElement("li");
            li.textContent = stamp(e.created_at) + " " + (e.actor ? e.actor.name : "") + " " + e.action_display
              + (e.to_status !== e.from_status ? " → " + e.to_status_display : "") + (e.note ? "：" + e.note : "");
            list.appendChild(li);
          });
          box.appendChild(heading);
          box.appendChild(list);
        }
        const yours = document.createElement("p");
        yours.textContent = yoursText(item);
        box.appendChild(yours);
        if (option && option.available) {
          actions.appendChild(button(item.kind === "record" ? T.reapply_send_record : T.reapply_send, () => {
            item.etag = etag;  // the version just shown: a change after this is a new 412
            panel.hidden = true;
            resend(item);
          }));
        } else {
          const why = document.createElement("p");
          why.className = "field-error";
          why.textContent = fmt(item.kind === "record" ? T.reapply_unavailable_record : T.reapply_unavailable,
                                { reason: option && option.reason ? option.reason : c.status_display });
          box.appendChild(why);
        }
        actions.appendChild(button(T.close, () => { panel.hidden = true; }));
        return renderCases();
      });
    }).catch(() => { box.textContent = T.reapply_failed; });
}

// --- on-site records (records.js: loaded the first time one is opened, kept by the service worker for offline) ------

let recordSaved = null;  // setUpCases' ``saved``
// setUpCases' ``loadRecords``: the entry module imports records.js, not this one. records.js imports this module,
// and an import back from here would be a cycle that collectstatic's hashed names (ManifestStaticFilesStorage
// rewrites every import to the file's hash) can never settle: "Max post-process passes exceeded".
let loadRecords = null;

// Open the form of ``action`` (record_inspection, record_interview) on the phone's copy of the case; ``editing``: a
// record the server refused (400, 409), opened again to be corrected and sent anew.
function openRecordForm(action, caseId, editing) {
  return Promise.all([loadRecords(), caseStore.get(caseId)]).then(([records, c]) => {
    if (!c) { toast(T.case_not_kept); return; }
    closeCase();
    records.openRecord(action, c, { editing: editing, saved: recordSaved });
  });
}

export function editRecord(item) { return openRecordForm(item.action, item.case_id, item); }

// ``saved(item)`` runs once a re-inspection or a record is in the outbox.
export function setUpCases({ saved, records }) {
  if (!$("reinspect-list")) return;
  recordSaved = saved;
  loadRecords = records;
  $("case-records").addEventListener("click", (event) => {
    const chosen = event.target.closest("button[data-record]");
    if (chosen && current) openRecordForm(chosen.dataset.record, current.caseId, null);
  });
  $("reinspect-photos").addEventListener("change", addPhotos);
  $("reinspect-form").addEventListener("change", showMissing);
  $("reinspect-form").addEventListener("input", showMissing);
  $("reinspect-form").addEventListener("submit", (event) => save(event, saved));
  $("reinspect-cancel").addEventListener("click", closeCase);
  renderCases().then(() => {
    // A case page opened without network (the service worker sent it here): the phone's copy of that case.
    const asked = /^#case-(\d+)$/.exec(window.location.hash);
    if (asked) {
      caseStore.get(Number(asked[1])).then((c) => {
        if (c) openCase(c.id);
        else toast(T.case_not_kept);
      });
    }
    refreshCases();
    locate();
  });
  // A case assigned or changed at the office reaches the phone while it has signal (304 when nothing changed).
  setInterval(refreshCases, REFRESH_EVERY_MS);
}

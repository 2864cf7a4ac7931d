// The finding form: where (location.js), photos (photo.js) and what was seen. Saving puts the finding in the
// outbox, in the active patrol if there is one; it leaves the phone when the network allows.
// One form is one finding (#15): its client_uuid is made when the form opens, a second tap while the first is
// saved does nothing, and the outbox keeps one item per client_uuid, so taps and retries never make a twin.
import { checkNearby } from "./nearby.js";
import { currentAccuracy, currentPoint, locationSource, refreshMap, roughPoint, startFrom, startLocating,
         stopLocating } from "./location.js";
import { meta, outbox } from "./outbox.js";
import { $, T, app, toast } from "./page.js";
import { preparePhoto } from "./photo.js";
import { fmt, uuid4 } from "./util.js";

const OPTIONAL_FIELDS = ["estimated_area_m2", "floors", "structure", "address", "description", "party_name",
                         "party_phone", "campaign"];

// The form being filled: its finding's id, its photos ({ ready: promise, photo, removed }), the refused outbox
// item it edits (or null), and whether a save is under way.
let current = null;

function minPhotos() { return Number((app && app.dataset.minPhotos) || 0); }

function newForm(editing) {
  current = { clientUuid: editing ? editing.client_uuid : uuid4(), photos: [], editing: editing || null,
              saving: false };
}

function openForm(editing) {
  const form = $("finding-form");
  closeForm();
  newForm(editing);
  form.hidden = false;
  $("finding-heading").textContent = editing ? T.edit_heading : $("finding-heading").dataset.text;
  if (editing) {
    const body = editing.body;
    form.category.value = body.category || "";
    form.querySelectorAll("input[name=stage]").forEach((r) => { r.checked = r.value === body.stage; });
    OPTIONAL_FIELDS.forEach((k) => { form[k].value = body[k] == null ? "" : String(body[k]); });
    editing.photos.forEach((photo) => addPrepared(Promise.resolve(photo)));
    startFrom(editing.body, changed);
  } else {
    startLocating(changed);
  }
  form.scrollIntoView({ behavior: "smooth" });
  refreshMap();
  showMissing();
}

function closeForm() {
  stopLocating();
  $("finding-form").reset();
  $("finding-form").hidden = true;
  $("nearby-warning").hidden = true;
  $("form-error").hidden = true;
  $("photo-previews").textContent = "";
  current = null;
}

// The position moved: look for a case already there, and say again what is missing.
function changed() {
  checkNearby();
  showMissing();
}

function livePhotos() { return current ? current.photos.filter((p) => !p.removed) : []; }

// What keeps the form from being saved, in words (shown live above 保存, and again when 保存 is tapped).
function missing() {
  const form = $("finding-form"), problems = [];
  if (!currentPoint()) problems.push(T.need_location);
  const short = minPhotos() - livePhotos().length;
  if (short > 0) problems.push(fmt(T.need_photos, { n: short }));
  if (!form.category.value) problems.push(T.need_category);
  return problems;
}

function showMissing() {
  if (!current) return;
  const problems = missing(), box = $("form-missing");
  box.textContent = problems.length ? T.missing + " " + problems.join(T.separator) : T.ready_to_save;
  box.classList.toggle("ready", !problems.length);
}

// A photo being prepared (resized, hashed) gets its preview with a remove button once ready.
function addPrepared(ready) {
  const entry = { ready: ready, photo: null, removed: false };
  current.photos.push(entry);
  const owner = current;
  ready.then((photo) => {
    entry.photo = photo;
    if (current !== owner || entry.removed) return;
    const figure = document.createElement("figure");
    figure.className = "preview";
    const img = document.createElement("img");
    img.src = URL.createObjectURL(photo.blob);
    img.alt = "";
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "remove-photo";
    remove.textContent = "×";
    remove.setAttribute("aria-label", T.remove_photo);
    remove.addEventListener("click", () => {
      entry.removed = true;
      figure.remove();
      URL.revokeObjectURL(img.src);
      showMissing();
    });
    figure.appendChild(img);
    figure.appendChild(remove);
    $("photo-previews").appendChild(figure);  // the preview says the photo is ready
  });
  showMissing();
}

function addPhotos(event) {
  Array.prototype.forEach.call(event.target.files, (file) => {
    const picked = { now: new Date(), here: roughPoint(), accuracy: currentAccuracy() };
    addPrepared(preparePhoto(file, picked));
  });
  event.target.value = "";
}

function showError(text) {
  const error = $("form-error");
  error.textContent = text;
  error.hidden = false;
  error.scrollIntoView({ block: "center" });
}

// ``saved(item)`` runs once the finding is in the outbox.
function save(event, saved) {
  event.preventDefault();
  if (!current || current.saving) return;  // a second tap while the first is being saved
  const problems = missing();
  if (problems.length) { showError(T.missing + " " + problems.join(T.separator)); return; }
  const form = event.target, mine = current;
  mine.saving = true;
  const body = { client_uuid: mine.clientUuid, location: currentPoint(), location_source: locationSource(),
                 accuracy_m: currentAccuracy(), observed_at: mine.editing ? mine.editing.body.observed_at
                   : new Date().toISOString(),
                 category: form.category.value, stage: form.stage.value };
  OPTIONAL_FIELDS.forEach((k) => {
    const v = form[k].value.trim();
    if (v !== "") body[k] = (k === "floors" || k === "campaign") ? parseInt(v, 10) : v;
  });
  let item = null;
  Promise.all(livePhotos().map((p) => p.ready)).then((photos) => meta.get("active_patrol").then((patrol) => {
    if (mine.editing) {
      // A refused finding, corrected: the same outbox item and id, sent again from the start.
      item = Object.assign(mine.editing, { body: body, photos: photos, state: "waiting", error: null,
                                           next_try: 0, attempts: 0 });
      return outbox.put(item);
    }
    item = { kind: "finding", client_uuid: body.client_uuid, body: body, photos: photos,
             patrol_client_uuid: patrol ? patrol.client_uuid : null, case_id: null, state: "waiting",
             created: Date.now() };
    return outbox.addOnce(item).then((id) => { item.id = id; });
  })).then(() => {
    closeForm();
    window.scrollTo(0, 0);
    toast(T.saved);
    return saved(item);
  }, (error) => {
    mine.saving = false;
    showError(T.save_failed + " " + (error && error.message ? error.message : ""));
  });
}

// ``saved(item)`` runs after a finding went into the outbox; ``edit(item)`` opens a refused one again.
export function setUpFindingForm({ saved }) {
  $("f-photos").addEventListener("change", addPhotos);
  $("f-category").addEventListener("change", showMissing);
  $("finding-form").addEventListener("submit", (event) => save(event, saved));
  $("btn-new-finding").addEventListener("click", () => openForm(null));
  $("btn-cancel").addEventListener("click", closeForm);
  return { edit: openForm };
}

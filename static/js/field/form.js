// The finding form: where (location.js), photos (photo.js) and what was seen. Saving puts the finding in the
// outbox, in the active patrol if there is one; it leaves the phone when the network allows.
import { checkNearby } from "./nearby.js";
import { currentAccuracy, currentPoint, locationSource, refreshMap, startLocating, stopLocating } from "./location.js";
import { meta, outbox } from "./outbox.js";
import { $, T, toast } from "./page.js";
import { preparePhoto } from "./photo.js";
import { uuid4 } from "./util.js";

const OPTIONAL_FIELDS = ["estimated_area_m2", "floors", "structure", "address", "description", "party_name",
                         "party_phone", "campaign"];

let pendingPhotos = [];  // promises of the photos being prepared

function openForm() {
  $("finding-form").hidden = false;
  $("finding-form").scrollIntoView({ behavior: "smooth" });
  startLocating(checkNearby);
  refreshMap();
}

function closeForm() {
  stopLocating();
  $("finding-form").reset();
  $("finding-form").hidden = true;
  $("nearby-warning").hidden = true;
  $("form-error").hidden = true;
  pendingPhotos = [];
  $("photo-previews").textContent = "";
}

function addPhotos(event) {
  Array.prototype.forEach.call(event.target.files, (file) => {
    const picked = { now: new Date(), here: currentPoint(), accuracy: currentAccuracy() };
    pendingPhotos.push(preparePhoto(file, picked).then((photo) => {
      const img = document.createElement("img");
      img.src = URL.createObjectURL(photo.blob);
      img.alt = "";
      $("photo-previews").appendChild(img);  // the preview says the photo is ready
      return photo;
    }));
  });
  event.target.value = "";
}

// ``saved()`` runs once the finding is in the outbox.
function save(event, saved) {
  event.preventDefault();
  const form = event.target, error = $("form-error");
  const location = currentPoint();
  if (!location) { error.textContent = T.need_location; error.hidden = false; return; }
  if (!form.category.value) { error.textContent = T.need_category; error.hidden = false; return; }
  const body = { client_uuid: uuid4(), location: location, location_source: locationSource(),
                 accuracy_m: currentAccuracy(), observed_at: new Date().toISOString(),
                 category: form.category.value, stage: form.stage.value };
  OPTIONAL_FIELDS.forEach((k) => {
    const v = form[k].value.trim();
    if (v !== "") body[k] = (k === "floors" || k === "campaign") ? parseInt(v, 10) : v;
  });
  Promise.all(pendingPhotos).then((photos) => meta.get("active_patrol").then((patrol) => (
    outbox.add({ kind: "finding", client_uuid: body.client_uuid, body: body, photos: photos,
                 patrol_client_uuid: patrol ? patrol.client_uuid : null, case_id: null, state: "waiting",
                 created: Date.now() })
  ))).then(() => {
    closeForm();
    toast(T.saved);
    return saved();
  });
}

export function setUpFindingForm({ saved }) {
  $("f-photos").addEventListener("change", addPhotos);
  $("finding-form").addEventListener("submit", (event) => save(event, saved));
  $("btn-new-finding").addEventListener("click", openForm);
  $("btn-cancel").addEventListener("click", closeForm);
}

// What each kind of outbox item sends: a patrol's start, its track batches and its end, a finding with its photos,
// a re-inspection with its photos, and an on-site record with the signatures drawn in it. Every retry sends exactly the same body, so the server recognises what it
// already has.
import { url } from "../config.js";
import { send } from "./net.js";
import { dependencyError, meta, outbox } from "./outbox.js";

// The server's id of a patrol started on this phone, once its start went through.
function patrolId(clientUuid) {
  return meta.get("patrol:" + clientUuid).then((id) => {
    if (!id) throw dependencyError("patrol not uploaded yet");
    return id;
  });
}

// onProgress(item, fraction) while photos upload; onNearby(item) when the server knows open cases close by.
// onVillages(patrolClientUuid, names) when a track batch's receipt names the villages the patrol passed through.
export function sendItem(item, { onProgress, onNearby, onVillages }) {
  if (item.kind === "patrol_start") {
    return send("POST", url("patrols"), item.body).then((patrol) => meta.set("patrol:" + item.client_uuid, patrol.id));
  }
  if (item.kind === "track") {
    return patrolId(item.patrol_client_uuid).then((id) => (
      send("POST", url("patrol_track", { id: id }), { seq: item.seq, points: item.points })))
      .then((receipt) => (receipt && receipt.patrol && onVillages
        ? onVillages(item.patrol_client_uuid, receipt.patrol.villages.map((v) => v.name)) : null));
  }
  if (item.kind === "patrol_finish") {
    return patrolId(item.patrol_client_uuid).then((id) => send("POST", url("patrol_finish", { id: id }), item.body));
  }
  if (item.kind === "signature") return sendSignature(item);
  if (item.kind === "reinspect") return sendReinspection(item, onProgress);
  if (item.kind === "record") return sendRecord(item);
  return sendFinding(item, onProgress, onNearby);
}

// One photo of an item to its case, once: the server's id is kept with it (the action names its photos by id), and a
// resend of a photo the server already has (same client_uuid and bytes) answers with the same photo.
function sendPhotos(item, onProgress) {
  let chain = Promise.resolve();
  item.photos.forEach((photo, index) => {
    chain = chain.then(() => {
      if (photo.done) return null;
      const form = new FormData();
      form.append("file", photo.blob, photo.client_uuid + ".jpg");
      ["client_uuid", "sha256", "taken_at", "stage"].forEach((k) => { form.append(k, photo[k]); });
      if (photo.location) form.append("location", JSON.stringify(photo.location));
      if (photo.accuracy_m != null) form.append("accuracy_m", photo.accuracy_m);
      return send("POST", url("case_photos", { id: item.case_id }), form, (fraction) => {
        onProgress(item, (index + fraction) / item.photos.length);
      }).then((stored) => {
        photo.done = true;
        photo.id = stored ? stored.id : photo.id;
        onProgress(item, (index + 1) / item.photos.length);
        return outbox.put(item);
      });
    });
  });
  return chain;
}

// A re-inspection recorded offline (cases.js): its ``after`` photos first, then the action on the version of the
// case the inspector saw (If-Match). The server takes that version as current when only these photos changed the case
// since, answers a resend of the same client_uuid with the case as it is (nothing recorded twice), and says 412 when
// someone else changed the case: the queue then offers to look at the case and send it again (cases.js reapply).
function sendReinspection(item, onProgress) {
  return sendPhotos(item, onProgress).then(() => send("POST", url("case_action", { id: item.case_id, action: "reinspect" }),
    Object.assign({}, item.body, { photos: item.photos.map((p) => p.id) }), null, { "If-Match": item.etag }));
}

// An on-site record made offline (records.js): the signatures drawn in it first, each once (a signature the server
// has answers 200 to its resend), then the action naming them by client_uuid on the version of the case the
// inspector saw. As for a re-inspection, the server takes that version when only these signatures changed the case,
// answers a resend of the same client_uuid with the case as it is, and says 412 when someone else changed it.
function sendRecord(item) {
  let chain = Promise.resolve();
  item.signatures.forEach((signature) => {
    chain = chain.then(() => {
      if (signature.done) return null;
      return sendSignature(Object.assign({ case_id: item.case_id }, signature)).then(() => {
        signature.done = true;
        return outbox.put(item);
      });
    });
  });
  return chain.then(() => send("POST", url("case_action", { id: item.case_id, action: item.action }), item.body, null,
                               { "If-Match": item.etag }));
}

// A signature drawn on the phone (static/js/signature.js): the PNG with its SHA-256, or the refusal and its witness.
function sendSignature(item) {
  const form = new FormData();
  ["client_uuid", "role", "signer_name", "drawn_at", "witness_name"].forEach((k) => { form.append(k, item[k]); });
  form.append("refused", item.refused ? "true" : "false");
  if (item.officer) form.append("officer", item.officer);
  if (item.blob) {
    form.append("file", item.blob, item.client_uuid + ".png");
    form.append("sha256", item.sha256);
  }
  return send("POST", url("case_signatures", { id: item.case_id }), form);
}

function sendFinding(item, onProgress, onNearby) {
  let ready = Promise.resolve();
  // The patrol id is fixed before the first send, so every retry sends exactly the same body.
  if (item.patrol_client_uuid && item.body.patrol === undefined) {
    ready = patrolId(item.patrol_client_uuid).then((id) => { item.body.patrol = id; return outbox.put(item); });
  }
  return ready.then(() => {
    if (item.case_id) return null;
    return send("POST", url("cases"), item.body).then((created) => {
      item.case_id = created.id;
      item.reference = created.reference;
      item.nearby = created.nearby_open_cases || [];
      return outbox.put(item);
    });
  }).then(() => sendPhotos(item, onProgress)).then(() => {
    if (item.nearby && item.nearby.length) onNearby(item);
  });
}

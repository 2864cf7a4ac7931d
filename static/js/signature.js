// The sign page (documents/sign.html): a signature drawn with a finger on the pad (field/signpad.js). The PNG and its
// SHA-256 wait in the field outbox (field/outbox.js, kind "signature") and leave it when the server confirmed them,
// as photos do: signing works without a network.
import { drain, outbox } from "./field/outbox.js";
import { drawnSignature, signaturePad } from "./field/signpad.js";
import { sendItem } from "./field/sync.js";

function flush(status) {
  return drain({
    send: (item) => sendItem(item, { onProgress: () => {}, onNearby: () => {} }),
    delivered: (item) => { if (item.kind === "signature") status.textContent = status.dataset.sent; },
    settled: () => {},
    signedOut: () => {},
    done: () => {},
  });
}

// The form of documents/sign.html: who signs, the canvas or the refusal with a witness, then into the outbox.
export function signatureForm(form) {
  const pad = signaturePad(form.querySelector("canvas"));
  const status = form.querySelector(".sign-status");
  const refused = form.elements.refused, witness = form.elements.witness_name;
  form.querySelector(".sign-clear").addEventListener("click", () => pad.clear());
  refused.addEventListener("change", () => { witness.required = refused.checked; });
  // One signature per tap of 保存签名: a second tap while the first is being saved is ignored, and what was saved is
  // cleared from the form (the drawing, or the refusal and its witness), so a late tap saves nothing again.
  let saving = false;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (saving) return;
    if (!refused.checked && pad.isEmpty()) { status.textContent = status.dataset.empty; return; }
    if (refused.checked && !witness.value.trim()) { status.textContent = status.dataset.witness; return; }
    saving = true;
    drawnSignature(pad, {
      role: form.elements.role.value, signer_name: form.elements.signer_name.value,
      officer: form.elements.officer ? form.elements.officer.value : "", refused: refused.checked,
      witness_name: witness.value.trim(),
    }).then((signature) => outbox.add(Object.assign({ kind: "signature", case_id: Number(form.dataset.case) }, signature)))
      .then(() => {
        status.textContent = status.dataset.queued;
        pad.clear();
        refused.checked = false;
        witness.value = "";
        witness.required = false;
        saving = false;
        return flush(status);
      }, () => { saving = false; });
  });
  // The network is back: what waited for it goes now, not when its backoff ends.
  window.addEventListener("online", () => outbox.all()
    .then((items) => Promise.all(items.filter((item) => item.state === "waiting")
      .map((item) => { item.next_try = 0; return outbox.put(item); })))
    .then(() => flush(status)));
  window.setInterval(() => flush(status), 10000);  // and after a backoff, while the page is open
  flush(status);  // what an earlier visit left in the outbox
}

const element = document.getElementById("signature-form");
if (element) signatureForm(element);

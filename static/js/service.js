// The case page's 记录送达 forms (documents/_service_form.html): each method's fields only, and the recipient's
// signature drawn with a finger on the pad of field/signpad.js, sent with the form as a PNG data: URL and the SHA-256
// computed here (the server checks it, as for the sign page's signatures). The form posts as it would without this
// script; its client_uuid makes a second tap record nothing more.
import { signaturePad } from "./field/signpad.js";
import { sha256 } from "./field/sha256.js";
import { holdSubmit } from "./submit-once.js";

function dataUrl(blob) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result);
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(blob);
  });
}

function blobOf(url) {
  const bytes = atob(url.slice(url.indexOf(",") + 1));
  return new Blob([Uint8Array.from(bytes, (c) => c.charCodeAt(0))], { type: "image/png" });
}

export function serviceForm(form) {
  const details = form.closest("details");
  const method = form.elements.method, refused = form.elements.refused;
  const png = form.elements.signature_png, hash = form.elements.signature_sha256;
  const canvas = form.querySelector("canvas.signature-pad");
  const blocks = Array.from(form.querySelectorAll("fieldset[data-methods]"));
  let pad = null;

  // The pad is made once the canvas is on screen (its size is read then): the form opened, in person chosen.
  function padNow() {
    if (!pad && canvas && canvas.offsetWidth) {
      pad = signaturePad(canvas);
      // Sent back with an error: the signature drawn before is shown again, and sent as it was.
      if (png.value) pad.show({ blob: blobOf(png.value) });
    }
    return pad;
  }
  // A hidden fieldset is disabled too: what it holds is not sent with another method.
  function show() {
    blocks.forEach((block) => {
      const on = block.dataset.methods.split(" ").includes(method.value);
      block.hidden = !on;
      block.disabled = !on;
    });
    padNow();
  }
  method.addEventListener("change", show);
  if (details) details.addEventListener("toggle", show);
  if (refused) {
    refused.addEventListener("change", () => {
      // 民事诉讼法 第89条: a refusal to sign is service left at the premises, before a witness.
      if (refused.checked && method.value === "in_person") {
        method.value = "left_at_premises";
        show();
        const note = form.querySelector(".refused-note") || document.createElement("p");
        note.className = "refused-note muted";
        note.textContent = form.dataset.refusedNote;
        refused.closest("fieldset").prepend(note);
      }
    });
  }
  if (canvas) {
    canvas.addEventListener("pointerdown", () => {
      // Drawing answers the "sign first" message.
      const status = form.querySelector(".service-signature .field-error");
      if (status) status.remove();
    });
    form.querySelector(".sign-clear").addEventListener("click", () => {
      if (padNow()) pad.clear();
      png.value = hash.value = "";
    });
  }
  show();
  if (form.hasAttribute("data-failed")) form.scrollIntoView({ block: "start" });

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (form.hasAttribute("data-sending")) return;  // a second tap while the first is on its way
    const inPerson = method.value === "in_person" && !(refused && refused.checked);
    const drawn = inPerson && padNow() && !pad.isEmpty();
    const chosen = form.elements.recipient_signature && form.elements.recipient_signature.value;
    if (canvas && inPerson && !drawn && !chosen) {
      const status = form.querySelector(".service-signature .field-error") || document.createElement("p");
      status.className = "field-error";
      status.setAttribute("role", "alert");
      status.textContent = form.dataset.empty;
      canvas.parentElement.append(status);
      return;
    }
    const letGo = holdSubmit(form);
    const kept = drawn && pad.kept();
    const ready = drawn
      ? (kept ? Promise.resolve(kept.blob) : pad.toBlob())
        .then((blob) => Promise.all([dataUrl(blob), sha256(blob)]))
        .then(([url, digest]) => { png.value = url; hash.value = digest; })
      : Promise.resolve();
    ready.then(() => form.submit(), letGo);
  });
}

document.querySelectorAll(".service-form form").forEach(serviceForm);

// A signature drawn with a finger (or a pen, or a mouse) on a canvas: plain canvas 2D and pointer events, no
// library. The PNG and its SHA-256 wait in the field outbox (field/outbox.js, kind "signature") and leave it
// when the server confirmed them, as photos do: signing works without a network.
import { drain, outbox } from "./field/outbox.js";
import { sendItem } from "./field/sync.js";
import { sha256 } from "./field/sha256.js";

// The canvas keeps its drawing in device pixels, so a line is as sharp as the screen.
export function signaturePad(canvas) {
  const context = canvas.getContext("2d");
  let strokes = 0, last = null;

  function fit() {
    const ratio = window.devicePixelRatio || 1, box = canvas.getBoundingClientRect();
    canvas.width = Math.round(box.width * ratio);
    canvas.height = Math.round(box.height * ratio);
    context.setTransform(ratio, 0, 0, ratio, 0, 0);
    context.lineWidth = 2.5;
    context.lineCap = context.lineJoin = "round";
    context.strokeStyle = "#111";
    strokes = 0;
  }
  function point(event) {
    const box = canvas.getBoundingClientRect();
    return { x: event.clientX - box.left, y: event.clientY - box.top };
  }
  canvas.addEventListener("pointerdown", (event) => {
    event.preventDefault();
    canvas.setPointerCapture(event.pointerId);
    last = point(event);
    context.beginPath();
    context.arc(last.x, last.y, context.lineWidth / 2, 0, 2 * Math.PI);
    context.fillStyle = context.strokeStyle;
    context.fill();
    strokes += 1;
  });
  canvas.addEventListener("pointermove", (event) => {
    if (!last) return;
    event.preventDefault();
    // Every coalesced point of a fast finger, not only the last of each frame.
    const points = event.getCoalescedEvents ? event.getCoalescedEvents() : [event];
    (points.length ? points : [event]).forEach((e) => {
      const next = point(e);
      context.beginPath();
      context.moveTo(last.x, last.y);
      context.lineTo(next.x, next.y);
      context.stroke();
      last = next;
    });
  });
  ["pointerup", "pointercancel", "pointerleave"].forEach((name) => canvas.addEventListener(name, () => { last = null; }));
  fit();
  return {
    clear: fit,
    isEmpty: () => strokes === 0,
    toBlob: () => new Promise((resolve) => canvas.toBlob(resolve, "image/png")),
  };
}

function uuid() {
  if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
  return "10000000-1000-4000-8000-100000000000".replace(/[018]/g, (c) => (
    (c ^ (crypto.getRandomValues(new Uint8Array(1))[0] & (15 >> (c / 4)))).toString(16)));
}

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
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!refused.checked && pad.isEmpty()) { status.textContent = status.dataset.empty; return; }
    if (refused.checked && !witness.value.trim()) { status.textContent = status.dataset.witness; return; }
    const item = {
      kind: "signature", case_id: Number(form.dataset.case), client_uuid: uuid(), role: form.elements.role.value,
      signer_name: form.elements.signer_name.value, officer: form.elements.officer ? form.elements.officer.value : "",
      drawn_at: new Date().toISOString(), refused: refused.checked, witness_name: witness.value.trim(),
    };
    const drawn = refused.checked ? Promise.resolve(null) : pad.toBlob();
    drawn.then((blob) => (blob ? sha256(blob).then((hash) => { item.blob = blob; item.sha256 = hash; }) : null))
      .then(() => outbox.add(item))
      .then(() => { status.textContent = status.dataset.queued; pad.clear(); return flush(status); });
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

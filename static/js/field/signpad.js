// A signature drawn with a finger (or a pen, or a mouse) on a canvas: plain canvas 2D and pointer events, no
// library. Shared by the sign page (static/js/signature.js) and the on-site records of the field page (records.js).
import { sha256 } from "./sha256.js";
import { uuid4 } from "./util.js";

// The canvas keeps its drawing in device pixels, so a line is as sharp as the screen. Make the pad once the canvas is
// on screen: its size is read then.
export function signaturePad(canvas) {
  const context = canvas.getContext("2d");
  let strokes = 0, last = null, kept = null;

  function fit() {
    const ratio = window.devicePixelRatio || 1, box = canvas.getBoundingClientRect();
    canvas.width = Math.round(box.width * ratio);
    canvas.height = Math.round(box.height * ratio);
    context.setTransform(ratio, 0, 0, ratio, 0, 0);
    context.lineWidth = 2.5;
    context.lineCap = context.lineJoin = "round";
    context.strokeStyle = "#111";
    strokes = 0;
    kept = null;
  }
  function point(event) {
    const box = canvas.getBoundingClientRect();
    return { x: event.clientX - box.left, y: event.clientY - box.top };
  }
  canvas.addEventListener("pointerdown", (event) => {
    event.preventDefault();
    canvas.setPointerCapture(event.pointerId);
    kept = null;  // a stroke on a signature shown again makes it another signature
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
    isEmpty: () => strokes === 0 && !kept,
    toBlob: () => new Promise((resolve) => canvas.toBlob(resolve, "image/png")),
    // A signature drawn before (a refused record opened again): shown as it was, and ``kept()`` gives it back
    // unchanged — same id and bytes — until the pad is touched.
    show: (signature) => {
      fit();
      const image = new Image();
      image.onload = () => {
        const box = canvas.getBoundingClientRect();
        context.drawImage(image, 0, 0, box.width, box.height);
        URL.revokeObjectURL(image.src);
      };
      image.src = URL.createObjectURL(signature.blob);
      kept = signature;
    },
    kept: () => kept,
  };
}

// What the pad holds as the API takes a signature (POST /cases/{id}/signatures/): an id made here, the PNG and its
// SHA-256 — or, ``refused``, no image and the witness. ``fields``: role, signer_name, officer, refused, witness_name.
export function drawnSignature(pad, fields) {
  const signature = Object.assign({ client_uuid: uuid4(), drawn_at: new Date().toISOString(), officer: "",
                                    refused: false, witness_name: "" }, fields);
  if (signature.refused) return Promise.resolve(signature);
  return pad.toBlob().then((blob) => sha256(blob).then((hash) => Object.assign(signature, { blob: blob, sha256: hash })));
}

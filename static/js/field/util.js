// Small pure helpers of the field page.

// fmt("%(n)s 条待上传", { n: 2 }): the server's translated texts use Python's named placeholders.
export function fmt(text, params) {
  return String(text).replace(/%\((\w+)\)s/g, (_, key) => params[key]);
}

// A random (version 4) UUID: the ids made on the phone that make every retry safe (client_uuid).
export function uuid4() {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.prototype.map.call(b, (x) => (x + 0x100).toString(16).slice(1)).join("");
  return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
}

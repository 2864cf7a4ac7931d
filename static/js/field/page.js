// The field page's elements and translated texts (patrol/views.py FIELD_MESSAGES, in the json_script
// #field-messages), and the two kinds of notes it shows.
export const app = document.getElementById("field-app");

const messages = document.getElementById("field-messages");
export const T = messages ? JSON.parse(messages.textContent) : {};

export function $(id) { return document.getElementById(id); }

export function button(text, onClick) {
  const b = document.createElement("button");
  b.type = "button";
  b.className = "secondary small";
  b.textContent = text;
  b.addEventListener("click", onClick);
  return b;
}

// Lasting notes (a possible duplicate found by the server) stay; see toast() for passing ones.
export function remember(text) {
  const p = document.createElement("p");
  p.className = "notice";
  p.textContent = text;
  $("queue-list").parentNode.insertBefore(p, $("queue-list"));
}

let toastTimer = null;
export function toast(text) {
  const box = $("toast");
  box.textContent = text;
  box.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { box.hidden = true; }, 4000);
}

// Forms sent once: a double click on 确认导入 sent the import twice. A form marked data-submit-once is held once it
// is on its way: a second submit is dropped and its submit buttons are disabled until the next page (or until the
// browser shows this page again from its history). Forms marked with the same name (data-submit-once="tuban-dry-run")
// are held together: once 确认导入 is sent, 取消 beside it is not sent after it, nor the other way round. Scripts
// that send a form themselves (service.js) hold it with holdSubmit and let it go again when they did not send it
// after all. The server still answers a second request sensibly: this only spares it the work and the person the
// doubt.

const SUBMITS = "button[type=submit], button:not([type]), input[type=submit]";

// The form with the others of its name on the page (a form without a name is held alone).
function group(form) {
  const name = form.getAttribute("data-submit-once");
  const others = name ? Array.from(document.querySelectorAll("form[data-submit-once]"))
    .filter((other) => other !== form && other.getAttribute("data-submit-once") === name) : [];
  return [form, ...others];
}

// Returns the function that lets the form (and its group) go again, or null when one of them is already on its way.
export function holdSubmit(form) {
  const forms = group(form);
  if (forms.some((one) => one.hasAttribute("data-sending"))) return null;
  forms.forEach((one) => one.setAttribute("data-sending", ""));
  // Disabled once the browser has read the form: a disabled button would not be sent as the one clicked.
  const timer = window.setTimeout(() => forms.forEach(disable));
  return () => {
    window.clearTimeout(timer);
    forms.forEach(release);
  };
}

function disable(form) {
  form.querySelectorAll(SUBMITS).forEach((button) => {
    if (!button.disabled) {
      button.disabled = true;
      button.setAttribute("data-held", "");
    }
  });
}

function release(form) {
  form.removeAttribute("data-sending");
  form.querySelectorAll("[data-held]").forEach((button) => {
    button.disabled = false;
    button.removeAttribute("data-held");
  });
}

export function submitOnce(form) {
  form.addEventListener("submit", (event) => {
    if (!holdSubmit(form)) event.preventDefault();
  });
}

// Back on a page the browser kept (its back button): the forms can be sent again.
window.addEventListener("pageshow", (event) => {
  if (event.persisted) document.querySelectorAll("form[data-sending]").forEach(release);
});

document.querySelectorAll("form[data-submit-once]").forEach(submitOnce);

// Forms sent once: a double click on 确认导入 sent the import twice. A form marked data-submit-once is held once it
// is on its way: a second submit is dropped and its submit buttons are disabled until the next page (or until the
// browser shows this page again from its history). Scripts that send a form themselves (service.js) hold it with
// holdSubmit and let it go again when they did not send it after all. The server still answers a second request
// sensibly: this only spares it the work and the person the doubt.

const SUBMITS = "button[type=submit], button:not([type]), input[type=submit]";

// Returns the function that lets the form go again, or null when it is already on its way.
export function holdSubmit(form) {
  if (form.hasAttribute("data-sending")) return null;
  form.setAttribute("data-sending", "");
  // Disabled once the browser has read the form: a disabled button would not be sent as the one clicked.
  const timer = window.setTimeout(() => {
    form.querySelectorAll(SUBMITS).forEach((button) => {
      if (!button.disabled) {
        button.disabled = true;
        button.setAttribute("data-held", "");
      }
    });
  });
  return () => {
    window.clearTimeout(timer);
    release(form);
  };
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

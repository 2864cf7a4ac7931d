/* The ledger page (台账): clean filter URLs, and large exports built in the background with a progress bar.
 *
 * Small exports are plain links (the browser downloads the file). When the page says the filtered set is
 * large (data-async="true"), a click asks for the export with fetch: the server answers 202 with a job,
 * which is polled until its file can be downloaded. Texts come from data-* attributes (translated on the
 * server); the CSP allows no inline script.
 */
import { fileNameOf, saveBlob } from "./download.js";

(function () {
  "use strict";

  // On a phone the filters would fill the first screen: fold them (the summary line says when some are set),
  // unless one was refused and its message must be seen.
  var box = document.getElementById("ledger-filter-box");
  var phone = window.matchMedia("(max-width: 700px)");
  if (!box) return;
  if (phone.matches && box.dataset.errors !== "true") box.open = false;
  // A wide screen shows no summary to open it with: turned wide, the box opens.
  phone.addEventListener("change", function () { if (!phone.matches) box.open = true; });
})();

(function () {
  "use strict";

  var form = document.getElementById("ledger-filters");
  var bar = document.getElementById("export-bar");
  var panel = document.getElementById("export-job");
  if (!panel) {
    return;
  }
  var text = document.getElementById("export-job-text");
  var progress = document.getElementById("export-job-progress");
  var percent = document.getElementById("export-job-percent");
  var link = document.getElementById("export-job-link");
  var filename = document.getElementById("export-job-filename");
  var timer = null;

  // Empty fields stay out of the URL, so a shared view reads ?status=ordered&overdue=true.
  if (form) {
    form.addEventListener("submit", function () {
      Array.prototype.forEach.call(form.elements, function (field) {
        if (field.name && (field.type === "text" || field.type === "search" || field.type === "date" ||
            field.tagName === "SELECT") && !field.value) {
          field.disabled = true;
        }
      });
    });
    // Coming back with the browser's back button must not leave fields disabled.
    window.addEventListener("pageshow", function () {
      Array.prototype.forEach.call(form.elements, function (field) { field.disabled = false; });
    });
  }

  function show(job) {
    panel.hidden = false;
    var value = Math.max(0, Math.min(100, job.progress || 0));
    progress.value = value;
    progress.textContent = value + "%";
    percent.textContent = value + "%";
    var message = panel.dataset["msg" + job.status.charAt(0).toUpperCase() + job.status.slice(1)] || job.status_display;
    if (job.status === "done") {
      message += job.row_count !== null ? " · " + job.row_count + " " + panel.dataset.msgRows : "";
      link.href = job.file_url;
      link.setAttribute("download", job.filename || "");
      filename.textContent = job.filename || "";
      link.hidden = false;
    } else {
      link.hidden = true;
    }
    if (job.status === "failed" && job.error) {
      message += "：" + job.error;
    }
    text.textContent = message;
    panel.dataset.state = job.status;
  }

  // A 429 (the API's throttle) says when to come back (Retry-After): say so, wait, and ask again.
  function fetchJSONish(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (response.status !== 429) {
          return response;
        }
        var seconds = Math.max(1, Math.min(3600, parseInt(response.headers.get("Retry-After"), 10) || 30));
        panel.hidden = false;
        text.textContent = panel.dataset.msgThrottled.replace("%(seconds)s", String(seconds));
        panel.dataset.state = "throttled";
        return new Promise(function (resolve) { window.setTimeout(resolve, seconds * 1000); })
          .then(function () { return fetchJSONish(url); });
      });
  }

  function poll(url, delay) {
    window.clearTimeout(timer);
    timer = window.setTimeout(function () {
      fetchJSONish(url)
        .then(function (response) {
          if (!response.ok) {
            throw new Error(String(response.status));
          }
          return response.json();
        })
        .then(function (job) {
          show(job);
          if (job.status === "queued" || job.status === "running") {
            poll(url, Math.min(delay * 1.5, 3000));
          }
        })
        .catch(function () {
          text.textContent = panel.dataset.msgError;
        });
    }, delay);
  }

  if (bar && bar.dataset.async === "true") {
    bar.addEventListener("click", function (event) {
      var anchor = event.target.closest("a[data-format]");
      if (!anchor) {
        return;
      }
      event.preventDefault();
      panel.hidden = false;
      link.hidden = true;
      text.textContent = panel.dataset.msgQueued;
      fetchJSONish(anchor.href)
        .then(function (response) {
          if (response.status === 202) {
            return response.json().then(function (job) {
              show(job);
              poll(job.status_url, 500);
            });
          }
          if (!response.ok) {
            throw new Error(String(response.status));
          }
          // The set shrank below the limit since the page was drawn: the answer is the file itself.
          return response.blob().then(function (blob) {
            panel.hidden = true;
            saveBlob(blob, fileNameOf(response));
          });
        })
        .catch(function () {
          text.textContent = panel.dataset.msgFailed;
        });
    });
  }

  // Arriving from an export link that became a job (the server redirected here with ?job=…).
  if (panel.dataset.statusUrl && !panel.hidden) {
    poll(panel.dataset.statusUrl, 200);
  }
})();

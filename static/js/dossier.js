// The case page's 案卷 link: a case with many photos gets its dossier built by a worker, and the dossier URL answers
// 202 with the job's progress until the file is ready. Instead of a tab showing that JSON, the page shows the
// progress, asks again after Retry-After, and saves the PDF when it comes. Without script the link opens the URL.
const link = document.querySelector("[data-dossier]");
const box = document.getElementById("dossier-progress");

function show(state, percent) {
  box.hidden = false;
  box.querySelector("progress").value = percent;
  box.querySelector("progress").hidden = state !== "building";
  for (const name of ["building", "failed", "ready"]) box.querySelector(`[data-${name}]`).hidden = name !== state;
}

function fileName(response) {
  // RFC 5987: filename*=UTF-8''…, the Chinese name the server gives the file.
  const header = response.headers.get("Content-Disposition") || "";
  const match = /filename\*=UTF-8''([^;]+)/i.exec(header);
  return match ? decodeURIComponent(match[1]) : "dossier.pdf";
}

function save(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}

let busy = false;

function fetchDossier() {
  return fetch(link.href, { credentials: "same-origin", headers: { Accept: "application/pdf, application/json" } })
    .then((response) => {
      if (response.status === 202) {
        return response.json().then((job) => {
          if (job.status === "failed") throw new Error(job.error || "failed");
          show("building", job.progress || 0);
          const wait = Math.max(1, Number(response.headers.get("Retry-After")) || 2);
          return new Promise((resolve) => setTimeout(resolve, wait * 1000)).then(fetchDossier);
        });
      }
      if (!response.ok) throw new Error(String(response.status));
      return response.blob().then((blob) => {
        save(blob, fileName(response));
        show("ready", 100);
      });
    });
}

if (link && box) {
  link.addEventListener("click", (event) => {
    event.preventDefault();
    if (busy) return;  // a second tap while it is being built asks nothing more
    busy = true;
    show("building", 0);
    fetchDossier().catch(() => show("failed", 0)).finally(() => { busy = false; });
  });
}

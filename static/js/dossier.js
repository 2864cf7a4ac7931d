// The case page's 案卷 link: a case with many photos gets its dossier built by a worker, and the dossier URL answers
// 202 with the job's progress until the file is ready. Instead of a tab showing that JSON, the page shows the
// progress, asks again after Retry-After, and saves the PDF when it comes. Without script the link opens the URL.
import { fileNameOf, saveBlob } from "./download.js";

const link = document.querySelector("[data-dossier]");
const box = document.getElementById("dossier-progress");

function show(state, percent) {
  box.hidden = false;
  box.querySelector("progress").value = percent;
  box.querySelector("progress").hidden = state !== "building";
  for (const name of ["building", "failed", "ready"]) box.querySelector(`[data-${name}]`).hidden = name !== state;
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
        saveBlob(blob, fileNameOf(response, "dossier.pdf"));
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

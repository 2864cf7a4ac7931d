// The outbox on screen: the network state, how many items wait, and each item with its progress; a failed item
// (the server said no) offers to retry or to discard it.
import { outbox } from "./outbox.js";
import { $, T, button } from "./page.js";
import { fmt } from "./util.js";

const progress = {};  // item id → fraction of its photos uploaded

export function setProgress(id, fraction) {
  progress[id] = fraction;
  const bar = document.querySelector('.queue-item[data-id="' + id + '"] progress');
  if (bar) bar.value = fraction;
}
export function clearProgress(id) { delete progress[id]; }

function label(item) {
  if (item.kind === "finding") {
    return T.finding + " · " + (item.body.address || item.body.category) + " · " + fmt(T.photos_n, { n: item.photos.length });
  }
  if (item.kind === "track") return T.track + " #" + item.seq + " (" + item.points.length + ")";
  return T[item.kind] || item.kind;
}

// ``retry(item)`` puts a failed item back in line.
export function renderQueue(retry) {
  $("net-status").textContent = navigator.onLine ? T.online : T.offline;
  $("net-status").className = "net " + (navigator.onLine ? "on" : "off");
  return outbox.all().then((items) => {
    $("queue-count").textContent = items.length ? fmt(T.queue, { n: items.length }) : T.queue_empty;
    $("queue-count").dataset.count = String(items.length);
    const list = $("queue-list");
    list.textContent = "";
    items.forEach((item) => {
      const li = document.createElement("li");
      li.dataset.id = item.id;
      li.className = "queue-item " + (item.state || "waiting");
      const text = document.createElement("span");
      text.textContent = label(item) + " · " + (item.state === "failed" ? T.failed : item.state === "uploading" ? T.uploading : T.waiting);
      li.appendChild(text);
      const bar = document.createElement("progress");
      bar.max = 1;
      bar.value = progress[item.id] || 0;
      li.appendChild(bar);
      if (item.state === "failed") {
        const why = document.createElement("p");
        why.className = "field-error";
        why.textContent = item.error || "";
        li.appendChild(why);
        li.appendChild(button(T.retry, () => retry(item)));
        li.appendChild(button(T.discard, () => {
          if (window.confirm(T.confirm_discard)) outbox.remove(item.id).then(() => renderQueue(retry));
        }));
      }
      list.appendChild(li);
    });
  });
}

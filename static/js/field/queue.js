// The outbox on screen: the network state, how many items wait, and each item with its progress; a refused item
// (the server said no) says why in plain words and can be opened and corrected, sent again or discarded. The
// findings waiting in the outbox also show at the top of today's list, so a saved finding is seen at once.
import { url } from "../config.js";
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

function categoryLabel(value) {
  const option = document.querySelector('#f-category option[value="' + value + '"]');
  return option ? option.textContent : value;
}

function label(item) {
  if (item.kind === "finding") {
    return T.finding + " · " + (item.body.address || categoryLabel(item.body.category)) + " · "
      + fmt(T.photos_n, { n: item.photos.length });
  }
  if (item.kind === "track") return T.track + " #" + item.seq + " (" + item.points.length + ")";
  if (item.kind === "reinspect") return T.reinspect + " · " + item.reference + " · " + fmt(T.photos_n, { n: item.photos.length });
  if (item.kind === "record") return T[item.action] + " · " + item.reference + " · " + fmt(T.signatures_n, { n: item.signatures.length });
  return T[item.kind] || item.kind;
}

// Why the server refused an item, for someone in a field: what happened and what to do, no codes or field names.
export function plainReason(item) {
  const status = item.http_status;
  if (status === 400) return T.refused_400 + (item.error ? " " + item.error : "");
  // An action on a case (a re-inspection, a record) refused by the procedure: the server says which rule, in words.
  if (status === 409 && (item.kind === "record" || item.kind === "reinspect")) return T.refused_409_action + " " + item.error;
  if (status === 409) return T.refused_409;
  if (status === 412) return T.refused_412;
  if (status === 404) return T.refused_404;
  if (status === 413) return T.refused_413;
  if (status === 403) return T.refused_403;
  return T.refused_other + (item.error ? " " + item.error : "");
}

// Today's list shows what is in the outbox (pending) and what this page delivered (with its case number).
const delivered = [];

export function rememberDelivered(item) {
  if (item.kind === "finding" && item.case_id) delivered.push(item);
}

function todayRow(item, pending) {
  const li = document.createElement("li");
  li.dataset.clientUuid = item.client_uuid;
  li.className = pending ? "pending" : "delivered";
  if (pending) {
    const strong = document.createElement("strong");
    strong.textContent = T.pending_ref;
    li.appendChild(strong);
  } else {
    const a = document.createElement("a");
    a.href = url("case_page", { id: item.case_id });
    const strong = document.createElement("strong");
    strong.textContent = item.reference;
    a.appendChild(strong);
    li.appendChild(a);
  }
  const when = new Date(item.created || Date.now());
  li.appendChild(document.createTextNode(" · " + (item.body.address || categoryLabel(item.body.category)) + " · "
    + (pending ? (item.state === "failed" ? T.failed : T.waiting) : T.uploaded) + " "));
  const time = document.createElement("span");
  time.className = "muted";
  time.textContent = String(when.getHours()).padStart(2, "0") + ":" + String(when.getMinutes()).padStart(2, "0");
  li.appendChild(time);
  return li;
}

function renderToday(items) {
  const list = $("today-list");
  if (!list) return;
  list.querySelectorAll("li.pending, li.delivered").forEach((li) => li.remove());
  const shown = new Set(Array.prototype.map.call(list.querySelectorAll("li[data-reference]"),
                                                 (li) => li.dataset.reference));
  const rows = [];
  items.filter((i) => i.kind === "finding").forEach((i) => rows.push(todayRow(i, true)));
  delivered.filter((i) => !shown.has(i.reference)).forEach((i) => rows.push(todayRow(i, false)));
  rows.reverse().forEach((li) => list.insertBefore(li, list.firstChild));
  const n = list.children.length;
  $("today-none").hidden = n > 0;
  $("today-count").textContent = fmt(T.today_n, { n: n });
  $("today-count").dataset.count = String(n);
}

// ``retry(item)`` puts a refused item back in line; ``edit(item)`` opens a refused finding or record in its form;
// ``reapply(item)`` shows the case as it is now beside a re-inspection or record refused because the case changed
// (412).
export function renderQueue(retry, edit, reapply) {
  $("net-status").textContent = navigator.onLine ? T.online : T.offline;
  $("net-status").className = "net " + (navigator.onLine ? "on" : "off");
  return outbox.all().then((items) => {
    $("queue-count").textContent = items.length ? fmt(T.queue, { n: items.length }) : T.queue_empty;
    $("queue-count").dataset.count = String(items.length);
    renderToday(items);
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
        why.textContent = plainReason(item);
        li.appendChild(why);
        // A finding the server never took (no case yet) and a refused record can be corrected; anything else is sent
        // as it is.
        if (((item.kind === "finding" && !item.case_id) || (item.kind === "record" && item.http_status !== 412)) && edit) {
          li.appendChild(button(T.edit, () => edit(item)));
        }
        // Sent again as it was, an action on a changed case would be refused again: the case is looked at first.
        if ((item.kind === "reinspect" || item.kind === "record") && item.http_status === 412 && reapply) {
          li.appendChild(button(T.reapply, () => reapply(item)));
        } else {
          li.appendChild(button(T.resend, () => retry(item)));
        }
        li.appendChild(button(T.discard, () => {
          if (window.confirm(T.confirm_discard)) outbox.remove(item.id).then(() => renderQueue(retry, edit, reapply));
        }));
      }
      list.appendChild(li);
    });
  });
}

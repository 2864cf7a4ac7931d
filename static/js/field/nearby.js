// Open cases near a point: a warning while a finding is logged (is it a case we already have?), and the list
// behind the "附近案件" button, nearest first. Both need the network; offline, the server checks a finding again
// when it arrives.
import { url } from "../config.js";
import { roughPoint } from "./location.js";
import { $, T, button } from "./page.js";
import { fmt } from "./util.js";

const LIST_RADIUS_M = 3000;

function nearbyUrl(lng, lat, radius) {
  return url("nearby") + (radius ? "?radius=" + radius + "&" : "?") + "lng=" + lng + "&lat=" + lat;
}

let nearbyTimer = null;
export function checkNearby() {
  clearTimeout(nearbyTimer);
  nearbyTimer = setTimeout(() => {
    const point = roughPoint();
    if (!point || !navigator.onLine) return;
    fetch(nearbyUrl(point.coordinates[0], point.coordinates[1]), { credentials: "same-origin" })
      .then((r) => (r.ok ? r.json() : { results: [] }))
      .then((data) => {
        const box = $("nearby-warning");
        if (!data.results.length) { box.hidden = true; return; }
        const first = data.results[0];
        box.textContent = fmt(T.nearby_found, { ref: first.reference, m: Math.round(first.distance_m) }) + " ";
        const open = document.createElement("a");
        open.href = url("case_page", { id: first.id });
        open.textContent = T.is_duplicate;
        open.className = "button secondary small";
        box.appendChild(open);
        box.appendChild(button(T.keep, () => { box.hidden = true; }));
        box.hidden = false;
      }).catch(() => { /* offline: the server checks again when the finding arrives */ });
  }, 400);
}

export function showNearbyCases() {
  const section = $("nearby-section"), list = $("nearby-list");
  section.hidden = false;
  list.textContent = T.locating;
  navigator.geolocation.getCurrentPosition((position) => {
    const address = nearbyUrl(position.coords.longitude, position.coords.latitude, LIST_RADIUS_M);
    fetch(address, { credentials: "same-origin" }).then((r) => r.json()).then((data) => {
      list.textContent = "";
      if (!data.results.length) list.textContent = fmt(T.nearby_none, { m: LIST_RADIUS_M });
      data.results.forEach((c) => {
        const li = document.createElement("li"), a = document.createElement("a");
        a.href = url("case_page", { id: c.id });
        a.textContent = c.reference;
        li.appendChild(a);
        li.appendChild(document.createTextNode(" · " + Math.round(c.distance_m) + " m · " + c.status_display + (c.address ? " · " + c.address : "")));
        list.appendChild(li);
      });
      section.scrollIntoView({ behavior: "smooth" });
    }).catch(() => { list.textContent = T.offline; });
  }, () => { list.textContent = T.no_gps; }, { enableHighAccuracy: true, timeout: 20000 });
}

// The case page: a small map of the case's position. Works without tiles (the marker still shows). Its forms are sent
// once (data-submit-once, submit-once.js).
import { addBaseMaps } from "./basemap.js";

const el = document.getElementById("case-map");
if (el && window.L) {
  const latlng = [parseFloat(el.dataset.lat), parseFloat(el.dataset.lng)];
  const map = L.map(el, { scrollWheelZoom: false }).setView(latlng, 16);
  addBaseMaps(map);
  L.circleMarker(latlng, { radius: 9, color: "#c0392b", weight: 3, fillOpacity: 0.6 }).addTo(map);
}

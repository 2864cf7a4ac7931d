// The case page: a small map of the case's position. Works without tiles (the marker still shows).
(function () {
  "use strict";
  var el = document.getElementById("case-map");
  if (!el || !window.L) return;
  var latlng = [parseFloat(el.dataset.lat), parseFloat(el.dataset.lng)];
  var map = L.map(el, { scrollWheelZoom: false }).setView(latlng, 16);
  L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png", {
    maxZoom: 19, attribution: "&copy; OpenStreetMap contributors",
  }).addTo(map);
  L.circleMarker(latlng, { radius: 9, color: "#c0392b", weight: 3, fillOpacity: 0.6 }).addTo(map);
})();

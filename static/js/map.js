// The supervisor map: village boundaries of the user's jurisdiction over OpenStreetMap tiles.
// Boundaries come from our own API, so the map stays usable when tiles cannot load.
(function () {
  "use strict";
  var el = document.getElementById("map");
  if (!el || !window.L) return;
  var map = L.map(el, { zoomControl: true }).setView([40.78, 111.62], 12);
  L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png", {
    maxZoom: 19,
    attribution: "&copy; OpenStreetMap contributors",
  }).addTo(map);
  fetch(el.dataset.villagesUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
    .then(function (data) {
      var layer = L.geoJSON(data, {
        style: { color: "#1f4e79", weight: 2, fillOpacity: 0.05 },
        onEachFeature: function (feature, lyr) {
          lyr.bindTooltip(feature.properties.name, { permanent: true, direction: "center", className: "village-label" });
        },
      }).addTo(map);
      if (layer.getBounds().isValid()) map.fitBounds(layer.getBounds(), { padding: [10, 10] });
      el.dataset.loaded = String(data.features.length);
    })
    .catch(function () { el.dataset.loaded = "error"; });
})();

// 卫片图斑 on the supervisor map (gis/templates/gis/map.html includes tuban/_map_layer.html): the polygons in view,
// simplified by the server for the zoom, coloured by status, with a status filter of their own; and, in the KPI
// strip, the 图斑 still to check and those overdue (the numbers of GET /api/v1/tuban/batches/). A classic script
// that runs before js/map.js: it joins the map through Leaflet's init hook instead of changing that module.
(function () {
  "use strict";
  var holder = document.getElementById("tuban-map-layer");
  if (!holder || !window.L) return;
  var COLOURS = { pending: "#e8590c", verified_illegal: "#c92a2a", legal: "#2b8a3e", not_construction: "#868e96",
                  already_handled: "#1971c2", rectified: "#5f3dc4" };
  var statuses = JSON.parse(holder.dataset.statuses);

  function getJson(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); });
  }

  function strip() {
    var kpis = document.querySelector("section.kpis");
    if (!kpis) return;
    getJson(holder.dataset.batchesUrl + "?page_size=100").then(function (page) {
      var pending = 0, overdue = 0;
      page.results.forEach(function (b) { pending += b.progress.pending; overdue += b.progress.overdue; });
      if (!page.results.length) return;
      var kpi = document.createElement("div");
      kpi.className = "kpi" + (overdue ? " warn" : "");
      kpi.id = "tuban-kpi";
      kpi.dataset.pending = String(pending);
      kpi.dataset.overdue = String(overdue);
      var value = document.createElement("span");
      value.className = "value";
      value.textContent = pending + (overdue ? " / " + overdue : "");
      var label = document.createElement("span");
      label.className = "label";
      label.textContent = holder.dataset.tLayer + " " + holder.dataset.tPending + (overdue ? " / " + holder.dataset.tOverdue : "");
      kpi.appendChild(value);
      kpi.appendChild(label);
      kpis.appendChild(kpi);
    }).catch(function () { /* the strip stays as it is */ });
  }

  L.Map.addInitHook(function () {
    if (this.getContainer().id !== "map") return;
    var map = this, status = "all", request = 0;
    var layer = L.geoJSON(null, {
      style: function (f) {
        return { color: COLOURS[f.properties.status] || "#e8590c", weight: 2, fillOpacity: 0.2,
                 className: "tuban-polygon tuban-" + f.properties.status };
      },
      onEachFeature: function (f, polygon) {
        var p = f.properties;
        polygon.bindPopup(function () {
          var box = document.createElement("div");
          var title = document.createElement("strong");
          title.textContent = p.number;
          box.appendChild(title);
          box.appendChild(document.createTextNode(" · " + (statuses[p.status] || p.status) + " · " + (p.village_name || "")
            + (p.change_type ? " · " + p.change_type : "")));
          var link = document.createElement("a");
          link.href = holder.dataset.detailUrl.replace("918273645", String(p.batch));
          link.textContent = " »";
          box.appendChild(link);
          return box;
        });
      },
    });

    function load() {
      if (!map.hasLayer(layer)) return;
      var b = map.getBounds(), mine = ++request;
      var params = new URLSearchParams({
        bbox: [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (x) { return x.toFixed(6); }).join(","),
        zoom: String(Math.max(0, Math.min(22, Math.round(map.getZoom())))),
      });
      if (status !== "all") params.set("status", status);
      getJson(holder.dataset.url + "?" + params.toString()).then(function (collection) {
        if (mine !== request) return;
        layer.clearLayers();
        layer.addData(collection);
        holder.dataset.shown = String(collection.features.length);
      }).catch(function () { /* keep what is drawn */ });
    }

    var Filter = L.Control.extend({
      options: { position: "topright" },
      onAdd: function () {
        var select = L.DomUtil.create("select", "tuban-filter");
        select.id = "tuban-map-filter";
        select.setAttribute("aria-label", holder.dataset.tLayer);
        Object.keys(statuses).forEach(function (key) {
          var option = document.createElement("option");
          option.value = key;
          option.textContent = holder.dataset.tLayer + " · " + statuses[key];
          select.appendChild(option);
        });
        L.DomEvent.disableClickPropagation(select);
        select.addEventListener("change", function () { status = select.value; load(); });
        return select;
      },
    });
    map.whenReady(function () {
      layer.addTo(map);
      new Filter().addTo(map);
      map.on("moveend", load);
      load();
      holder.dataset.ready = "true";
    });
    strip();
  });
})();

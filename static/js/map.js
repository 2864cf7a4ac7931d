// The supervisor map (gis/templates/gis/map.html).
// Cases come from the map API (config.urls.map_cases) as single points or, in a crowded viewport, as clusters the
// server counted on a grid; village outlines with patrol coverage, campaign areas, patrol tracks, a heat layer,
// the list and the KPI strip come from the other map endpoints. Only the base map comes from outside, so
// markers, boundaries, filters and the list keep working when tiles cannot load.
// The URLs and base maps come from the pages' configuration (config.js); this page's own settings arrive in the
// json_script #map-config (the CSP allows no inline script). The filters, the view (lat, lng, z), the list
// order, the base map and the layers live in the URL so a view can be shared.
import { config as site, url } from "./config.js";
import { addBaseMaps } from "./basemap.js";

(function () {
  "use strict";
  var el = document.getElementById("map");
  var configEl = document.getElementById("map-config");
  if (!el || !configEl || !window.L) return;
  var config = JSON.parse(configEl.textContent);
  var T = config.text;
  var form = document.getElementById("map-filters");
  var panel = document.getElementById("map-panel");
  var tbody = panel.querySelector(".case-table tbody");
  var summary = panel.querySelector(".list-summary");
  var smallScreen = window.matchMedia("(max-width: 700px)");
  var lang = document.documentElement.lang || "zh-CN";
  var compact = new Intl.NumberFormat(lang, { notation: "compact", maximumFractionDigits: 1 });
  var DEFAULT_LAYERS = ["cases", "villages", "campaigns"];
  var MAX_ZOOM = 19;
  var FOCUS_ZOOM = 17;

  // --- small helpers ----------------------------------------------------------------------------
  function fmt(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (match, key) {
      return values[key] === undefined || values[key] === null ? "" : String(values[key]);
    });
  }
  function h(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === "text") node.textContent = attrs[key];
      else if (key === "className") node.className = attrs[key];
      else node.setAttribute(key, attrs[key]);
    });
    (children || []).forEach(function (child) { if (child) node.appendChild(child); });
    return node;
  }
  function debounce(fn, ms) {
    var timer = null;
    return function () { clearTimeout(timer); timer = setTimeout(fn, ms); };
  }
  function countLabel(n) { return compact.format(n); }
  function statusLabel(status) { return config.statuses[status] || status; }
  function villageName(id) { return id === null || id === undefined ? "" : config.villages[String(id)] || ""; }
  function caseUrl(id) { return url("case_page", { id: id }); }

  // A 429 (the API's throttle) says when to come back (Retry-After): say so, wait, and ask again.
  function retryAfter(response, url, signal) {
    var seconds = Math.max(1, Math.min(3600, parseInt(response.headers.get("Retry-After"), 10) || 30));
    showStatus(fmt(T.throttled, { seconds: seconds }), true);
    return new Promise(function (resolve, reject) {
      var timer = setTimeout(function () { resolve(getJSON(url, signal)); }, seconds * 1000);
      if (signal) signal.addEventListener("abort", function () {
        clearTimeout(timer);
        reject(new DOMException("aborted", "AbortError"));
      });
    });
  }
  function getJSON(url, signal) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" }, signal: signal })
      .then(function (response) {
        if (response.ok) return response.json();
        if (response.status === 429) return retryAfter(response, url, signal);
        return response.json().catch(function () { return {}; }).then(function (body) {
          throw new Error((body.error && body.error.message) || String(response.status));
        });
      });
  }

  // --- state in the URL -------------------------------------------------------------------------
  var initial = new URLSearchParams(window.location.search);
  var state = {
    ordering: initial.get("ordering") || config.list_ordering,
    base: initial.get("base"),
    layers: initial.has("layers") ? initial.get("layers").split(",").filter(Boolean) : DEFAULT_LAYERS.slice(),
  };

  function filterParams() {
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, key) {
      if (typeof value === "string" && value.trim() !== "") params.append(key, value.trim());
    });
    return params;
  }
  function apiUrl(base, extra) {
    var params = filterParams();
    Object.keys(extra || {}).forEach(function (key) { params.set(key, extra[key]); });
    return base + "?" + params.toString();
  }
  function writeUrl() {
    var params = filterParams();
    var center = map.getCenter();
    params.set("lat", center.lat.toFixed(5));
    params.set("lng", center.lng.toFixed(5));
    params.set("z", String(map.getZoom()));
    if (state.ordering !== config.list_ordering) params.set("ordering", state.ordering);
    if (state.base !== defaultBase) params.set("base", state.base);
    if (state.layers.slice().sort().join(",") !== DEFAULT_LAYERS.slice().sort().join(",")) {
      params.set("layers", state.layers.join(","));
    }
    window.history.replaceState(null, "", window.location.pathname + "?" + params.toString());
  }

  // --- the map and its layers -------------------------------------------------------------------
  var map = L.map(el, { zoomControl: true, minZoom: 3, maxZoom: MAX_ZOOM });
  // Campaign areas under the village outlines (overlayPane, 400), tracks above them, markers on top.
  map.createPane("campaigns").style.zIndex = 350;
  map.createPane("tracks").style.zIndex = 450;
  // Village names under the case markers and cluster bubbles (markerPane, 600): a label never hides a count or an
  // overdue badge (tooltips would otherwise sit on top, 650).
  map.createPane("villageLabels").style.zIndex = 550;
  map.getPane("villageLabels").style.pointerEvents = "none";

  // Said once, and out of the way again on a click, after a while, or when a popup needs the room.
  var tilesFailed = false;
  var tileNotice = L.control({ position: "topright" });
  tileNotice.onAdd = function () {
    var box = h("div", { className: "map-notice", role: "status", title: T.dismiss, text: T.tiles_failed });
    L.DomEvent.on(box, "click", function (event) { L.DomEvent.stop(event); tileNotice.remove(); });
    return box;
  };
  function tileFailed() {
    if (tilesFailed) return;
    tilesFailed = true;
    el.dataset.tiles = "failed";
    tileNotice.addTo(map);
    setTimeout(function () { tileNotice.remove(); }, 15000);
  }
  var defaultBase = site.tiles.length ? site.tiles[0].key : null;

  var villagesLayer = L.geoJSON(null, {
    style: function (feature) {
      var stale = !feature.properties.patrolled_recently;
      return stale
        ? { color: "#1f4e79", weight: 2, fillColor: "#d68910", fillOpacity: 0.28, dashArray: "6 4" }
        : { color: "#1f4e79", weight: 2, fillOpacity: 0.04 };
    },
    onEachFeature: function (feature, layer) {
      var p = feature.properties;
      var label = h("span", {}, [h("span", { text: p.name })]);
      if (!p.patrolled_recently) label.appendChild(h("small", { text: T.not_patrolled }));
      layer.bindTooltip(label, { permanent: true, direction: "center", pane: "villageLabels",
                                 className: "village-label" + (p.patrolled_recently ? "" : " stale") });
      var when = p.last_patrol_at ? fmt(T.last_patrol, { when: new Date(p.last_patrol_at).toLocaleString(lang) })
                                  : T.never_patrolled;
      layer.bindPopup(h("div", {}, [h("strong", { text: p.name }), h("div", { text: when })]));
    },
  });
  var campaignsLayer = L.geoJSON(null, {
    pane: "campaigns",
    style: function () { return { color: "#7d3c98", weight: 2, dashArray: "8 6", fillColor: "#7d3c98", fillOpacity: 0.06 }; },
    onEachFeature: function (feature, layer) {
      var p = feature.properties;
      // A node, not a string: Leaflet puts string content in as HTML, and a campaign's name is typed by people.
      layer.bindTooltip(h("span", { text: p.name + " · " + fmt(T.campaign_period, { start: p.starts_on, end: p.ends_on }) }),
                        { sticky: true });
    },
  });
  var tracksLayer = L.geoJSON(null, {
    pane: "tracks",
    style: function () { return { color: "#117a65", weight: 3, opacity: 0.75 }; },
    onEachFeature: function (feature, layer) {
      var p = feature.properties;
      layer.bindPopup(h("div", {}, [
        h("strong", { text: new Date(p.started_at).toLocaleString(lang) }),
        h("div", { text: fmt(T.patrol_by, { name: p.inspector }) }),
        h("div", { text: fmt(T.patrol_distance, { km: p.distance_km }) }),
      ]));
    },
  });
  var heatLayer = L.heatLayer ? L.heatLayer([], { radius: 22, blur: 18, minOpacity: 0.3, maxZoom: FOCUS_ZOOM }) : L.layerGroup();

  // Single cases: markercluster groups the points of one answer on screen; the server's own clusters are
  // plain markers in clusterLayer. Both draw the same count bubbles.
  var markers = {};
  var pointLayer = L.markerClusterGroup({
    chunkedLoading: true, maxClusterRadius: 45, disableClusteringAtZoom: FOCUS_ZOOM, showCoverageOnHover: false,
    spiderfyOnMaxZoom: true,
    iconCreateFunction: function (cluster) {
      var overdue = 0;
      cluster.getAllChildMarkers().forEach(function (m) { if (m.feature.properties.overdue) overdue += 1; });
      return bubbleIcon(cluster.getChildCount(), overdue, " client-cluster");
    },
  });
  var clusterLayer = L.layerGroup();
  var casesLayer = L.layerGroup([pointLayer, clusterLayer]);

  var overlays = { cases: casesLayer, villages: villagesLayer, campaigns: campaignsLayer, tracks: tracksLayer,
                   heat: heatLayer };
  var overlayLabels = { cases: T.layer_cases, villages: T.layer_villages, campaigns: T.layer_campaigns,
                        tracks: T.layer_tracks, heat: T.layer_heat };

  // --- initial view -----------------------------------------------------------------------------
  var lat = parseFloat(initial.get("lat")), lng = parseFloat(initial.get("lng")), z = parseInt(initial.get("z"), 10);
  if (isFinite(lat) && isFinite(lng) && isFinite(z)) map.setView([lat, lng], Math.min(Math.max(z, 3), MAX_ZOOM));
  else if (config.bounds) map.fitBounds(config.bounds, { padding: [10, 10] });
  else map.setView(site.default_center, site.default_zoom);

  var bases = addBaseMaps(map, { preferred: state.base, onTileError: tileFailed, control: false });
  var baseLayers = bases.maps;
  state.base = bases.shown;
  Object.keys(overlays).forEach(function (key) { if (state.layers.indexOf(key) !== -1) overlays[key].addTo(map); });

  var layerControl = {};
  var baseByLabel = {};
  Object.keys(baseLayers).forEach(function (key) { baseByLabel[baseLayers[key].label] = baseLayers[key].layer; });
  Object.keys(overlays).forEach(function (key) { layerControl[overlayLabels[key]] = overlays[key]; });
  L.control.layers(baseByLabel, layerControl, { collapsed: true }).addTo(map);
  L.control.scale({ imperial: false }).addTo(map);

  map.on("popupopen", function () { tileNotice.remove(); });
  map.on("baselayerchange", function (event) {
    Object.keys(baseLayers).forEach(function (key) { if (baseLayers[key].layer === event.layer) state.base = key; });
    writeUrl();
  });
  map.on("overlayadd overlayremove", function (event) {
    state.layers = Object.keys(overlays).filter(function (key) { return map.hasLayer(overlays[key]); });
    if (event.type === "overlayadd" && event.layer === tracksLayer) loadTracks();
    if (event.type === "overlayadd" && event.layer === heatLayer) loadHeat();
    writeUrl();
  });

  // --- legend -----------------------------------------------------------------------------------
  var legendTemplate = document.getElementById("map-legend");
  var legend = L.control({ position: "bottomright" });
  legend.onAdd = function () {
    var container = h("div", { className: "leaflet-control map-legend" });
    container.appendChild(legendTemplate.content.cloneNode(true));
    if (smallScreen.matches) container.querySelector("details").open = false;
    L.DomEvent.disableClickPropagation(container);
    L.DomEvent.disableScrollPropagation(container);
    return container;
  };
  legend.addTo(map);

  // --- cases: points and clusters ---------------------------------------------------------------
  function bubbleIcon(count, overdue, extraClass) {
    var size = Math.round(30 + 9 * Math.log10(Math.max(count, 1)));
    var html = '<span class="n">' + countLabel(count) + "</span>";
    if (overdue) html += '<span class="od">' + countLabel(overdue) + "</span>";
    return L.divIcon({ className: "count-bubble" + (overdue ? " has-overdue" : "") + (extraClass || ""),
                       iconSize: [size, size], html: html });
  }

  function caseIcon(p) {
    return L.divIcon({ className: "case-marker status-" + p.status + (p.overdue ? " overdue" : ""),
                       iconSize: p.overdue ? [22, 22] : [16, 16], html: p.overdue ? "!" : "" });
  }

  function caseMarker(feature) {
    var p = feature.properties, c = feature.geometry.coordinates;
    var title = p.reference + " · " + statusLabel(p.status) + (p.overdue ? " · " + T.overdue : "");
    var marker = L.marker([c[1], c[0]], { icon: caseIcon(p), title: title, alt: title, riseOnHover: true,
                                         zIndexOffset: p.overdue ? 1000 : 0 });
    marker.feature = feature;
    marker.on("add", function () { var icon = marker.getElement(); if (icon) icon.dataset.caseId = p.id; });
    // Leaflet calls this on every popup update: build the content once and hand back the same element.
    var content = null;
    marker.bindPopup(function () {
      if (!content) content = casePopup(p, function () { return marker.getPopup(); });
      return content;
    }, { minWidth: 220, maxWidth: 280, autoPanPadding: [20, 20] });
    marker.on("popupopen", function () { selectRow(p.id); });
    marker.on("popupclose", function () { if (selectedId === p.id) selectRow(null); });
    return marker;
  }

  function sameCase(a, b) {
    return a.reference === b.reference && a.status === b.status && a.overdue === b.overdue &&
      a.deadline === b.deadline && a.category === b.category && a.village === b.village;
  }

  function renderPoints(features) {
    clusterLayer.clearLayers();
    var seen = {}, add = [], remove = [];
    features.forEach(function (feature) {
      var id = feature.properties.id, old = markers[id], c = feature.geometry.coordinates;
      seen[id] = true;
      if (old && sameCase(old.feature.properties, feature.properties) &&
          old.getLatLng().equals([c[1], c[0]])) return;
      if (old) remove.push(old);
      markers[id] = caseMarker(feature);
      add.push(markers[id]);
    });
    Object.keys(markers).forEach(function (id) {
      if (!seen[id]) { remove.push(markers[id]); delete markers[id]; }
    });
    // Markers that stay keep an open popup open.
    pointLayer.removeLayers(remove);
    pointLayer.addLayers(add);
  }

  function renderClusters(features) {
    pointLayer.clearLayers();
    markers = {};
    clusterLayer.clearLayers();
    features.forEach(function (feature) {
      var p = feature.properties, c = feature.geometry.coordinates;
      var parts = Object.keys(p.by_status).map(function (s) { return statusLabel(s) + " " + p.by_status[s]; });
      if (p.overdue) parts.push(fmt(T.overdue_count, { count: p.overdue }));
      var title = fmt(T.cluster_title, { count: p.count }) + "\n" + parts.join("，");
      var marker = L.marker([c[1], c[0]], { icon: bubbleIcon(p.count, p.overdue, " server-cluster"), title: title,
                                           alt: title, riseOnHover: true });
      marker.on("click", function () { map.setView(marker.getLatLng(), Math.min(map.getZoom() + 2, MAX_ZOOM)); });
      clusterLayer.addLayer(marker);
    });
  }

  // --- popups -----------------------------------------------------------------------------------
  var details = {};
  // ``popup()`` gives the popup showing this content, so it can re-fit once the photo and address arrive.
  function casePopup(p, popup) {
    function refit() { var shown = popup(); if (shown && shown.isOpen()) shown.update(); }
    var thumb = h("div", { className: "thumb" });
    var badges = h("div", { className: "badges" }, [
      h("span", { className: "badge status-" + p.status, text: statusLabel(p.status) }),
      p.overdue ? h("span", { className: "badge overdue", text: T.overdue }) : null,
    ]);
    var facts = h("dl", { className: "popup-facts" }, [
      h("dt", { text: T.village }), h("dd", { text: villageName(p.village) || "—" }),
      h("dt", { text: T.category }), h("dd", { text: config.categories[p.category] || p.category }),
      h("dt", { text: T.deadline }), h("dd", { className: p.overdue ? "overdue" : "", text: p.deadline || T.no_deadline }),
    ]);
    var address = h("p", { className: "address muted" });
    var box = h("div", { className: "case-popup", "data-case-id": p.id }, [
      thumb,
      h("strong", { className: "ref", text: p.reference }),
      badges, facts, address,
      h("a", { className: "open-case", href: caseUrl(p.id), text: T.open_case }),
    ]);
    loadDetail(p.id).then(function (detail) {
      if (!detail) return;
      if (detail.address) address.textContent = fmt(T.address_line, { address: detail.address });
      var photos = detail.photos || [];
      var photo = photos.filter(function (ph) { return ph.thumbnail_url; })[0];
      if (photo) {
        var img = h("img", { src: photo.thumbnail_url, alt: fmt(T.photo_of, { reference: p.reference }) });
        img.addEventListener("load", refit);
        // Opens the watermarked display copy (time, position, case, taker) once the worker made it.
        thumb.appendChild(h("a", { href: photo.display_url || photo.url, target: "_blank", rel: "noopener" }, [img]));
      } else if (photos.length) {
        // The thumbnail is made by the worker a moment after upload; until then, link the original.
        box.insertBefore(h("p", { className: "no-photo" }, [
          h("a", { href: photos[0].display_url || photos[0].url, target: "_blank", rel: "noopener", text: fmt(T.view_photos, { count: photos.length }) }),
        ]), box.lastChild);
      } else {
        box.insertBefore(h("p", { className: "no-photo muted", text: T.no_photo }), box.lastChild);
      }
      refit();
    });
    return box;
  }
  function loadDetail(id) {
    if (!details[id]) {
      details[id] = getJSON(url("case", { id: id })).catch(function () { delete details[id]; return null; });
    }
    return details[id];
  }

  // --- the list beside the map ------------------------------------------------------------------
  var listRows = {};
  var lastTotal = 0, lastMode = "points";
  function renderList(data) {
    tbody.textContent = "";
    listRows = {};
    data.results.forEach(function (row) {
      var status = h("td", {}, [h("span", { className: "dot status-" + row.status }),
                                h("span", { text: statusLabel(row.status) })]);
      var deadline = h("td", { className: row.overdue ? "overdue" : "", text: row.deadline || "—" });
      if (row.overdue) deadline.appendChild(h("span", { className: "badge overdue", text: T.overdue }));
      var tr = h("tr", { tabindex: "0", "data-case-id": row.id }, [
        h("td", { className: "ref", text: row.reference }), h("td", { className: "village", text: villageName(row.village) }),
        status, deadline,
      ]);
      tr.addEventListener("click", function () { focusCase(row); });
      tr.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === " ") { event.preventDefault(); focusCase(row); }
      });
      if (row.id === selectedId) tr.classList.add("active");
      listRows[row.id] = tr;
      tbody.appendChild(tr);
    });
    var shown = data.results.length;
    if (!shown) summary.textContent = T.list_empty;
    else if (lastMode === "clusters") summary.textContent = fmt(T.list_clusters, { total: lastTotal, shown: shown });
    else if (data.truncated || shown < lastTotal) summary.textContent = fmt(T.list_truncated, { total: lastTotal, shown: shown });
    else summary.textContent = fmt(T.list_summary, { total: lastTotal });
    panel.querySelectorAll("th").forEach(function (th) {
      var key = th.querySelector("button").dataset.sort;
      var sort = state.ordering === key ? "ascending" : state.ordering === "-" + key ? "descending" : "none";
      th.setAttribute("aria-sort", sort);
    });
  }
  var selectedId = null;
  function selectRow(id) {
    selectedId = id;
    Object.keys(listRows).forEach(function (key) { listRows[key].classList.toggle("active", String(id) === key); });
    if (listRows[id] && !smallScreen.matches) listRows[id].scrollIntoView({ block: "nearest" });
  }
  panel.querySelectorAll("th button").forEach(function (button) {
    button.addEventListener("click", function () {
      var key = button.dataset.sort;
      state.ordering = state.ordering === key ? "-" + key : key;
      writeUrl();
      loadList();
    });
  });

  // Clicking a row: centre the map on the case and open its popup (zooming in if it sits in a cluster).
  var pendingFocus = null;
  function focusCase(row) {
    if (smallScreen.matches) setPanelOpen(false);
    var marker = markers[row.id];
    if (marker && map.getZoom() >= FOCUS_ZOOM - 2) {
      pointLayer.zoomToShowLayer(marker, function () { map.panTo(marker.getLatLng()); marker.openPopup(); });
      return;
    }
    pendingFocus = row;
    var target = L.latLng(row.lat, row.lng);
    if (map.getZoom() >= FOCUS_ZOOM && map.getCenter().distanceTo(target) < 1) resolveFocus();
    else map.setView(target, Math.max(map.getZoom(), FOCUS_ZOOM));
  }
  function resolveFocus() {
    var row = pendingFocus;
    if (!row) return;
    pendingFocus = null;
    var marker = markers[row.id];
    if (marker) {
      pointLayer.zoomToShowLayer(marker, function () { marker.openPopup(); });
    } else {
      // Still inside a server cluster (a very crowded spot): show the popup on its own.
      var alone = L.popup({ minWidth: 220, maxWidth: 280, autoPanPadding: [20, 20] });
      alone.setLatLng([row.lat, row.lng]).setContent(casePopup(row, function () { return alone; })).openOn(map);
      selectRow(row.id);
    }
  }

  // --- loading ----------------------------------------------------------------------------------
  var statusBox = h("div", { className: "map-status", role: "status", "aria-live": "polite" });
  el.appendChild(statusBox);
  function showStatus(text, isError) {
    statusBox.textContent = text || "";
    statusBox.classList.toggle("error", !!isError);
    statusBox.hidden = !text;
  }

  function viewport() {
    var b = map.getBounds().pad(0.1);
    var box = [Math.max(-180, b.getWest()), Math.max(-90, b.getSouth()), Math.min(180, b.getEast()),
               Math.min(90, b.getNorth())];
    return { bbox: box.map(function (v) { return v.toFixed(6); }).join(","), zoom: String(Math.round(map.getZoom())) };
  }

  var controllers = {};
  function request(name, url) {
    if (controllers[name]) controllers[name].abort();
    var controller = controllers[name] = new AbortController();
    return getJSON(url, controller.signal).finally(function () {
      if (controllers[name] === controller) delete controllers[name];
    });
  }
  function failed(error) {
    if (error.name === "AbortError") return;
    el.dataset.state = "error";
    showStatus(fmt(T.load_failed, { message: error.message }), true);
  }

  // The view (bbox and zoom) the cases were last asked for: a moveend that did not move the map (a layout change,
  // a filter dropdown opening) asks again for nothing, which saves the user throttle a request pair per action.
  var loadedView = null;
  function viewKey(view) { return view.bbox + "|" + view.zoom; }

  function loadCases() {
    var view = viewport();
    loadedView = viewKey(view);
    el.dataset.state = "loading";
    showStatus(T.loading);
    return request("cases", apiUrl(site.urls.map_cases, view)).then(function (data) {
      lastTotal = data.total;
      lastMode = data.mode;
      if (data.mode === "clusters") renderClusters(data.features);
      else renderPoints(data.features);
      el.dataset.mode = data.mode;
      el.dataset.total = String(data.total);
      el.dataset.state = "ready";
      showStatus("");
      resolveFocus();
      return loadList();
    }).catch(function (error) {
      loadedView = null;
      failed(error);
    });
  }
  function loadList() {
    return request("list", apiUrl(site.urls.map_list, { bbox: viewport().bbox, ordering: state.ordering }))
      .then(renderList).catch(failed);
  }
  function loadKpis() {
    return request("kpis", apiUrl(site.urls.map_kpis)).then(function (kpi) {
      document.querySelectorAll("[data-kpi]").forEach(function (node) {
        var value = kpi[node.dataset.kpi];
        node.textContent = value === null ? "—" : /_rate$/.test(node.dataset.kpi) ? value + "%" : String(value);
      });
      document.querySelectorAll("[data-legend-count]").forEach(function (node) {
        node.textContent = countLabel(kpi.by_status[node.dataset.legendCount] || 0);
      });
    }).catch(failed);
  }
  function loadHeat() {
    if (!map.hasLayer(heatLayer) || !heatLayer.setLatLngs) return;
    request("heat", apiUrl(site.urls.map_heat, viewport())).then(function (data) {
      heatLayer.setOptions({ max: Math.max(1, data.max * 0.6) });
      heatLayer.setLatLngs(data.points);
    }).catch(failed);
  }
  // Tracks come simplified to the zoom they are drawn at (one screen pixel): loaded again when the zoom changes.
  var tracksZoom = null;
  function loadTracks() {
    var zoom = map.getZoom();
    if (tracksZoom === zoom || !map.hasLayer(tracksLayer)) return;
    tracksZoom = zoom;
    getJSON(site.urls.map_tracks + "?zoom=" + zoom).then(function (data) {
      if (tracksZoom !== zoom) return;  // the map was zoomed again meanwhile
      tracksLayer.clearLayers();
      tracksLayer.addData(data);
    }).catch(function (error) { tracksZoom = null; failed(error); });
  }
  map.on("zoomend", debounce(loadTracks, 250));

  getJSON(site.urls.map_villages).then(function (data) {
    villagesLayer.addData(data);
    el.dataset.loaded = String(data.features.length);
  }).catch(function () { el.dataset.loaded = "error"; });
  getJSON(site.urls.map_campaigns).then(function (data) {
    campaignsLayer.addData(data);
    highlightCampaign();
  }).catch(failed);
  if (map.hasLayer(tracksLayer)) loadTracks();

  function highlightCampaign() {
    var chosen = form.elements.campaign.value;
    campaignsLayer.eachLayer(function (layer) {
      layer.setStyle({ weight: String(layer.feature.properties.id) === chosen ? 4 : 2 });
    });
  }

  function reloadView() {
    writeUrl();
    if (viewKey(viewport()) === loadedView) return;
    loadCases();
    loadHeat();
  }
  map.on("moveend", debounce(reloadView, 250));

  // --- filters ----------------------------------------------------------------------------------
  // A dropdown of the filters (状态, 类别) closes when the person clicks or taps anywhere else, as a select does.
  document.addEventListener("click", function (event) {
    form.querySelectorAll("details.multi[open]").forEach(function (box) {
      if (!box.contains(event.target)) box.open = false;
    });
  });
  function updateFilterSummaries() {
    form.querySelectorAll("details.multi").forEach(function (box) {
      var checked = box.querySelectorAll("input:checked").length;
      var label = box.querySelector("[data-multi-summary]");
      label.textContent = checked ? fmt(label.dataset.some, { count: checked }) : label.dataset.all;
    });
    var active = {};
    filterParams().forEach(function (value, key) { active[key] = true; });
    var count = Object.keys(active).length;
    form.querySelector("[data-filter-count]").textContent = count ? "(" + count + ")" : "";
  }
  function applyFilters() {
    updateFilterSummaries();
    highlightCampaign();
    writeUrl();
    loadCases();
    loadKpis();
    loadHeat();
  }
  form.addEventListener("submit", function (event) { event.preventDefault(); applyFilters(); });
  form.addEventListener("change", function (event) { if (event.target.name !== "q") applyFilters(); });
  form.elements.q.addEventListener("input", debounce(applyFilters, 400));
  form.querySelector("[data-reset]").addEventListener("click", function (event) {
    event.preventDefault();
    Array.prototype.forEach.call(form.elements, function (field) {
      if (field.type === "checkbox") field.checked = false;
      else if (field.name) field.value = "";
    });
    applyFilters();
  });
  var filterBox = form.querySelector(".filter-box");
  if (smallScreen.matches) filterBox.open = false;
  smallScreen.addEventListener("change", function () { if (!smallScreen.matches) filterBox.open = true; });
  updateFilterSummaries();

  // --- panel: tabs, and the sheet that slides up on phones --------------------------------------
  var tabs = panel.querySelectorAll("[role=tab]");
  tabs.forEach(function (tab) {
    tab.addEventListener("click", function () {
      tabs.forEach(function (other) {
        var selected = other === tab;
        other.setAttribute("aria-selected", String(selected));
        other.tabIndex = selected ? 0 : -1;
        document.getElementById(other.getAttribute("aria-controls")).hidden = !selected;
      });
    });
  });
  // A page of the 待办 list (its links end in #panel-todo) opens on that tab.
  if (/[?&]todo_page=/.test(window.location.search) || window.location.hash === "#panel-todo") {
    document.getElementById("tab-todo").click();
  }
  var toggle = document.querySelector(".panel-toggle");
  function setPanelOpen(open) {
    panel.classList.toggle("open", open);
    toggle.setAttribute("aria-expanded", String(open));
    toggle.textContent = open ? T.hide_list : T.show_list;
  }
  toggle.addEventListener("click", function () { setPanelOpen(!panel.classList.contains("open")); });

  writeUrl();
  loadCases();
  loadKpis();
  loadHeat();
})();

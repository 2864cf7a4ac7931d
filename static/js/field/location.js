// Where a finding is: the phone's best GPS fix while the form is open, or a point the inspector placed the marker
// on (dragged it, or tapped the map: location_source "map_pick"). The small map works without tiles: the marker
// can still be placed. A fix worse than the jurisdiction's threshold (data-accuracy-max on #field-app, metres) is
// no position for evidence: until a good fix or a pick there is nothing to save (#15).
import { addBaseMaps } from "../basemap.js";
import { config } from "../config.js";
import { $, T, app } from "./page.js";
import { fmt } from "./util.js";

// A fix this good is kept and the GPS let go (it drains the battery).
const GOOD_ACCURACY_M = 15;
// A fix the phone got this recently is as good as a new one (the page's other watchers, the patrol and the 图斑
// list, keep it fresh); asking for a brand-new one (0) waits for the next change of position.
const FIX_MAX_AGE_MS = 10000;

let fix = null, watchId = null, picked = false, miniMap = null, marker = null, onMove = () => {};

// The worst accuracy a GPS fix may have to be saved as the finding's position.
export function accuracyThreshold() { return Number((app && app.dataset.accuracyMax) || 30); }

function showFix() {
  const max = accuracyThreshold();
  $("loc-status").textContent = fmt(T.accuracy, { m: fix.accuracy }) + " · "
    + (fix.accuracy <= max ? fmt(T.accuracy_ok, { max: max }) : fmt(T.accuracy_poor, { max: max }));
  $("loc-status").classList.toggle("poor", fix.accuracy > max);
}

// ``moved()`` is called whenever the point changes (a better fix, or the marker dragged).
export function startLocating(moved) {
  onMove = moved || (() => {});
  fix = null; picked = false;
  $("loc-status").textContent = T.locating;
  if (!navigator.geolocation) { noGps(); return; }
  watchId = navigator.geolocation.watchPosition((position) => {
    const c = position.coords;
    if (fix && fix.accuracy <= c.accuracy) return; // keep the best fix
    fix = { lng: c.longitude, lat: c.latitude, accuracy: Math.round(c.accuracy) };
    if (picked) return;  // the inspector's pick stands
    showPoint(fix.lat, fix.lng, 17);
    showFix();
    if (fix.accuracy <= GOOD_ACCURACY_M) stopLocating();
    onMove();
  }, noGps, { enableHighAccuracy: true, maximumAge: FIX_MAX_AGE_MS, timeout: 30000 });
}

// A finding saved before (a refused one being corrected): its point stands as it was recorded.
export function startFrom(body, moved) {
  onMove = moved || (() => {});
  stopLocating();
  const [lng, lat] = body.location.coordinates;
  picked = body.location_source === "map_pick";
  fix = picked ? null : { lng: lng, lat: lat, accuracy: body.accuracy_m };
  showPoint(lat, lng, 17);
  if (picked) { $("loc-status").textContent = T.map_pick; } else { showFix(); }
  onMove();
}

export function stopLocating() {
  if (watchId !== null) navigator.geolocation.clearWatch(watchId);
  watchId = null;
}

function noGps() {
  if (fix || picked) return;
  $("loc-status").textContent = T.no_gps;
  $("loc-status").classList.add("poor");
  const center = miniMap ? miniMap.getCenter() : { lat: config.default_center[0], lng: config.default_center[1] };
  showPoint(center.lat, center.lng, 14);
}

function showPoint(lat, lng, zoom) {
  if (!window.L) return;
  if (!miniMap) {
    miniMap = L.map("finding-map", { zoomControl: true }).setView([lat, lng], zoom);
    addBaseMaps(miniMap);
    marker = L.marker([lat, lng], { draggable: true, icon: L.divIcon({ className: "pick-marker", iconSize: [26, 26] }) }).addTo(miniMap);
    marker.on("dragend", place);
    miniMap.on("click", (event) => { marker.setLatLng(event.latlng); place(); });
  } else {
    marker.setLatLng([lat, lng]);
    miniMap.setView([lat, lng], zoom);
  }
}

function place() {
  picked = true;
  stopLocating();
  $("loc-status").textContent = T.map_pick;
  $("loc-status").classList.remove("poor");
  onMove();
}

// The map was hidden while the form was closed: it measures its box again.
export function refreshMap() {
  if (miniMap) setTimeout(() => { miniMap.invalidateSize(); }, 50);
}

// The chosen point as GeoJSON: the marker once placed by hand or put on a good enough fix; null before.
export function currentPoint() {
  if (!marker || !(picked || (fix && fix.accuracy <= accuracyThreshold()))) return null;
  const p = marker.getLatLng();
  return { type: "Point", coordinates: [Number(p.lng.toFixed(7)), Number(p.lat.toFixed(7))] };
}

// The GPS accuracy of the point in metres; null when the point was picked on the map (or there is no fix).
export function currentAccuracy() { return fix && !picked ? fix.accuracy : null; }

export function locationSource() { return picked ? "map_pick" : "device_gps"; }

// The marker's point whatever it is worth (a photo taken before the fix is good still gets the best guess).
export function roughPoint() {
  if (!marker || !(picked || fix)) return null;
  const p = marker.getLatLng();
  return { type: "Point", coordinates: [Number(p.lng.toFixed(7)), Number(p.lat.toFixed(7))] };
}

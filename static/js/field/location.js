// Where a finding is: the phone's best GPS fix while the form is open, or a point the inspector dragged the marker
// to (location_source "map_pick"). The small map works without tiles: the marker can still be dragged.
import { addBaseMaps } from "../basemap.js";
import { config } from "../config.js";
import { $, T } from "./page.js";
import { fmt } from "./util.js";

// A fix this good is kept and the GPS let go (it drains the battery).
const GOOD_ACCURACY_M = 15;

let fix = null, watchId = null, picked = false, miniMap = null, marker = null, onMove = () => {};

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
    if (!picked) showPoint(fix.lat, fix.lng, 17);
    $("loc-status").textContent = fmt(T.accuracy, { m: fix.accuracy }) + (fix.accuracy > GOOD_ACCURACY_M ? " · " + T.accuracy_poor : "");
    if (fix.accuracy <= GOOD_ACCURACY_M) stopLocating();
    onMove();
  }, noGps, { enableHighAccuracy: true, maximumAge: 0, timeout: 30000 });
}

export function stopLocating() {
  if (watchId !== null) navigator.geolocation.clearWatch(watchId);
  watchId = null;
}

function noGps() {
  if (fix) return;
  $("loc-status").textContent = T.no_gps;
  const center = miniMap ? miniMap.getCenter() : { lat: config.default_center[0], lng: config.default_center[1] };
  showPoint(center.lat, center.lng, 14);
}

function showPoint(lat, lng, zoom) {
  if (!window.L) return;
  if (!miniMap) {
    miniMap = L.map("finding-map", { zoomControl: true }).setView([lat, lng], zoom);
    addBaseMaps(miniMap);
    marker = L.marker([lat, lng], { draggable: true, icon: L.divIcon({ className: "pick-marker", iconSize: [26, 26] }) }).addTo(miniMap);
    marker.on("dragend", () => {
      picked = true;
      stopLocating();
      $("loc-status").textContent = T.map_pick;
      onMove();
    });
  } else {
    marker.setLatLng([lat, lng]);
    miniMap.setView([lat, lng], zoom);
  }
}

// The map was hidden while the form was closed: it measures its box again.
export function refreshMap() {
  if (miniMap) setTimeout(() => { miniMap.invalidateSize(); }, 50);
}

// The chosen point as GeoJSON, or null before there is one.
export function currentPoint() {
  if (!marker) return null;
  const p = marker.getLatLng();
  return { type: "Point", coordinates: [Number(p.lng.toFixed(7)), Number(p.lat.toFixed(7))] };
}

// The GPS accuracy of the point in metres; null when the point was picked on the map (or there is no fix).
export function currentAccuracy() { return fix && !picked ? fix.accuracy : null; }

export function locationSource() { return picked ? "map_pick" : "device_gps"; }

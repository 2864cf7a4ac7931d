// The base maps of the field, case and supervisor maps, from the configuration (gis/basemaps.py):
// OpenStreetMap, and 天地图 when the server has a key. The last one a person chose is kept on this device.
import { config } from "./config.js";

const CHOICE = "xuncha.basemap";

function remembered() {
  try { return window.localStorage.getItem(CHOICE); } catch (e) { return null; }  // storage may be off
}
function remember(key) {
  try { window.localStorage.setItem(CHOICE, key); } catch (e) { /* the choice lasts for this page only */ }
}

// { key: { label, layer } } in the server's order; each tile layer reports its failures to onTileError.
export function baseMaps(onTileError) {
  const maps = {};
  config.tiles.forEach((entry) => {
    const layers = entry.layers.map((spec) => {
      const layer = L.tileLayer(spec.url, spec.options);
      if (onTileError) layer.on("tileerror", onTileError);
      return layer;
    });
    maps[entry.key] = { label: entry.label, layer: layers.length === 1 ? layers[0] : L.layerGroup(layers) };
  });
  return maps;
}

// Puts a base map on the map (``preferred`` if there is one by that key, else the one chosen last, else the
// first), and a switcher when there is more than one. Returns the maps and the key of the one shown.
export function addBaseMaps(map, { preferred = null, onTileError = null, control = true } = {}) {
  const maps = baseMaps(onTileError);
  const keys = Object.keys(maps);
  const shown = [preferred, remembered()].find((key) => key && maps[key]) || keys[0];
  if (shown) maps[shown].layer.addTo(map);
  map.on("baselayerchange", (event) => {
    keys.forEach((key) => { if (maps[key].layer === event.layer) remember(key); });
  });
  if (control && keys.length > 1) {
    const byLabel = {};
    keys.forEach((key) => { byLabel[maps[key].label] = maps[key].layer; });
    L.control.layers(byLabel, {}, { collapsed: true }).addTo(map);
  }
  return { maps, shown };
}

// The inspector's field page: findings, photos and patrol tracks go into an outbox in IndexedDB first,
// each with an id made here (client_uuid), and leave it only after the server confirmed them. The API
// is idempotent by those ids, so a retry after a lost answer never creates a duplicate.
(function () {
  "use strict";
  var app = document.getElementById("field-app");
  if (!app) return;
  var T = JSON.parse(document.getElementById("field-messages").textContent);
  var cfg = app.dataset;
  var MAX_SIDE = 1600, JPEG_QUALITY = 0.8, GOOD_ACCURACY_M = 15, TRACK_BATCH = 20, TRACK_FLUSH_MS = 60000;

  function fmt(text, params) {
    return String(text).replace(/%\((\w+)\)s/g, function (_, key) { return params[key]; });
  }
  function $(id) { return document.getElementById(id); }
  function uuid4() {
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }
  function csrfToken() {
    var m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : "";
  }

  // ---- IndexedDB: the outbox and a little state (active patrol, patrol ids) --------------------
  var dbPromise = new Promise(function (resolve, reject) {
    var request = indexedDB.open("xuncha-field", 1);
    request.onupgradeneeded = function () {
      request.result.createObjectStore("outbox", { keyPath: "id", autoIncrement: true });
      request.result.createObjectStore("meta", { keyPath: "key" });
    };
    request.onsuccess = function () { resolve(request.result); };
    request.onerror = function () { reject(request.error); };
  });
  function store(name, mode, work) {
    return dbPromise.then(function (db) {
      return new Promise(function (resolve, reject) {
        var transaction = db.transaction(name, mode);
        var result = work(transaction.objectStore(name));
        transaction.oncomplete = function () { resolve(result && "result" in result ? result.result : result); };
        transaction.onerror = transaction.onabort = function () { reject(transaction.error); };
      });
    });
  }
  var outbox = {
    add: function (item) { return store("outbox", "readwrite", function (s) { return s.add(item); }); },
    put: function (item) { return store("outbox", "readwrite", function (s) { return s.put(item); }); },
    remove: function (id) { return store("outbox", "readwrite", function (s) { return s.delete(id); }); },
    all: function () { return store("outbox", "readonly", function (s) { return s.getAll(); }); },
  };
  var meta = {
    get: function (key) {
      return store("meta", "readonly", function (s) { return s.get(key); }).then(function (r) { return r ? r.value : null; });
    },
    set: function (key, value) { return store("meta", "readwrite", function (s) { return s.put({ key: key, value: value }); }); },
    remove: function (key) { return store("meta", "readwrite", function (s) { return s.delete(key); }); },
  };

  // ---- SHA-256 (crypto.subtle exists only on https and localhost; a small fallback elsewhere) ----
  function hex(buffer) {
    return Array.prototype.map.call(new Uint8Array(buffer), function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
  }
  function sha256(blob) {
    return blob.arrayBuffer().then(function (data) {
      if (window.crypto && crypto.subtle) return crypto.subtle.digest("SHA-256", data).then(hex);
      return sha256Fallback(new Uint8Array(data));
    });
  }
  function sha256Fallback(bytes) {
    var K = [], H = [], i, j, primes = 0, n = 2;
    function frac(x) { return ((x - Math.floor(x)) * 4294967296) | 0; }
    while (primes < 64) {
      for (j = 2; j * j <= n; j++) if (n % j === 0) break;
      if (j * j > n) { if (primes < 8) H[primes] = frac(Math.pow(n, 1 / 2)); K[primes++] = frac(Math.pow(n, 1 / 3)); }
      n++;
    }
    var length = bytes.length, words = new Int32Array(((length + 8) >> 6) * 16 + 16);
    for (i = 0; i < length; i++) words[i >> 2] |= bytes[i] << (24 - (i % 4) * 8);
    words[length >> 2] |= 0x80 << (24 - (length % 4) * 8);
    words[words.length - 1] = length * 8;
    var w = new Int32Array(64);
    for (i = 0; i < words.length; i += 16) {
      var a = H[0], b = H[1], c = H[2], d = H[3], e = H[4], f = H[5], g = H[6], h = H[7];
      for (j = 0; j < 64; j++) {
        if (j < 16) w[j] = words[i + j];
        else {
          var s0 = ((w[j - 15] >>> 7) | (w[j - 15] << 25)) ^ ((w[j - 15] >>> 18) | (w[j - 15] << 14)) ^ (w[j - 15] >>> 3);
          var s1 = ((w[j - 2] >>> 17) | (w[j - 2] << 15)) ^ ((w[j - 2] >>> 19) | (w[j - 2] << 13)) ^ (w[j - 2] >>> 10);
          w[j] = (w[j - 16] + s0 + w[j - 7] + s1) | 0;
        }
        var t1 = (h + (((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7))) + ((e & f) ^ (~e & g)) + K[j] + w[j]) | 0;
        var t2 = ((((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10))) + ((a & b) ^ (a & c) ^ (b & c))) | 0;
        h = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
      }
      H = [H[0] + a, H[1] + b, H[2] + c, H[3] + d, H[4] + e, H[5] + f, H[6] + g, H[7] + h].map(function (x) { return x | 0; });
    }
    return H.map(function (x) { return ((x >>> 0) + 0x100000000).toString(16).slice(1); }).join("");
  }

  // ---- Photos: resized to about 1600 px JPEG here (canvas drops EXIF; time and place go as fields) --
  function resizePhoto(file) {
    var decode = window.createImageBitmap
      ? createImageBitmap(file, { imageOrientation: "from-image" }).catch(function () { return createImageBitmap(file); })
      : Promise.reject(new Error("no createImageBitmap"));
    return decode.then(function (bitmap) {
      var scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(bitmap.width * scale);
      canvas.height = Math.round(bitmap.height * scale);
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      return new Promise(function (resolve) { canvas.toBlob(resolve, "image/jpeg", JPEG_QUALITY); });
    }).catch(function () { return file; }); // a format the browser cannot decode goes as it is
  }

  // ---- Network -------------------------------------------------------------------------------------
  function NetworkError(message) { this.message = message; }
  function HttpError(status, body) { this.status = status; this.body = body; }
  function errorText(body) {
    if (!body || !body.error) return "";
    var fields = body.error.fields || {}, parts = [body.error.message];
    Object.keys(fields).forEach(function (k) { parts.push([].concat(fields[k]).join(" ")); });
    return parts.join(" ");
  }
  function send(method, url, body, onProgress) {
    return new Promise(function (resolve, reject) {
      var xhr = new XMLHttpRequest();
      xhr.open(method, url);
      xhr.setRequestHeader("X-CSRFToken", csrfToken());
      xhr.setRequestHeader("Accept", "application/json");
      xhr.timeout = 120000;
      if (!(body instanceof FormData)) xhr.setRequestHeader("Content-Type", "application/json");
      if (onProgress && xhr.upload) xhr.upload.onprogress = function (e) { if (e.lengthComputable) onProgress(e.loaded / e.total); };
      xhr.onload = function () {
        var data = null;
        try { data = JSON.parse(xhr.responseText); } catch (e) { /* not JSON */ }
        if (xhr.status >= 200 && xhr.status < 300) resolve(data);
        else if (xhr.status >= 500 || xhr.status === 429 || xhr.status === 0) reject(new NetworkError("HTTP " + xhr.status));
        else reject(new HttpError(xhr.status, data));
      };
      xhr.onerror = xhr.ontimeout = function () { reject(new NetworkError("network")); };
      xhr.send(body instanceof FormData ? body : JSON.stringify(body));
    });
  }

  // ---- The outbox drain: in order, with backoff; an item leaves only after the server said yes ----
  var draining = false, progress = {};
  function drain() {
    if (draining) return Promise.resolve();
    draining = true;
    return outbox.all().then(function (items) {
      items.sort(function (a, b) { return a.id - b.id; });
      var chain = Promise.resolve(true);
      items.forEach(function (item) {
        chain = chain.then(function (goOn) {
          if (!goOn || item.state === "failed" || (item.next_try || 0) > Date.now()) return goOn;
          return process(item).then(function () { return outbox.remove(item.id); }).then(function () {
            delete progress[item.id];
            // How many items this page has delivered (also lets tests and the bench wait for delivery).
            app.dataset.sent = String(Number(app.dataset.sent || 0) + 1);
            return true;
          }, function (error) { return handleError(item, error); });
        });
      });
      return chain;
    }).catch(function () { /* keep items; try again later */ }).then(function () {
      draining = false;
      render();
    });
  }
  function handleError(item, error) {
    delete progress[item.id];
    if (error instanceof HttpError && (error.status === 401 || error.status === 403) && !(error.body && error.body.error && error.body.error.code === "forbidden")) {
      item.error = "401"; // signed out: keep everything and stop
      return outbox.put(item).then(function () { window.location.href = "/accounts/login/?next=/field/"; return false; });
    }
    if (error instanceof HttpError) {
      item.state = "failed";
      item.error = errorText(error.body) || ("HTTP " + error.status);
      return outbox.put(item).then(function () { return true; });
    }
    if (error && error.dependency) return true; // waits for an earlier item
    item.attempts = (item.attempts || 0) + 1;
    item.next_try = Date.now() + Math.min(2000 * Math.pow(2, item.attempts), 300000);
    item.state = "waiting";
    return outbox.put(item).then(function () { return false; }); // the network is down: stop for now
  }
  function patrolId(clientUuid) {
    return meta.get("patrol:" + clientUuid).then(function (id) {
      if (!id) { var e = new Error("patrol not uploaded yet"); e.dependency = true; throw e; }
      return id;
    });
  }
  function process(item) {
    item.state = "uploading";
    render();
    if (item.kind === "patrol_start") {
      return send("POST", cfg.patrolsUrl, item.body).then(function (patrol) {
        return meta.set("patrol:" + item.client_uuid, patrol.id);
      });
    }
    if (item.kind === "track") {
      return patrolId(item.patrol_client_uuid).then(function (id) {
        return send("POST", cfg.patrolsUrl + id + "/track/", { seq: item.seq, points: item.points });
      });
    }
    if (item.kind === "patrol_finish") {
      return patrolId(item.patrol_client_uuid).then(function (id) {
        return send("POST", cfg.patrolsUrl + id + "/finish/", item.body);
      });
    }
    return processFinding(item);
  }
  function processFinding(item) {
    var ready = Promise.resolve();
    // The patrol id is fixed before the first send, so every retry sends exactly the same body.
    if (item.patrol_client_uuid && item.body.patrol === undefined) {
      ready = patrolId(item.patrol_client_uuid).then(function (id) { item.body.patrol = id; return outbox.put(item); });
    }
    return ready.then(function () {
      if (item.case_id) return null;
      return send("POST", cfg.casesUrl, item.body).then(function (created) {
        item.case_id = created.id;
        item.reference = created.reference;
        item.nearby = created.nearby_open_cases || [];
        return outbox.put(item);
      });
    }).then(function () {
      var chain = Promise.resolve();
      item.photos.forEach(function (photo, index) {
        chain = chain.then(function () {
          if (photo.done) return null;
          var form = new FormData();
          form.append("file", photo.blob, photo.client_uuid + ".jpg");
          ["client_uuid", "sha256", "taken_at", "stage"].forEach(function (k) { form.append(k, photo[k]); });
          if (photo.location) form.append("location", JSON.stringify(photo.location));
          if (photo.accuracy_m != null) form.append("accuracy_m", photo.accuracy_m);
          return send("POST", cfg.casesUrl + item.case_id + "/photos/", form, function (fraction) {
            progress[item.id] = (index + fraction) / item.photos.length;
            renderProgress(item.id);
          }).then(function () {
            photo.done = true;
            progress[item.id] = (index + 1) / item.photos.length;
            return outbox.put(item);
          });
        });
      });
      return chain;
    }).then(function () {
      if (item.nearby && item.nearby.length) {
        var n = item.nearby[0];
        remember(fmt(T.nearby_found, { ref: n.reference, m: Math.round(n.distance_m) }) + " — " + item.reference);
      }
    });
  }
  function remember(text) {
    // Lasting notes (a possible duplicate found by the server) stay; see toast() for passing ones.
    var p = document.createElement("p");
    p.className = "notice";
    p.textContent = text;
    $("queue-list").parentNode.insertBefore(p, $("queue-list"));
  }
  var toastTimer = null;
  function toast(text) {
    var box = $("toast");
    box.textContent = text;
    box.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { box.hidden = true; }, 4000);
  }

  // ---- The queue on screen ------------------------------------------------------------------------
  function label(item) {
    if (item.kind === "finding") {
      return T.finding + " · " + (item.body.address || item.body.category) + " · " + fmt(T.photos_n, { n: item.photos.length });
    }
    if (item.kind === "track") return T.track + " #" + item.seq + " (" + item.points.length + ")";
    return T[item.kind] || item.kind;
  }
  function render() {
    $("net-status").textContent = navigator.onLine ? T.online : T.offline;
    $("net-status").className = "net " + (navigator.onLine ? "on" : "off");
    return outbox.all().then(function (items) {
      $("queue-count").textContent = items.length ? fmt(T.queue, { n: items.length }) : T.queue_empty;
      $("queue-count").dataset.count = String(items.length);
      var list = $("queue-list");
      list.textContent = "";
      items.forEach(function (item) {
        var li = document.createElement("li");
        li.dataset.id = item.id;
        li.className = "queue-item " + (item.state || "waiting");
        var text = document.createElement("span");
        text.textContent = label(item) + " · " + (item.state === "failed" ? T.failed : item.state === "uploading" ? T.uploading : T.waiting);
        li.appendChild(text);
        var bar = document.createElement("progress");
        bar.max = 1;
        bar.value = progress[item.id] || 0;
        li.appendChild(bar);
        if (item.state === "failed") {
          var why = document.createElement("p");
          why.className = "field-error";
          why.textContent = item.error || "";
          li.appendChild(why);
          li.appendChild(button(T.retry, function () { item.state = "waiting"; item.next_try = 0; outbox.put(item).then(drain); }));
          li.appendChild(button(T.discard, function () { if (window.confirm(T.confirm_discard)) outbox.remove(item.id).then(render); }));
        }
        list.appendChild(li);
      });
    });
  }
  function renderProgress(id) {
    var bar = document.querySelector('.queue-item[data-id="' + id + '"] progress');
    if (bar) bar.value = progress[id] || 0;
  }
  function button(text, onClick) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "secondary small";
    b.textContent = text;
    b.addEventListener("click", onClick);
    return b;
  }

  // ---- Position ---------------------------------------------------------------------------------
  var fix = null, watchId = null, picked = false, miniMap = null, marker = null;
  function startLocating() {
    fix = null; picked = false;
    $("loc-status").textContent = T.locating;
    if (!navigator.geolocation) { noGps(); return; }
    watchId = navigator.geolocation.watchPosition(function (position) {
      var c = position.coords;
      if (fix && fix.accuracy <= c.accuracy) return; // keep the best fix
      fix = { lng: c.longitude, lat: c.latitude, accuracy: Math.round(c.accuracy) };
      if (!picked) showPoint(fix.lat, fix.lng, 17);
      $("loc-status").textContent = fmt(T.accuracy, { m: fix.accuracy }) + (fix.accuracy > GOOD_ACCURACY_M ? " · " + T.accuracy_poor : "");
      if (fix.accuracy <= GOOD_ACCURACY_M) stopLocating();
      checkNearby();
    }, noGps, { enableHighAccuracy: true, maximumAge: 0, timeout: 30000 });
  }
  function stopLocating() {
    if (watchId !== null) navigator.geolocation.clearWatch(watchId);
    watchId = null;
  }
  function noGps() {
    if (fix) return;
    $("loc-status").textContent = T.no_gps;
    var center = miniMap ? miniMap.getCenter() : { lat: 40.78, lng: 111.62 };
    showPoint(center.lat, center.lng, 14);
  }
  function showPoint(lat, lng, zoom) {
    if (!window.L) return;
    if (!miniMap) {
      miniMap = L.map("finding-map", { zoomControl: true }).setView([lat, lng], zoom);
      L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png", { maxZoom: 19, attribution: "&copy; OpenStreetMap" }).addTo(miniMap);
      marker = L.marker([lat, lng], { draggable: true, icon: L.divIcon({ className: "pick-marker", iconSize: [26, 26] }) }).addTo(miniMap);
      marker.on("dragend", function () {
        picked = true;
        stopLocating();
        $("loc-status").textContent = T.map_pick;
        checkNearby();
      });
    } else {
      marker.setLatLng([lat, lng]);
      miniMap.setView([lat, lng], zoom);
    }
  }
  function currentPoint() {
    if (!marker) return null;
    var p = marker.getLatLng();
    return { type: "Point", coordinates: [Number(p.lng.toFixed(7)), Number(p.lat.toFixed(7))] };
  }

  var nearbyTimer = null;
  function checkNearby() {
    clearTimeout(nearbyTimer);
    nearbyTimer = setTimeout(function () {
      var point = currentPoint();
      if (!point || !navigator.onLine) return;
      fetch(cfg.nearbyUrl + "?lng=" + point.coordinates[0] + "&lat=" + point.coordinates[1], { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : { results: [] }; })
        .then(function (data) {
          var box = $("nearby-warning");
          if (!data.results.length) { box.hidden = true; return; }
          var first = data.results[0];
          box.textContent = fmt(T.nearby_found, { ref: first.reference, m: Math.round(first.distance_m) }) + " ";
          var open = document.createElement("a");
          open.href = "/cases/" + first.id + "/";
          open.textContent = T.is_duplicate;
          open.className = "button secondary small";
          box.appendChild(open);
          box.appendChild(button(T.keep, function () { box.hidden = true; }));
          box.hidden = false;
        }).catch(function () { /* offline: the server checks again when the finding arrives */ });
    }, 400);
  }

  // ---- EXIF of a photo: when and where it was shot --------------------------------------------------
  // Only what the evidence needs: DateTimeOriginal (with OffsetTimeOriginal when the camera wrote it) and the
  // GPS position, read from the first 256 KB of a JPEG. Anything unreadable gives null, never an error.
  function readExif(file) {
    return new Promise(function (resolve) {
      if (!file || !/jpe?g$/i.test(file.type || "")) { resolve(null); return; }
      var reader = new FileReader();
      reader.onload = function () {
        try { resolve(parseJpegExif(new DataView(reader.result))); } catch (e) { resolve(null); }
      };
      reader.onerror = function () { resolve(null); };
      reader.readAsArrayBuffer(file.slice(0, 256 * 1024));
    });
  }
  function parseJpegExif(view) {
    if (view.getUint16(0) !== 0xFFD8) return null;
    var offset = 2;
    while (offset + 10 <= view.byteLength) {
      var marker = view.getUint16(offset);
      if ((marker & 0xFF00) !== 0xFF00 || marker === 0xFFDA) return null;  // not a marker, or the image data
      if (marker === 0xFFE1 && view.getUint32(offset + 4) === 0x45786966) return parseTiff(view, offset + 10);
      offset += 2 + view.getUint16(offset + 2);
    }
    return null;
  }
  function parseTiff(view, start) {
    var little = view.getUint16(start) === 0x4949;
    function u16(at) { return view.getUint16(start + at, little); }
    function u32(at) { return view.getUint32(start + at, little); }
    function entries(at) {
      var tags = {}, count = u16(at);
      for (var i = 0; i < count; i++) {
        var e = at + 2 + i * 12;
        tags[u16(e)] = { count: u32(e + 4), at: e + 8 };
      }
      return tags;
    }
    function ascii(tag) {
      var at = tag.count > 4 ? u32(tag.at) : tag.at, text = "";
      for (var i = 0; i < tag.count - 1; i++) text += String.fromCharCode(view.getUint8(start + at + i));
      return text;
    }
    function degrees(tag) {
      var at = u32(tag.at), parts = [];
      for (var i = 0; i < 3; i++) parts.push(u32(at + i * 8) / u32(at + i * 8 + 4));
      return parts[0] + parts[1] / 60 + parts[2] / 3600;
    }
    var root = entries(u32(4)), result = {};
    if (root[0x8769]) {
      var exif = entries(u32(root[0x8769].at));
      var shot = exif[0x9003] && /^(\d{4}):(\d\d):(\d\d) (\d\d):(\d\d):(\d\d)/.exec(ascii(exif[0x9003]));
      var zone = exif[0x9011] && ascii(exif[0x9011]);
      if (shot) {
        var when = zone && /^[+-]\d\d:\d\d$/.test(zone)
          ? new Date(shot[1] + "-" + shot[2] + "-" + shot[3] + "T" + shot[4] + ":" + shot[5] + ":" + shot[6] + zone)
          : new Date(+shot[1], +shot[2] - 1, +shot[3], +shot[4], +shot[5], +shot[6]);  // no zone: the phone's
        if (!isNaN(when.getTime())) result.takenAt = when;
      }
    }
    if (root[0x8825]) {
      var gps = entries(u32(root[0x8825].at));
      if (gps[1] && gps[2] && gps[3] && gps[4]) {
        var lat = degrees(gps[2]) * (ascii(gps[1]) === "S" ? -1 : 1);
        var lng = degrees(gps[4]) * (ascii(gps[3]) === "W" ? -1 : 1);
        if (isFinite(lat) && isFinite(lng) && Math.abs(lat) <= 90 && Math.abs(lng) <= 180 && (lat || lng)) {
          result.location = { type: "Point", coordinates: [lng, lat] };
        }
      }
    }
    return result;
  }

  // ---- The finding form ---------------------------------------------------------------------------
  var pendingPhotos = [];
  function openForm() {
    $("finding-form").hidden = false;
    $("finding-form").scrollIntoView({ behavior: "smooth" });
    startLocating();
    if (miniMap) setTimeout(function () { miniMap.invalidateSize(); }, 50);
  }
  function closeForm() {
    stopLocating();
    $("finding-form").reset();
    $("finding-form").hidden = true;
    $("nearby-warning").hidden = true;
    $("form-error").hidden = true;
    pendingPhotos = [];
    $("photo-previews").textContent = "";
  }
  $("f-photos").addEventListener("change", function (event) {
    Array.prototype.forEach.call(event.target.files, function (file) {
      var now = new Date(), here = currentPoint(), accuracy = fix && !picked ? fix.accuracy : null;
      // A photo picked from the gallery keeps when and where it was shot (its EXIF, which resizing drops);
      // a photo without them (or dated in the future) gets the moment and the position of now.
      var entry = readExif(file).then(function (exif) {
        exif = exif || {};
        var takenAt = exif.takenAt && exif.takenAt.getTime() <= now.getTime() + 5 * 60000 ? exif.takenAt : now;
        var where = exif.location || here;
        return resizePhoto(file).then(function (blob) {
          return sha256(blob).then(function (digest) {
            var img = document.createElement("img");
            img.src = URL.createObjectURL(blob);
            img.alt = "";
            $("photo-previews").appendChild(img);
            return { client_uuid: uuid4(), blob: blob, sha256: digest, taken_at: takenAt.toISOString(),
                     location: where, accuracy_m: exif.location ? null : accuracy, stage: "before", done: false };
          });
        });
      });
      pendingPhotos.push(entry);
    });
    event.target.value = "";
  });
  $("finding-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var form = event.target, error = $("form-error");
    var location = currentPoint();
    if (!location) { error.textContent = T.need_location; error.hidden = false; return; }
    if (!form.category.value) { error.textContent = T.need_category; error.hidden = false; return; }
    var body = { client_uuid: uuid4(), location: location, location_source: picked ? "map_pick" : "device_gps",
                 accuracy_m: fix && !picked ? fix.accuracy : null, observed_at: new Date().toISOString(),
                 category: form.category.value, stage: form.stage.value };
    ["estimated_area_m2", "floors", "structure", "address", "description", "party_name", "party_phone", "campaign"].forEach(function (k) {
      var v = form[k].value.trim();
      if (v !== "") body[k] = (k === "floors" || k === "campaign") ? parseInt(v, 10) : v;
    });
    Promise.all(pendingPhotos).then(function (photos) {
      return meta.get("active_patrol").then(function (patrol) {
        return outbox.add({ kind: "finding", client_uuid: body.client_uuid, body: body, photos: photos,
                            patrol_client_uuid: patrol ? patrol.client_uuid : null, case_id: null, state: "waiting",
                            created: Date.now() });
      });
    }).then(function () {
      closeForm();
      toast(T.saved);
      return render().then(drain);
    });
  });
  $("btn-new-finding").addEventListener("click", openForm);
  $("btn-cancel").addEventListener("click", closeForm);

  // ---- Patrols: start, GPS track in batches, finish --------------------------------------------------
  var trackWatch = null, trackBuffer = [], lastFlush = Date.now();
  function patrolButton(active) {
    var b = $("btn-patrol");
    b.firstChild.textContent = active ? b.dataset.finish : b.dataset.start;
    b.classList.toggle("active", !!active);
    $("patrol-bar").hidden = !active;
    if (active) $("patrol-bar").textContent = fmt(T.patrolling, { n: active.points || 0 });
  }
  function startTrack(active) {
    if (!navigator.geolocation || trackWatch !== null) return;
    trackWatch = navigator.geolocation.watchPosition(function (position) {
      var c = position.coords;
      trackBuffer.push({ lng: Number(c.longitude.toFixed(7)), lat: Number(c.latitude.toFixed(7)),
                         t: new Date(position.timestamp).toISOString(), accuracy_m: Math.round(c.accuracy) });
      active.points = (active.points || 0) + 1;
      patrolButton(active);
      meta.set("track_buffer", trackBuffer);
      if (trackBuffer.length >= TRACK_BATCH || Date.now() - lastFlush > TRACK_FLUSH_MS) flushTrack(active);
    }, function () { /* keep the patrol going; points resume when the fix returns */ },
    { enableHighAccuracy: true, maximumAge: 5000 });
  }
  function flushTrack(active) {
    lastFlush = Date.now();
    if (!trackBuffer.length) return Promise.resolve();
    var points = trackBuffer;
    trackBuffer = [];
    active.seq = (active.seq || 0) + 1;
    return meta.set("active_patrol", active)
      .then(function () { return outbox.add({ kind: "track", patrol_client_uuid: active.client_uuid, seq: active.seq, points: points, state: "waiting" }); })
      .then(function () { return meta.set("track_buffer", []); })
      .then(function () { render(); drain(); });
  }
  $("btn-patrol").addEventListener("click", function () {
    meta.get("active_patrol").then(function (active) {
      if (!active) {
        active = { client_uuid: uuid4(), started_at: new Date().toISOString(), seq: 0, points: 0 };
        var body = { client_uuid: active.client_uuid, started_at: active.started_at };
        var campaign = document.getElementById("f-campaign").value;
        if (campaign) { body.kind = "campaign"; body.campaign = parseInt(campaign, 10); }
        return meta.set("active_patrol", active)
          .then(function () { return outbox.add({ kind: "patrol_start", client_uuid: active.client_uuid, body: body, state: "waiting" }); })
          .then(function () { patrolButton(active); startTrack(active); render(); drain(); });
      }
      var dialog = $("finish-dialog");
      $("finish-note").value = "";
      dialog.showModal();
      dialog.addEventListener("close", function onClose() {
        dialog.removeEventListener("close", onClose);
        if (dialog.returnValue !== "finish") return;
        if (trackWatch !== null) navigator.geolocation.clearWatch(trackWatch);
        trackWatch = null;
        flushTrack(active).then(function () {
          return outbox.add({ kind: "patrol_finish", patrol_client_uuid: active.client_uuid, state: "waiting",
                              body: { note: $("finish-note").value.trim(), ended_at: new Date().toISOString() } });
        }).then(function () { return meta.remove("active_patrol"); })
          .then(function () { patrolButton(null); render(); drain(); });
      });
    });
  });

  // ---- Nearby cases, sorted by distance ------------------------------------------------------------
  $("btn-nearby").addEventListener("click", function () {
    var section = $("nearby-section"), list = $("nearby-list");
    section.hidden = false;
    list.textContent = T.locating;
    navigator.geolocation.getCurrentPosition(function (position) {
      var url = cfg.nearbyUrl + "?radius=3000&lng=" + position.coords.longitude + "&lat=" + position.coords.latitude;
      fetch(url, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (data) {
        list.textContent = "";
        if (!data.results.length) list.textContent = fmt(T.nearby_none, { m: 3000 });
        data.results.forEach(function (c) {
          var li = document.createElement("li"), a = document.createElement("a");
          a.href = "/cases/" + c.id + "/";
          a.textContent = c.reference;
          li.appendChild(a);
          li.appendChild(document.createTextNode(" · " + Math.round(c.distance_m) + " m · " + c.status_display + (c.address ? " · " + c.address : "")));
          list.appendChild(li);
        });
        section.scrollIntoView({ behavior: "smooth" });
      }).catch(function () { list.textContent = T.offline; });
    }, function () { list.textContent = T.no_gps; }, { enableHighAccuracy: true, timeout: 20000 });
  });

  // ---- Start -----------------------------------------------------------------------------------
  window.addEventListener("online", function () { render(); drain(); });
  window.addEventListener("offline", render);
  setInterval(function () { if (navigator.onLine) drain(); }, 15000);
  if ("serviceWorker" in navigator && cfg.swUrl) {
    navigator.serviceWorker.register(cfg.swUrl, { scope: "/" }).catch(function () { /* page still works online */ });
  }
  Promise.all([meta.get("active_patrol"), meta.get("track_buffer")]).then(function (state) {
    var active = state[0];
    trackBuffer = state[1] || [];
    patrolButton(active);
    if (active) startTrack(active);
  });
  render().then(drain);
  app.dataset.ready = "true";
})();

// Xuncha service worker: the field page and its static files open without network.
// Version {{ version }} — a new version replaces the old caches.
"use strict";
var CACHE = "xuncha-{{ version }}";
var PRECACHE = {{ precache|safe }};
var PAGES = ["/field/"];
// A case page: the field page shows the phone's copy of the case when the network is not there (#15).
var FIELD_PAGE = {{ field_page|safe }};
var CASE_PAGE = new RegExp("^" + {{ case_page|safe }}.join("(\\d+)") + "$");

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    return cache.addAll(PRECACHE).then(function () {
      // The page itself needs the session cookie; fetch it with credentials.
      return Promise.all(PAGES.map(function (url) {
        return fetch(url, { credentials: "same-origin" }).then(function (r) { if (r.ok && !r.redirected) return cache.put(url, r); });
      }));
    });
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k.indexOf("xuncha-") === 0 && k !== CACHE; })
      .map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (event) {
  var request = event.request, url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return; // uploads go through the page's outbox
  if (url.pathname.indexOf("/api/") === 0) return; // data: always from the network
  if (url.pathname.indexOf("/static/") === 0) {
    event.respondWith(caches.match(request).then(function (hit) {
      return hit || fetch(request).then(function (response) {
        if (response.ok) { var copy = response.clone(); caches.open(CACHE).then(function (c) { c.put(request, copy); }); }
        return response;
      });
    }));
    return;
  }
  var casePage = request.mode === "navigate" && CASE_PAGE.exec(url.pathname);
  if (casePage) {
    event.respondWith(fetch(request).catch(function () {
      return Response.redirect(FIELD_PAGE + "#case-" + casePage[1], 302);
    }));
    return;
  }
  if (request.mode === "navigate" && PAGES.indexOf(url.pathname) !== -1) {
    // Network first (fresh lists), the last good copy when there is no network.
    event.respondWith(fetch(request).then(function (response) {
      if (response.ok && !response.redirected) { var copy = response.clone(); caches.open(CACHE).then(function (c) { c.put(url.pathname, copy); }); }
      return response;
    }).catch(function () {
      return caches.match(url.pathname).then(function (hit) { return hit || Response.error(); });
    }));
  }
});

// The handheld's service worker: keeps the page shell on the phone, so a connection blip
// does not leave the steward with an error page. The API is never cached: scans go to the
// network, and the page queues them itself when that fails.

const CACHE = "vg-handheld-v2";
const SHELL = [
  "/handheld",
  "/manifest.webmanifest",
  "/static/door.css",
  "/static/handheld.css",
  "/static/result.js",
  "/static/gate_api.js",
  "/static/door_time.js",
  "/static/handheld.js",
  "/static/icon.svg",
  "/static/icon-192.png",
  "/static/icon-512.png",
];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== location.origin || url.pathname.startsWith("/api/")) {
    return; // straight to the network
  }
  // Network first, so a gate update reaches the phone at once; the cache when offline.
  event.respondWith(
    fetch(event.request)
      .then((response) => {
        if (response.ok) {
          const copy = response.clone();
          caches.open(CACHE).then((cache) => cache.put(event.request, copy));
        }
        return response;
      })
      .catch(() => caches.match(event.request, { ignoreSearch: true })),
  );
});

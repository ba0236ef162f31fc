// The handset page's service worker: the app shell works offline; the API is never cached
// (reports made offline wait in the page's IndexedDB queue instead).
const CACHE = "handset-{{ version }}";
const SHELL = {{ shell_json|safe }};
const PAGE = {{ page_json|safe }};

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith("handset-") && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim())
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  // Only our own GETs; never the API (tokens, live data), the socket or uploads.
  if (request.method !== "GET" || url.origin !== location.origin || url.pathname.startsWith("/api/")) return;
  if (request.mode === "navigate" && url.pathname === PAGE) {
    // The page: fresh when online (and kept as the offline copy: current language, current CSRF
    // token), the cached copy when not.
    event.respondWith(
      fetch(request)
        .then((response) => {
          if (response.ok) {
            const copy = response.clone();
            event.waitUntil(caches.open(CACHE).then((cache) => cache.put(PAGE, copy)));
          }
          return response;
        })
        .catch(() => caches.match(PAGE, { ignoreVary: true }))
    );
    return;
  }
  if (!SHELL.includes(url.pathname)) return; // anything else: the network, as if there were no worker
  event.respondWith(caches.match(url.pathname, { ignoreVary: true }).then((hit) => hit || fetch(request)));
});

// The service worker: keeps the site usable offline after the first visit.
//
// site/finish.mjs fills in BUILD (the build's id) and SHELL (every file the page needs to start:
// index.html, the JS glue, the wasm, the CSS, the start-up script, the weights manifest, the
// gallery's thumbnails). One cache per build, "effnet-site-<BUILD>": the shell is stored on
// install — what the page already put there on its first visit is kept, not fetched again
// (site/boot.js), so each file crosses the network once on any host — other files of the site
// (sample photos, the bench page's files) as they are fetched;
// older builds' caches are deleted on activate, so a new build never runs stale code.
//
// Weights are not stored here: the page keeps them in its own cache ("effnet-weights-v1"),
// keyed by their sha256 and checked on every read, so they survive new builds of the page (a
// 9 MB download is not repeated because the wasm changed) and damaged copies are caught.
//
// Fetch policy (GET requests of this site only):
//   - pages, the manifest, this file: network first, the cached copy when offline;
//   - weights (*.safetensors, *.shard): straight to the network (the page caches them);
//   - everything else: the cache first (hashed names never change), else the network.

const BUILD = "__EFFNET_BUILD__";
const SHELL = __EFFNET_SHELL__;
const PREFIX = "effnet-site-";
const CACHE = PREFIX + BUILD;

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      const missing = [];
      for (const f of SHELL) if (!(await cache.match(f))) missing.push(new Request(f, { cache: "no-cache" }));
      await cache.addAll(missing);
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) => Promise.all(names.filter((n) => n.startsWith(PREFIX) && n !== CACHE).map((n) => caches.delete(n))))
      .then(() => self.clients.claim()),
  );
});

const scope = () => new URL(self.registration.scope);

function networkFirst(request, key) {
  return fetch(request)
    .then((response) => {
      if (response.ok) {
        const copy = response.clone();
        caches.open(CACHE).then((cache) => cache.put(key, copy)).catch(() => {});
      }
      return response;
    })
    .catch(async (error) => {
      const cached = await caches.match(key, { cacheName: CACHE });
      if (cached) return cached;
      throw error;
    });
}

async function cacheFirst(request) {
  const cached = await caches.match(request, { cacheName: CACHE });
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok && response.type === "basic") {
    const copy = response.clone();
    caches.open(CACHE).then((cache) => cache.put(request, copy)).catch(() => {});
  }
  return response;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  const base = scope();
  if (url.origin !== base.origin || !url.pathname.startsWith(base.pathname)) return;
  const rest = url.pathname.slice(base.pathname.length);
  if (rest.endsWith(".safetensors") || rest.endsWith(".shard")) return;
  if (request.mode === "navigate" || rest === "" || rest === "index.html") {
    // Every address of the page (?view=…, ?bench, …) is the same index.html.
    event.respondWith(networkFirst(request, new URL("index.html", base).href));
  } else if (rest === "sw.js" || rest.endsWith("manifest.json")) {
    event.respondWith(networkFirst(request, url.origin + url.pathname));
  } else {
    event.respondWith(cacheFirst(request));
  }
});

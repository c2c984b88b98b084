// Starts the page: loads the wasm-bindgen glue and the wasm (with a progress bar in the static
// frame of index.html), runs the app, then registers the service worker that keeps the site
// available offline. Out of line, so the site runs under `script-src 'self'` (no inline script).
//
// The names come from index.html's meta tags (effnet-js / effnet-wasm, hashed by
// site/finish.mjs, which also adds effnet-wasm-bytes, the wasm's size, and effnet-build, the
// build's id, which switches the service worker on: a page without it runs without one).

const meta = (name) => document.querySelector(`meta[name="${name}"]`)?.content;
const status = document.getElementById("boot-status");
const bar = document.getElementById("boot-progress");
const MB = (n) => (n / 1e6).toFixed(1);

function say(text) {
  if (status) status.textContent = text;
}

function fail(what, error) {
  const why = error?.message ?? String(error);
  say(`${what}: ${why}. Reload to try again.`);
  status?.classList.add("boot-error");
  bar?.remove();
  console.error(`effnet: ${what}:`, error);
}

/** The service worker's cache for this build (site/sw.js), or null (no build id, no Cache API). */
async function shellCache() {
  const build = meta("effnet-build");
  if (!build || !("caches" in window)) return null;
  return caches.open(`effnet-site-${build}`).catch(() => null);
}

/** On the first visit (no service worker yet), what the page fetched goes into the service
 * worker's cache, which installs from it instead of downloading it again (on any host, whatever
 * its cache headers): the wasm as it streams in (`keep`), the other files from the browser's HTTP
 * cache (force-cache: the network only where the HTTP cache has none). Weights and the service worker are not the shell's. */
const firstVisit = () => meta("effnet-build") && "serviceWorker" in navigator && !navigator.serviceWorker.controller;

let kept = Promise.resolve();

function keep(url, response) {
  if (!firstVisit()) return;
  const copy = response.clone();
  kept = shellCache().then((cache) => cache?.put(url, copy)).catch(() => {});
}

/** Until the gallery's thumbnails and the engine's worker script have loaded (at most 10 s). */
async function settled() {
  const worker = new URLSearchParams(location.search).get("worker") === "off" ? null : meta("effnet-worker")?.replace(/^\.\//, "");
  const until = performance.now() + 10000;
  while (performance.now() < until) {
    const images = [...document.images].every((i) => i.complete);
    const script = !worker || performance.getEntriesByType("resource").some((e) => e.name.endsWith(worker));
    if (images && script) return;
    await new Promise((ok) => setTimeout(ok, 200));
  }
}

async function keepFetched() {
  if (!firstVisit()) return;
  await kept;
  await settled();
  const cache = await shellCache();
  if (!cache) return;
  const base = new URL(".", document.baseURI);
  const mine = (u) => u.origin === base.origin && u.pathname.startsWith(base.pathname) &&
    !/\.(safetensors|shard)$|\/sw\.js$|_bg\.wasm$/.test(u.pathname);
  const urls = new Set(performance.getEntriesByType("resource").map((e) => new URL(e.name)).filter(mine)
    .map((u) => u.origin + u.pathname));
  const copy = async (from, key) => {
    if (await cache.match(key)) return;
    // force-cache: the copy the page got from the HTTP cache, whatever its age; where there is
    // none, the network (as the service worker's install would have fetched it).
    const response = await fetch(from, { cache: "force-cache" }).catch(() => null);
    if (response?.ok) await cache.put(key, response);
  };
  await Promise.all([
    copy(location.href, new URL("index.html", base).href),
    ...[...urls].map((u) => copy(u, u)),
  ].map((p) => p.catch(() => {})));
}

/** The wasm as a Response whose body reports progress while it streams in. */
async function fetchWasm(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status} ${response.statusText}`);
  keep(url, response);
  // Decompressed size: the Content-Length of a compressed response counts compressed bytes.
  const total = Number(meta("effnet-wasm-bytes") ?? 0) ||
    (response.headers.get("content-encoding") ? 0 : Number(response.headers.get("content-length") ?? 0));
  if (!response.body) return response;
  let loaded = 0;
  const reader = response.body.getReader();
  const body = new ReadableStream({
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done) {
        controller.close();
        return;
      }
      loaded += value.byteLength;
      if (bar && total) {
        bar.max = total;
        bar.value = Math.min(loaded, total);
      }
      say(total ? `Loading the app… ${MB(loaded)} of ${MB(total)} MB` : `Loading the app… ${MB(loaded)} MB`);
      controller.enqueue(value);
    },
  });
  const headers = new Headers(response.headers);
  headers.delete("content-length");
  headers.delete("content-encoding");
  return new Response(body, { status: response.status, statusText: response.statusText, headers });
}

/** The wasm, compiled while it streams in when the server names its type. */
async function compileWasm(url) {
  const response = await fetchWasm(url);
  if ((response.headers.get("content-type") ?? "").startsWith("application/wasm")) {
    return WebAssembly.compileStreaming(response);
  }
  return WebAssembly.compile(await response.arrayBuffer());
}

/** Registers ./sw.js and publishes its state as `window.__effnetOffline` (the page reads it on
 * the `effnet-offline` event): "unsupported", "registering", "ready", or "failed: why". */
function registerServiceWorker() {
  const publish = (state) => {
    window.__effnetOffline = state;
    dispatchEvent(new CustomEvent("effnet-offline", { detail: state }));
  };
  if (!meta("effnet-build")) return publish("off: development build");
  if (!("serviceWorker" in navigator)) return publish("unsupported");
  publish("registering");
  navigator.serviceWorker
    .register("./sw.js")
    .then(() => navigator.serviceWorker.ready)
    .then(() => publish("ready"))
    .catch((e) => publish(`failed: ${e?.name ?? ""} ${e?.message ?? e}`.trim()));
}

async function start() {
  const js = meta("effnet-js");
  const wasm = meta("effnet-wasm");
  if (!js || !wasm) return fail("This page is incomplete", new Error("no effnet-js / effnet-wasm meta tag"));
  let glue;
  try {
    glue = await import(new URL(js, document.baseURI).href);
  } catch (e) {
    return fail("The app's code could not be loaded", e);
  }
  try {
    const wasmUrl = new URL(wasm, document.baseURI).href;
    const module = await compileWasm(wasmUrl);
    // The engine's worker (site/worker.js) runs the same module: the page hands it over.
    window.__effnetBoot = { js: new URL(js, document.baseURI).href, wasm: wasmUrl, module };
    await glue.default({ module_or_path: module });
  } catch (e) {
    return fail("The app could not start", e);
  }
  document.getElementById("boot")?.remove();
  await keepFetched();
  registerServiceWorker();
}

start();

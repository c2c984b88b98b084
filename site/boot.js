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

/** The wasm as a Response whose body reports progress while it streams in. */
async function fetchWasm(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status} ${response.statusText}`);
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
  registerServiceWorker();
}

start();

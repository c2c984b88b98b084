// The shipped site (scripts/build_site.sh) as a visitor gets it from a static host: under a
// sub-path, precompressed, with its headers and strict CSP; offline after the first visit; a
// new build replacing the old one; storage that refuses the weights. CPU backend (no WebGPU)
// to keep these quick: the WebGPU path is page.test.mjs's.
import { test } from "node:test";
import assert from "node:assert/strict";
import { cpSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync, mkdtempSync } from "node:fs";
import { createHash } from "node:crypto";
import { tmpdir } from "node:os";
import path from "node:path";
import { ROOT, DIST, PREFIX, workerPath, serve, launch, open, state, waitFor, nextResult, cliClassify, assertSameTop5,
  foreignRequests, clickSample } from "./lib.mjs";
import { checkSite } from "../../site/limits.mjs";

const sample = (f) => path.join(ROOT, "static/samples", f);

test("the site build refuses a file over 25 MiB, naming it, and the built site is within every host's limits", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "effnet-limits-"));
  try {
    mkdirSync(path.join(dir, "static/weights"), { recursive: true });
    writeFileSync(path.join(dir, "index.html"), "<!doctype html>");
    writeFileSync(path.join(dir, "static/weights/b7.safetensors"), Buffer.alloc(26 << 20));
    assert.throws(() => checkSite(dir), /1 file\(s\) over 25 MiB.*static\/weights\/b7\.safetensors \(26\.0 MiB\).*--shard-mib 16/);
    assert.equal(checkSite(dir, 0).files, 2, "EFFNET_MAX_FILE_MIB=0: no limit");
    assert.equal(checkSite(dir, 30).largest.file, "static/weights/b7.safetensors");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const site = checkSite(DIST);
  assert.ok(site.largest.bytes <= 25 * 1048576 && site.total < 1e9, JSON.stringify(site));
});


/** Waits until the service worker controls the page and the page says it is available offline. */
async function offlineReady(page) {
  await page.waitForFunction(() => navigator.serviceWorker?.controller, null, { timeout: 120000 });
  return waitFor(page, (s) => s.offline?.serviceWorker === "ready", "service worker ready", 120000);
}

const cacheNames = (page) => page.evaluate(() => caches.keys());

test("the site under a sub-path: precompressed, its headers, no 404, Lite0 classifies, bench page works", async () => {
  assert.notEqual(PREFIX, "/", "the tests serve the site under a sub-path");
  const server = await serve();
  const context = await launch({ webgpu: false });
  try {
    // index.html: the frame shown before the wasm runs, no inline script, the CSP as a meta tag.
    const html = readFileSync(path.join(DIST, "index.html"), "utf8");
    assert.match(html, /data-testid="boot"/);
    assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, "no inline script");
    assert.doesNotMatch(html, /(href|src|content)="\/(?!\/)/, "no root-relative URL");
    assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src 'self'; script-src 'self' 'wasm-unsafe-eval'/);

    const responses = [];
    const { page, errors, urls } = await open(context, server.url, { newTab: true });
    page.on("response", (r) => responses.push(r));
    await waitFor(page, (s) => s.started && s.load.state === "loaded", "lite0 ready", 180000);

    // The gallery shows thumbnails; a full photo is fetched only when chosen (the page opens on
    // one, the opening sample).
    const photos = () => server.requests.filter((p) => /^\/static\/samples\/[^/]+\.(png|jpg)$/.test(p));
    assert.ok(server.requests.some((p) => p.startsWith("/static/samples/thumbs/")), "thumbnails");
    await waitFor(page, (s) => s.resultCount > 0, "the opening sample's result", 180000);
    assert.deepEqual(photos(), ["/static/samples/coffee.png"]);
    const s = await clickSample(page, "chelsea.png");
    assert.deepEqual(photos(), ["/static/samples/coffee.png", "/static/samples/chelsea.png"]);
    assert.equal(s.lastResult.variant, "lite0");
    assertSameTop5(assert, s.lastResult, cliClassify("lite0", sample("chelsea.png")));

    // Headers of the first visit (the document and the wasm).
    const doc = await (await fetch(server.url, { headers: { "accept-encoding": "br, gzip" } }));
    assert.equal(doc.headers.get("content-encoding"), "br");
    assert.equal(doc.headers.get("cache-control"), "no-cache");
    assert.equal(doc.headers.get("x-content-type-options"), "nosniff");
    assert.equal(doc.headers.get("referrer-policy"), "no-referrer");
    assert.equal(doc.headers.get("permissions-policy"), "camera=(self)");
    assert.match(doc.headers.get("content-security-policy"), /style-src 'self';/);
    const wasmUrl = urls.find((u) => u.endsWith(".wasm"));
    const wasm = await fetch(wasmUrl, { headers: { "accept-encoding": "gzip" } });
    assert.equal(wasm.headers.get("content-type"), "application/wasm");
    assert.equal(wasm.headers.get("content-encoding"), "gzip");
    assert.equal(wasm.headers.get("cache-control"), "public, max-age=31536000, immutable");
    const wasmResponse = responses.find((r) => r.url() === wasmUrl);
    if (wasmResponse) assert.equal((await wasmResponse.allHeaders())["content-encoding"], "br");

    assert.deepEqual(responses.filter((r) => r.status() >= 400).map((r) => `${r.status()} ${r.url()}`), []);
    assert.deepEqual(foreignRequests(urls, server.origin), []);
    assert.deepEqual(errors, []);

    // The bench page, under the same sub-path.
    const bench = await open(context, server.url + "?bench&variants=lite0&runs=1&backend=cpu", { newTab: true });
    const b = await waitFor(bench.page, (s) => s.bench?.done, "bench done", 300000);
    assert.equal(b.bench.error ?? null, null);
    assert.deepEqual(b.bench.rows.map((r) => r.variant), ["lite0"]);
    assert.ok(b.bench.rows[0].warm_median_ms > 0);
    assert.deepEqual(bench.errors, []);
  } finally {
    await context.close();
    await server.close();
  }
});

test("never blank: on a slow connection the frame and the wasm's download progress show until the app starts", async () => {
  const server = await serve();
  const context = await launch({ webgpu: false });
  try {
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    // 8 Mbit/s: the 2 MB of brotli'd wasm take ~2 s.
    await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 40, downloadThroughput: 1e6, uploadThroughput: 1e6 });
    const seen = [];
    const t0 = Date.now();
    await page.goto(server.url, { waitUntil: "commit" });
    while (Date.now() - t0 < 60000) {
      const now = await page.evaluate(() => ({
        frame: document.querySelector("[data-testid=boot] h1")?.textContent ?? null,
        status: document.getElementById("boot-status")?.textContent ?? null,
        progress: document.getElementById("boot-progress")?.value ?? null,
        max: document.getElementById("boot-progress")?.max ?? null,
        app: !!document.querySelector("[data-testid=status]"),
      })).catch(() => null);
      if (now) seen.push(now);
      if (now?.app) break;
      await page.waitForTimeout(100);
    }
    const loading = seen.filter((x) => x.frame && /^Loading the app… [\d.]+ of [\d.]+ MB$/.test(x.status ?? ""));
    assert.ok(loading.length >= 3, `download progress shown ${loading.length} times: ${JSON.stringify(seen.slice(0, 5))}`);
    assert.ok(loading.some((x) => x.progress > 0 && x.progress < x.max), "the progress bar moves");
    assert.ok(seen.at(-1)?.app, "the app started");
    assert.equal(await page.locator("[data-testid=boot]").count(), 0, "the frame is gone once the app runs");
  } finally {
    await context.close();
    await server.close();
  }
});

test("offline after the first visit: the page and a stored variant work, a new variant says it needs the network", async () => {
  const server = await serve();
  const context = await launch({ webgpu: false });
  try {
    const { page, errors } = await open(context, server.url);
    await waitFor(page, (s) => s.started && s.load.state === "loaded", "lite0 ready", 180000);
    await offlineReady(page);
    const online = await clickSample(page, "chelsea.png");
    assertSameTop5(assert, online.lastResult, cliClassify("lite0", sample("chelsea.png")));
    const s0 = await waitFor(page, (s) => s.offline.stored.includes("lite0"), "lite0 stored");
    assert.match(await page.locator("[data-testid=offline]").innerText(), /Available offline.*Lite0/);
    assert.equal(typeof s0.offline.persisted, "boolean");

    // Offline: the browser says so, and the server is gone too (nothing can answer).
    await context.setOffline(true);
    await server.close();
    await page.reload();
    const s = await waitFor(page, (s) => s.started && s.load.state === "loaded", "lite0 ready offline", 180000);
    assert.equal(s.load.fromCache, true);
    const r = await clickSample(page, "chelsea.png");
    assert.equal(r.error, null, JSON.stringify(r.error));
    assertSameTop5(assert, r.lastResult, cliClassify("lite0", sample("chelsea.png")));

    await page.click("[data-testid=variant-row-lite1]");
    const f = await waitFor(page, (s) => s.load.variant === "lite1" && ["failed", "loaded"].includes(s.load.state), "lite1 offline", 60000);
    assert.equal(f.load.state, "failed");
    assert.match(f.load.error.message, /not stored in this browser and the network is unreachable/);
    assert.deepEqual(errors.filter((e) => !/Failed to load resource|ERR_INTERNET_DISCONNECTED/.test(e)), []);
  } finally {
    await context.setOffline(false).catch(() => {});
    await context.close();
    await server.close();
  }
});

test("first visit on a bare static server (no cache headers): each file of the shell crosses the network once", async () => {
  const server = await serve(DIST, { plain: true });
  const context = await launch({ webgpu: false });
  try {
    const { page } = await open(context, server.url);
    await waitFor(page, (s) => s.started && s.load.state === "loaded", "lite0 ready", 180000);
    await offlineReady(page);
    const shell = JSON.parse(readFileSync(path.join(DIST, "build.json"), "utf8")).shell
      .map((f) => "/" + f.replace(/^\.\//, ""));
    // The page asks for index.html as the prefix itself ("/").
    const count = (p) => server.requests.filter((r) => r === p || (p === "/index.html" && r === "/")).length;
    // The JS glue is imported by the page and by the engine's worker, which no service worker
    // controls on a first visit: twice; the manifest is asked for fresh by design.
    const glue = shell.find((p) => /\/effnet-web-[0-9a-f]{16}\.js$/.test(p));
    const allowed = (p) => (p === glue ? 2 : p.endsWith("manifest.json") ? Infinity : 1);
    const again = shell.filter((p) => count(p) > allowed(p));
    assert.deepEqual(again, [], `fetched again: ${again.map((p) => `${p} ×${count(p)}`).join(", ")}`);
    const wasm = shell.find((p) => p.endsWith("_bg.wasm"));
    assert.equal(count(wasm), 1, "the wasm once");
    assert.ok(glue && shell.every((p) => count(p) >= 1 || p.endsWith(".html")), "the shell was fetched");
    // Everything the service worker needs is in its cache: the page starts offline.
    await context.setOffline(true);
    await server.close();
    await page.reload();
    const s = await waitFor(page, (s) => s.started && s.load.state === "loaded", "lite0 ready offline", 180000);
    assert.equal(s.load.fromCache, true);
  } finally {
    await context.setOffline(false).catch(() => {});
    await context.close();
    await server.close();
  }
});

/** A copy of the built site that differs as a new build does: other wasm bytes, so another
 * hashed name, another build id in index.html and the service worker. */
function newBuild() {
  const dir = mkdtempSync(path.join(tmpdir(), "effnet-newbuild-"));
  cpSync(DIST, dir, { recursive: true });
  const wasmName = readdirSync(dir).find((f) => f.endsWith("_bg.wasm"));
  // A custom section ("test", empty) appended: a valid module with other bytes.
  const bytes = Buffer.concat([readFileSync(path.join(dir, wasmName)), Buffer.from([0, 5, 4, 0x74, 0x65, 0x73, 0x74])]);
  const hash = createHash("sha256").update(bytes).digest("hex").slice(0, 16);
  const newName = `effnet-web-${hash}_bg.wasm`;
  writeFileSync(path.join(dir, wasmName), bytes);
  renameSync(path.join(dir, wasmName), path.join(dir, newName));
  const html = readFileSync(path.join(dir, "index.html"), "utf8");
  const oldBuild = html.match(/<meta name="effnet-build" content="([0-9a-f]+)">/)[1];
  const build = createHash("sha256").update(oldBuild + hash).digest("hex").slice(0, 16);
  for (const f of ["index.html", "sw.js", "_headers"]) {
    const text = readFileSync(path.join(dir, f), "utf8").replaceAll(wasmName, newName).replaceAll(oldBuild, build)
      .replace(/<meta name="effnet-wasm-bytes" content="\d+">/, `<meta name="effnet-wasm-bytes" content="${bytes.length}">`);
    writeFileSync(path.join(dir, f), text);
  }
  for (const f of ["index.html", "sw.js", wasmName]) {
    for (const ext of [".br", ".gz"]) rmSync(path.join(dir, f + ext), { force: true });
  }
  return { dir, oldBuild, build, oldWasm: wasmName, newWasm: newName };
}

test("a new build replaces the old one on the next online visit (no stale wasm, old cache deleted)", async () => {
  const next = newBuild();
  const server = await serve();
  const context = await launch({ webgpu: false });
  try {
    const { page, errors } = await open(context, server.url);
    await waitFor(page, (s) => s.started, "page ready", 180000);
    await offlineReady(page);
    assert.ok((await cacheNames(page)).includes(`effnet-site-${next.oldBuild}`));

    server.setDir(next.dir);
    const asked = server.requests.length;
    await page.reload();
    await waitFor(page, (s) => s.started, "new build ready", 180000);
    assert.equal(await page.evaluate(() => document.querySelector('meta[name="effnet-build"]').content), next.build);
    assert.ok(server.requests.slice(asked).includes(`/${next.newWasm}`), "the new wasm was downloaded");
    await page.waitForFunction((b) => caches.keys().then((k) => k.includes(`effnet-site-${b}`) &&
      !k.some((n) => n.startsWith("effnet-site-") && n !== `effnet-site-${b}`)), next.build, { timeout: 120000 });
    const stale = await page.evaluate((old) => caches.open(`effnet-site-${document.querySelector('meta[name="effnet-build"]').content}`)
      .then((c) => c.keys()).then((k) => k.map((r) => r.url).filter((u) => u.endsWith(old))), next.oldWasm);
    assert.deepEqual(stale, []);
    // The weights (the page's own cache, keyed by sha256) survive the new build.
    assert.ok((await cacheNames(page)).includes("effnet-weights-v1"));
    const s = await clickSample(page, "coffee.png");
    assertSameTop5(assert, s.lastResult, cliClassify("lite0", sample("coffee.png")));
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
    await server.close();
    rmSync(next.dir, { recursive: true, force: true });
  }
});

test("storage that refuses the weights (QuotaExceededError): a message, and the page still classifies", async () => {
  const server = await serve();
  const context = await launch({ webgpu: false });
  try {
    const refuse = () => {
      const open = CacheStorage.prototype.open;
      CacheStorage.prototype.open = async function (name) {
        const cache = await open.call(this, name);
        cache.put = () => Promise.reject(new DOMException("The quota has been exceeded.", "QuotaExceededError"));
        return cache;
      };
    };
    await context.addInitScript(refuse);
    // The engine's worker stores the weights: its script gets the same patch first.
    const worker = workerPath();
    const script = readFileSync(path.join(DIST, worker), "utf8");
    server.override(worker, (req, res) =>
      res.writeHead(200, { "content-type": "text/javascript" }).end(`(${refuse})();\n${script}`));
    const { page, errors } = await open(context, server.url);
    const s0 = await waitFor(page, (s) => s.started && s.load.state === "loaded", "lite0 ready", 180000);
    assert.equal(s0.load.fromCache, false);
    const notice = page.locator("[data-testid=storage-notice]");
    assert.match(await notice.innerText(), /Lite0's weights could not be stored in this browser \(QuotaExceededError.*storage is full or refused.*keeps working from the network/);
    const s = await clickSample(page, "coffee.png");
    assert.equal(s.error, null);
    assertSameTop5(assert, s.lastResult, cliClassify("lite0", sample("coffee.png")));
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
    await server.close();
  }
});

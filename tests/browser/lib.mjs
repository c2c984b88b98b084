// Shared helpers for the browser tests: a static server for dist/ that logs every request, and
// headless Debian Chromium (playwright-core, no bundled browser) with WebGPU (SwiftShader).
import { chromium } from "playwright-core";
import { after } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, mkdir, rm } from "node:fs/promises";
import { existsSync, readFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const DIST = process.env.EFFNET_DIST ?? path.join(ROOT, "dist");
export const ARTIFACTS = path.join(ROOT, "target", "browser-artifacts");
const { serveSite } = await import(path.join(ROOT, "site/serve.mjs"));

/** Every Content-Security-Policy violation any page of this test file reported: the site
 * ships a strict CSP (site/policy.mjs), and a file with a violation fails. */
export const cspViolations = [];
if (process.env.NODE_TEST_CONTEXT) {
  after(() => assert.deepEqual(cspViolations, [], "Content-Security-Policy violations"));
}

/** Where the tests serve the site: a sub-path, as GitHub Pages serves a project site. */
export const PREFIX = process.env.EFFNET_PREFIX ?? "/effnet/demo/";

/** Serves the built site `dir` as the shipped site is served (site/serve.mjs: precompressed
 * files, the site's `_headers` with its strict CSP) under `PREFIX`, on 127.0.0.1 (free port).
 * `server.url` is the page's address; `server.requests` lists every site path asked for
 * ("/static/…"); `server.override(sitePath, handler)` replaces a file (e.g. to make weights
 * corrupt or missing); `mounts` maps extra absolute URL prefixes ("/ort/") to folders; `plain`
 * serves as a bare static server (no compression, no cache headers). */
export async function serve(dir = DIST, { mounts = {}, prefix = PREFIX, plain = false } = {}) {
  return serveSite(dir, { mounts, prefix, plain });
}

/** The site path of the engine's worker script in the built site (its name carries its hash). */
export function workerPath(dir = DIST) {
  const html = readFileSync(path.join(dir, "index.html"), "utf8");
  const name = /<meta name="effnet-worker" content="\.\/([^"]+)">/.exec(html)?.[1];
  if (!name) throw new Error(`${dir}/index.html names no worker script`);
  return `/${name}`;
}

/** The site path of `variant`'s weights file in the built site (names carry their hash). */
export function weightsPath(variant, dir = DIST) {
  const manifest = JSON.parse(readFileSync(path.join(dir, "static/weights/manifest.json"), "utf8"));
  const entry = manifest.weights.find((w) => w.variant === variant);
  if (!entry) throw new Error(`no ${variant} in ${dir}/static/weights/manifest.json`);
  return `/static/weights/${entry.file}`;
}

/** A 4:2:0 y4m clip of a still photo, for Chromium's fake webcam. */
export async function fakeWebcamClip(still = path.join(ROOT, "static/samples/chelsea.png")) {
  await mkdir(ARTIFACTS, { recursive: true });
  const clip = path.join(ROOT, "target", "fake-webcam.y4m");
  if (!existsSync(clip)) {
    execFileSync("ffmpeg", ["-loglevel", "error", "-y", "-loop", "1", "-i", still, "-t", "2", "-r", "10",
      "-vf", "scale=320:240", "-pix_fmt", "yuv420p", clip]);
  }
  return clip;
}

/** Launches Chromium. `webgpu: false` leaves WebGPU off (navigator.gpu absent); `webcam: clip`
 * gives a fake camera; `webcam: "none"` grants camera permission but has no camera. A new
 * profile, deleted on close, unless `profile` names a folder to use and keep (a repeat visit). */
export async function launch({ webgpu = true, webcam = undefined, profile = undefined } = {}) {
  const args = [
    "--headless=new", "--no-sandbox", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
  ];
  if (webgpu) args.push("--enable-unsafe-webgpu");
  // More flags from the environment: tools/bench_gpu.mjs asks for the machine's real GPU there.
  args.push(...(process.env.EFFNET_CHROMIUM_ARGS ?? "").split(/\s+/).filter(Boolean));
  if (webcam === "none") args.push("--use-fake-ui-for-media-stream"); // permission granted, no device
  else if (webcam) {
    args.push("--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
      `--use-file-for-fake-video-capture=${webcam}`);
  }
  const userDataDir = profile ?? (await mkdtemp(path.join(tmpdir(), "effnet-chromium-")));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true, args, ignoreDefaultArgs: ["--headless"],
    viewport: { width: 1280, height: 800 },
  });
  // Each profile is ~100 MB (GPU and code caches): gone when its browser closes.
  if (!profile) {
    const close = context.close.bind(context);
    context.close = async (...args) => {
      await close(...args);
      await rm(userDataDir, { recursive: true, force: true });
    };
  }
  return context;
}

/** Opens the page, recording console errors and every request URL: in the context's first tab,
 * or with `{ newTab: true }` in a tab of its own (beside a page a test file keeps open). */
export async function open(context, url, { newTab = false } = {}) {
  const page = (!newTab && context.pages()[0]) || (await context.newPage());
  const errors = [];
  const urls = [];
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("request", (r) => urls.push(r.url()));
  await watchCsp(page);
  await page.goto(url);
  return { page, errors, urls };
}

const watched = new WeakSet();
/** Records the page's `securitypolicyviolation` events into `cspViolations`. */
async function watchCsp(page) {
  if (watched.has(page)) return;
  watched.add(page);
  await page.exposeFunction("__effnetCspViolation", (v) => cspViolations.push(v));
  await page.addInitScript(() => document.addEventListener("securitypolicyviolation", (e) =>
    window.__effnetCspViolation(`${e.violatedDirective} blocked ${e.blockedURI || "inline"} at ${e.sourceFile}:${e.lineNumber}`)));
}

/** Serves the built site, launches Chromium (`launch`'s options) and opens the page in the first
 * tab (with the address's `query`, e.g. "backend=webgpu": on SwiftShader the page itself picks
 * the faster CPU), ready to use: `{ server, context, page, errors, urls, close }`. */
export async function startSite(options = { webgpu: true }) {
  const server = await serve();
  const context = await launch(options);
  const opened = await open(context, options.query ? `${server.url}?${options.query}` : server.url);
  await waitFor(opened.page, (s) => s.started, "page started", 180000);
  return { server, context, ...opened, close: async () => { await context.close(); await server.close(); } };
}

export async function screenshot(page, name) {
  await mkdir(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** The page's state (`window.__effnet`). */
export const state = (page) => page.evaluate(() => window.__effnet ?? null);

/** Polls the page state until `pred(state)` holds. */
export async function waitFor(page, pred, what, timeout = 600000) {
  const start = Date.now();
  let s = null;
  while (Date.now() - start < timeout) {
    s = await state(page).catch(() => null);
    if (s && pred(s)) return s;
    await page.waitForTimeout(250);
  }
  throw new Error(`timed out waiting for ${what}: ${JSON.stringify(s)?.slice(0, 2000)}`);
}

/** Whether the page has work under way that a test must wait out (its typed phase). */
export const busy = (s) => ["starting", "decoding", "loading", "running"].includes(s.phase);

/** Whether the page has started and its first request is over: the opening sample classified
 * (or, with `?warmup=off`, the variant on screen loaded and waiting for an image). */
export const settled = (s) => s.started && !busy(s) && (s.resultCount > 0 || s.activity.kind === "awaitingImage");

const sameError = (a, b) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/** Waits for the next result (resultCount grows past `before`) or an error once nothing runs;
 * returns the state. */
export async function nextResult(page, before, what) {
  return waitFor(page, (s) => s.resultCount > before || (s.error && !busy(s)), what);
}

/** Does `act` and waits for what it submitted: a new result (for the input named `input`, when
 * given: a re-run of the previous image may land first), or an error other than the one shown
 * before, once nothing runs. Returns the state. */
export async function submitted(page, act, what, { input } = {}) {
  const before = await state(page);
  await act();
  return waitFor(page, (s) => (s.resultCount > before.resultCount && (!input || s.lastResult?.input.startsWith(input))) ||
    (s.error && !sameError(s.error, before.error) && !busy(s)), what);
}

/** Clicks the sample photo `file` and waits for its result or an error (see `submitted`). */
export const clickSample = (page, file) =>
  submitted(page, () => page.click(`[data-testid="sample-${file}"]`), `result for ${file}`, { input: file });

/** Chooses `file` (a path, or `{ name, mimeType, buffer }`) in the file picker and waits for its
 * result or an error (see `submitted`). */
export const upload = (page, file) =>
  submitted(page, () => page.setInputFiles("[data-testid=file-input]", file), `upload ${file.name ?? file}`,
    { input: file.name ?? path.basename(file) });

/** Switches to the backend `kind` ("webgpu", "cpu") if needed, and waits until the variant on
 * screen is loaded there and nothing runs. */
export async function useBackend(page, kind) {
  if ((await state(page)).backend !== kind) await page.click(`[data-testid=use-${kind}]`);
  return waitFor(page, (s) => s.backend === kind && s.load.state === "loaded" && !busy(s),
    `the variant loaded on ${kind}`, 300000);
}

/** `effnet classify --json` on one image (reference numbers for the page). */
export function cliClassify(variant, image, weights = path.join(ROOT, `static/weights/${variant}.safetensors`)) {
  const out = execFileSync(path.join(ROOT, "target/debug/effnet"), [
    "classify", "--variant", variant, "--weights", weights, "--json", image,
  ]).toString();
  return JSON.parse(out.trim().split("\n")[0]);
}

/** `effnet describe all --json`: the panel's expected numbers. */
export function cliDescribe() {
  return execFileSync(path.join(ROOT, "target/debug/effnet"), ["describe", "all", "--json"]).toString()
    .trim().split("\n").map((l) => JSON.parse(l));
}

/** Same top-5 as the CLI, probabilities within `tol`. */
export function assertSameTop5(assert, result, reference, tol = 1e-3) {
  assert.deepEqual(result.top5.map((p) => p.index), reference.top.map((p) => p.index),
    `top-5 ${JSON.stringify(result.top5)} vs CLI ${JSON.stringify(reference.top)}`);
  result.top5.forEach((p, i) => assert.ok(Math.abs(p.prob - reference.top[i].prob) <= tol,
    `${p.label}: ${p.prob} vs CLI ${reference.top[i].prob}`));
}

export function foreignRequests(urls, origin) {
  return urls.filter((u) => !u.startsWith(origin + "/") && !u.startsWith("data:") && !u.startsWith("blob:"));
}

/** Traces the page's main thread (Chromium tracing through CDP) until `stop()`, which gives its
 * tasks and V8's garbage collections there, each with its wall time and the CPU time the thread
 * actually ran (`cpuMs`; wall time includes the OS running other threads on a busy machine) and
 * when it started (`at`, ms after the trace began). */
export async function traceMainThread(page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Tracing.start", {
    categories: "devtools.timeline,disabled-by-default-devtools.timeline,v8", transferMode: "ReturnAsStream",
  });
  const stop = async () => {
    const complete = new Promise((resolve) => cdp.once("Tracing.tracingComplete", resolve));
    await cdp.send("Tracing.end");
    const { stream } = await complete;
    let text = "";
    for (;;) {
      const chunk = await cdp.send("IO.read", { handle: stream });
      text += chunk.base64Encoded ? Buffer.from(chunk.data, "base64").toString() : chunk.data;
      if (chunk.eof) break;
    }
    await cdp.send("IO.close", { handle: stream });
    await cdp.detach();
    const trace = JSON.parse(text);
    const events = Array.isArray(trace) ? trace : trace.traceEvents;
    const main = new Set(events.filter((e) => e.ph === "M" && e.name === "thread_name" && e.args?.name === "CrRendererMain")
      .map((e) => `${e.pid}:${e.tid}`));
    const onMain = events.filter((e) => e.ph === "X" && main.has(`${e.pid}:${e.tid}`));
    const start = Math.min(...events.filter((e) => e.ts > 0).map((e) => e.ts));
    const entry = (e) => ({ wallMs: (e.dur ?? 0) / 1000, cpuMs: (e.tdur ?? e.dur ?? 0) / 1000, at: (e.ts - start) / 1000 });
    return {
      tasks: onMain.filter((e) => e.name === "RunTask").map(entry),
      gc: onMain.filter((e) => e.name === "MajorGC" || e.name === "MinorGC").map((e) => ({ ...entry(e), major: e.name === "MajorGC" })),
    };
  };
  return { stop };
}

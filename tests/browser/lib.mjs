// Shared helpers for the browser tests: a static server for dist/ that logs every request, and
// headless Debian Chromium (playwright-core, no bundled browser) with WebGPU (SwiftShader).
import { chromium } from "playwright-core";
import { createServer } from "node:http";
import { readFile, stat, mkdtemp, mkdir } from "node:fs/promises";
import { existsSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const DIST = process.env.EFFNET_DIST ?? path.join(ROOT, "dist");
export const ARTIFACTS = path.join(ROOT, "target", "browser-artifacts");

const TYPES = {
  ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".mjs": "text/javascript", ".wasm": "application/wasm",
  ".css": "text/css", ".json": "application/json", ".png": "image/png", ".jpg": "image/jpeg",
  ".svg": "image/svg+xml", ".txt": "text/plain",
};

/** Serves `dir` on 127.0.0.1 (free port). `server.requests` lists every path asked for;
 * `server.override(path, handler)` replaces a file (e.g. to make weights corrupt or missing).
 * `mounts` maps extra URL prefixes ("/ort/", ending in "/") to folders; the longest match wins. */
export async function serve(dir = DIST, { mounts = {} } = {}) {
  const roots = [...Object.entries(mounts), ["/", dir]].sort((a, b) => b[0].length - a[0].length);
  const requests = [];
  const overrides = new Map();
  const server = createServer(async (req, res) => {
    const url = new URL(req.url, "http://x");
    const p = decodeURIComponent(url.pathname);
    requests.push(p);
    if (overrides.has(p)) return overrides.get(p)(req, res);
    const [prefix, root] = roots.find(([m]) => p.startsWith(m));
    let file = path.join(root, p.slice(prefix.length));
    if (!file.startsWith(root)) { res.writeHead(403).end(); return; }
    try {
      if ((await stat(file)).isDirectory()) file = path.join(file, "index.html");
      const body = await readFile(file);
      res.writeHead(200, { "content-type": TYPES[path.extname(file)] ?? "application/octet-stream",
                           "content-length": body.length });
      res.end(body);
    } catch {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found");
    }
  });
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  const origin = `http://127.0.0.1:${server.address().port}`;
  return {
    origin, requests,
    override: (p, handler) => overrides.set(p, handler),
    clear: () => overrides.clear(),
    close: () => new Promise((ok) => server.close(ok)),
  };
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
 * gives a fake camera; `webcam: "none"` grants camera permission but has no camera. */
export async function launch({ webgpu = true, webcam = undefined } = {}) {
  const args = [
    "--headless=new", "--no-sandbox", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
  ];
  if (webgpu) args.push("--enable-unsafe-webgpu");
  if (webcam === "none") args.push("--use-fake-ui-for-media-stream"); // permission granted, no device
  else if (webcam) {
    args.push("--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
      `--use-file-for-fake-video-capture=${webcam}`);
  }
  const userDataDir = await mkdtemp(path.join(tmpdir(), "effnet-chromium-"));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true, args, ignoreDefaultArgs: ["--headless"],
    viewport: { width: 1280, height: 800 },
  });
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
  await page.goto(url);
  return { page, errors, urls };
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

/** Waits for the next result (resultCount grows) or an error; returns the state. */
export async function nextResult(page, before, what) {
  return waitFor(page, (s) => s.resultCount > before || (s.error && !/^(Decoding|Running|Loading)/.test(s.status ?? "")), what);
}

/** `effnet classify --json` on one image (reference numbers for the page). */
export function cliClassify(variant, image) {
  const out = execFileSync(path.join(ROOT, "target/debug/effnet"), [
    "classify", "--variant", variant, "--weights", path.join(ROOT, `static/weights/${variant}.safetensors`),
    "--json", image,
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

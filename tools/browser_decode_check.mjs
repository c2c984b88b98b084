#!/usr/bin/env node
// Does Chromium's own image decoder give Pillow's RGB? For every file tools/make_jpeg_samples.py
// writes (JPEG kinds, PNGs with colour under transparent pixels, the repo's JPEG sample), a tiny
// page served on 127.0.0.1 decodes it as the page would:
//   createImageBitmap(blob, { colorSpaceConversion: "none", premultiplyAlpha: "none" })
// and reads it back three ways:
//   canvas: drawImage on a 2D canvas, getImageData (the canvas stores premultiplied alpha)
//   webgl:  texImage2D with UNPACK_PREMULTIPLY_ALPHA false, readPixels from a framebuffer
//   webgpu: copyExternalImageToTexture (premultipliedAlpha false) into rgba8unorm, read back
//           (headless Chromium's WebGPU is SwiftShader, with --enable-unsafe-webgpu)
// and compares R, G, B with Pillow's `Image.open(f).convert("RGB")` (alpha is reported apart).
// Prints a table (and writes it as JSON with --json FILE).
//
//   node tools/browser_decode_check.mjs [DIR] [--json FILE]
//
// DIR defaults to target/fixtures/jpeg-kinds (made with /usr/bin/python3
// tools/make_jpeg_samples.py DIR when absent). Needs Debian's chromium (CHROMIUM overrides
// /usr/bin/chromium) and tests/browser's playwright-core (`cd tests/browser && npm ci`).
import { createServer } from "node:http";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const { chromium } = createRequire(path.join(ROOT, "tests/browser/package.json"))("playwright-core");

const { values: opts, positionals } = parseArgs({
  options: { json: { type: "string" } },
  allowPositionals: true,
});
const dir = path.resolve(positionals[0] ?? path.join(ROOT, "target/fixtures/jpeg-kinds"));
if (!existsSync(path.join(dir, "manifest.json"))) {
  execFileSync("/usr/bin/python3", [path.join(ROOT, "tools/make_jpeg_samples.py"), dir], { stdio: "inherit" });
}
const manifest = JSON.parse(readFileSync(path.join(dir, "manifest.json"), "utf8"));

const PAGE = `<!doctype html><meta charset="utf-8"><title>decode check</title><script>
async function bitmap(url) {
  const blob = await (await fetch(url)).blob();
  return createImageBitmap(blob, { colorSpaceConversion: "none", premultiplyAlpha: "none" });
}
function b64(bytes) {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}
window.viaCanvas = async (url) => {
  const bmp = await bitmap(url);
  const canvas = document.createElement("canvas");
  canvas.width = bmp.width; canvas.height = bmp.height;
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  ctx.drawImage(bmp, 0, 0);
  const data = ctx.getImageData(0, 0, bmp.width, bmp.height).data;
  return { width: bmp.width, height: bmp.height, rgba: b64(new Uint8Array(data.buffer)) };
};
window.viaWebgl = async (url) => {
  const bmp = await bitmap(url);
  const gl = document.createElement("canvas").getContext("webgl2");
  if (!gl) return { error: "no WebGL2" };
  const tex = gl.createTexture();
  gl.bindTexture(gl.TEXTURE_2D, tex);
  gl.pixelStorei(gl.UNPACK_PREMULTIPLY_ALPHA_WEBGL, false);
  gl.pixelStorei(gl.UNPACK_COLORSPACE_CONVERSION_WEBGL, gl.NONE);
  gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA8, gl.RGBA, gl.UNSIGNED_BYTE, bmp);
  const fb = gl.createFramebuffer();
  gl.bindFramebuffer(gl.FRAMEBUFFER, fb);
  gl.framebufferTexture2D(gl.FRAMEBUFFER, gl.COLOR_ATTACHMENT0, gl.TEXTURE_2D, tex, 0);
  const out = new Uint8Array(bmp.width * bmp.height * 4);
  gl.readPixels(0, 0, bmp.width, bmp.height, gl.RGBA, gl.UNSIGNED_BYTE, out);
  return { width: bmp.width, height: bmp.height, rgba: b64(out) };
};
let gpu;
window.viaWebgpu = async (url) => {
  if (!navigator.gpu) return { error: "no WebGPU" };
  gpu ??= await (await navigator.gpu.requestAdapter())?.requestDevice();
  if (!gpu) return { error: "no WebGPU adapter" };
  const bmp = await bitmap(url);
  const [w, h] = [bmp.width, bmp.height];
  const texture = gpu.createTexture({ size: [w, h], format: "rgba8unorm",
    usage: GPUTextureUsage.COPY_DST | GPUTextureUsage.COPY_SRC | GPUTextureUsage.RENDER_ATTACHMENT });
  gpu.queue.copyExternalImageToTexture({ source: bmp }, { texture, premultipliedAlpha: false }, [w, h]);
  const bytesPerRow = Math.ceil((w * 4) / 256) * 256;
  const buffer = gpu.createBuffer({ size: bytesPerRow * h, usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ });
  const encoder = gpu.createCommandEncoder();
  encoder.copyTextureToBuffer({ texture }, { buffer, bytesPerRow }, [w, h]);
  gpu.queue.submit([encoder.finish()]);
  await buffer.mapAsync(GPUMapMode.READ);
  const padded = new Uint8Array(buffer.getMappedRange());
  const out = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++) out.set(padded.subarray(y * bytesPerRow, y * bytesPerRow + w * 4), y * w * 4);
  buffer.unmap();
  return { width: w, height: h, rgba: b64(out) };
};
</script>`;

const server = createServer((req, res) => {
  const name = decodeURIComponent(new URL(req.url, "http://x").pathname.slice(1));
  if (name === "" || name === "check.html") {
    res.writeHead(200, { "content-type": "text/html" }).end(PAGE);
  } else if (manifest.some((e) => e.file === name)) {
    const type = name.endsWith(".png") ? "image/png" : "image/jpeg";
    res.writeHead(200, { "content-type": type }).end(readFileSync(path.join(dir, name)));
  } else {
    res.writeHead(404).end();
  }
});
await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
const base = `http://127.0.0.1:${server.address().port}/`;

const userDataDir = await mkdtemp(path.join(tmpdir(), "decode-check-"));
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  headless: true,
  ignoreDefaultArgs: ["--headless"],
  args: ["--headless=new", "--no-sandbox", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1", "--enable-unsafe-webgpu"],
});
const page = context.pages()[0] ?? await context.newPage();
await page.goto(base + "check.html");
const version = context.browser()?.version() ?? (await page.evaluate(() => navigator.userAgent));

/** RGB differences against Pillow; for files with alpha, what happened under alpha 0. */
function compare(got, entry, pillow) {
  if (got.error) return { error: got.error };
  if (got.width !== entry.width || got.height !== entry.height) {
    return { error: `${got.width}×${got.height}, Pillow ${entry.width}×${entry.height}` };
  }
  const rgba = Buffer.from(got.rgba, "base64");
  let max = 0, differing = 0;
  let transparent = 0, keptUnderTransparent = 0, blackUnderTransparent = 0;
  let partial = 0, maxPartial = 0;
  for (let p = 0; p < entry.width * entry.height; p++) {
    const a = rgba[4 * p + 3];
    let same = true, pixelMax = 0;
    for (let c = 0; c < 3; c++) {
      const d = Math.abs(rgba[4 * p + c] - pillow[3 * p + c]);
      if (d) { differing++; same = false; pixelMax = Math.max(pixelMax, d); }
    }
    max = Math.max(max, pixelMax);
    if (a === 0) {
      transparent++;
      if (same) keptUnderTransparent++;
      if (!rgba[4 * p] && !rgba[4 * p + 1] && !rgba[4 * p + 2]) blackUnderTransparent++;
    } else if (a < 255) {
      partial++;
      maxPartial = Math.max(maxPartial, pixelMax);
    }
  }
  const result = { identical: differing === 0, max, differing, values: 3 * entry.width * entry.height };
  if (transparent || partial) {
    Object.assign(result, { transparent, keptUnderTransparent, blackUnderTransparent, partial, maxPartial });
  }
  return result;
}

const VIAS = ["canvas", "webgl", "webgpu"];
const rows = [];
for (const entry of manifest) {
  const pillow = readFileSync(path.join(dir, entry.reference));
  const row = { kind: entry.kind, file: entry.file };
  for (const via of VIAS) {
    const fn = "via" + via[0].toUpperCase() + via.slice(1);
    const got = await page.evaluate(([fn, url]) => window[fn](url).catch((e) => ({ error: String(e) })),
      [fn, base + entry.file]);
    row[via] = compare(got, entry, pillow);
  }
  rows.push(row);
}
await context.close();
await rm(userDataDir, { recursive: true, force: true });
server.close();

const cell = (r) => r.error ? `error: ${r.error}` :
  r.identical ? "identical" : `max ${r.max}, ${r.differing} of ${r.values} (${(100 * r.differing / r.values).toFixed(2)} %)`;
console.log(`Chromium ${version} vs Pillow, createImageBitmap(colorSpaceConversion "none", premultiplyAlpha "none")\n`);
console.log("| kind | canvas getImageData | WebGL readPixels | WebGPU copyExternalImageToTexture |\n|---|---|---|---|");
for (const r of rows) console.log(`| ${r.kind} | ${VIAS.map((v) => cell(r[v])).join(" | ")} |`);
const alpha = rows.filter((r) => r.canvas.transparent !== undefined);
if (alpha.length) {
  console.log("\nUnder alpha (pixels: alpha 0 | RGB kept as Pillow's | RGB black | 0 < alpha < 255 | their max |Δ|):\n");
  console.log("| kind | via | alpha 0 | kept | black | partial | max Δ partial |\n|---|---|---|---|---|---|---|");
  for (const r of alpha) {
    for (const via of VIAS) {
      const x = r[via];
      if (x.error) continue;
      console.log(`| ${r.kind} | ${via} | ${x.transparent} | ${x.keptUnderTransparent} | ${x.blackUnderTransparent} | ${x.partial} | ${x.maxPartial} |`);
    }
  }
}
if (opts.json) writeFileSync(opts.json, JSON.stringify({ chromium: version, rows }, null, 1));

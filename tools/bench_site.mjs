#!/usr/bin/env node
// First-visit budget of the shipped site (a benchmark, not a test): serves dist/ (built by
// scripts/build_site.sh) as site/serve.mjs does — precompressed, the site's headers, under a
// sub-path — and, in headless Chromium on WebGPU and on the CPU, records for a cold visit
// (fresh profile) and a warm visit (same profile, the page opened again):
//   - bytes on the wire by type (counted by the server: response bodies as sent, compressed,
//     including the service worker's own requests), and 304s;
//   - time to the variant panel and time to the first Lite0 prediction (the visitor clicks a
//     sample as soon as the gallery shows), from navigation start;
// plus the page code's size raw / gzip / brotli from dist/build.json. Writes
// target/bench-site.{json,md} and prints the table.
//
//   node tools/bench_site.mjs [--backends webgpu,cpu] [--mbps N] [--plain] [--weights f16,q8]
//   (N: throttle the page's downloads; --plain: served as a bare static server serves, no
//   compression and no cache headers; the "fetched twice" column lists files asked for again;
//   --weights: a row pair per weights precision, `?weights=` — f16 is each variant's own file)

import { mkdir, writeFile } from "node:fs/promises";
import { readFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { ROOT, DIST, serve, launch, open, waitFor } from "../tests/browser/lib.mjs";

const { values: opts } = parseArgs({
  options: { backends: { type: "string", default: "webgpu,cpu" }, mbps: { type: "string" }, plain: { type: "boolean" }, weights: { type: "string", default: "f16" } },
});
const build = JSON.parse(readFileSync(path.join(DIST, "build.json"), "utf8"));

const TYPES = [
  ["wasm", /\.wasm$/], ["js", /\.m?js$/], ["css", /\.css$/], ["html", /(\.html|\/)$/],
  ["weights", /\.(safetensors|shard)$/], ["manifest", /\.json$/], ["images", /\.(png|jpe?g|svg|webp)$/],
];
const typeOf = (p) => TYPES.find(([, re]) => re.test(p))?.[0] ?? "other";

function tally(sent) {
  const byType = {};
  for (const s of sent) {
    const t = typeOf(s.path);
    byType[t] ??= { bytes: 0, files: 0, notModified: 0 };
    byType[t].bytes += s.bytes;
    if (s.status === 304) byType[t].notModified += 1;
    else byType[t].files += 1;
  }
  const seen = {};
  for (const s of sent) if (s.status !== 304) seen[s.path] = (seen[s.path] ?? 0) + 1;
  const again = Object.entries(seen).filter(([p, n]) => n > 1 && !p.endsWith("manifest.json"))
    .map(([p, n]) => `${p.split("/").pop()} ×${n}`);
  return { byType, total: sent.reduce((a, s) => a + s.bytes, 0), again };
}

async function visit(page, url, server) {
  const from = server.sent.length;
  if (opts.mbps) {
    const cdp = await page.context().newCDPSession(page);
    const bps = (Number(opts.mbps) * 1e6) / 8;
    await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 20, downloadThroughput: bps, uploadThroughput: bps });
  }
  await page.goto(url);
  const panel = await page.waitForFunction(() => document.querySelector("[data-testid=variant-row-lite0]") && performance.now(),
    null, { timeout: 600000, polling: "raf" }).then((h) => h.jsonValue());
  await page.waitForSelector('[data-testid="sample-chelsea.png"]', { timeout: 600000 });
  await page.click('[data-testid="sample-chelsea.png"]');
  const s = await waitFor(page, (s) => s.resultCount > 0 || (s.error && s.load?.state === "failed"), "first prediction", 900000);
  if (!s.lastResult) throw new Error(`no prediction: ${s.error?.message}`);
  const first = await page.evaluate(() => performance.now());
  await page.waitForTimeout(3000); // the service worker's install finishes its downloads
  return { panelMs: Math.round(panel), firstPredictionMs: Math.round(first), top1: s.lastResult.top5[0].label,
    backend: s.lastResult.backend, ...tally(server.sent.slice(from)) };
}

const server = await serve(undefined, { plain: !!opts.plain });
const rows = [];
for (const weights of opts.weights.split(",")) for (const backend of opts.backends.split(",")) {
  const context = await launch({ webgpu: backend === "webgpu" });
  try {
    const { page } = await open(context, "about:blank");
    const url = `${server.url}?backend=${backend}&weights=${weights}`;
    rows.push({ backend, weights, visit: "cold", ...(await visit(page, url, server)) });
    rows.push({ backend, weights, visit: "warm", ...(await visit(page, url, server)) });
  } finally {
    await context.close();
  }
}
await server.close();

const MB = (b) => (b / 1e6).toFixed(2);
const KB = (b) => (b / 1e3).toFixed(1);
const types = ["wasm", "js", "css", "html", "manifest", "images", "weights", "other"];
const md = [
  `First visit and repeat visit (${new Date().toISOString().slice(0, 16)}Z, build ${build.build}, wasm-opt ${build.wasmOpt}` +
    `${opts.mbps ? `, throttled to ${opts.mbps} Mbit/s` : ", localhost, not throttled"}` +
    `${opts.plain ? ", a bare static server: no compression, no cache headers" : ""}).`,
  "",
  `Page code (wasm + JS + CSS): ${MB(build.code.raw)} MB raw, ${MB(build.code.gzip)} MB gzip, ${MB(build.code.brotli)} MB brotli.`,
  "",
  `| Backend | Weights | Visit | ${types.join(" KB | ")} KB | Total KB | 304s | Panel ms | First Lite0 prediction ms | fetched twice |`,
  `|---|---|---|${types.map(() => "---:").join("|")}|---:|---:|---:|---:|---|`,
  ...rows.map((r) => `| ${r.backend} | ${r.weights} | ${r.visit} | ${types.map((t) => KB(r.byType[t]?.bytes ?? 0)).join(" | ")} | ${KB(r.total)} | ` +
    `${Object.values(r.byType).reduce((a, t) => a + t.notModified, 0)} | ${r.panelMs} | ${r.firstPredictionMs} | ` +
    `${r.again.join(", ") || "none"} |`),
];
await mkdir(path.join(ROOT, "target"), { recursive: true });
await writeFile(path.join(ROOT, "target/bench-site.json"), JSON.stringify({ build, rows }, null, 2));
await writeFile(path.join(ROOT, "target/bench-site.md"), md.join("\n") + "\n");
console.log(md.join("\n"));

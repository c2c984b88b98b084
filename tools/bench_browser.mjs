#!/usr/bin/env node
// Benchmarks the built page (dist/, built beforehand by `scripts/build_site.sh`; this script builds
// nothing) in headless Chromium: `?bench` once on WebGPU and once on the CPU backend, then the
// onnxruntime-web peer (tools/ort_bench/, models from tools/export_onnx.py in target/onnx/) on
// the same variants with the WebGPU and the wasm EP, and writes target/bench-browser.json and
// target/bench-browser.md (`--out` names another pair; one row per variant and backend: burn
// against ORT).
//
//   node tools/bench_browser.mjs [--variants lite0,b0] [--runs 3] [--backends webgpu,cpu]
//                                [--peer ort|none | --no-peer] [--soak N] [--profile]
//                                [--page key=value,…] [--out target/bench-browser]
//
// --profile: the page also times the first variant part by part (stem, expansion, depthwise,
// squeeze-excite, projection, shortcut, head) with a readback after each part, and the table
// gets a section per backend saying where the time goes.
// --soak N: after the timings, the page runs the first variant N more times in a row the way the
// webcam does and samples its memory (wasm linear memory, JS heap, burn's GPU pools on WebGPU)
// every tenth of the way; the table gets a memory section. --page passes extra query parameters
// to the burn page: `dw=grouped` (burn's grouped convolution instead of our depthwise kernels),
// `dw=shift`, `dwlayout=nchw` (the WebGPU kernel writes NCHW), `act=burn` (CPU activations with burn's operations instead of our kernel),
// `f16=off` (f32 where the adapter offers shader-f16; the page computes in f16 there by default),
// `silu=sigmoid` (CPU SiLU as x·sigmoid(x)), `prep=cpu` (WebGPU: crop and normalise on the CPU
// instead of the GPU), `input=WxH` (bench image size instead of the variant's input size; the
// table then gets a section with the preparation and total time per run).
//
// The peer runs by default when target/onnx/ has a model for every variant. Each backend or EP
// gets a fresh browser. Needs tests/browser's node_modules (playwright-core, onnxruntime-web):
// `cd tests/browser && npm ci`. SwiftShader (software WebGPU) is slow: ~4 s per inference.
import { existsSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { ROOT, serve, launch, open, waitFor, foreignRequests } from "../tests/browser/lib.mjs";
import { ratio } from "./bench_lib.mjs";

process.on("uncaughtException", (e) => { console.error(`bench_browser: ${e.message}`); process.exit(1); });
const { values: opts } = parseArgs({
  options: {
    variants: { type: "string" },
    runs: { type: "string", default: "3" },
    backends: { type: "string", default: "webgpu,cpu" },
    peer: { type: "string", default: "auto" },
    "no-peer": { type: "boolean", default: false },
    timeout: { type: "string", default: "1800" }, // seconds per backend
    soak: { type: "string", default: "0" },
    profile: { type: "boolean", default: false },
    page: { type: "string", default: "" },
    out: { type: "string", default: "target/bench-browser" }, // writes OUT.json and OUT.md
  },
});
const runs = Number.parseInt(opts.runs, 10);
if (!(runs >= 0)) throw new Error(`--runs must be a number, got ${opts.runs}`);
const backends = opts.backends.split(",").filter(Boolean);
const peer = opts["no-peer"] ? "none" : opts.peer;
if (!["auto", "ort", "none"].includes(peer)) throw new Error(`--peer must be ort or none, got ${peer}`);
const ONNX = path.join(ROOT, "target/onnx");
const ORT_DIST = path.join(ROOT, "tests/browser/node_modules/onnxruntime-web/dist");
const EP_OF = { webgpu: "webgpu", cpu: "wasm" }; // burn backend -> the ORT EP it is compared with

async function browserRun(server, { webgpu, url, global, what }) {
  const context = await launch({ webgpu });
  try {
    const { page, errors, urls } = await open(context, url);
    const browserVersion = context.browser()?.version() ?? (await page.evaluate(() => navigator.userAgent));
    let s;
    if (global === "__effnet") {
      s = (await waitFor(page, (s) => s.bench?.done, what, Number(opts.timeout) * 1000)).bench;
    } else {
      const end = Date.now() + Number(opts.timeout) * 1000;
      while (!(s = await page.evaluate(() => window.__ortBench ?? null))?.done) {
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(s)?.slice(0, 2000)}`);
        await page.waitForTimeout(250);
      }
    }
    console.error(`${what}: ${JSON.stringify(s, (k, v) => (k === "top5" ? undefined : v))}`);
    return { url, browserVersion, ...s, consoleErrors: errors, foreignRequests: foreignRequests(urls, server.origin) };
  } finally {
    await context.close();
  }
}

const query = (params) => new URLSearchParams(params).toString().replaceAll("%2C", ",");
const server = await serve(undefined, { mounts: { "/ort/": path.join(ROOT, "tools/ort_bench"),
  "/ort/dist/": ORT_DIST, "/ort/models/": ONNX } });
const loadBefore = loadavg()[0];
const results = [];
const peerResults = [];
let peerNote = null;
try {
  for (const backend of backends) {
    console.error(`bench on ${backend}…`);
    const extra = Object.fromEntries(opts.page.split(",").filter(Boolean).map((kv) => kv.split("=")));
    const params = { runs: String(runs), backend, ...(opts.variants ? { variants: opts.variants } : {}),
      ...(Number(opts.soak) > 0 ? { soak: opts.soak } : {}), ...(opts.profile ? { profile: "1" } : {}), ...extra };
    results.push({ asked: backend, ...await browserRun(server, { webgpu: backend === "webgpu",
      url: `${server.url}?bench&${query(params)}`, global: "__effnet", what: `bench on ${backend}` }) });
  }
  const variants = opts.variants?.split(",").filter(Boolean)
    ?? [...new Set(results.flatMap((r) => r.rows?.map((row) => row.variant) ?? []))];
  const missing = variants.filter((v) => !existsSync(path.join(ONNX, `${v}.onnx`)));
  if (peer !== "none" && !existsSync(ORT_DIST)) peerNote = "peer skipped: no onnxruntime-web (cd tests/browser && npm ci)";
  else if (peer !== "none" && missing.length) {
    peerNote = `peer skipped: no target/onnx/${missing[0]}.onnx (/usr/bin/python3 tools/export_onnx.py --variants ${variants.join(",")})`;
  }
  if (peerNote && peer === "ort") throw new Error(peerNote);
  if (peer !== "none" && !peerNote && variants.length) {
    for (const ep of [...new Set(backends.map((b) => EP_OF[b] ?? b))]) {
      console.error(`onnxruntime-web on ${ep}…`);
      const url = `${server.origin}/ort/?${query({ variants: variants.join(","), runs: String(runs), ep })}`;
      peerResults.push(await browserRun(server, { webgpu: ep === "webgpu", url, global: "__ortBench", what: `ORT ${ep}` }));
    }
  }
} finally {
  await server.close();
}

const fmt = (v) => (v == null ? "–" : v.toFixed(0));
const warm = (row) => (!row ? "–" : row.error ? `error: ${row.error}`
  : `${fmt(row.warm_median_ms)} [${fmt(row.warm_min_ms)}–${fmt(row.warm_max_ms)}]`);
const weights = (row) => (!row ? "–" : row.pretrained ? "pretrained" : "random init");
// burn's page computes in f16 on an adapter with shader-f16 (ORT's peer always in f32).
const precision = (row) => (row?.precision === "f16" ? " (f16)" : "");
const date = new Date().toISOString();
const browser = results[0]?.browserVersion ?? peerResults[0]?.browserVersion ?? "?";
const adapter = results.find((r) => r.adapter)?.adapter ?? "none";
const ortAdapter = peerResults.find((r) => r.adapter)?.adapter;
const lines = [
  `# Browser bench`,
  ``,
  `- Date: ${date}`,
  `- Chromium: ${browser}`,
  `- Machine: ${cpus().length} CPUs (${cpus()[0]?.model ?? "?"}), load average ${loadBefore.toFixed(2)} before / ${loadavg()[0].toFixed(2)} after (other work on the machine skews the numbers)`,
  `- WebGPU adapter: ${adapter}${ortAdapter ? ` (ORT's page: ${ortAdapter})` : ""}`,
  `- Warm runs per variant: ${runs} after 1 cold run; input: synthetic gradient at the variant's input size, preprocessed as the page does`,
];
const variants = [...new Set([...results, ...peerResults].flatMap((r) => r.rows?.map((row) => row.variant) ?? []))];
if (peerResults.length) {
  const p = peerResults[0];
  lines.push(`- Peer: onnxruntime-web ${p.ort_version ?? "?"} (${peerResults.map((r) => `${r.ep}: ${r.bundle}, runtime start-up ${fmt(r.init_ms)} ms`).join("; ")}), ` +
    `${p.num_threads} wasm thread(s) (crossOriginIsolated: ${p.crossOriginIsolated}), graphOptimizationLevel "all"; ` +
    `models: target/onnx/<variant>.onnx from tools/export_onnx.py (torch ${p.rows?.[0]?.torch ?? "?"} exporter, opset ${p.rows?.[0]?.opset ?? "?"}, f32, BatchNorm folded into the convolutions), same checkpoints as the page's f16 web weights; random init: different random weights on each side`,
    `- Load = weights/model fetch from the local server + building the model (burn) / creating the session (ORT); cold = first inference incl. upload and readback; burn/ORT < 1 means burn is faster`,
    ``,
    `| Variant | Weights | burn backend / ORT EP | Load ms burn / ORT | Cold ms burn / ORT | Warm ms burn: median [min–max] | Warm ms ORT: median [min–max] | Cold/warm burn / ORT | burn/ORT warm |`,
    `|---|---|---|---:|---:|---|---|---:|---:|`);
  for (const variant of variants) {
    for (const r of results) {
      const b = r.rows?.find((x) => x.variant === variant);
      const pr = peerResults.find((x) => x.ep === (EP_OF[r.asked] ?? r.asked));
      const o = pr?.rows?.find((x) => x.variant === variant);
      const backend = r.asked === r.backend ? r.backend : `${r.asked} → ${r.backend}`;
      lines.push(`| ${variant} | ${weights(b)} / ${weights(o)} | ${backend}${precision(b)} / ${pr?.ep ?? "–"} | ${fmt(b?.load_ms)} / ${fmt(o?.load_ms)} | ` +
        `${fmt(b?.cold_ms)} / ${fmt(o?.cold_ms)} | ${warm(b)} | ${warm(o)} | ${ratio(b?.cold_ms, b?.warm_median_ms)} / ${ratio(o?.cold_ms, o?.warm_median_ms)} | ` +
        `${ratio(b?.warm_median_ms, o?.warm_median_ms)} |`);
    }
  }
  const checks = peerResults.flatMap((r) => (r.rows ?? []).filter((o) => !o.error).map((o) =>
    `${o.variant}/${r.ep}: input ${o.input_max_diff === 0 ? "identical to" : `max |Δ| ${o.input_max_diff} from`} export_onnx.py's, ` +
    `max |Δlogit| vs torch ${o.max_abs_logit_diff_vs_torch?.toExponential(1)}, top-5 ${o.top5_same_as_torch ? "same as" : "differs from"} torch's`));
  if (checks.length) lines.push(``, `ORT checks: ${checks.join("; ")}.`);
} else {
  if (peerNote) lines.push(`- ${peerNote}`);
  lines.push(``, `| Variant | Weights | Backend | Load ms | Cold ms | Warm median ms [min–max] |`, `|---|---|---|---:|---:|---|`);
  for (const variant of variants) {
    for (const r of results) {
      const row = r.rows?.find((x) => x.variant === variant);
      if (!row) continue;
      lines.push(`| ${variant} | ${weights(row)} | ${r.asked === r.backend ? r.backend : `${r.asked} → ${r.backend}`}${precision(row)} | ` +
        `${fmt(row.load_ms)}${row.from_cache ? " (cache)" : ""} | ${fmt(row.cold_ms)} | ${warm(row)}${row.error ? "" : ` (${row.runs} runs)`} |`);
    }
  }
}
const mb = (b) => (b == null ? "–" : (b / 2 ** 20).toFixed(1));
if (results.some((r) => r.rows?.some((row) => row.memory))) {
  lines.push(``, `Memory after the warm runs (steady state, the model loaded): wasm linear memory (holds the CPU backend's tensors), Chromium's JS heap, and on WebGPU burn's GPU memory pools (bytes in live tensors, weights included, and bytes reserved from the GPU; the browser's own GPU-process overhead is not visible to a page):`, ``,
    `| Variant | Backend | wasm memory MB | JS heap MB | GPU in use MB | GPU reserved MB |`, `|---|---|---:|---:|---:|---:|`);
  for (const r of results) for (const row of r.rows ?? []) {
    const m = row.memory;
    if (m) lines.push(`| ${row.variant} | ${r.backend} | ${mb(m.wasm_bytes)} | ${mb(m.js_heap_bytes)} | ${mb(m.gpu_in_use_bytes)} | ${mb(m.gpu_reserved_bytes)} |`);
  }
}
if (results.some((r) => r.rows?.some((row) => row.total_median_ms != null))) {
  lines.push(``, `Preparing the input (medians over the warm runs): the main thread's preprocessing time, and preprocessing + latency per run (with the crop and normalisation on the GPU, their kernels run inside the latency; on the CPU, before it):`, ``,
    `| Variant | Backend | Bench image | Crop and normalisation on | Main-thread prep ms | Warm latency ms | Prep + latency ms |`, `|---|---|---|---|---:|---:|---:|`);
  for (const r of results) for (const row of r.rows ?? []) {
    if (row.total_median_ms == null) continue;
    lines.push(`| ${row.variant} | ${r.backend} | ${row.input} | ${row.gpu_preprocess ? "GPU" : "CPU"} | ${row.prep_median_ms.toFixed(1)} | ${fmt(row.warm_median_ms)} | ${fmt(row.total_median_ms)} |`);
  }
}
for (const r of results.filter((r) => r.soak)) {
  const k = r.soak;
  const first = k.samples[0], last = k.samples.at(-1);
  const gpu = first?.gpu_reserved_bytes == null ? "" :
    `; GPU pools in use ${mb(first.gpu_in_use_bytes)} → ${mb(last.gpu_in_use_bytes)} MB (growth ${mb(k.gpu_in_use_growth_bytes)} MB), ` +
    `reserved ${mb(first.gpu_reserved_bytes)} → ${mb(last.gpu_reserved_bytes)} MB (growth ${mb(k.gpu_reserved_growth_bytes)} MB)`;
  lines.push(``, `Soak on ${r.backend}: ${k.runs} of ${k.asked} webcam-mode runs of ${k.variant} in a row (after 10 warm-up runs; activation maps on), ` +
    `${k.failures} failed, median ${fmt(k.median_ms)} ms; wasm memory ${mb(first?.wasm_bytes)} → ${mb(last?.wasm_bytes)} MB ` +
    `(growth ${mb(k.wasm_growth_bytes)} MB), JS heap ${mb(first?.js_heap_bytes)} → ${mb(last?.js_heap_bytes)} MB (growth ${mb(k.js_heap_growth_bytes)} MB)${gpu}.`,
    `Samples (run: wasm MB / JS heap MB${gpu ? " / GPU reserved MB" : ""}): ${k.samples.map((x) => `${x.run}: ${mb(x.wasm_bytes)}/${mb(x.js_heap_bytes)}${gpu ? `/${mb(x.gpu_reserved_bytes)}` : ""}`).join(", ")}.`);
}
for (const r of results.filter((r) => r.profile)) {
  const p = r.profile;
  if (p.error) { lines.push(``, `Profile on ${p.backend}: ${p.error}`); continue; }
  const total = p.rows.reduce((a, x) => a + x.ms, 0);
  lines.push(``, `Where ${p.variant}'s time goes on ${p.backend} (median of ${p.runs} part-by-part runs; ${p.sync_ms.toFixed(1)} ms sync overhead subtracted per part; parts sum to ${total.toFixed(0)} ms):`, ``,
    `| Part | Times per pass | ms per pass | Share |`, `|---|---:|---:|---:|`,
    ...p.rows.map((x) => `| ${x.name} | ${x.count} | ${x.ms.toFixed(1)} | ${(100 * x.share).toFixed(0)} % |`));
}
if (opts.page) lines.push(``, `Page parameters: ${opts.page}`);
for (const r of [...results, ...peerResults]) {
  const who = r.asked ?? `ORT ${r.ep}`;
  if (r.error) lines.push(``, `Note (${who}): ${r.error}`);
  if (r.consoleErrors.length) lines.push(``, `Console errors (${who}): ${r.consoleErrors.join("; ")}`);
  if (r.foreignRequests.length) lines.push(``, `Requests to other origins (${who}): ${r.foreignRequests.join(", ")}`);
}
const md = lines.join("\n") + "\n";

const out = path.resolve(ROOT, opts.out);
await mkdir(path.dirname(out), { recursive: true });
await writeFile(`${out}.json`, JSON.stringify({ date, browser, runs, results,
  peer: peerResults.length ? { name: "onnxruntime-web", results: peerResults } : null, peerNote }, null, 2) + "\n");
await writeFile(`${out}.md`, md);
process.stdout.write(md);

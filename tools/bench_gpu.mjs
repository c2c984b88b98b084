#!/usr/bin/env node
// The real-GPU bench (issue 15): on one machine, burn's WebGPU path in Chromium against
// onnxruntime-web's WebGPU EP (tools/bench_browser.mjs, dist/ built beforehand) and burn's wgpu
// runtime natively through Vulkan (`effnet bench --device wgpu`, the network set up as the page
// runs it), same variants, one table: target/bench-gpu.md and target/bench-gpu.json.
//
//   node tools/bench_gpu.mjs [--variants lite0,b0,…] [--runs 5] [--gpu real|software]
//                            [--skip browser|native] [--effnet path/to/effnet]
//                            [--native-json FILE]
//
// --gpu real (the default) starts Chromium with the flags that give headless Chromium the
// machine's GPU through Vulkan (`--use-angle=vulkan --enable-features=Vulkan
// --disable-vulkan-surface --ignore-gpu-blocklist`) and fails (exit 3, after writing the table)
// when either side ended up on a software adapter (SwiftShader, lavapipe, llvmpipe): such numbers
// say nothing about a GPU. --gpu software accepts them; that is how the script is checked on
// machines without a GPU. First it asks Chromium for its WebGPU adapter (name, fallback or not,
// whether it offers shader-f16) and stops with a message when none comes within a minute (seen
// on a machine with no GPU but Mesa's lavapipe installed: with the Vulkan flags the adapter
// request never answers).
// The native side needs an effnet built with the `cube` feature: --effnet names it, otherwise
// target/cube/release/effnet, built here when missing (`cargo build --release --features cube`
// with CARGO_TARGET_DIR=target/cube: a long cold build, wgpu and CubeCL natively) and a Vulkan
// driver (on a machine without a GPU, Mesa's lavapipe: scripts/test_kernels.sh installs it).
// --native-json takes the native side from FILE (the output of `effnet bench --device wgpu
// --json`, run on another machine, e.g. a GPU machine without Chromium) instead of running it.
// The ORT peer needs target/onnx/<variant>.onnx for every variant (tools/export_onnx.py); without
// them the table has burn's columns only.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { launch, serve } from "../tests/browser/lib.mjs";
import { ratio } from "./bench_lib.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const ALL = "lite0,lite1,lite2,lite3,lite4,b0,b1,b2,b3,b4,b5,b6,b7";
const REAL_GPU_FLAGS = "--use-angle=vulkan --enable-features=Vulkan --disable-vulkan-surface --ignore-gpu-blocklist";
const SOFTWARE = /swiftshader|lavapipe|llvmpipe|software|fallback|\bCpu\b/i;

process.on("uncaughtException", (e) => { console.error(`bench_gpu: ${e.message}`); process.exit(1); });
const { values: opts } = parseArgs({
  options: {
    variants: { type: "string", default: ALL },
    runs: { type: "string", default: "5" },
    gpu: { type: "string", default: "real" },
    skip: { type: "string", default: "" },
    effnet: { type: "string" },
    "native-json": { type: "string" },
  },
});
if (!["real", "software"].includes(opts.gpu)) throw new Error(`--gpu must be real or software, got ${opts.gpu}`);
if (!["", "browser", "native"].includes(opts.skip)) throw new Error(`--skip must be browser or native, got ${opts.skip}`);
const variants = opts.variants.split(",").filter(Boolean);
const runs = String(Number.parseInt(opts.runs, 10));
if (runs === "NaN") throw new Error(`--runs must be a number, got ${opts.runs}`);

/** What WebGPU adapter Chromium gives the page with these flags (`null` when none came). */
async function probeAdapter() {
  const server = await serve();
  const context = await launch({ webgpu: true });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(server.url);
    const asked = page.evaluate(async () => {
      const a = await navigator.gpu?.requestAdapter({ powerPreference: "high-performance" });
      if (!a) return null;
      const i = a.info;
      return { name: [i.vendor, i.architecture, i.device, i.description].filter(Boolean).join(" / "),
        fallback: i.isFallbackAdapter ?? false, shaderF16: a.features.has("shader-f16") };
    });
    return await Promise.race([asked, new Promise((ok) => setTimeout(() => ok(undefined), 60_000))]);
  } finally {
    await context.close();
    await server.close();
  }
}

/** The browser side: bench_browser on WebGPU only (burn and ORT's WebGPU EP), its JSON back. */
function browserSide() {
  const out = "target/bench-gpu-browser";
  const env = { ...process.env };
  const args = ["tools/bench_browser.mjs", "--backends", "webgpu", "--variants", variants.join(","), "--runs", runs, "--out", out];
  console.error(`bench_gpu: node ${args.join(" ")}`);
  const r = spawnSync(process.execPath, args, { cwd: ROOT, env, stdio: ["ignore", "ignore", "inherit"] });
  if (r.status !== 0) throw new Error(`the browser bench failed (exit ${r.status})`);
  return readFile(path.join(ROOT, `${out}.json`), "utf8").then(JSON.parse);
}

/** The native side: `effnet bench --device wgpu --json`, one object per variant. */
async function nativeSide() {
  if (opts["native-json"]) return parseLines(await readFile(opts["native-json"], "utf8"));
  let effnet = opts.effnet;
  if (!effnet) {
    effnet = path.join(ROOT, "target/cube/release/effnet");
    if (!existsSync(effnet)) {
      console.error("bench_gpu: building effnet with the cube feature (target/cube; a cold build takes long)");
      execFileSync("cargo", ["build", "--release", "--bin", "effnet", "--features", "cube"], {
        cwd: ROOT, stdio: "inherit", env: { ...process.env, CARGO_TARGET_DIR: path.join(ROOT, "target/cube") },
      });
    }
  }
  const args = ["bench", "--device", "wgpu", "--variants", variants.join(","), "--runs", runs, "--json"];
  console.error(`bench_gpu: ${effnet} ${args.join(" ")}`);
  const stdout = execFileSync(effnet, args, { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  return parseLines(stdout);
}

const parseLines = (text) => text.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));

const date = new Date().toISOString();
if (opts.gpu === "real") {
  process.env.EFFNET_CHROMIUM_ARGS = `${process.env.EFFNET_CHROMIUM_ARGS ?? ""} ${REAL_GPU_FLAGS}`.trim();
}
let probe = null;
if (opts.skip !== "browser") {
  probe = await probeAdapter();
  if (probe === undefined) throw new Error("Chromium gave no answer to a WebGPU adapter request within a minute" +
    (opts.gpu === "real" ? ` with the real-GPU flags (${REAL_GPU_FLAGS}): is there a GPU with a Vulkan driver?` : ""));
  if (probe === null) throw new Error("Chromium offers no WebGPU adapter here");
  console.error(`bench_gpu: Chromium's WebGPU adapter: ${probe.name}${probe.fallback ? " (fallback)" : ""}, shader-f16 ${probe.shaderF16 ? "offered" : "not offered"}`);
}
const browser = opts.skip === "browser" ? null : await browserSide();
const native = opts.skip === "native" ? [] : await nativeSide();

const burn = browser?.results.find((r) => r.backend === "webgpu") ?? null;
const ort = browser?.peer?.results.find((r) => r.ep === "webgpu") ?? null;
const row = (side, v) => side?.rows?.find((x) => x.variant === v && !x.error) ?? null;
const nativeRow = (v) => native.find((x) => x.variant === v) ?? null;
const fmt = (x) => (x == null ? "–" : x >= 100 ? x.toFixed(0) : x.toFixed(1));

const adapters = {
  probe: probe ? `${probe.name}${probe.fallback ? " (fallback adapter)" : ""}` : null,
  burnBrowser: burn?.adapter ?? null,
  ortBrowser: ort?.adapter ?? null,
  native: native[0]?.adapter ?? null,
};
const software = Object.entries(adapters).filter(([, a]) => a && SOFTWARE.test(a));
const lines = [
  `Real-GPU bench (${date}, \`node tools/bench_gpu.mjs --gpu ${opts.gpu} --runs ${runs}\`; warm = median of ${runs} runs after one cold run, each side in one go)`,
  ``,
  `- Browser: ${browser ? `Chromium ${browser.browser}; burn's adapter: ${adapters.burnBrowser ?? "none"}; ORT's: ${adapters.ortBrowser ?? (browser.peerNote ?? "peer not run")}; shader-f16 ${probe.shaderF16 ? "offered" : "not offered"} (the page computes in f32 either way)` : "skipped"}`,
  `- Native: ${opts.skip === "native" ? "skipped" : `\`effnet bench --device wgpu\` (burn's wgpu runtime, Vulkan); adapter: ${adapters.native ?? "none"}`}`,
  software.length
    ? `- **Software adapters** (${software.map(([k]) => k).join(", ")}): these numbers say nothing about a GPU.`
    : `- Every side ran on a hardware adapter.`,
  ``,
  `| Variant | burn WebGPU warm ms | ORT WebGPU warm ms | burn / ORT | burn wgpu native warm ms | browser / native | cold ms (burn browser / native) |`,
  `|---|---:|---:|---:|---:|---:|---:|`,
];
for (const v of variants) {
  const [b, o, n] = [row(burn, v), row(ort, v), nativeRow(v)];
  lines.push(`| ${v} | ${fmt(b?.warm_median_ms)} | ${fmt(o?.warm_median_ms)} | ${ratio(b?.warm_median_ms, o?.warm_median_ms)} | ` +
    `${fmt(n?.warm_median_ms)} | ${ratio(b?.warm_median_ms, n?.warm_median_ms)} | ${fmt(b?.cold_ms)} / ${fmt(n?.cold_ms)} |`);
}
for (const r of [burn, ort].filter(Boolean)) {
  if (r.error) lines.push(``, `Note (${r.asked ?? `ORT ${r.ep}`}): ${r.error}`);
}
const md = lines.join("\n") + "\n";
await mkdir(path.join(ROOT, "target"), { recursive: true });
await writeFile(path.join(ROOT, "target/bench-gpu.json"),
  JSON.stringify({ date, gpu: opts.gpu, runs: Number(runs), variants, adapters, probe, browser, native }, null, 2) + "\n");
await writeFile(path.join(ROOT, "target/bench-gpu.md"), md);
process.stdout.write(md);
if (opts.gpu === "real" && software.length) {
  console.error(`bench_gpu: --gpu real, but ${software.map(([k, a]) => `${k} ran on ${a}`).join("; ")}`);
  process.exit(3);
}

#!/usr/bin/env node
// Benchmarks the built page (dist/, built beforehand by `trunk build`; this script builds
// nothing) in headless Chromium: `?bench` once on WebGPU and once on the CPU backend, then
// writes target/bench-browser.json and target/bench-browser.md.
//
//   node tools/bench_browser.mjs [--variants lite0,b0] [--runs 3] [--backends webgpu,cpu]
//
// Needs tests/browser's node_modules (playwright-core): `cd tests/browser && npm ci`.
// SwiftShader (software WebGPU) is slow: ~2.5 s per Lite0 inference.
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { ROOT, serve, launch, open, waitFor } from "../tests/browser/lib.mjs";

const { values: opts } = parseArgs({
  options: {
    variants: { type: "string" },
    runs: { type: "string", default: "3" },
    backends: { type: "string", default: "webgpu,cpu" },
    timeout: { type: "string", default: "1800" }, // seconds per backend
  },
});
const runs = Number.parseInt(opts.runs, 10);
if (!(runs >= 0)) throw new Error(`--runs must be a number, got ${opts.runs}`);
const backends = opts.backends.split(",").filter(Boolean);

async function benchOn(server, backend) {
  const context = await launch({ webgpu: backend === "webgpu" });
  try {
    const params = new URLSearchParams({ runs: String(runs), backend });
    if (opts.variants) params.set("variants", opts.variants);
    const url = `${server.origin}/?bench&${params.toString().replaceAll("%2C", ",")}`;
    const { page, errors } = await open(context, url);
    const browserVersion = context.browser()?.version() ?? (await page.evaluate(() => navigator.userAgent));
    const s = await waitFor(page, (s) => s.bench?.done, `bench on ${backend}`, Number(opts.timeout) * 1000);
    console.error(`${backend}: ${JSON.stringify(s.bench)}`);
    return { asked: backend, url, browserVersion, ...s.bench, consoleErrors: errors };
  } finally {
    await context.close();
  }
}

const fmt = (v) => (v == null ? "–" : v.toFixed(0));

const server = await serve();
const results = [];
try {
  for (const backend of backends) {
    console.error(`bench on ${backend}…`);
    results.push(await benchOn(server, backend));
  }
} finally {
  await server.close();
}

const date = new Date().toISOString();
const browser = results[0]?.browserVersion ?? "?";
const adapter = results.find((r) => r.adapter)?.adapter ?? "none";
const lines = [
  `# Browser bench`,
  ``,
  `- Date: ${date}`,
  `- Chromium: ${browser}`,
  `- WebGPU adapter: ${adapter}`,
  `- Warm runs per variant: ${runs}; input: synthetic gradient at the variant's input size`,
  ``,
  `| Variant | Weights | Backend | Load ms | Cold ms | Warm median ms [min–max] |`,
  `|---|---|---|---:|---:|---|`,
];
const variants = [...new Set(results.flatMap((r) => r.rows.map((row) => row.variant)))];
for (const variant of variants) {
  for (const r of results) {
    const row = r.rows.find((x) => x.variant === variant);
    if (!row) continue;
    const warm = row.error
      ? `error: ${row.error}`
      : `${fmt(row.warm_median_ms)} [${fmt(row.warm_min_ms)}–${fmt(row.warm_max_ms)}] (${row.runs} runs)`;
    lines.push(`| ${variant} | ${row.pretrained ? "pretrained" : "random init"} | ${r.asked === r.backend ? r.backend : `${r.asked} → ${r.backend}`} | ` +
      `${fmt(row.load_ms)}${row.from_cache ? " (cache)" : ""} | ${fmt(row.cold_ms)} | ${warm} |`);
  }
}
for (const r of results) {
  if (r.error) lines.push(``, `Note (${r.asked}): ${r.error}`);
  if (r.consoleErrors.length) lines.push(``, `Console errors (${r.asked}): ${r.consoleErrors.join("; ")}`);
}
const md = lines.join("\n") + "\n";

await mkdir(path.join(ROOT, "target"), { recursive: true });
await writeFile(path.join(ROOT, "target/bench-browser.json"),
  JSON.stringify({ date, browser, runs, results }, null, 2) + "\n");
await writeFile(path.join(ROOT, "target/bench-browser.md"), md);
process.stdout.write(md);

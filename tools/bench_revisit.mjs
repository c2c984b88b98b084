#!/usr/bin/env node
// Cold against warm on a first and on a repeat visit (a benchmark, not a test): in headless
// Chromium, one profile kept for two visits of the same origin, the page with `?warmup=off` (so
// the first photo's run is the network's cold run), on WebGPU and on the CPU. Per visit: the
// first photo's run (cold: pipelines compiled, buffers made), then `--runs` more runs (warm,
// median). A repeat visit finds in the browser's caches what the first one left: the wasm's
// compiled code, the weights (Cache API), and whatever the browser keeps of WebGPU pipelines.
// Serves dist/ (scripts/build_site.sh). Writes target/bench-revisit.{json,md}.
//
//   node tools/bench_revisit.mjs [--backends webgpu,cpu] [--runs 4] [--variants lite0,b0]

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { serve, launch, open } from "../tests/browser/lib.mjs";
import { classifySample, median, report, waitReady } from "./bench_lib.mjs";

const { values: opts } = parseArgs({
  options: {
    backends: { type: "string", default: "webgpu,cpu" },
    runs: { type: "string", default: "4" },
    variants: { type: "string", default: "lite0,b0" },
  },
});

/** One visit: the first photo's run, then `--runs` warm ones. */
async function visit(server, profile, backend, variant) {
  const context = await launch({ webgpu: backend === "webgpu", profile });
  try {
    const query = [`variant=${variant}`, "warmup=off", backend === "cpu" ? "backend=cpu" : null].filter(Boolean).join("&");
    const { page } = await open(context, `${server.url}?${query}`);
    await waitReady(page);
    const runs = [];
    for (let i = 0; i <= Number(opts.runs); i++) {
      const file = i % 2 ? "coffee.png" : "chelsea.png";
      const { state: s } = await classifySample(page, file);
      runs.push({ ms: s.lastResult.latency_ms, cold: s.lastResult.cold });
    }
    if (!runs[0].cold || runs.slice(1).some((r) => r.cold)) throw new Error(`unexpected cold flags: ${JSON.stringify(runs)}`);
    return { coldMs: Math.round(runs[0].ms), warmMs: Math.round(median(runs.slice(1).map((r) => r.ms))) };
  } finally {
    await context.close();
  }
}

const server = await serve();
const rows = [];
try {
  for (const backend of opts.backends.split(",")) {
    for (const variant of opts.variants.split(",")) {
      const profile = await mkdtemp(path.join(tmpdir(), "effnet-revisit-"));
      try {
        for (const which of ["first", "repeat"]) {
          const r = { backend, variant, visit: which, ...(await visit(server, profile, backend, variant)) };
          console.error(JSON.stringify(r));
          rows.push(r);
        }
      } finally {
        await rm(profile, { recursive: true, force: true });
      }
    }
  }
} finally {
  await server.close();
}

const lines = [
  `Cold and warm runs, first and repeat visit (${new Date().toISOString().slice(0, 16)}Z, \`?warmup=off\`, one profile per backend and variant, warm = median of ${opts.runs})`,
  "",
  "| backend | variant | visit | cold run ms | warm run ms | cold / warm |",
  "|---|---|---|---:|---:|---:|",
  ...rows.map((r) => `| ${r.backend} | ${r.variant} | ${r.visit} | ${r.coldMs} | ${r.warmMs} | ${(r.coldMs / r.warmMs).toFixed(2)} |`),
];
const table = lines.join("\n");
await report("bench-revisit", rows, table);

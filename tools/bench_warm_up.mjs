#!/usr/bin/env node
// What the warm-up buys (a benchmark, not a test): in headless Chromium, a fresh profile per
// visit, the page with and without `?warmup=off`, on WebGPU and on the CPU. A visitor who
// chooses a photo once the page says "choose an image" (after the warm-up, when there is one)
// waits for the first prediction: the table gives the time to that line from navigation start,
// the first photo's run latency, and the wall time from the click to the result. Serves dist/
// (scripts/build_site.sh) as site/serve.mjs does. Writes target/bench-warm-up.{json,md}.
//
//   node tools/bench_warm_up.mjs [--backends webgpu,cpu] [--visits 2] [--variant lite0]

import { parseArgs } from "node:util";
import { serve, launch, open } from "../tests/browser/lib.mjs";
import { classifySample, median, report, waitReady } from "./bench_lib.mjs";

const { values: opts } = parseArgs({
  options: {
    backends: { type: "string", default: "webgpu,cpu" },
    visits: { type: "string", default: "2" },
    variant: { type: "string", default: "lite0" },
  },
});

async function visit(server, backend, warmUp) {
  const context = await launch({ webgpu: backend === "webgpu" });
  try {
    const query = [`variant=${opts.variant}`, warmUp ? null : "warmup=off", backend === "cpu" ? "backend=cpu" : null]
      .filter(Boolean).join("&");
    const { page } = await open(context, `${server.url}?${query}`);
    await waitReady(page);
    const readyMs = await page.evaluate(() => performance.now());
    const { state: s, clickToResultMs } = await classifySample(page, "chelsea.png");
    return {
      backend, warmUp, readyMs: Math.round(readyMs), runMs: Math.round(s.lastResult.latency_ms),
      clickToResultMs: Math.round(clickToResultMs), cold: s.lastResult.cold, coldMs: Math.round(s.lastResult.cold_ms ?? 0),
    };
  } finally {
    await context.close();
  }
}

const server = await serve();
const rows = [];
try {
  for (const backend of opts.backends.split(",")) {
    // Alternating, so that both modes see the same machine load.
    for (let i = 0; i < Number(opts.visits); i++) {
      for (const warmUp of [true, false]) {
        const r = await visit(server, backend, warmUp);
        console.error(JSON.stringify(r));
        rows.push(r);
      }
    }
  }
} finally {
  await server.close();
}

const lines = [
  `Warm-up bench (${opts.variant}, ${new Date().toISOString().slice(0, 10)}, ${opts.visits} fresh-profile visit(s) per row, medians)`,
  "",
  "| backend | warm-up | page open → \"choose an image\" ms | first photo: run ms | first photo: click → result ms | first run cold? | ratio click → result (on / off) |",
  "|---|---|---|---|---|---|---|",
];
for (const backend of opts.backends.split(",")) {
  const of = (on) => rows.filter((r) => r.backend === backend && r.warmUp === on);
  const off = median(of(false).map((r) => r.clickToResultMs));
  for (const on of [true, false]) {
    const rs = of(on);
    const click = median(rs.map((r) => r.clickToResultMs));
    lines.push(`| ${backend} | ${on ? "on" : "off"} | ${median(rs.map((r) => r.readyMs))} | ${median(rs.map((r) => r.runMs))} | ${click} | ${rs.map((r) => (r.cold ? "yes" : "no")).join(", ")} | ${(click / off).toFixed(2)} |`);
  }
}
const table = lines.join("\n");
await report("bench-warm-up", rows, table);

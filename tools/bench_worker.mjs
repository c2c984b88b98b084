#!/usr/bin/env node
// The engine in its Web Worker against the page's own thread (`?worker=off`): a benchmark, not
// a test. In headless Chromium (fresh profile per visit, fake webcam), per backend and mode:
// classify the samples `--runs` times, then run the webcam for `--webcam` seconds, recording the
// page's long tasks (PerformanceObserver `longtask`, > 50 ms), its animation frames per second
// (what the webcam preview can paint) and the runs' latency; during the webcam it also traces the
// page's main thread (Chromium tracing through CDP): its busy time (tasks run) and V8's garbage
// collections there (major: mark-compact, the ones that can make a long task; minor:
// scavenges). Serves dist/ (scripts/build_site.sh; `EFFNET_DIST=dir` for another build).
// Writes target/bench-worker.{json,md}.
//
//   node tools/bench_worker.mjs [--backends webgpu,cpu] [--runs 6] [--webcam 10] [--variant lite0]

import { parseArgs } from "node:util";
import { serve, launch, open, state, fakeWebcamClip, traceMainThread } from "../tests/browser/lib.mjs";
import { classifySample, median, report, waitReady } from "./bench_lib.mjs";

const { values: opts } = parseArgs({
  options: {
    backends: { type: "string", default: "webgpu,cpu" },
    runs: { type: "string", default: "6" },
    webcam: { type: "string", default: "10" },
    variant: { type: "string", default: "lite0" },
  },
});
const clip = await fakeWebcamClip();

/** Long tasks and animation frames from now on (read back by `readWatch`). */
const watch = (page) => page.evaluate(() => {
  window.__bench = { long: [], frames: 0, t0: performance.now() };
  window.__benchObserver?.disconnect();
  window.__benchObserver = new PerformanceObserver((l) => window.__bench.long.push(...l.getEntries().map((e) => e.duration)));
  window.__benchObserver.observe({ type: "longtask" });
  const tick = () => { window.__bench.frames++; window.__bench.raf = requestAnimationFrame(tick); };
  window.__bench.raf = requestAnimationFrame(tick);
});
const readWatch = (page) => page.evaluate(() => {
  cancelAnimationFrame(window.__bench.raf);
  const b = window.__bench;
  const seconds = (performance.now() - b.t0) / 1000;
  return { longest: Math.max(0, ...b.long), longTotal: b.long.reduce((a, d) => a + d, 0), longCount: b.long.length, fps: b.frames / seconds };
});

/** The main thread's busy time and garbage collections in a trace of `seconds`. */
function mainThreadLoad(trace, seconds) {
  const ms = (es) => es.reduce((a, e) => a + e.wallMs, 0);
  const major = trace.gc.filter((e) => e.major);
  const minor = trace.gc.filter((e) => !e.major);
  return {
    busyMsPerS: ms(trace.tasks) / seconds,
    majorGc: major.length, majorGcMs: ms(major), majorGcLongest: Math.max(0, ...major.map((e) => e.wallMs)),
    minorGc: minor.length, minorGcMs: ms(minor),
  };
}

async function visit(server, backend, inWorker) {
  const context = await launch({ webgpu: backend === "webgpu", webcam: clip });
  try {
    const query = [`variant=${opts.variant}`, inWorker ? null : "worker=off", backend === "cpu" ? "backend=cpu" : null]
      .filter(Boolean).join("&");
    const { page } = await open(context, `${server.url}?${query}`);
    await waitReady(page);
    const s0 = await state(page);
    if ((s0.runsIn === "worker") !== inWorker) throw new Error(`runs in ${s0.runsIn}`);
    // The page's frame rate with nothing running: the baseline for the webcam's.
    await watch(page);
    await page.waitForTimeout(3000);
    const idle = await readWatch(page);
    await watch(page);
    const latencies = [];
    const clicks = [];
    for (let i = 0; i < Number(opts.runs); i++) {
      const file = i % 2 ? "coffee.png" : "chelsea.png";
      const { state: s, clickToResultMs } = await classifySample(page, file);
      clicks.push(clickToResultMs);
      latencies.push(s.lastResult.latency_ms);
    }
    const classify = await readWatch(page);
    const framesBefore = (await state(page)).webcam?.frames ?? 0;
    const trace = await traceMainThread(page);
    await watch(page);
    await page.click("[data-testid=webcam-toggle]");
    await page.waitForTimeout(Number(opts.webcam) * 1000);
    const webcam = await readWatch(page);
    const frames = ((await state(page)).webcam?.frames ?? 0) - framesBefore;
    const main = mainThreadLoad(await trace.stop(), Number(opts.webcam));
    await page.click("[data-testid=webcam-toggle]");
    return { backend, mode: inWorker ? "worker" : "page", idleFps: idle.fps, latencies, clicks, classify, webcam: { ...webcam, frames, main } };
  } finally {
    await context.close();
  }
}

const server = await serve();
const rows = [];
try {
  for (const backend of opts.backends.split(",")) {
    for (const inWorker of [true, false]) {
      const r = await visit(server, backend, inWorker);
      console.error(JSON.stringify(r));
      rows.push(r);
    }
  }
} finally {
  await server.close();
}

const f0 = (x) => x.toFixed(0);
const lines = [
  `Worker bench (${opts.variant}, ${new Date().toISOString().slice(0, 10)}; ${opts.runs} sample clicks, then ${opts.webcam} s of webcam; one fresh-profile visit per row, the two modes one after the other)`,
  "",
  "| backend | networks run in | warm run ms (median) | click → result ms (median) | classify: long tasks (count, longest, total ms) | classify: page fps | webcam: inferences | webcam: long tasks (count, longest ms) | webcam: page fps (idle page) | webcam: main thread busy ms/s | webcam: major GCs (count, longest, total ms) | webcam: minor GCs (count, total ms) |",
  "|---|---|---|---|---|---|---|---|---|---|---|---|",
];
for (const r of rows) {
  lines.push(`| ${r.backend} | ${r.mode === "worker" ? "the worker" : "the page (?worker=off)"} | ${f0(median(r.latencies.slice(1)))} | ${f0(median(r.clicks))} | ` +
    `${r.classify.longCount}, ${f0(r.classify.longest)}, ${f0(r.classify.longTotal)} | ${f0(r.classify.fps)} | ${r.webcam.frames} | ` +
    `${r.webcam.longCount}, ${f0(r.webcam.longest)} | ${f0(r.webcam.fps)} (${f0(r.idleFps)}) | ${f0(r.webcam.main.busyMsPerS)} | ` +
    `${r.webcam.main.majorGc}, ${f0(r.webcam.main.majorGcLongest)}, ${f0(r.webcam.main.majorGcMs)} | ${r.webcam.main.minorGc}, ${f0(r.webcam.main.minorGcMs)} |`);
}
const table = lines.join("\n");
await report("bench-worker", rows, table);

// The engine in a Web Worker (issue 15): the worker's results equal the CLI's on both backends,
// the page's thread stays free (no long task) while the worker classifies and while the webcam
// runs, a variant switch during a worker run shows only the new variant's result, and a worker
// that crashes is reported and restarted.
//
// SwiftShader caveat, and why the long-task assertion reads CPU time: here WebGPU is Chromium's
// software adapter, which runs in the GPU process on the same 2 CPU cores as the page, the worker
// (which computes all the time during the webcam) and the test runner. A `longtask` observer
// measures wall time, so a task in which the OS ran other threads looks long: traced, such
// tasks of 60–220 ms had the page's thread running 3–16 ms (a layout of 97 ms wall time was 3 ms
// of CPU). So the assertion is on each main-thread task's CPU time from a Chromium trace
// (`traceMainThread`), the page's own work, against the issue's 50 ms; the observer's wall-time
// entries are printed beside it, and the test first checks that the trace does catch a task
// that really works (a busy loop).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { loadavg } from "node:os";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { ROOT, DIST, state, waitFor, nextResult, startSite, open, launch, cliClassify, assertSameTop5,
  fakeWebcamClip, traceMainThread, weightsPath, clickSample as click,
  useBackend as use } from "./lib.mjs";

let site, page, errors;
const LONG_MS = 50;

before(async () => {
  site = await startSite({ webgpu: true, webcam: await fakeWebcamClip() });
  ({ page, errors } = site);
  await waitFor(page, (s) => s.runsIn.where === "worker" && s.load.state === "loaded", "Lite0 ready in the worker", 300000);
});
after(() => site?.close());

const sample = (file) => path.join(ROOT, "static/samples", file);

const useBackend = (kind) => use(page, kind);

async function clickSample(file) {
  const s = await click(page, file);
  assert.equal(s.error, null, JSON.stringify(s.error));
  return s;
}

/** Starts recording main-thread long tasks (PerformanceObserver `longtask`), with when they
 * started (ms since the recording began) and what Chromium attributes them to. */
const watchLongTasks = () => page.evaluate(() => {
  window.__longTasks = [];
  const t0 = performance.now();
  window.__longTaskObserver?.disconnect();
  window.__longTaskObserver = new PerformanceObserver((list) =>
    window.__longTasks.push(...list.getEntries().map((e) => ({
      ms: Math.round(e.duration),
      at: Math.round(e.startTime - t0),
      by: (e.attribution ?? []).map((a) => [a.name, a.containerType, a.containerName, a.containerSrc].filter(Boolean).join(" ")).join("; "),
    }))));
  window.__longTaskObserver.observe({ type: "longtask" });
});
const longTasks = () => page.evaluate(() => window.__longTasks);
const over = (tasks) => tasks.filter((t) => t.ms > LONG_MS);

test("the networks run in the worker and give the CLI's top-5 on WebGPU and on the CPU", async () => {
  const s0 = await state(page);
  assert.equal(s0.runsIn.where, "worker");
  assert.equal(await page.locator("[data-testid=runs-in]").getAttribute("data-runs-in"), "worker");
  const reference = cliClassify("lite0", sample("coffee.png"));
  for (const kind of ["webgpu", "cpu"]) {
    await useBackend(kind);
    const s = await clickSample("coffee.png");
    assert.equal(s.lastResult.backend, kind);
    assert.equal(s.lastResult.in_worker, true);
    assertSameTop5(assert, s.lastResult, reference);
    assert.match(await page.locator("[data-testid=latency]").textContent(), /worker busy/);
    // SwiftShader offers no shader-f16, and the CPU computes f16 only when asked: f32 on both.
    assert.equal(s.lastResult.precision, "f32");
    assert.equal(await page.locator("[data-testid=result-precision]").getAttribute("data-precision"), "f32");
    const panel = page.locator("[data-testid=precision]");
    assert.equal(await panel.getAttribute("data-precision"), "f32");
    assert.match(await panel.textContent(), kind === "webgpu" ? /no shader-f16/ : /only used on a GPU/);
  }
  assert.deepEqual(errors, []);
});

/** The main-thread tasks of a trace that ran (CPU time) over `LONG_MS`. */
const busyTasks = (trace) => trace.tasks.filter((t) => t.cpuMs > LONG_MS)
  .map((t) => ({ cpuMs: Math.round(t.cpuMs), wallMs: Math.round(t.wallMs), at: Math.round(t.at) }));

test(`no main-thread task over ${LONG_MS} ms during a CPU classify and 10 s of webcam`, async () => {
  await useBackend("cpu");
  // The measure catches a task that works: busy JavaScript on the page's thread for 250 ms of
  // wall time (over 50 ms of CPU even when the OS gives the thread a fifth of a core).
  const check = await traceMainThread(page);
  await page.waitForTimeout(200); // the renderer records from its next task on
  await page.evaluate(() => { const t = performance.now(); while (performance.now() - t < 250); });
  const checked = await check.stop();
  const caught = busyTasks(checked);
  const longest = checked.tasks.reduce((a, t) => (t.wallMs > (a?.wallMs ?? 0) ? t : a), null);
  assert.ok(caught.length >= 1, `a 250 ms busy loop was not caught; longest task traced: ${JSON.stringify(longest)} of ${checked.tasks.length}`);

  await watchLongTasks();
  let trace = await traceMainThread(page);
  const s = await clickSample("chelsea.png");
  assert.equal(s.lastResult.backend, "cpu");
  const duringClassify = await longTasks();
  const classifyTrace = await trace.stop();

  await watchLongTasks();
  trace = await traceMainThread(page);
  const s0 = await state(page);
  const before = s0.webcam?.frames ?? 0;
  await page.click("[data-testid=webcam-toggle]");
  await page.waitForTimeout(10000);
  const w = await state(page);
  await page.click("[data-testid=webcam-toggle]");
  const duringWebcam = await longTasks();
  const webcamTrace = await trace.stop();
  // Each frame went to the worker as an ImageBitmap (the page's thread never read its pixels),
  // and the worker read it right: the clip is a photo of a cat (ImageNet 281–285).
  assert.ok(w.worker.framesReceived - s0.worker.framesReceived >= (w.webcam?.frames ?? 0) - before,
    `frames moved to the worker: ${w.worker.framesReceived - s0.worker.framesReceived}`);
  assert.equal(w.lastResult.kind, "webcam");
  assert.ok(w.lastResult.top5[0].index >= 281 && w.lastResult.top5[0].index <= 285,
    `webcam top-1: ${JSON.stringify(w.lastResult.top5[0])}`);
  const longestCpu = (t) => Math.round(Math.max(0, ...t.tasks.map((x) => x.cpuMs)));
  console.log(`long tasks (wall time, longtask observer): classify ${JSON.stringify(over(duringClassify))}, ` +
    `webcam ${JSON.stringify(over(duringWebcam))}; longest main-thread task in CPU time: classify ${longestCpu(classifyTrace)} ms ` +
    `of ${classifyTrace.tasks.length} tasks, webcam ${longestCpu(webcamTrace)} ms of ${webcamTrace.tasks.length}; ` +
    `${(w.webcam?.frames ?? 0) - before} webcam frames in 10 s on the CPU; load average ${loadavg().map((l) => l.toFixed(2)).join(" ")}`);
  assert.ok((w.webcam?.frames ?? 0) - before >= 2, `webcam frames: ${JSON.stringify(w.webcam)}`);
  // The trace saw the page's thread all along (it paints the preview: ~1400–1900 tasks in 10 s
  // here; far fewer would mean the trace missed most of the webcam).
  assert.ok(webcamTrace.tasks.length > 300, `main-thread tasks traced during the webcam: ${webcamTrace.tasks.length}`);
  assert.deepEqual(busyTasks(classifyTrace), [], "main-thread tasks working over 50 ms while the worker classified");
  assert.deepEqual(busyTasks(webcamTrace), [], "main-thread tasks working over 50 ms during the webcam");
  await waitFor(page, (s) => !s.webcam?.running, "webcam stopped", 30000);
});

test("switching variant while the worker runs shows only the new variant's result", async () => {
  await useBackend("cpu");
  // Lite2 (260², the slowest of the three) runs while the visitor picks Lite1.
  await clickSample("chelsea.png");
  const { resultCount: b, worker: { imagesReceived: images } } = await state(page);
  await page.click("[data-testid=variant-chip-lite2]");
  // The image on screen is classified again with Lite2 (its network is then loaded and warm),
  // without its pixels crossing to the worker again.
  const l2 = await waitFor(page, (s) => s.lastResult?.variant === "lite2" && s.resultCount > b, "Lite2's result on the CPU", 300000);
  assert.equal(l2.worker.imagesReceived, images, "a re-run sends no image");
  // Every result the page publishes, in order.
  await page.evaluate(() => {
    window.__shown = [];
    let count = window.__effnet.resultCount;
    window.__shownTimer = setInterval(() => {
      const s = window.__effnet;
      if (s.resultCount !== count) {
        count = s.resultCount;
        window.__shown.push(s.lastResult.variant);
      }
    }, 5);
  });
  const before = (await state(page)).resultCount;
  // The visitor picks Lite1 as soon as Lite2 runs on the new photo: clicked from inside the page,
  // so no round trip of the test's own can miss a short run on a busy machine.
  const switched = page.evaluate(() => new Promise((resolve) => {
    const timer = setInterval(() => {
      const s = window.__effnet;
      if (s?.phase === "running" && s.activity.variant === "lite2") {
        clearInterval(timer);
        document.querySelector("[data-testid=variant-chip-lite1]").click();
        resolve();
      }
    }, 1);
  }));
  await page.click('[data-testid="sample-astronaut.png"]');
  await Promise.race([switched, page.waitForTimeout(60000).then(() => { throw new Error("Lite2 never ran on the photo"); })]);
  const s = await waitFor(page, (s) => s.lastResult?.variant === "lite1" && s.resultCount > before, "Lite1's result", 300000);
  await page.waitForTimeout(2000);
  const shown = await page.evaluate(() => { clearInterval(window.__shownTimer); return window.__shown; });
  assert.deepEqual(shown, ["lite1"], `results shown after the switch: ${shown}`);
  assert.equal(s.worker.imagesReceived, images + 1, "the new photo crossed once");
  assert.equal((await state(page)).resultCount, before + 1);
  assertSameTop5(assert, s.lastResult, cliClassify("lite1", sample("astronaut.png")));
  await page.click("[data-testid=variant-chip-lite0]");
  await nextResult(page, s.resultCount, "Lite0 again");
});

test("a worker that crashes is reported and restarted, and the image is classified again", async () => {
  await useBackend("webgpu");
  const s0 = await clickSample("chelsea.png");
  assert.equal(await page.evaluate(() => window.__effnetCrashWorker()), true);
  const crashed = await waitFor(page, (s) => s.error?.kind === "workerRestarted", "the crash's message", 60000);
  assert.match(crashed.error.message, /restarted/);
  assert.doesNotMatch(crashed.error.message, /f16/, "no network computed in f16, so f16 is not blamed");
  assert.ok(await page.getByText(/The engine's worker stopped/).first().isVisible());
  const s = await waitFor(page, (s) => s.resultCount > s0.resultCount && s.runsIn.where === "worker", "a result from the new worker", 300000);
  assert.equal(s.lastResult.backend, "webgpu", "the visitor's backend is kept");
  assert.equal(s.lastResult.input, s0.lastResult.input);
  assert.deepEqual(s.lastResult.top5.map((p) => p.index), s0.lastResult.top5.map((p) => p.index));
  // And the page goes on working (the visitor dismisses the message first).
  await page.click("button.dismiss");
  await waitFor(page, (s) => s.error === null, "the message dismissed", 10000);
  const next = await clickSample("coffee.png");
  assertSameTop5(assert, next.lastResult, cliClassify("lite0", sample("coffee.png")));
  // The only errors are the crash's own (the worker's trap and the page's log of it).
  const unexpected = errors.filter((e) => !/unreachable|worker/i.test(e));
  assert.deepEqual(unexpected, []);
});

test("?worker=off runs the networks on the page's thread, says so, and gives the same top-5", async () => {
  const { page: own, errors: ownErrors } = await open(site.context, `${site.server.url}?worker=off&backend=cpu`, { newTab: true });
  try {
    const s0 = await waitFor(own, (s) => s.started && s.load.state === "loaded", "Lite0 ready on the page's thread", 300000);
    assert.equal(s0.runsIn.where, "page");
    assert.match(s0.runsIn.why, /^the address asks for it/);
    assert.equal(await own.locator("[data-testid=runs-in]").getAttribute("data-runs-in"), "page");
    const before = s0.resultCount;
    await own.click('[data-testid="sample-coffee.png"]');
    const s = await waitFor(own, (s) => (s.resultCount > before && s.lastResult.input.startsWith("coffee.png")) || s.error, "coffee on the page's thread");
    assert.equal(s.error, null, JSON.stringify(s.error));
    assert.equal(s.lastResult.in_worker, false);
    assertSameTop5(assert, s.lastResult, cliClassify("lite0", sample("coffee.png")));
    assert.match(await own.locator("[data-testid=latency]").textContent(), /main thread busy/);
    assert.deepEqual(ownErrors, []);
  } finally {
    await own.close();
  }
});

/** Same top-1 as the CLI's f32 run and the rest within the f16 tolerance of the core's test
 * (crates/effnet/tests/real_weights.rs): probabilities within 0.02; a class in one top-5 but
 * not the other is within 0.02 of the fifth's probability (f16 may swap near-ties). */
function assertTop5WithinF16(result, reference) {
  const ref = reference.top;
  assert.equal(result.top5[0].index, ref[0].index, `top-1 ${JSON.stringify(result.top5)} vs CLI ${JSON.stringify(ref)}`);
  for (const p of result.top5) {
    const r = ref.find((q) => q.index === p.index);
    const bound = r ? r.prob : ref[4].prob;
    assert.ok(Math.abs(p.prob - bound) <= 0.02 || (!r && p.prob <= bound), `${p.label}: ${p.prob} vs CLI ${r?.prob ?? `(not in its top-5; 5th ${bound})`}`);
  }
}

test("?f16=on computes in f16 within the f16 tolerance; after a crash the new worker and later visits compute in f32", async () => {
  // The page's f16 path (a GPU with shader-f16 takes it by default; SwiftShader has none) driven
  // on the CPU backend, which computes f16 when asked.
  const { page: own, errors: ownErrors } = await open(site.context, `${site.server.url}?f16=on&backend=cpu`, { newTab: true });
  try {
    const s0 = await waitFor(own, (s) => s.runsIn.where === "worker" && s.load.state === "loaded", "Lite0 ready in f16", 300000);
    const panel = own.locator("[data-testid=precision]");
    assert.equal(await panel.getAttribute("data-precision"), "f16");
    assert.match(await panel.textContent(), /f16=on/);
    const reference = cliClassify("lite0", sample("coffee.png"));
    await own.click('[data-testid="sample-coffee.png"]');
    const s = await waitFor(own, (s) => (s.resultCount > s0.resultCount && s.lastResult.input.startsWith("coffee.png")) || s.error, "coffee in f16");
    assert.equal(s.error, null, JSON.stringify(s.error));
    assert.equal(s.lastResult.precision, "f16");
    assert.equal(s.lastResult.in_worker, true);
    assert.equal(await own.locator("[data-testid=result-precision]").getAttribute("data-precision"), "f16");
    assertTop5WithinF16(s.lastResult, reference);
    console.log(`f16 top-5 ${JSON.stringify(s.lastResult.top5.map((p) => [p.index, p.prob.toFixed(4)]))}, ` +
      `CLI f32 ${JSON.stringify(reference.top.map((p) => [p.index, p.prob.toFixed(4)]))}`);

    // The worker stops while holding an f16 network: the new one computes in f32, and says so.
    assert.equal(await own.evaluate(() => window.__effnetCrashWorker()), true);
    const crashed = await waitFor(own, (s) => s.error?.kind === "workerRestarted", "the crash's message", 60000);
    assert.match(crashed.error.message, /computing in f32, not f16/);
    const again = await waitFor(own, (s) => s.resultCount > crashed.resultCount && s.runsIn.where === "worker" &&
      s.lastResult?.precision === "f32", "coffee again, in f32", 300000);
    assert.equal(again.lastResult.input, s.lastResult.input);
    assertSameTop5(assert, again.lastResult, reference);
    assert.equal(await panel.getAttribute("data-precision"), "f32");
    assert.match(await panel.textContent(), /f16 failed in this browser/);
    assert.deepEqual(ownErrors.filter((e) => !/unreachable|worker/i.test(e)), []);

    // The browser remembers it: a later visit computes in f32 from the start, and says why.
    assert.match(await own.evaluate(() => localStorage.getItem("effnet.f16-failed")), /^\d{4}-.*Z: /);
    const later = await open(site.context, `${site.server.url}?f16=on&backend=cpu`, { newTab: true });
    try {
      const l0 = await waitFor(later.page, (s) => s.runsIn.where === "worker" && s.load.state === "loaded", "Lite0 ready on a later visit", 300000);
      const laterPanel = later.page.locator("[data-testid=precision]");
      assert.equal(await laterPanel.getAttribute("data-precision"), "f32");
      assert.match(await laterPanel.textContent(), /in this browser/);
      await later.page.click('[data-testid="sample-coffee.png"]');
      const r = await waitFor(later.page, (s) => s.resultCount > l0.resultCount || s.error, "coffee on a later visit");
      assert.equal(r.error, null, JSON.stringify(r.error));
      assert.equal(r.lastResult.precision, "f32");
      assertSameTop5(assert, r.lastResult, reference);
      assert.deepEqual(later.errors, []);
    } finally {
      await later.page.evaluate(() => localStorage.removeItem("effnet.f16-failed"));
      await later.page.close();
    }
  } finally {
    await own.close();
  }
});

/** Lite0's weights package with one change: class 0's bias is 10⁶, stored in f32 (its other
 * biases are the f16 ones, widened). A network computing in f16 holds that bias as ∞, so class
 * 0's score is ∞ for any input (a blank picture's too); in f32 class 0 wins with probability 1. */
function overflowingLite0() {
  const bytes = readFileSync(path.join(ROOT, "static/weights/lite0.safetensors"));
  const headerLength = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString("utf8"));
  const data = bytes.subarray(8 + headerLength);
  const f16 = (h) => {
    const exponent = (h >> 10) & 0x1f, fraction = h & 0x3ff, sign = h >> 15 ? -1 : 1;
    if (exponent === 0) return sign * fraction * 2 ** -24;
    if (exponent === 31) return fraction ? NaN : sign * Infinity;
    return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
  };
  const names = Object.keys(header).filter((k) => k !== "__metadata__")
    .sort((a, b) => header[a].data_offsets[0] - header[b].data_offsets[0]);
  const parts = [];
  let offset = 0;
  for (const name of names) {
    const { dtype, shape, data_offsets: [start, end] } = header[name];
    let part = data.subarray(start, end);
    if (name === "classifier.bias") {
      assert.equal(dtype, "F16", "Lite0's classifier bias");
      const widened = Buffer.alloc(part.length * 2);
      for (let i = 0; i < part.length / 2; i++) widened.writeFloatLE(i === 0 ? 1e6 : f16(part.readUInt16LE(2 * i)), 4 * i);
      part = widened;
      header[name] = { dtype: "F32", shape, data_offsets: [offset, offset + part.length] };
    } else {
      header[name] = { dtype, shape, data_offsets: [offset, offset + part.length] };
    }
    parts.push(part);
    offset += part.length;
  }
  const json = Buffer.from(JSON.stringify(header));
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([length, json, ...parts]);
}

test("scores that are not finite numbers in f16 give a message, then f32: at the warm-up (worker), at an image (page thread)", async () => {
  const crafted = overflowingLite0();
  const manifest = JSON.parse(readFileSync(path.join(DIST, "static/weights/manifest.json"), "utf8"));
  manifest.weights.find((w) => w.variant === "lite0").sha256 = createHash("sha256").update(crafted).digest("hex");
  site.server.override("/static/weights/manifest.json", (req, res) =>
    res.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" }).end(JSON.stringify(manifest)));
  site.server.override(weightsPath("lite0"), (req, res) =>
    res.writeHead(200, { "content-type": "application/octet-stream", "content-length": crafted.length }).end(crafted));
  // A browser of its own: the other tests' cache holds the real Lite0 and no memory of f16 failing.
  const context = await launch({ webgpu: false });
  const f32Result = async (p, where, before) => {
    const again = await waitFor(p, (s) => s.resultCount > before && s.lastResult.input.startsWith("coffee.png"),
      `coffee in f32 (${where})`, 300000);
    assert.equal(again.lastResult.precision, "f32", where);
    assert.equal(again.lastResult.top5[0].index, 0, `${where}: the crafted class wins in f32`);
    assert.ok(again.lastResult.top5[0].prob > 0.99, `${where}: ${again.lastResult.top5[0].prob}`);
    assert.ok(again.lastResult.top5.every((t) => Number.isFinite(t.prob)), where);
    assert.equal(await p.locator("[data-testid=precision]").getAttribute("data-precision"), "f32", where);
    assert.match(await p.locator("[data-testid=precision]").textContent(), /f16 failed in this browser/, where);
    assert.match(await p.evaluate(() => localStorage.getItem("effnet.f16-failed")),
      /^\d{4}-.*Z: the network computed scores that are not finite numbers .*computing in f16/, where);
    await p.evaluate(() => localStorage.removeItem("effnet.f16-failed"));
  };
  try {
    {
      // In the worker, opening on a sample (the default): the sample's first pass fails in f16,
      // before the visitor has chosen anything; the page says so and runs the sample again in f32.
      const { page: p, errors: pErrors } = await open(context, `${site.server.url}?f16=on&backend=cpu`, { newTab: true });
      try {
        const failed = await waitFor(p, (s) => s.error?.kind === "f16Failed", "the opening run's f16 failure (worker)", 300000);
        assert.match(failed.error.message, /^The network computed scores that are not finite numbers .*computing in f16\)\. Networks now compute in f32 in this browser, and the image runs again\.$/);
        assert.equal(failed.resultCount, 0, "no result from the f16 run");
        await f32Result(p, "worker", 0);
        assert.deepEqual(pErrors, []);
      } finally {
        await p.close();
      }
    }
    {
      // On the page's thread, without the warm-up: the image's pass fails in f16 and runs again.
      const url = `${site.server.url}?f16=on&backend=cpu&worker=off&warmup=off`;
      const { page: p, errors: pErrors } = await open(context, url, { newTab: true });
      try {
        const s0 = await waitFor(p, (s) => s.started && s.load.state === "loaded", "crafted Lite0 ready (page)", 300000);
        assert.equal(s0.runsIn.where, "page");
        assert.equal(await p.locator("[data-testid=precision]").getAttribute("data-precision"), "f16");
        await p.click('[data-testid="sample-coffee.png"]');
        const failed = await waitFor(p, (s) => s.error?.kind === "f16Failed", "the image's f16 failure (page)");
        assert.match(failed.error.message, /computing in f16\)\. Networks now compute in f32 in this browser, and the image runs again\.$/);
        assert.equal(failed.resultCount, s0.resultCount, "no result from the f16 run");
        await f32Result(p, "page", s0.resultCount);
        assert.deepEqual(pErrors, []);
      } finally {
        await p.close();
      }
    }
  } finally {
    site.server.clear();
    await context.close();
  }
});

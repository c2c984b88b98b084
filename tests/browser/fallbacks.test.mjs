// Without WebGPU the page falls back to burn's CPU backend and says so; webcam: a fake camera
// keeps predictions coming until stopped; no camera gives a clear message.
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { ROOT, serve, launch, open, state, waitFor, nextResult, cliClassify, assertSameTop5,
  fakeWebcamClip, foreignRequests, screenshot } from "./lib.mjs";

const sample = (f) => path.join(ROOT, "static/samples", f);

test("no WebGPU: CPU fallback with a notice, same top-5", async () => {
  const server = await serve();
  const context = await launch({ webgpu: false });
  try {
    const { page, errors, urls } = await open(context, server.url);
    const s = await waitFor(page, (s) => s.started, "ready", 180000);
    assert.equal(s.backend, "cpu");
    assert.ok(s.notice && /WebGPU/i.test(s.notice), `notice: ${s.notice}`);
    assert.ok(await page.locator("[data-testid=backend-notice]").isVisible());
    const before = s.resultCount;
    await page.click('[data-testid="sample-coffee.png"]');
    const r = await nextResult(page, before, "cpu result");
    assert.equal(r.error, null, JSON.stringify(r.error));
    assert.equal(r.lastResult.backend, "cpu");
    const reference = cliClassify("lite0", sample("coffee.png"));
    assertSameTop5(assert, r.lastResult, reference);
    assert.equal(r.wasmSimd, true, "the CPU backend's matrix products use wasm SIMD");
    await screenshot(page, "cpu-fallback");
    assert.deepEqual(errors, []);
    assert.deepEqual(foreignRequests(urls, server.origin), []);
    // The scalar kernels (?simd=off, the bench's comparison) compute the same.
    const scalar = await open(context, server.url + "?simd=off");
    const s2 = await waitFor(scalar.page, (s) => s.started, "ready (?simd=off)", 180000);
    assert.equal(s2.wasmSimd, false);
    await scalar.page.click('[data-testid="sample-coffee.png"]');
    const r2 = await nextResult(scalar.page, s2.resultCount, "cpu result (?simd=off)");
    assertSameTop5(assert, r2.lastResult, reference);
    assert.deepEqual(scalar.errors, []);
  } finally {
    await context.close();
    await server.close();
  }
});

test("fake webcam: predictions keep coming, stop stops them", async () => {
  const server = await serve();
  const context = await launch({ webgpu: false, webcam: await fakeWebcamClip() });
  try {
    const { page } = await open(context, server.url);
    await waitFor(page, (s) => s.started, "ready", 180000);
    await page.click("[data-testid=webcam-toggle]");
    const s = await waitFor(page, (s) => (s.webcam?.frames ?? 0) >= 3 || s.error, "3 webcam frames");
    assert.equal(s.error, null, JSON.stringify(s.error));
    assert.ok(await page.locator("[data-testid=webcam-stats]").isVisible());
    await screenshot(page, "webcam");
    await page.click("[data-testid=webcam-toggle]");
    await page.waitForTimeout(1500);
    const stopped = (await state(page)).resultCount;
    await page.waitForTimeout(3000);
    assert.equal((await state(page)).resultCount, stopped, "results kept coming after stop");
  } finally {
    await context.close();
    await server.close();
  }
});

test("no camera: a clear message, the page still classifies", async () => {
  const server = await serve();
  const context = await launch({ webgpu: false, webcam: "none" });
  try {
    const { page } = await open(context, server.url);
    await waitFor(page, (s) => s.started, "ready", 180000);
    await page.click("[data-testid=webcam-toggle]");
    const s = await waitFor(page, (s) => s.error, "camera error", 60000);
    assert.match(s.error.message, /camera|webcam/i);
    const before = s.resultCount;
    await page.click('[data-testid="sample-coffee.png"]');
    const r = await waitFor(page, (s) => s.resultCount > before, "result after camera error");
    assert.equal(r.lastResult.top5[0].label, "espresso");
  } finally {
    await context.close();
    await server.close();
  }
});

test("bench mode measures load, cold and warm latency", async () => {
  const server = await serve();
  const context = await launch({ webgpu: false });
  try {
    const { page, errors } = await open(context, server.url + "?bench&variants=lite0,b0&runs=2&backend=cpu");
    const s = await waitFor(page, (s) => s.bench?.done, "bench done");
    assert.equal(s.bench.error ?? null, null);
    assert.deepEqual(s.bench.rows.map((r) => r.variant), ["lite0", "b0"]);
    for (const r of s.bench.rows) {
      assert.ok(r.cold_ms > 0 && r.warm_median_ms > 0 && r.load_ms >= 0, JSON.stringify(r));
      assert.ok(r.warm_min_ms <= r.warm_median_ms && r.warm_median_ms <= r.warm_max_ms, JSON.stringify(r));
    }
    assert.equal(s.bench.rows[0].pretrained, true);
    assert.equal(s.bench.rows[1].pretrained, false);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
    await server.close();
  }
});

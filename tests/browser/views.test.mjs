// The views for comparing variants (issue 4) and responsiveness on the CPU backend: activation
// maps land on the object (WebGPU), the compare view equals single-variant runs, the charts
// plot what was measured, the φ explorer follows the formula, the architecture picture follows
// the shared config (screenshots of every view: a11y.test.mjs).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { state, waitFor, nextResult, cliDescribe, startSite, busy } from "./lib.mjs";

let site, page, errors;

before(async () => { site = await startSite({ webgpu: true, query: "backend=webgpu" }); ({ page, errors } = site); });
after(() => site?.close());

/** Drops a 640×640 grey image with the cat photo (300×200) drawn at (`x`, `y`). */
async function dropCatAt(x, y) {
  const before = (await state(page)).resultCount;
  await page.evaluate(async ([x, y]) => {
    const photo = await createImageBitmap(await (await fetch("static/samples/chelsea.png")).blob());
    const canvas = new OffscreenCanvas(640, 640);
    const ctx = canvas.getContext("2d");
    ctx.fillStyle = "#808080";
    ctx.fillRect(0, 0, 640, 640);
    ctx.drawImage(photo, x, y, 300, 200);
    const blob = await canvas.convertToBlob({ type: "image/png" });
    const dt = new DataTransfer();
    dt.items.add(new File([blob], `cat-at-${x}-${y}.png`, { type: "image/png" }));
    for (const t of ["dragenter", "dragover", "drop"]) {
      document.body.dispatchEvent(new DragEvent(t, { bubbles: true, cancelable: true, dataTransfer: dt }));
    }
  }, [x, y]);
  return nextResult(page, before, `result for the cat at ${x},${y}`);
}

test("the activation map of the top class peaks on the cat, wherever the cat is (Lite0, WebGPU)", async () => {
  // Lite0 crops the centre 560×560 of the 640×640 image (offset 40) and scales it by 0.4.
  const toCrop = (v) => (v - 40) * 0.4;
  for (const [x, y] of [[330, 420], [20, 30]]) {
    const s = await dropCatAt(x, y);
    assert.equal(s.error, null, JSON.stringify(s.error));
    assert.equal(s.lastResult.backend, "webgpu");
    assert.match(s.lastResult.top5[0].label, /cat|tabby|lynx/, JSON.stringify(s.lastResult.top5));
    const [px, py] = s.lastResult.cam_peak;
    // The peak cell's centre lies in the cat's box (cropped to the crop), give or take half a
    // 32-pixel cell.
    const box = [toCrop(x), toCrop(y), toCrop(x + 300), toCrop(y + 200)].map((v) => Math.min(224, Math.max(0, v)));
    assert.ok(px >= box[0] - 16 && px <= box[2] + 16 && py >= box[1] - 16 && py <= box[3] + 16,
      `peak (${px}, ${py}) outside the cat's box ${box}`);
    const cam = page.locator("[data-testid=crop] canvas[data-role=cam]");
    assert.equal(await cam.getAttribute("data-class"), String(s.lastResult.top5[0].index));
  }
  // Clicking another class shows that class's map; the opacity slider sets the overlay's opacity.
  const second = (await state(page)).lastResult.top5[1].index;
  await page.click("[data-testid=prediction-1]");
  await page.waitForFunction((c) => document.querySelector("[data-testid=crop] canvas[data-role=cam]")?.dataset.class === String(c), second);
  await page.locator("[data-testid=cam-opacity]").first().fill("80");
  // Set through the CSSOM (the CSP allows no style attributes): the computed opacity is 0.8.
  assert.equal(await page.locator("[data-testid=crop] canvas[data-role=cam]").evaluate((c) => getComputedStyle(c).opacity), "0.8");
  await page.locator("[data-testid=cam-toggle]").first().uncheck();
  assert.equal(await page.locator("[data-testid=crop] canvas[data-role=cam]").isVisible(), false);
  await page.locator("[data-testid=cam-toggle]").first().check();
  assert.deepEqual(errors, []);
});

test("the CPU backend yields to the page between blocks", async () => {
  await page.click("[data-testid=use-cpu]");
  await waitFor(page, (s) => s.backend === "cpu" && !busy(s), "the CPU backend", 120000);
  // Count timer callbacks while a forward pass runs: a pass that never yields lets none run.
  await page.evaluate(() => { window.__ticks = 0; window.__timer = setInterval(() => window.__ticks++, 5); });
  const before = (await state(page)).resultCount;
  await page.click('[data-testid="sample-coffee.png"]');
  const s = await nextResult(page, before, "coffee on the CPU");
  const ticks = await page.evaluate(() => { clearInterval(window.__timer); return window.__ticks; });
  assert.equal(s.lastResult.backend, "cpu");
  assert.ok(s.lastResult.yields >= 2, `the pass gave the event loop ${s.lastResult.yields} turns`);
  assert.ok(ticks >= s.lastResult.yields, `${ticks} timer callbacks ran during ${s.lastResult.yields} yields`);
});

test("compare view: every pretrained variant by default, cards equal the single-variant results", async () => {
  if ((await state(page)).backend !== "cpu") await page.click("[data-testid=use-cpu]");
  await waitFor(page, (s) => s.backend === "cpu", "the CPU backend", 60000);
  // Single-variant references on the CPU backend (Lite0 is the variant on screen).
  const single = {};
  const before = (await state(page)).resultCount;
  await page.click('[data-testid="sample-chelsea.png"]');
  single.lite0 = (await waitFor(page, (s) => s.resultCount > before && s.lastResult?.input.startsWith("chelsea"), "chelsea", 120000)).lastResult;
  assert.equal(single.lite0.variant, "lite0");
  const b = (await state(page)).resultCount;
  await page.click("[data-testid=variant-row-lite1]");
  single.lite1 = (await waitFor(page, (s) => s.resultCount > b && s.lastResult?.variant === "lite1", "lite1 on chelsea", 120000)).lastResult;

  await page.click("[data-testid=tab-compare]");
  const pretrained = (await state(page)).manifest.variants;
  for (const v of ["lite0", "lite1", "lite2", "lite3", "b0"]) {
    assert.equal(await page.locator(`[data-testid=compare-tick-${v}]`).isChecked(), pretrained.includes(v), v);
  }
  const runs = (await state(page)).compare.runs;
  await page.click("[data-testid=compare-run]");
  const s = await waitFor(page, (s) => s.compare.runs > runs, "the compare run", 300000);
  assert.deepEqual(s.compare.cards.map((c) => c.variant), pretrained);
  for (const v of ["lite0", "lite1"]) {
    const card = s.compare.cards.find((c) => c.variant === v);
    assert.equal(card.error, null);
    assert.deepEqual(card.top5.map((p) => p.index), single[v].top5.map((p) => p.index), v);
    card.top5.forEach((p, i) => assert.ok(Math.abs(p.prob - single[v].top5[i].prob) < 1e-6, `${v} ${p.label}`));
    assert.equal(card.crop_size, single[v].crop_size);
    assert.ok(card.latency_ms > 0 && card.cam_peak, v);
    await page.locator(`[data-testid=compare-card-${v}] canvas[data-role=cam]`).waitFor();
  }
  assert.match(await page.locator("[data-testid=compare-summary]").innerText(), /agree|say/);

  // Every card's latency is a point of the latency chart, at the measured warm median.
  await page.click("[data-testid=tab-scaling]");
  const measured = (await state(page)).measured.filter((m) => m.backend === "cpu");
  assert.ok(measured.length >= pretrained.length, JSON.stringify(measured));
  for (const m of measured) {
    const point = page.locator(`[data-testid=chart-latency-point-${m.variant}]`);
    const ms = m.measured.warm_median_ms ?? m.measured.cold_ms;
    assert.ok(Math.abs(Number(await point.getAttribute("data-x")) - ms) < 1e-2, m.variant);
    await point.locator("circle").hover();
    // The hover shows the median in whole milliseconds (Rust rounds a half to even, JS's toFixed
    // away from zero: compare numbers, not strings).
    const hover = await page.locator("[data-testid=chart-latency-hover]").innerText();
    const shown = Number(/([\d.]+) ms/.exec(hover)?.[1]);
    assert.ok(Math.abs(shown - ms) <= 0.5 + 1e-9, `${hover} vs ${ms}`);
  }
  const described = cliDescribe();
  for (const d of described) {
    const point = page.locator(`[data-testid=chart-flops-point-${d.name}]`);
    assert.ok(Math.abs(Number(await point.getAttribute("data-x")) - d.flops / 1e9) < 1e-3, d.name);
  }
  assert.deepEqual(errors, []);
});

test("φ explorer follows d = 1.2^φ, w = 1.1^φ, r = 1.15^φ·224 and shows the published presets", async () => {
  await page.click("[data-testid=tab-scaling]");
  const table = Object.fromEntries(cliDescribe().map((d) => [d.name, d]));
  const facts = page.locator("[data-testid=explorer-facts]");
  for (let phi = 0; phi <= 7; phi++) {
    await page.locator("[data-testid=phi]").fill(String(phi));
    await page.waitForFunction((p) => document.querySelector("[data-testid=explorer-facts]").dataset.phi === p.toFixed(1), phi);
    assert.ok(Math.abs(Number(await facts.getAttribute("data-width")) - 1.1 ** phi) < 1e-4, `w at φ=${phi}`);
    assert.ok(Math.abs(Number(await facts.getAttribute("data-depth")) - 1.2 ** phi) < 1e-4, `d at φ=${phi}`);
    assert.equal(Number(await facts.getAttribute("data-resolution")), Math.round((224 * 1.15 ** phi) / 4) * 4, `r at φ=${phi}`);
    const preset = table[`b${phi}`];
    const official = await page.locator("[data-testid=explorer-official]").innerText();
    assert.ok(official.includes(`w = ${preset.width.toFixed(2)}, d = ${preset.depth.toFixed(2)}, r = ${preset.resolution}`), `${official} vs ${JSON.stringify(preset)}`);
  }
  // At φ = 0 the configuration is B0: same params and FLOPs as the preset.
  await page.locator("[data-testid=phi]").fill("0");
  await page.waitForFunction(() => document.querySelector("[data-testid=explorer-facts]").dataset.phi === "0.0");
  assert.equal(Number(await facts.getAttribute("data-params")), table.b0.params);
  assert.equal(Number(await facts.getAttribute("data-flops")), table.b0.flops);
  // A custom configuration runs here, marked as random.
  await page.locator("[data-testid=width]").fill("0.5");
  await page.locator("[data-testid=resolution]").fill("128");
  await page.click("[data-testid=explorer-run]");
  await page.waitForFunction(() => ["done", "failed"].includes(document.querySelector("[data-testid=explorer-timing]").dataset.state),
    null, { timeout: 120000 });
  assert.equal(await page.locator("[data-testid=explorer-timing]").getAttribute("data-state"), "done");
  assert.match(await page.locator("[data-testid=explorer-timing]").innerText(), /second \d+ ms/);
  assert.match(await page.locator("[data-testid=explorer-timing]").innerText(), /Random initialisation/);
});

test("the architecture picture draws each preset's stages from the shared config", async () => {
  await page.click("[data-testid=tab-scaling]");
  for (const d of cliDescribe().filter((d) => ["b0", "b7", "lite2"].includes(d.name))) {
    await page.click(`[data-testid=variant-chip-${d.name}]`);
    const svg = page.locator("[data-testid=arch-picture]");
    await page.waitForFunction((r) => document.querySelector("[data-testid=arch-picture]").dataset.resolution === String(r), d.resolution);
    const stages = await svg.locator("g.stage").evaluateAll((gs) => gs.map((g) => [Number(g.dataset.channels), Number(g.dataset.repeats)]));
    assert.deepEqual(stages, d.stages.map((s) => [s.out_channels, s.repeats]), d.name);
  }
});

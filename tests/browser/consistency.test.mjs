// The page never contradicts itself (issue 25): a seeded random interleaving of what a hurried
// visitor does — sample clicks, uploads, variant and backend switches, compare runs, tab changes,
// the webcam on and off, with and without waiting — and after each settled step the status
// line, the input's name, the crop's caption and the result all name the same request (or the
// result is plainly marked as the previous one), and nothing says "Running" while the engine
// is idle. On both backends (`?backend=cpu`, `?backend=webgpu`: SwiftShader), each a seed of
// its own; `EFFNET_CONSISTENCY_SEED` replays one.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { ROOT, serve, launch, open, state, busy, fakeWebcamClip } from "./lib.mjs";

const STEPS = Number(process.env.EFFNET_CONSISTENCY_STEPS ?? 40);
const SAMPLES = ["chelsea.png", "coffee.png", "camera.png", "rocket.jpg"];

/** A small seeded generator (mulberry32), so a failing sequence can be replayed. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6D2B79F5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The page's state and everything a visitor reads that names a request, from the DOM, read
 * together in one task after a frame (so both are of the same moment). */
const snapshot = (page) => page.evaluate(async () => {
  await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
  const at = (id) => document.querySelector(`[data-testid=${id}]`);
  const visible = (e) => !!e && e.offsetParent !== null;
  const result = at("result");
  return {
    s: window.__effnet,
    dom: {
      status: { text: at("status")?.textContent ?? "", generation: at("status")?.dataset.generation ?? null },
      input: { text: at("input-name")?.textContent ?? "", generation: at("input-name")?.dataset.generation ?? null },
      caption: { text: at("crop-caption")?.textContent ?? "", generation: at("crop-caption")?.dataset.generation ?? null },
      result: result ? { generation: result.dataset.generation, stale: result.dataset.stale === "true",
        input: result.dataset.input, visible: visible(result), staleLabel: visible(at("stale-label")) } : null,
    },
  };
});

/** The checks of a settled step. */
function checkSettled(s, dom, where) {
  const g = String(s.generation);
  assert.equal(s.phase === "idle" || s.phase === "webcam", true, `${where}: settled in ${s.phase}`);
  if (s.phase === "idle") assert.equal(s.engineBusy, false, `${where}: the engine is idle`);
  assert.equal(dom.status.generation, g, `${where}: the status names request ${dom.status.generation}, not ${g}`);
  assert.doesNotMatch(dom.status.text, /Running|Loading|Decoding|Warming/, `${where}: "${dom.status.text}" while idle`);
  if (s.input) {
    assert.equal(dom.input.generation, g, `${where}: the input line names another request`);
    assert.ok(dom.input.text.includes(s.input), `${where}: input line "${dom.input.text}" vs ${s.input}`);
  }
  if (!dom.result) return;
  if (dom.result.generation === g) {
    assert.equal(dom.result.stale, false, `${where}: the current result is marked stale`);
    assert.equal(dom.caption.generation, g, `${where}: the caption names another request`);
    if (s.input && s.phase !== "webcam") {
      assert.equal(dom.result.input, s.input, `${where}: result of ${dom.result.input} under input ${s.input}`);
      assert.ok(dom.caption.text.includes(s.input), `${where}: caption "${dom.caption.text}" vs ${s.input}`);
    }
  } else {
    assert.equal(dom.result.stale, true, `${where}: result of request ${dom.result.generation} shown as current under ${g}`);
    // Where the result is on screen (the Classify tab), so is its label.
    if (dom.result.visible) assert.equal(dom.result.staleLabel, true, `${where}: a previous result without its label`);
  }
}

// The webcam's request runs frame after frame: settled there means its phase, not an idle engine.
const isSettled = (s) => s && s.started && !busy(s) && (s.phase === "webcam" || !s.engineBusy) &&
  s.compare.running === false;

/** Waits until the page is settled — the same request, idle, on two readings a quarter of a
 * second apart — and returns a snapshot of that moment. */
async function settle(page, where, timeout = 600000) {
  const start = Date.now();
  let last = null;
  while (Date.now() - start < timeout) {
    const snap = await snapshot(page);
    if (isSettled(snap.s) && last && isSettled(last.s) && last.s.generation === snap.s.generation) return snap;
    last = snap;
    await page.waitForTimeout(250);
  }
  throw new Error(`${where}: not settled: ${JSON.stringify(last?.s)?.slice(0, 1500)}`);
}

async function interleave(backend, seed) {
  const server = await serve();
  const context = await launch({ webgpu: backend === "webgpu", webcam: await fakeWebcamClip() });
  const random = rng(seed);
  const pick = (xs) => xs[Math.floor(random() * xs.length)];
  const log = [];
  try {
    const { page, errors } = await open(context, `${server.url}?backend=${backend}`);
    await settle(page, "start");
    const pretrained = (await state(page)).manifest.variants.filter((v) => v.startsWith("lite"));
    const variants = pretrained.length >= 2 ? pretrained.slice(0, 2) : ["lite0", "lite1"];
    const photo = readFileSync(path.join(ROOT, "static/samples/chelsea.png"));
    const actions = {
      sample: async () => page.click(`[data-testid="sample-${pick(SAMPLES)}"]`),
      upload: async () => page.setInputFiles("[data-testid=file-input]",
        { name: `upload-${Math.floor(random() * 1000)}.png`, mimeType: "image/png", buffer: photo }),
      variant: async () => page.click(`[data-testid=variant-chip-${pick(variants)}]`),
      backend: async () => {
        const other = (await state(page)).backend === "cpu" ? "webgpu" : "cpu";
        const button = page.locator(`[data-testid=use-${other}]`);
        if (await button.isEnabled()) await button.click();
      },
      compare: async () => {
        await page.click("[data-testid=tab-compare]");
        const run = page.locator("[data-testid=compare-run]");
        if (await run.isEnabled()) await run.click();
      },
      tab: async () => page.click(`[data-testid=tab-${pick(["classify", "compare", "scaling"])}]`),
      webcam: async () => {
        await page.click("[data-testid=tab-classify]");
        await page.click("[data-testid=webcam-toggle]");
      },
    };
    // Compare runs every ticked variant: keep it to the two small ones.
    await page.click("[data-testid=tab-compare]");
    for (const tick of await page.locator("[data-testid^=compare-tick-]").all()) {
      const v = (await tick.getAttribute("data-testid")).replace("compare-tick-", "");
      if ((await tick.isChecked()) !== variants.includes(v)) await tick.click();
    }
    await page.click("[data-testid=tab-classify]");
    const names = Object.keys(actions);
    for (let i = 0; i < STEPS; i++) {
      const name = pick(names);
      const wait = random() < 0.5;
      log.push(`${name}${wait ? "" : " (no wait)"}`);
      await actions[name]();
      if (!wait && i < STEPS - 1) {
        await page.waitForTimeout(Math.floor(random() * 300));
        continue;
      }
      const { s, dom } = await settle(page, `step ${i} (${log.join(", ")})`);
      checkSettled(s, dom, `step ${i}: ${name} [seed ${seed}; ${log.slice(-6).join(", ")}]`);
      // The webcam runs until stopped; a settled step with it on checks it too, then stops it.
      if (s.webcam.running && random() < 0.5) {
        await page.click("[data-testid=tab-classify]");
        await page.click("[data-testid=webcam-toggle]");
        log.push("webcam off");
        const off = await settle(page, `step ${i}: webcam off`);
        checkSettled(off.s, off.dom, `step ${i}: webcam off [seed ${seed}]`);
      }
    }
    if ((await state(page)).webcam.running) await page.click("[data-testid=webcam-toggle]");
    const end = await settle(page, "the end");
    checkSettled(end.s, end.dom, `the end [seed ${seed}]`);
    assert.deepEqual(errors, [], "console errors");
    console.log(`${backend}: ${STEPS} steps, seed ${seed}: ${log.join(", ")}`);
  } finally {
    await context.close();
    await server.close();
  }
}

const seed = (backend) => Number(process.env.EFFNET_CONSISTENCY_SEED ?? (backend === "cpu" ? 20261204 : 4122026));

test("a hurried visitor on the CPU backend: the page never contradicts itself", { timeout: 1800000 }, () =>
  interleave("cpu", seed("cpu")));

test("a hurried visitor on WebGPU: the page never contradicts itself", { timeout: 1800000 }, () =>
  interleave("webgpu", seed("webgpu")));

// A visitor's second look (issue 25): the page picks the faster backend by measurement and says
// why, keeps the old result while a variant loads (with an estimate, progress and a Cancel that
// goes back), counts what the visitor waited and where it went, fits a phone, explains its
// activation map, and handles the small things (a text file named .jpg, a tiny picture, a
// paste's name, the gallery's mark). Screenshots of every view, light and dark, at both widths,
// go to target/browser-artifacts (and docs/design.md).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import path from "node:path";
import { ROOT, state, waitFor, busy, settled, clickSample, upload, startSite, screenshot, open } from "./lib.mjs";

const sample = (f) => path.join(ROOT, "static/samples", f);
let site, page, errors;

// No backend in the address: on SwiftShader (a software adapter) the page picks the CPU itself.
before(async () => { site = await startSite({ webgpu: true }); ({ page, errors } = site); });
after(() => site?.close());

test("a software WebGPU adapter: the page runs on the CPU, says why in one line, and the visitor can still switch", async () => {
  const s = await waitFor(page, settled, "the opening result", 300000);
  assert.equal(s.gpu.state, "ready");
  assert.equal(s.gpu.adapter.fallback, true, "SwiftShader is a fallback adapter");
  assert.equal(s.backend, "cpu");
  assert.equal(s.choice.kind, "softwareGpu");
  const line = await page.locator("[data-testid=backend-line]").innerText();
  assert.equal(line, s.notice);
  assert.match(line, /CPU/);
  assert.doesNotMatch(line, /slower\)/, "the CPU is not called the slower one");
  // The visitor switches: their choice stands, and the line then names both latencies.
  await page.click("[data-testid=use-webgpu]");
  const g = await waitFor(page, (s) => s.backend === "webgpu" && s.resultCount > 1 && !busy(s) && s.lastResult.backend === "webgpu",
    "the same image on WebGPU", 300000);
  assert.equal(g.choice.kind, "asked");
  await page.click("[data-testid=use-cpu]");
  const c = await waitFor(page, (s) => s.backend === "cpu" && s.lastResult.backend === "cpu" && !busy(s), "back on the CPU", 300000);
  assert.match(c.notice, /CPU: \d+ ms a run here, WebGPU \(software adapter\) [\d.]+ (ms|s)/, c.notice);
  assert.deepEqual(errors, []);
});

test("?backend=webgpu forces WebGPU on a software adapter (a shareable link)", async () => {
  const other = await open(site.context, `${site.server.url}?backend=webgpu&warmup=off`, { newTab: true });
  try {
    const s = await waitFor(other.page, (s) => s.started, "started", 180000);
    assert.equal(s.backend, "webgpu");
    assert.equal(s.choice.kind, "asked");
    assert.match(s.notice, /\?backend=webgpu/);
  } finally {
    await other.page.close();
  }
});

test("a variant switch keeps the old result, labelled, with an estimate, progress and a Cancel that goes back", async () => {
  const first = await clickSample(page, "chelsea.png");
  assert.equal(first.lastResult.variant, "lite0");
  // Lite2 has not run here: its first run is cold, estimated from Lite0's latencies and FLOPs.
  await page.click("[data-testid=variant-chip-lite2]");
  const loading = await waitFor(page, (s) => s.phase === "loading" || s.phase === "running", "Lite2 on its way", 60000);
  assert.equal(loading.lastResult.variant, "lite0", "the old result stays");
  assert.equal(await page.locator("[data-testid=result]").getAttribute("data-stale"), "true");
  assert.ok(await page.locator("[data-testid=stale-label]").isVisible(), "labelled as the previous result");
  assert.ok(await page.locator("[data-testid=crop]").isVisible(), "the old picture stays too");
  const switching = page.locator("[data-testid=switching]");
  assert.ok(await switching.isVisible());
  assert.ok(Number(await switching.getAttribute("data-estimate-ms")) > 0, "an estimate from what was measured");
  assert.ok(await page.locator("[data-testid=switch-progress]").isVisible());
  // Cancel: back to Lite0, whose network is in memory; its result on the same picture.
  await page.click("[data-testid=switch-cancel]");
  const back = await waitFor(page, (s) => s.variant === "lite0" && !busy(s) && s.lastResult.generation === s.generation,
    "Lite0 again", 120000);
  assert.equal(back.lastResult.variant, "lite0");
  assert.equal(back.lastResult.input, first.lastResult.input);
  assert.deepEqual(back.lastResult.top5.map((p) => p.index), first.lastResult.top5.map((p) => p.index));
  assert.equal(await page.locator("[data-testid=result]").getAttribute("data-stale"), "false");
  // Letting a switch finish replaces the old result.
  await page.click("[data-testid=variant-chip-lite1]");
  const l1 = await waitFor(page, (s) => s.lastResult.variant === "lite1" && !busy(s), "Lite1's result", 300000);
  assert.equal(l1.lastResult.generation, l1.generation);
  await page.click("[data-testid=variant-chip-lite0]");
  await waitFor(page, (s) => s.lastResult.variant === "lite0" && !busy(s), "Lite0 again", 300000);
});

test("what the visitor waited, and its parts, which add up to it", async () => {
  for (const file of ["coffee.png", "rocket.jpg"]) {
    const s = await clickSample(page, file);
    const r = s.lastResult;
    const sum = Object.values(r.parts).reduce((a, b) => a + b, 0);
    // Tolerance: what the parts do not cover is drawing the result and the page's own small
    // overheads (messages, the status's paint): at most 50 ms or 15 % of the wait.
    assert.ok(sum <= r.waited_ms + 1, `${file}: parts ${sum} > waited ${r.waited_ms}`);
    assert.ok(r.waited_ms - sum <= Math.max(50, 0.15 * r.waited_ms), `${file}: waited ${r.waited_ms}, parts ${JSON.stringify(r.parts)}`);
    assert.ok(r.parts.before_ms > 0, "decoding the photo counts");
    assert.ok(r.parts.run_ms > 0);
    const text = await page.locator("[data-testid=waited]").innerText();
    assert.match(text, /^You waited [\d.]+ (ms|s): /);
  }
});

test("the activation map: a legend and a sentence; on random weights it is hidden and says so", async () => {
  const s = await clickSample(page, "chelsea.png");
  assert.ok(await page.locator("[data-testid=cam-legend]").isVisible());
  const sentence = await page.locator("[data-testid=map-sentence]").innerText();
  assert.ok(sentence.includes(s.lastResult.top5[0].label), sentence);
  // B0 has no weights here: random, its map meaningless.
  if (!s.manifest.variants.includes("b0")) {
    await page.click("[data-testid=variant-chip-b0]");
    const b0 = await waitFor(page, (s) => s.lastResult.variant === "b0" && !busy(s), "B0's result", 300000);
    assert.equal(b0.lastResult.pretrained, false);
    assert.equal(await page.locator("[data-testid=crop] canvas[data-role=cam]").count(), 0, "no map drawn");
    assert.equal(await page.locator("[data-testid=map-sentence]").getAttribute("data-meaningful"), "false");
    assert.match(await page.locator("[data-testid=announce]").textContent(), /random weights/);
    await page.click("[data-testid=variant-chip-lite0]");
    await waitFor(page, (s) => s.lastResult.variant === "lite0" && !busy(s), "Lite0 again", 300000);
  }
});

test("the small things: a text file named .jpg, a tiny picture, a paste's name, the gallery's mark", async () => {
  const text = await upload(page, { name: "notes.jpg", mimeType: "image/jpeg", buffer: Buffer.from("not a photo at all\n") });
  assert.equal(text.error.kind, "input");
  assert.equal(text.error.cause, "refused");
  assert.doesNotMatch(text.error.message, /InvalidStateError|could not be decoded\./, "no raw browser words");
  assert.match(text.error.message, /^notes\.jpg: this is not a picture this browser can read/);
  // A 16×16 picture: enlarged, and the page says so.
  const tiny = path.join(ROOT, "target/tiny-16.png");
  execFileSync("ffmpeg", ["-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=16x16", "-frames:v", "1", tiny]);
  const t = await upload(page, { name: "tiny.png", mimeType: "image/png", buffer: readFileSync(tiny) });
  assert.equal(t.error, null, JSON.stringify(t.error));
  assert.match(await page.locator("[data-testid=enlarged]").innerText(), /16×16.*enlarged/);
  assert.equal(t.sample, null, "an upload is no sample");
  assert.equal(await page.locator("[data-testid=gallery] .sample.current").count(), 0, "no sample marked after an upload");
  // A pasted image keeps its name, marked as pasted.
  const before = (await state(page)).resultCount;
  await page.evaluate(async (b64) => {
    const data = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const dt = new DataTransfer();
    dt.items.add(new File([data], "image.png", { type: "image/png" }));
    document.body.dispatchEvent(new ClipboardEvent("paste", { bubbles: true, cancelable: true, clipboardData: dt }));
  }, readFileSync(sample("chelsea.png")).toString("base64"));
  const pasted = await waitFor(page, (s) => s.resultCount > before && !busy(s), "the pasted image", 120000);
  assert.match(pasted.input, /^image\.png \(pasted\)/);
  assert.doesNotMatch(pasted.input, /pasted pasted/);
  const s = await clickSample(page, "camera.png");
  assert.equal(s.sample, "camera.png");
  assert.equal(await page.locator("[data-testid=gallery] .sample.current").getAttribute("data-testid"), "sample-camera.png");
  // The variant table's rows are no Tab stops (the switcher is the keyboard's way).
  assert.equal(await page.locator("[data-testid^=variant-row-][tabindex]").count(), 0);
  assert.deepEqual(errors, []);
});

test("a phone: the chosen chip in view, tabs on one line, the answer in view after a tap, no clipped text in the scaling view", async (t) => {
  t.after(async () => {
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.click("[data-testid=tab-classify]");
  });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.evaluate(() => window.scrollTo(0, 0));
  const chip = await page.locator(`[data-testid=variant-chip-${(await state(page)).variant}]`).boundingBox();
  assert.ok(chip && chip.x >= 0 && chip.x + chip.width <= 390, `the chosen chip at ${JSON.stringify(chip)}`);
  const tabs = await page.locator("[role=tab]").evaluateAll((ts) => ts.map((t) => t.getBoundingClientRect().top));
  assert.equal(new Set(tabs.map(Math.round)).size, 1, `tabs on ${new Set(tabs).size} lines`);
  const s = await clickSample(page, "coffee.png");
  const answer = await page.locator("[data-testid=answer]").boundingBox();
  assert.ok(answer.y >= 0 && answer.y + answer.height <= 844, `the answer at ${JSON.stringify(answer)} after the tap`);
  assert.match(await page.locator("[data-testid=answer]").innerText(), new RegExp(`${s.lastResult.top5[0].label}[\\s\\S]*%`));
  await page.click("[data-testid=tab-scaling]");
  const clipped = await page.evaluate(() => [...document.querySelectorAll(".wide *")]
    .filter((e) => e.getClientRects().length && e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX !== "visible")
    .map((e) => `${e.tagName}.${e.className?.baseVal ?? e.className}: ${e.scrollWidth} > ${e.clientWidth}`));
  assert.deepEqual(clipped, [], "elements whose content is wider than they are");
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.equal(overflow, 0, "nothing scrolls sideways");
  await page.click("[data-testid=tab-classify]");
  await page.setViewportSize({ width: 1280, height: 800 });
});

test("screenshots of every view, light and dark, at both widths", async () => {
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.click("[data-testid=tab-classify]");
  await clickSample(page, "chelsea.png");
  for (const scheme of ["light", "dark"]) {
    await page.emulateMedia({ colorScheme: scheme });
    for (const [w, h] of [[1280, 800], [390, 844]]) {
      await page.setViewportSize({ width: w, height: h });
      for (const tab of ["classify", "compare", "scaling"]) {
        await page.click(`[data-testid=tab-${tab}]`);
        await page.evaluate(() => window.scrollTo(0, 0));
        await page.waitForTimeout(300);
        await screenshot(page, `design-${tab}-${w}-${scheme}`);
      }
    }
  }
  await page.emulateMedia({ colorScheme: "light" });
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.click("[data-testid=tab-classify]");
});

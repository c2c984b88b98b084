// The visitor's first minute (issue 14): axe-core finds no serious or critical violation on any
// view, light or dark, at 1280×800 and 390×844 (screenshots of each in target/browser-artifacts);
// a keyboard-only visitor picks a sample, switches variant and view and toggles the map, and the
// live region says the top class; at 1280×800 the switcher, the image and the top-5 are above the
// fold; on a phone the result sits right under the image, nothing scrolls sideways and every
// control is at least 44 px.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { state, waitFor, nextResult, screenshot, startSite, clickSample, cliDescribe, settled } from "./lib.mjs";

const AXE = readFileSync(path.join(path.dirname(createRequire(import.meta.url).resolve("axe-core")), "axe.min.js"), "utf8");
const SIZES = [[1280, 800], [390, 844]];
const TABS = ["classify", "compare", "scaling"];
let site, page, errors;

before(async () => { site = await startSite(); ({ page, errors } = site); });
after(() => site?.close());

/** axe-core's serious and critical violations on the page as it is (WCAG 2 A/AA and best practice). */
async function axeViolations() {
  // Evaluated through DevTools, not a <script>: the page's CSP allows no inline script.
  if (!(await page.evaluate(() => typeof window.axe === "object"))) await page.evaluate(AXE);
  const result = await page.evaluate(() =>
    window.axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] } }));
  assert.ok(result.passes.length >= 20, `axe ran only ${result.passes.length} passing rules`);
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.help}: ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")}`);
}

async function classifySample(file) {
  const s = await clickSample(page, file);
  assert.equal(s.error, null, JSON.stringify(s.error));
  return s;
}

/** The focused element's test id, role and whether it shows a focus outline. */
const focused = () => page.evaluate(() => {
  const e = document.activeElement;
  const style = e ? getComputedStyle(e) : null;
  return {
    testid: e?.dataset?.testid ?? null,
    role: e?.getAttribute("role") ?? null,
    outlined: !!style && style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2,
  };
});

/** Presses `key` until the focused element satisfies `pred` (at most 80 presses). */
async function pressUntil(key, pred, what) {
  for (let i = 0; i < 80; i++) {
    await page.keyboard.press(key);
    const f = await focused();
    if (pred(f)) return f;
  }
  throw new Error(`${key} never reached ${what}`);
}

test("axe: no serious or critical violations on any view, light and dark, at 1280×800 and 390×844", async () => {
  await classifySample("chelsea.png");
  const found = [];
  for (const scheme of ["light", "dark"]) {
    await page.emulateMedia({ colorScheme: scheme });
    for (const [w, h] of SIZES) {
      await page.setViewportSize({ width: w, height: h });
      for (const tab of TABS) {
        await page.click(`[data-testid=tab-${tab}]`);
        await page.waitForTimeout(700); // the architecture picture's transition
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        assert.ok(overflow <= 0, `${tab} at ${w}px scrolls sideways by ${overflow}px`);
        for (const v of await axeViolations()) found.push(`${tab} ${w}×${h} ${scheme}: ${v}`);
        await screenshot(page, `view-${tab}-${w}x${h}-${scheme}`);
      }
    }
  }
  await page.emulateMedia({ colorScheme: "light" });
  await page.setViewportSize({ width: 1280, height: 800 });
  assert.deepEqual(found, []);

  // The charts in words: every point's numbers, in the SVG's label and in a list.
  await page.click("[data-testid=tab-scaling]");
  const flops = page.locator("[data-testid=chart-flops] svg");
  const label = await flops.getAttribute("aria-label");
  assert.equal(await page.locator("[data-testid=chart-flops-text] li").count(), cliDescribe().length);
  for (const text of await page.locator("[data-testid=chart-flops-text] li").allTextContents()) {
    assert.ok(label.includes(text), `${text} missing from the chart's label`);
  }
  // Animations: the architecture picture's bars move, unless the visitor asks for less motion.
  const duration = () => page.locator("[data-testid=arch-picture] .bar").first()
    .evaluate((e) => parseFloat(getComputedStyle(e).transitionDuration));
  assert.ok((await duration()) > 0);
  await page.emulateMedia({ reducedMotion: "reduce" });
  assert.equal(await duration(), 0);
  await page.emulateMedia({ reducedMotion: "no-preference" });
  await page.click("[data-testid=tab-classify]");
  assert.deepEqual(errors, []);
});

test("keyboard only: pick a sample, switch variant and view, toggle the map; the live region says the top class", async () => {
  await page.reload();
  await waitFor(page, settled, "the page's opening result", 180000);
  // A sample, from the top of the page, with Tab and Enter.
  let before = (await state(page)).resultCount;
  const sample = await pressUntil("Tab", (f) => f.testid === "sample-coffee.png", "the coffee sample");
  assert.ok(sample.outlined, "the focused sample shows a focus outline");
  await page.keyboard.press("Enter");
  let s = await nextResult(page, before, "coffee by keyboard");
  assert.equal(s.error, null, JSON.stringify(s.error));
  const announce = page.locator("[data-testid=announce]");
  await page.waitForFunction((label) => document.querySelector("[data-testid=announce]").textContent.includes(label),
    s.lastResult.top5[0].label);
  assert.equal(await announce.getAttribute("aria-live"), "polite");

  // The variant switcher is one Tab stop (the chosen chip); the arrow keys choose another.
  const chip = await pressUntil("Shift+Tab", (f) => f.role === "radio", "the variant switcher");
  assert.equal(chip.testid, `variant-chip-${(await state(page)).variant}`, "the chosen chip is the Tab stop");
  assert.ok(chip.outlined, "the focused chip shows a focus outline");
  const chips = await page.locator("[role=radio]").evaluateAll((cs) => cs.map((c) => c.dataset.testid.replace("variant-chip-", "")));
  assert.deepEqual(chips, cliDescribe().map((d) => d.name), "a chip per preset, in the presets' order");
  const next = chips[(chips.indexOf(chip.testid.replace("variant-chip-", "")) + 1) % chips.length];
  before = (await state(page)).resultCount;
  await page.keyboard.press("ArrowRight");
  s = await waitFor(page, (s) => s.resultCount > before && s.lastResult?.variant === next, `${next} by keyboard`, 300000);
  assert.equal((await focused()).testid, `variant-chip-${next}`);
  assert.equal(await page.locator(`[data-testid=variant-chip-${next}]`).getAttribute("aria-checked"), "true");
  // The live region says the top class and its probability.
  const said = `Top class (${next}): ${s.lastResult.top5[0].label}, ${Math.round(s.lastResult.top5[0].prob * 100)} %`;
  await page.waitForFunction((text) => document.querySelector("[data-testid=announce]").textContent.startsWith(text), said);

  // The tabs: one Tab stop, the arrow keys move and select.
  const tab = await pressUntil("Tab", (f) => f.role === "tab", "the tabs");
  assert.equal(tab.testid, "tab-classify");
  await page.keyboard.press("ArrowRight");
  assert.equal((await focused()).testid, "tab-compare");
  assert.equal(await page.locator("[data-testid=tab-compare]").getAttribute("aria-selected"), "true");
  assert.equal(await page.locator("#view").getAttribute("aria-labelledby"), "tab-compare");
  await page.keyboard.press("End");
  assert.equal((await focused()).testid, "tab-scaling");
  await page.keyboard.press("Home");
  assert.equal((await focused()).testid, "tab-classify");

  // The activation map's switch, with Space.
  const cam = page.locator("[data-testid=crop] canvas[data-role=cam]");
  assert.equal(await cam.isVisible(), true);
  await pressUntil("Tab", (f) => f.testid === "cam-toggle", "the map switch");
  await page.keyboard.press("Space");
  await cam.waitFor({ state: "hidden" });
  await page.keyboard.press("Space");
  await cam.waitFor({ state: "visible" });
  assert.deepEqual(errors, []);
});

test("1280×800: the switcher, the image and the top-5 above the fold; a phone: the result right under the image, controls ≥ 44 px", async () => {
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.click("[data-testid=tab-classify]");
  await classifySample("chelsea.png");
  await page.evaluate(() => window.scrollTo(0, 0));
  for (const id of ["variant-switcher", "crop", "prediction-4"]) {
    const box = await page.locator(`[data-testid=${id}]`).boundingBox();
    assert.ok(box && box.y >= 0 && box.y + box.height <= 800, `${id} at ${JSON.stringify(box)}: not above the fold`);
  }

  // A phone: a tap on a sample, and the answer (the top class and its probability) is in view
  // where the page leaves it, with the picture right after it.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.waitForTimeout(200);
  await classifySample("coffee.png");
  const answer = await page.locator("[data-testid=answer]").boundingBox();
  assert.ok(answer && answer.y >= 0 && answer.y + answer.height <= 844, `the answer at ${JSON.stringify(answer)}: not in view after the tap`);
  const crop = await page.locator("[data-testid=crop]").boundingBox();
  assert.ok(crop.y > answer.y, "the picture comes after the answer");
  for (const tab of TABS) {
    await page.click(`[data-testid=tab-${tab}]`);
    const small = await page.evaluate(() => {
      const visible = (e) => e.getClientRects().length > 0 && getComputedStyle(e).visibility !== "hidden";
      const targets = [...document.querySelectorAll("button, [role=tab], [role=radio], label, summary, .variant-row, input:not(.sr-only)")]
        .filter((e) => visible(e) && !(e.tagName === "INPUT" && e.closest("label")));
      return targets.map((e) => {
        const r = e.getBoundingClientRect();
        return { what: e.dataset.testid ?? e.className ?? e.tagName, w: Math.round(r.width), h: Math.round(r.height) };
      }).filter((t) => t.w < 44 || t.h < 44);
    });
    assert.deepEqual(small, [], `${tab}: touch targets under 44 px`);
  }
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.click("[data-testid=tab-classify]");
  assert.deepEqual(errors, []);
});

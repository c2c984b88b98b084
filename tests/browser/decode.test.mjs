// Photos as PyTorch reads them (issue 14): the page's decoder gives Pillow's RGB on JPEGs of
// every common kind and on transparent PNGs (the files and Pillow's RGB come from
// tools/make_jpeg_samples.py), the page's top-5 on the repo's JPEG equals PyTorch's on both
// backends, and HEIC and SVG files get their own messages (a valid SVG is drawn and classified).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import path from "node:path";
import { ROOT, state, waitFor, nextResult, cliClassify, assertSameTop5, startSite, upload as choose,
  useBackend as use } from "./lib.mjs";

const FIXTURES = path.join(ROOT, "target/fixtures");
const KINDS = path.join(FIXTURES, "jpeg-kinds");
let site, page, errors;

/** tools/make_jpeg_samples.py's files and manifest (scripts/test.sh makes them; made here if not). */
function kinds() {
  if (!existsSync(path.join(KINDS, "manifest.json"))) {
    execFileSync("/usr/bin/python3", [path.join(ROOT, "tools/make_jpeg_samples.py"), KINDS]);
  }
  return JSON.parse(readFileSync(path.join(KINDS, "manifest.json"), "utf8"));
}

before(async () => { site = await startSite(); ({ page, errors } = site); });
after(() => site?.close());

/** The page's decoder on `bytes` (window.__effnetDecode: what a classification starts from). */
async function decodeInPage(bytes, type) {
  return page.evaluate(async ([b64, type]) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const r = await window.__effnetDecode(new Blob([bytes], { type }));
    if (r.error) return { error: r.error };
    let s = "";
    for (let i = 0; i < r.rgb.length; i += 0x8000) s += String.fromCharCode(...r.rgb.subarray(i, i + 0x8000));
    return { width: r.width, height: r.height, rgb: btoa(s) };
  }, [Buffer.from(bytes).toString("base64"), type]);
}

// This file's result (a backend switch re-runs the previous image: that result may land first).
const upload = (name, buffer, mimeType) => choose(page, { name, mimeType, buffer });
const useBackend = (kind) => use(page, kind);

/** Every kind through the page's decoder: which decode exactly, and a line per kind. */
async function decodeEveryKind(backend) {
  const exact = [];
  const rows = [];
  for (const k of kinds()) {
    const file = readFileSync(path.join(KINDS, k.file));
    const reference = readFileSync(path.join(KINDS, k.reference));
    const out = await decodeInPage(file, k.file.endsWith(".png") ? "image/png" : "image/jpeg");
    assert.equal(out.error, undefined, `${k.kind}: ${out.error}`);
    assert.deepEqual([out.width, out.height], [k.width, k.height], k.kind);
    const rgb = Buffer.from(out.rgb, "base64");
    assert.equal(rgb.length, reference.length, k.kind);
    let differing = 0, worst = 0;
    for (let i = 0; i < rgb.length; i++) {
      const d = Math.abs(rgb[i] - reference[i]);
      if (d) { differing++; worst = Math.max(worst, d); }
    }
    rows.push(`${backend} ${k.kind}: ${differing} of ${rgb.length} values differ, worst ${worst}`);
    if (k.kind.startsWith("cmyk")) {
      // Chromium converts CMYK with its own rounding: at most one level off (measured by
      // tools/browser_decode_check.mjs; Pillow and the CLI agree exactly).
      assert.ok(worst <= 1, `${k.kind}: worst difference ${worst}`);
    } else {
      assert.equal(differing, 0, `${k.kind}: ${differing} values differ from Pillow's (worst ${worst})`);
      exact.push(k.kind);
    }
  }
  return { exact, rows };
}

test("the page decodes every JPEG kind and transparent PNG to Pillow's RGB (WebGPU and CPU pages)", async () => {
  // The browser decodes (the backend only runs the network): checked with either one active.
  for (const backend of ["webgpu", "cpu"]) {
    await useBackend(backend);
    const { exact, rows } = await decodeEveryKind(backend);
    console.log(rows.join("\n"));
    for (const kind of ["baseline_420", "baseline_422", "baseline_444", "progressive_420", "greyscale",
      "restart_420", "rgba", "grey_alpha", "palette_trns"]) {
      assert.ok(exact.includes(kind), `${kind} decoded exactly (${backend})`);
    }
  }
});

test("the repo's JPEG gives PyTorch's top-5 on WebGPU and on the CPU; JPEG kinds and a transparent PNG give the CLI's", async () => {
  // tools/lite_reference.py (PyTorch, Pillow, the f32 checkpoint), made by scripts/test.sh.
  const reference = JSON.parse(readFileSync(path.join(FIXTURES, "lite0_rocket.json"), "utf8"));
  const rocket = readFileSync(path.join(ROOT, "static/samples/rocket.jpg"));
  const files = ["progressive_420.jpg", "restart_420.jpg", "greyscale.jpg", "rgba.png"];
  for (const kind of ["webgpu", "cpu"]) {
    await useBackend(kind);
    const s = await upload("rocket.jpg", rocket, "image/jpeg");
    assert.equal(s.error, null, JSON.stringify(s.error));
    assert.equal(s.lastResult.backend, kind);
    assert.equal(s.lastResult.variant, "lite0");
    // The page runs the f16 web weights: probabilities within 3e-3 of the f32 checkpoint's
    // (the CLI on the checkpoint itself is within 1e-5: crates/effnet/tests/real_weights.rs).
    assert.deepEqual(s.lastResult.top5.map((p) => p.index), reference.top5.map((p) => p.index), `${kind}: top-5`);
    s.lastResult.top5.forEach((p, i) => assert.ok(Math.abs(p.prob - reference.top5[i].prob) < 3e-3,
      `${kind} ${p.label}: ${p.prob} vs PyTorch ${reference.top5[i].prob}`));
    for (const f of files) {
      const r = await upload(f, readFileSync(path.join(KINDS, f)), f.endsWith(".png") ? "image/png" : "image/jpeg");
      assert.equal(r.error, null, `${f}: ${JSON.stringify(r.error)}`);
      assertSameTop5(assert, r.lastResult, cliClassify("lite0", path.join(KINDS, f)));
    }
  }
  assert.deepEqual(errors, []);
});

test("a HEIC photo and a broken SVG get their own messages, a valid SVG is drawn and classified, and the page goes on", async () => {
  // An HEIF file's first box: 'ftyp', major brand 'heic' (what an iPhone writes).
  const heic = Buffer.concat([Buffer.from([0, 0, 0, 24]), Buffer.from("ftypheic"), Buffer.from([0, 0, 0, 0]),
    Buffer.from("mif1heic"), Buffer.alloc(64)]);
  let s = await upload("IMG_0042.HEIC", heic, "image/heic");
  assert.match(s.error?.message ?? "", /HEIC photos .*can't be decoded by this browser: export .* as JPEG/, JSON.stringify(s.error));

  const svg = `<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="300" height="200">` +
    `<rect width="300" height="200" fill="#3a6"/><circle cx="150" cy="100" r="70" fill="#fc3"/></svg>`;
  s = await upload("drawing.svg", Buffer.from(svg), "image/svg+xml");
  assert.equal(s.error, null, JSON.stringify(s.error));
  assert.match(s.lastResult.input, /^drawing\.svg \(300×200\)/);

  s = await upload("broken.svg", Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg"><rect width="10"`), "image/svg+xml");
  assert.match(s.error?.message ?? "", /this SVG could not be drawn by the browser/, JSON.stringify(s.error));

  const before = (await state(page)).resultCount;
  await page.click('[data-testid="sample-chelsea.png"]');
  s = await waitFor(page, (s) => s.resultCount > before, "chelsea after the bad files", 120000);
  assert.equal(s.error, null, JSON.stringify(s.error));
  assert.match(s.lastResult.input, /^chelsea/);
});

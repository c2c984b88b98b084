// The page on WebGPU (SwiftShader in headless Chromium): panel numbers, real-photo predictions
// equal to the CLI's, every input path, bad inputs, bad weights, variant switch, cache, origin.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import path from "node:path";
import { ROOT, open, state, waitFor, nextResult, cliClassify, cliDescribe, assertSameTop5,
  foreignRequests, screenshot, weightsPath, startSite, busy, clickSample as click, upload as choose } from "./lib.mjs";

let site, server, context, page, errors, urls;
const sample = (f) => path.join(ROOT, "static/samples", f);

// WebGPU asked for: on SwiftShader the page would pick the faster CPU by itself (visitor.test.mjs).
before(async () => {
  site = await startSite({ webgpu: true, query: "backend=webgpu" });
  ({ server, context, page, errors, urls } = site);
});
after(() => site?.close());

const clickSample = (file) => click(page, file);
const upload = (name, buffer, mimeType = "image/jpeg") => choose(page, { name, mimeType, buffer });

test("starts on WebGPU without console errors and shows every variant's numbers", async () => {
  const s = await state(page);
  assert.equal(s.backend, "webgpu", `backend ${s.backend}, gpu ${JSON.stringify(s.gpu)}`);
  assert.equal(s.gpu.state, "ready");
  assert.ok(s.gpu.adapter, "adapter info shown");
  // Every preset the core knows has its row (the CLI lists the presets).
  const expected = cliDescribe();
  assert.equal(await page.locator("[data-testid^=variant-row-]").count(), expected.length);
  for (const d of expected) {
    const row = page.locator(`[data-testid=variant-row-${d.name}]`);
    assert.equal(await row.getAttribute("data-params"), String(d.params), d.name);
    assert.equal(await row.getAttribute("data-flops"), String(d.flops), d.name);
    assert.equal(await row.getAttribute("data-resolution"), String(d.resolution), d.name);
    assert.equal(Number(await row.getAttribute("data-width")), d.width, d.name);
    assert.equal(Number(await row.getAttribute("data-depth")), d.depth, d.name);
  }
  // The manifest's variants are pretrained, every other preset random.
  const pretrained = s.manifest.variants;
  assert.ok(pretrained.includes("lite0"), JSON.stringify(s.manifest));
  for (const d of expected) {
    const text = await page.locator(`[data-testid=weights-${d.name}]`).innerText();
    assert.equal(/random initialisation/.test(text), !pretrained.includes(d.name), `${d.name}: ${text}`);
  }
  await screenshot(page, "start-1280");
  assert.deepEqual(errors, []);
});

test("opens on a result: the network's first (cold) run classifies a sample, then the visitor's first photo runs warm", async () => {
  const s = await waitFor(page, (s) => s.resultCount >= 1 && !busy(s), "the opening sample's result", 300000);
  assert.equal(s.resultCount, 1, "one result: the opening sample's");
  assert.equal(s.sample, "coffee.png");
  assert.ok(s.input.startsWith("coffee.png"), s.input);
  assert.equal(s.lastResult.input, s.input);
  assert.equal(s.lastResult.generation, s.generation);
  assert.equal(s.lastResult.cold, true, "the opening run is the network's cold one");
  assertSameTop5(assert, s.lastResult, cliClassify("lite0", sample("coffee.png")));
  assert.ok(await page.locator("[data-testid=answer]").isVisible(), "the answer is on the first screen");
  assert.ok(await page.locator("[data-testid=crop]").isVisible(), "and the picture the network saw");
  const m = s.measured.find((m) => m.variant === "lite0" && m.backend === "webgpu")?.measured;
  assert.ok(m?.cold_ms > 0 && m.warm_runs === 0, JSON.stringify(s.measured));
  const r = await clickSample("chelsea.png");
  assert.equal(r.error, null, JSON.stringify(r.error));
  assert.equal(r.lastResult.cold, false, "the first photo's run is warm");
  assert.equal(r.lastResult.cold_ms, m.cold_ms, "the cold time shown is the opening run's");
  assert.equal(r.lastResult.warm_runs, 1);
});

test("real photos (PNG and JPEG) on WebGPU give the CLI's top-5 (Lite0, probabilities within 1e-3)", async () => {
  const before = (await state(page)).depthwise;
  for (const photo of ["coffee.png", "chelsea.png", "rocket.jpg"]) {
    const s = await clickSample(photo);
    assert.equal(s.error, null, JSON.stringify(s.error));
    assert.equal(s.lastResult.backend, "webgpu");
    assert.equal(s.lastResult.variant, "lite0");
    assert.equal(s.lastResult.gpu_preprocess, true, "preprocessed on the GPU");
    assertSameTop5(assert, s.lastResult, cliClassify("lite0", sample(photo)));
    const dom = page.locator("[data-testid=prediction-0]");
    assert.equal(Number(await dom.getAttribute("data-index")), s.lastResult.top5[0].index);
  }
  // The page's own depthwise kernel ran every depthwise layer (Lite0 has 16) and never declined.
  const after = (await state(page)).depthwise;
  const launches = after.kernelLaunches - before.kernelLaunches;
  assert.ok(launches >= 3 * 16 && launches % 16 === 0, `depthwise kernel launches: ${launches}`);
  assert.equal(after.kernelDeclined, 0);
  await screenshot(page, "webgpu-result");
});

test("the GPU prepares the CPU's input bit for bit (both crop rules, a 12 MP photo); ?prep=cpu keeps it on the CPU", async () => {
  const photo = path.join(ROOT, "target/photo-4032x3024.jpg");
  execFileSync("ffmpeg", ["-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=4032x3024",
    "-frames:v", "1", "-q:v", "4", photo]);
  // No warm-up: whether its blank picture is checked too depends on whether the page loads the
  // network before the first click (a race that failed CI once with 10 checks).
  const other = await open(context, `${server.url}?prepcheck&warmup=off&backend=webgpu`, { newTab: true });
  try {
    const p = other.page;
    await waitFor(p, (s) => s.started, "page started (?prepcheck)", 180000);
    const run = async (what, action) => {
      const before = (await state(p)).resultCount;
      await action();
      const s = await nextResult(p, before, what);
      assert.equal(s.error, null, `${what}: ${JSON.stringify(s.error)}`);
      assert.equal(s.lastResult.gpu_preprocess, true, `${what}: preprocessed on the CPU`);
      return s;
    };
    // Lite0 (centre crop, then bicubic) and B0's preset (short side to 256 bicubic, then centre crop).
    for (const variant of ["lite0", "b0"]) {
      if (variant !== "lite0") {
        await run(`${variant}: re-run`, () => p.click(`[data-testid=variant-row-${variant}]`));
      }
      for (const file of ["coffee.png", "chelsea.png", "rocket.jpg"]) {
        await run(`${variant}: ${file}`, () => p.click(`[data-testid="sample-${file}"]`));
      }
      await run(`${variant}: 4032×3024 JPEG`, () => p.setInputFiles("[data-testid=file-input]",
        { name: "photo.jpg", mimeType: "image/jpeg", buffer: readFileSync(photo) }));
    }
    const s = await state(p);
    assert.equal(s.lastResult.variant, "b0");
    assert.equal(s.preprocess.checks.length, 9);
    assert.ok(s.preprocess.gpuRuns >= 9, `GPU preprocessing ran ${s.preprocess.gpuRuns} times`);
    assert.ok(s.preprocess.checks.some((c) => c.width === 4032 && c.height === 3024));
    for (const c of s.preprocess.checks) {
      assert.deepEqual([c.inputDiffs, c.cropDiffs], [0, 0], `${c.width}×${c.height}: values differing from the CPU's`);
    }
    assert.deepEqual(other.errors, []);
  } finally {
    await other.page.close();
  }
  const cpu = await open(context, `${server.url}?prep=cpu&backend=webgpu`, { newTab: true });
  try {
    await waitFor(cpu.page, (s) => s.started, "page ready (?prep=cpu)", 180000);
    const before = (await state(cpu.page)).resultCount;
    await cpu.page.click(`[data-testid="sample-chelsea.png"]`);
    const s = await nextResult(cpu.page, before, "result for chelsea.png (?prep=cpu)");
    assert.equal(s.lastResult.gpu_preprocess, false);
    assert.equal(s.preprocess.gpuRuns, 0);
    assertSameTop5(assert, s.lastResult, cliClassify("lite0", sample("chelsea.png")));
  } finally {
    await cpu.page.close();
  }
});

test("file picker, drag-and-drop and paste classify the same", async () => {
  const reference = cliClassify("lite0", sample("chelsea.png"));
  const bytes = readFileSync(sample("chelsea.png"));
  const s = await upload("my-cat.png", bytes, "image/png");
  assertSameTop5(assert, s.lastResult, reference);
  for (const kind of ["drop", "paste"]) {
    const before = (await state(page)).resultCount;
    await page.evaluate(([b64, kind]) => {
      const data = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const dt = new DataTransfer();
      dt.items.add(new File([data], "cat.png", { type: "image/png" }));
      if (kind === "drop") {
        for (const t of ["dragenter", "dragover", "drop"]) {
          document.body.dispatchEvent(new DragEvent(t, { bubbles: true, cancelable: true, dataTransfer: dt }));
        }
      } else {
        document.body.dispatchEvent(new ClipboardEvent("paste", { bubbles: true, cancelable: true, clipboardData: dt }));
      }
    }, [bytes.toString("base64"), kind]);
    const r = await nextResult(page, before, kind);
    assert.equal(r.error, null, `${kind}: ${JSON.stringify(r.error)}`);
    assertSameTop5(assert, r.lastResult, reference);
  }
});

test("bad images get a clear message and the page keeps working", async () => {
  const jpg = readFileSync(sample("rocket.jpg"));
  const huge = path.join(ROOT, "target/huge-8000.jpg");
  execFileSync("ffmpeg", ["-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=8000x8000",
    "-frames:v", "1", "-q:v", "8", huge]);
  for (const [name, buffer] of [["empty.jpg", Buffer.alloc(0)], ["notes.jpg", Buffer.from("not a photo\n")],
    ["truncated.jpg", jpg.subarray(0, jpg.length >> 1)]]) {
    const before = (await state(page)).resultCount;
    const s = await upload(name, buffer);
    assert.equal(s.resultCount, before, `${name} produced a result`);
    assert.ok(s.error, `${name}: no error shown`);
    assert.ok(await page.locator("[data-testid=error-message]").isVisible(), `${name}: message not visible`);
  }
  const big = await upload("huge.jpg", readFileSync(huge));
  assert.ok(big.error || big.lastResult, "8000×8000: a result or a clear message");
  const s = await clickSample("coffee.png");
  assert.equal(s.error, null);
  assertSameTop5(assert, s.lastResult, cliClassify("lite0", sample("coffee.png")));
});

test("switching variant during a run shows only the new variant", async () => {
  await page.click('[data-testid="sample-chelsea.png"]');
  await page.waitForTimeout(100);
  await page.click("[data-testid=variant-row-lite1]");
  const s = await waitFor(page, (s) => s.lastResult?.variant === "lite1", "lite1 result");
  assertSameTop5(assert, s.lastResult, cliClassify("lite1", sample("chelsea.png")));
  await page.waitForTimeout(1000);
  assert.equal((await state(page)).lastResult.variant, "lite1");
});

test("corrupt and missing weights give a message; other variants still work", async () => {
  server.override(weightsPath("lite2"), (req, res) => res.writeHead(404).end("gone"));
  const s2 = await (async () => {
    await page.click("[data-testid=variant-row-lite2]");
    return waitFor(page, (s) => s.load.variant === "lite2" && ["failed", "loaded"].includes(s.load.state), "lite2 load", 90000);
  })();
  assert.equal(s2.load.state, "failed", JSON.stringify(s2.load));
  assert.match(s2.load.error.message, /404|not found|missing/i);
  server.clear();
  // A corrupt copy: same length, flipped bytes, sha256 no longer the manifest's.
  const good = readFileSync(path.join(ROOT, "static/weights/lite2.safetensors"));
  const bad = Buffer.from(good); bad[bad.length - 10] ^= 0xff;
  server.override(weightsPath("lite2"), (req, res) => {
    res.writeHead(200, { "content-type": "application/octet-stream", "content-length": bad.length }).end(bad);
  });
  await page.click("[data-testid=variant-row-lite0]");
  await waitFor(page, (s) => s.variant === "lite0" && !["downloading", "preparing"].includes(s.load.state), "lite0 back", 90000);
  await page.click("[data-testid=variant-row-lite2]");
  const s3 = await waitFor(page, (s) => s.load.variant === "lite2" && ["failed", "loaded"].includes(s.load.state), "lite2 corrupt", 90000);
  assert.equal(s3.load.state, "failed", JSON.stringify(s3.load));
  assert.match(s3.load.error.message, /sha256|corrupt/i);
  server.clear();
  await page.click("[data-testid=variant-row-lite0]");
  const s = await clickSample("coffee.png");
  assert.equal(s.lastResult.variant, "lite0");
  assertSameTop5(assert, s.lastResult, cliClassify("lite0", sample("coffee.png")));
});

test("a reload takes the weights from the browser cache", async () => {
  const asked = server.requests.length;
  await page.reload();
  const s = await waitFor(page, (s) => s.started && s.load.state === "loaded", "ready after reload", 180000);
  assert.equal(s.load.fromCache, true, JSON.stringify(s.load));
  const weightRequests = server.requests.slice(asked).filter((p) => p.endsWith(".safetensors"));
  assert.deepEqual(weightRequests, []);
});

test("no request leaves the page's origin", () => {
  assert.deepEqual(foreignRequests(urls, server.origin), []);
});

test("bench knobs compute the same: depthwise kernel written NCHW, and burn's grouped convolution", async () => {
  const reference = cliClassify("lite0", sample("chelsea.png"));
  for (const [query, kernel] of [["dwlayout=nchw", true], ["dw=grouped", false]]) {
    const other = await open(context, `${server.url}?${query}&backend=webgpu`, { newTab: true });
    try {
      await waitFor(other.page, (s) => s.started, `page ready (?${query})`, 180000);
      const before = (await state(other.page)).resultCount;
      await other.page.click(`[data-testid="sample-chelsea.png"]`);
      const s = await nextResult(other.page, before, `result for chelsea.png (?${query})`);
      assert.equal(s.lastResult.backend, "webgpu");
      assertSameTop5(assert, s.lastResult, reference);
      const launches = s.depthwise.kernelLaunches;
      assert.ok(kernel ? launches > 0 : launches === 0, `?${query}: ${launches} depthwise kernel launches`);
      assert.deepEqual(other.errors, []);
    } finally {
      await other.page.close();
    }
  }
});

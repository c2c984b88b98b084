// Faults a visitor or a network can throw at the page: a weights download that stalls or
// breaks off, files that would take gigabytes to decode or read, many files at once, rapid
// variant switching on WebGPU. (The strict CSP is checked by every test file: lib.mjs.)
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync, mkdtempSync, openSync, closeSync, ftruncateSync, rmSync } from "node:fs";
import { deflateSync } from "node:zlib";
import { tmpdir } from "node:os";
import path from "node:path";
import { ROOT, serve, launch, open, state, waitFor, nextResult, cliClassify, assertSameTop5, weightsPath,
  clickSample, submitted, settled } from "./lib.mjs";

const sample = (f) => path.join(ROOT, "static/samples", f);
/** src/app/state/error.rs: AppError::STALL_S. */
const STALL_S = 15;

/** Chooses `file` and waits for its result, or for an error other than the one on screen
 * before (the page clears it when the next image comes); a file may name no input. */
const upload = (page, file) =>
  submitted(page, () => page.setInputFiles("[data-testid=file-input]", file), `upload ${file.name ?? file}`);

test("a weights download that stalls or breaks off: a message in time, Retry resumes it, no stale banner", async () => {
  const server = await serve();
  const context = await launch({ webgpu: false });
  try {
    const { page, errors } = await open(context, server.url);
    await waitFor(page, (s) => s.started && s.load.state === "loaded", "lite0 ready", 180000);
    for (const [variant, fault] of [["lite1", "stall"], ["lite2", "drop"]]) {
      const file = weightsPath(variant);
      const body = readFileSync(path.join(ROOT, "dist", file));
      const half = Math.floor(body.length / 2);
      server.override(file, (req, res) => {
        res.writeHead(200, { "content-type": "application/octet-stream", "content-length": body.length, "accept-ranges": "bytes" });
        res.write(body.subarray(0, half));
        if (fault === "drop") setTimeout(() => res.destroy(), 300); // connection lost
        // "stall": the rest never comes, the connection stays open
      });
      const t0 = Date.now();
      await page.click(`[data-testid=variant-row-${variant}]`);
      const failed = await waitFor(page, (s) => s.load.variant === variant && s.load.state === "failed", `${variant} ${fault}`, (STALL_S + 30) * 1000);
      const seconds = (Date.now() - t0) / 1000;
      assert.match(failed.load.error.message, fault === "stall" ? /stalled \(no data for 15 s\)/ : /broke off/);
      if (fault === "stall") assert.ok(seconds < STALL_S + 15, `stall reported after ${seconds} s`);
      const retry = page.locator("[data-testid=retry]");
      assert.ok(await retry.isVisible(), "a Retry button beside the message");

      server.clear();
      const sentBefore = server.sent.length;
      await retry.click();
      const ok = await waitFor(page, (s) => s.load.variant === variant && ["loaded", "failed"].includes(s.load.state), `${variant} retried`, 120000);
      assert.equal(ok.load.state, "loaded", JSON.stringify(ok.load));
      const resumed = server.sent.slice(sentBefore).filter((s) => s.path.endsWith(".safetensors"));
      assert.equal(resumed.length, 1, JSON.stringify(resumed));
      assert.equal(resumed[0].status, 206, "resumed with a range request");
      assert.ok(resumed[0].bytes < body.length, `resumed: ${resumed[0].bytes} of ${body.length} bytes`);
      const s = await clickSample(page, "chelsea.png");
      assert.equal(s.error, null, "the old error banner is gone");
      assert.equal(await page.locator("[data-testid=error]").count(), 0);
      assertSameTop5(assert, s.lastResult, cliClassify(variant, sample("chelsea.png")));
    }
    assert.deepEqual(errors.filter((e) => !/Failed to load resource|ERR_/.test(e)), []);
  } finally {
    await context.close();
    await server.close();
  }
});

/** CRC-32 (PNG chunks). */
function crc32(bytes) {
  let c = ~0;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xEDB88320 & -(c & 1));
  }
  return ~c >>> 0;
}

/** A valid 1-bit greyscale PNG of `w`×`h` (all black): a few hundred KB for gigapixels. */
function bombPng(w, h) {
  const chunk = (type, data) => {
    const body = Buffer.concat([Buffer.from(type), data]);
    const out = Buffer.alloc(body.length + 8);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc32(body), body.length + 4);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr.set([1, 0, 0, 0, 0], 8);
  const raw = Buffer.alloc((1 + Math.ceil(w / 8)) * h);
  return Buffer.concat([Buffer.from("\x89PNG\r\n\x1a\n", "latin1"), chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(raw, { level: 9 })), chunk("IEND", Buffer.alloc(0))]);
}

/** Peak resident memory (VmHWM) of the largest Chromium renderer process, in bytes. */
function rendererPeak() {
  let peak = 0;
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      if (!readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("--type=renderer")) continue;
      const kb = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
      peak = Math.max(peak, kb * 1024);
    } catch { /* the process ended */ }
  }
  return peak;
}

test("memory bombs are refused before decoding: a 23000² PNG, a JPEG claiming 65000², a 1 GB file; the page then classifies", async () => {
  const server = await serve();
  const context = await launch({ webgpu: false });
  const dir = mkdtempSync(path.join(tmpdir(), "effnet-bombs-"));
  try {
    const { page, errors } = await open(context, server.url);
    await waitFor(page, (s) => s.started && s.load.state === "loaded", "lite0 ready", 180000);
    await clickSample(page, "coffee.png");
    const wasmBefore = (await state(page)).memory.wasm_bytes;
    const peakBefore = rendererPeak();

    const png = bombPng(23000, 23000);
    assert.ok(png.length < 1e6, `${png.length} bytes`);
    const a = await upload(page, { name: "bomb.png", mimeType: "image/png", buffer: png });
    assert.match(a.error.message, /23000×23000 is 529 MP; the limit is 64 MP/);

    const jpeg = Buffer.concat([Buffer.from([0xFF, 0xD8, 0xFF, 0xC0, 0, 17, 8, 0xFD, 0xE8, 0xFD, 0xE8, 3]),
      Buffer.alloc(9), Buffer.from([0xFF, 0xDA, 0, 2]), Buffer.alloc(1000, 0x55), Buffer.from([0xFF, 0xD9])]);
    const b = await upload(page, { name: "claims-65000.jpg", mimeType: "image/jpeg", buffer: jpeg });
    assert.match(b.error.message, /65000×65000 is 4225 MP; the limit is 64 MP/);

    const big = path.join(dir, "one-gigabyte.jpg"); // sparse: nothing written
    const fd = openSync(big, "w");
    ftruncateSync(fd, 1 << 30);
    closeSync(fd);
    const c = await upload(page, big);
    assert.match(c.error.message, /the file is 1\.07 GB; the limit is 100 MB/);

    const s = await state(page);
    // Only the first 256 KiB of a file are read before it is judged.
    assert.ok(s.memory.wasm_bytes - wasmBefore < 2e6, `wasm memory grew by ${s.memory.wasm_bytes - wasmBefore} bytes`);
    const grew = rendererPeak() - peakBefore;
    // Bound: the renderer's peak RSS grows by less than 150 MB (decoded, the PNG alone would
    // be 2.1 GB as RGBA; read, the 1 GB file 1 GB).
    assert.ok(grew < 150e6, `renderer peak memory grew by ${(grew / 1e6).toFixed(0)} MB`);

    const ok = await clickSample(page, "chelsea.png");
    assert.equal(ok.error, null);
    assertSameTop5(assert, ok.lastResult, cliClassify("lite0", sample("chelsea.png")));
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("many files dropped at once: the page says which one it uses", async () => {
  const server = await serve();
  const context = await launch({ webgpu: false });
  try {
    const { page } = await open(context, server.url);
    // The opening sample's result first: the drop's must be the next one.
    await waitFor(page, settled, "the opening result", 180000);
    const before = (await state(page)).resultCount;
    const b64 = readFileSync(sample("chelsea.png")).toString("base64");
    await page.evaluate((b64) => {
      const data = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const dt = new DataTransfer();
      for (let i = 0; i < 50; i++) dt.items.add(new File([data], `cat-${i}.png`, { type: "image/png" }));
      for (const t of ["dragenter", "dragover", "drop"]) {
        document.body.dispatchEvent(new DragEvent(t, { bubbles: true, cancelable: true, dataTransfer: dt }));
      }
    }, b64);
    const s = await nextResult(page, before, "drop of 50");
    assert.match(s.lastResult.input, /cat-0\.png \(the first of 50 files; the other 49 were ignored/);
    assert.match(await page.locator("[data-testid=input-name]").innerText(), /the other 49 were ignored/);
  } finally {
    await context.close();
    await server.close();
  }
});

test("10 variant switches in 2 s on WebGPU: only the last variant's result, in normal time, bounded GPU memory", async () => {
  const server = await serve();
  const context = await launch({ webgpu: true });
  try {
    const { page, errors } = await open(context, `${server.url}?backend=webgpu`);
    await waitFor(page, (s) => s.started && s.load.state === "loaded" && s.backend === "webgpu", "lite0 ready on WebGPU", 300000);
    await page.click("[data-testid=variant-row-lite1]");
    await waitFor(page, (s) => s.load.variant === "lite1" && s.load.state === "loaded", "lite1 ready", 300000);
    const single = await clickSample(page, "chelsea.png");
    assert.equal(single.lastResult.variant, "lite1");
    await page.click("[data-testid=variant-row-lite0]");
    const base = await nextResult(page, single.resultCount, "lite0 result");
    const memBefore = base.memory;

    await page.evaluate(() => {
      window.__longTasks = [];
      new PerformanceObserver((l) => window.__longTasks.push(...l.getEntries().map((e) => e.duration))).observe({ type: "longtask" });
    });
    const order = ["lite2", "b0", "lite0", "b1", "lite2", "lite0", "b0", "lite2", "lite0", "lite1"];
    const t0 = Date.now();
    for (const v of order) {
      await page.click(`[data-testid=variant-row-${v}]`);
      await page.waitForTimeout(150);
    }
    const switching = Date.now() - t0;
    assert.ok(switching < 4000, `the switches took ${switching} ms (the page blocked)`);
    const s = await waitFor(page, (s) => s.lastResult?.variant === "lite1" && s.resultCount > base.resultCount, "lite1 result", 300000);
    await page.waitForTimeout(3000);
    const after = await state(page);
    assert.equal(after.resultCount, base.resultCount + 1, "only the last variant's result was shown");
    assert.equal(after.lastResult.variant, "lite1");
    assertSameTop5(assert, after.lastResult, cliClassify("lite1", sample("chelsea.png")));
    assert.ok(s.lastResult.latency_ms <= 2 * single.lastResult.latency_ms,
      `latency ${s.lastResult.latency_ms} ms vs a single run's ${single.lastResult.latency_ms} ms`);
    // At most two networks stay loaded: GPU memory in use is back near where it was with two.
    const grew = after.memory.gpu_in_use_bytes - memBefore.gpu_in_use_bytes;
    assert.ok(grew < 40e6, `GPU memory in use grew by ${(grew / 1e6).toFixed(1)} MB`);
    const longest = Math.max(0, ...(await page.evaluate(() => window.__longTasks)));
    console.log(`switches: ${switching} ms; longest main-thread task ${longest.toFixed(0)} ms; GPU in use ` +
      `${(memBefore.gpu_in_use_bytes / 1e6).toFixed(1)} -> ${(after.memory.gpu_in_use_bytes / 1e6).toFixed(1)} MB, reserved ` +
      `${(memBefore.gpu_reserved_bytes / 1e6).toFixed(1)} -> ${(after.memory.gpu_reserved_bytes / 1e6).toFixed(1)} MB`);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
    await server.close();
  }
});

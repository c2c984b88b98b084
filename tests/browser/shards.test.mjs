// Weights in 8 bits and in shards (issue 27): `?weights=q8` loads each variant's q8 format; here
// Lite0's q8 file is cut into 1 MiB shards (the converter's --shard-mib, done on a copy of the
// built site), so the page downloads them 3 at a time, checks and caches each, tries a stalled
// one again alone, and works offline afterwards. The page's top-5 equals the CLI's on the same
// q8 weights (static/weights/lite0.q8.safetensors, one file) on both backends.
import { test } from "node:test";
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { tmpdir } from "node:os";
import path from "node:path";
import { ROOT, DIST, serve, launch, open, waitFor, cliClassify, assertSameTop5, clickSample } from "./lib.mjs";

const sample = (f) => path.join(ROOT, "static/samples", f);
const Q8 = path.join(ROOT, "static/weights/lite0.q8.safetensors");
const STALL_S = 15; // src/app/state/error.rs: AppError::STALL_S
const sha = (b) => createHash("sha256").update(b).digest("hex");

/** A copy of the built site whose Lite0 q8 format is in shards of `mib` MiB (as `effnet convert
 * --shard-mib` writes them, with the site build's hashed names). */
function shardedSite(mib = 1) {
  const dir = mkdtempSync(path.join(tmpdir(), "effnet-shards-"));
  cpSync(DIST, dir, { recursive: true });
  const manifestPath = path.join(dir, "static/weights/manifest.json");
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8"));
  const format = manifest.weights.find((w) => w.variant === "lite0").formats.find((f) => f.precision === "q8");
  const bytes = readFileSync(path.join(dir, "static/weights", format.file));
  assert.equal(sha(bytes), format.sha256);
  rmSync(path.join(dir, "static/weights", format.file));
  const size = mib << 20;
  const n = Math.ceil(bytes.length / size);
  format.shards = [];
  for (let i = 0; i < n; i++) {
    const piece = bytes.subarray(i * size, (i + 1) * size);
    const file = `lite0.q8-${i + 1}of${n}-${sha(piece).slice(0, 12)}.shard`;
    writeFileSync(path.join(dir, "static/weights", file), piece);
    format.shards.push({ file, bytes: piece.length, sha256: sha(piece) });
  }
  format.file = "lite0.q8.safetensors";
  writeFileSync(manifestPath, JSON.stringify(manifest, null, 2));
  for (const ext of [".br", ".gz"]) rmSync(manifestPath + ext, { force: true }); // stale copies
  return { dir, shards: format.shards.map((s) => `/static/weights/${s.file}`), bytes };
}

const shardRequests = (server) => server.requests.filter((r) => r.endsWith(".shard"));

for (const backend of ["cpu", "webgpu"]) {
  test(`q8 weights in shards (${backend}): the CLI's q8 top-5, each shard fetched once, offline afterwards`, async () => {
    const site = shardedSite();
    const server = await serve(site.dir);
    const context = await launch({ webgpu: backend === "webgpu" });
    try {
      const { page, errors } = await open(context, `${server.url}?weights=q8&backend=${backend}`);
      const s0 = await waitFor(page, (s) => s.started && ["loaded", "failed"].includes(s.load.state), "lite0 q8", 300000);
      assert.equal(s0.load.state, "loaded", JSON.stringify(s0.load));
      assert.ok(site.shards.length >= 4, `${site.shards.length} shards`);
      assert.deepEqual([...shardRequests(server)].sort(), [...site.shards].sort(), "each shard once");
      assert.ok(!server.requests.some((r) => r.endsWith(".safetensors")), "no f16 file fetched");
      const r = await clickSample(page, "chelsea.png");
      assert.equal(r.error, null, JSON.stringify(r.error));
      assertSameTop5(assert, r.lastResult, cliClassify("lite0", sample("chelsea.png"), Q8));
      const f16 = cliClassify("lite0", sample("chelsea.png"));
      assert.ok(r.lastResult.top5.some((p, i) => Math.abs(p.prob - f16.top[i].prob) > 1e-4),
        "the page's probabilities are q8's, not f16's");

      if (backend === "cpu") {
        await waitFor(page, (s) => s.offline?.stored?.includes("lite0"), "lite0's shards stored", 60000);
        await page.waitForFunction(() => navigator.serviceWorker?.controller, null, { timeout: 120000 });
        await context.setOffline(true);
        await server.close();
        await page.reload();
        const s = await waitFor(page, (s) => s.started && ["loaded", "failed"].includes(s.load.state), "lite0 offline", 180000);
        assert.equal(s.load.state, "loaded", JSON.stringify(s.load));
        assert.equal(s.load.fromCache, true);
        const again = await clickSample(page, "chelsea.png");
        assertSameTop5(assert, again.lastResult, cliClassify("lite0", sample("chelsea.png"), Q8));
      }
      assert.deepEqual(errors.filter((e) => !/Failed to load resource|ERR_/.test(e)), []);
    } finally {
      await context.setOffline(false).catch(() => {});
      await context.close();
      await server.close();
      rmSync(site.dir, { recursive: true, force: true });
    }
  });
}

test("a shard that stalls is tried again alone: the load goes on, only that shard is fetched twice", async () => {
  const site = shardedSite();
  const server = await serve(site.dir);
  const context = await launch({ webgpu: false });
  try {
    const stalled = site.shards[1];
    const body = readFileSync(path.join(site.dir, stalled));
    let calls = 0;
    server.override(stalled, (req, res) => {
      calls += 1;
      if (calls === 1) {
        // Half of it, then nothing: the connection stays open.
        res.writeHead(200, { "content-type": "application/octet-stream", "content-length": body.length });
        res.write(body.subarray(0, body.length >> 1));
        return;
      }
      const range = /^bytes=(\d+)-$/.exec(String(req.headers.range ?? ""));
      const start = range ? Number(range[1]) : 0;
      res.writeHead(range ? 206 : 200, {
        "content-type": "application/octet-stream", "content-length": body.length - start,
        ...(range ? { "content-range": `bytes ${start}-${body.length - 1}/${body.length}` } : {}),
      });
      res.end(body.subarray(start));
    });
    const t0 = Date.now();
    const { page } = await open(context, `${server.url}?weights=q8&backend=cpu`);
    const s = await waitFor(page, (s) => s.started && ["loaded", "failed"].includes(s.load.state), "lite0 q8", (STALL_S + 120) * 1000);
    assert.equal(s.load.state, "loaded", JSON.stringify(s.load));
    assert.ok((Date.now() - t0) / 1000 >= STALL_S, "the stall was waited out");
    const asked = shardRequests(server);
    assert.equal(asked.filter((r) => r === stalled).length, 2, `the stalled shard twice: ${asked}`);
    for (const other of site.shards.filter((p) => p !== stalled)) {
      assert.equal(asked.filter((r) => r === other).length, 1, `${other} once`);
    }
    const r = await clickSample(page, "chelsea.png");
    assertSameTop5(assert, r.lastResult, cliClassify("lite0", sample("chelsea.png"), Q8));
  } finally {
    await context.close();
    await server.close();
    rmSync(site.dir, { recursive: true, force: true });
  }
});

test("the visitor picks q8 in the backend panel: the page opens again with it, keeps the choice, and going back to f16 downloads nothing stored", async () => {
  const server = await serve();
  const context = await launch({ webgpu: false });
  const precision = (page) => page.locator("[data-testid=weights-choice]").getAttribute("data-precision");
  const fetched = (suffix) => server.requests.filter((r) => r.startsWith("/static/weights/lite0") && r.endsWith(suffix));
  try {
    const { page, errors } = await open(context, `${server.url}?backend=cpu`);
    await waitFor(page, (s) => s.started && s.load.state === "loaded", "lite0 f16", 180000);
    assert.equal(await precision(page), "f16");
    assert.match(await page.locator("[data-testid=weights-q8]").innerText(), /q8 · 4\.\d MB/);

    await page.click("[data-testid=weights-q8]");
    await page.waitForURL(/weights=q8/, { timeout: 60000 });
    await waitFor(page, (s) => s.started && s.load.state === "loaded", "lite0 q8", 180000);
    assert.equal(await precision(page), "q8");
    const q8 = await clickSample(page, "chelsea.png");
    assertSameTop5(assert, q8.lastResult, cliClassify("lite0", sample("chelsea.png"), Q8));
    assert.equal(fetched(".safetensors").filter((r) => r.includes(".q8-")).length, 1, "q8 fetched once");

    // A later visit without the knob keeps the choice.
    const later = await context.newPage();
    await later.goto(`${server.url}?backend=cpu`);
    await waitFor(later, (s) => s.started && s.load.state === "loaded", "lite0 later", 180000);
    assert.equal(await precision(later), "q8");
    await later.close();

    // Back to f16: stored, so nothing is downloaded again.
    const before = fetched(".safetensors").length;
    await page.click("[data-testid=weights-f16]");
    await page.waitForURL(/weights=f16/, { timeout: 60000 });
    const s = await waitFor(page, (s) => s.started && s.load.state === "loaded", "lite0 f16 again", 180000);
    assert.equal(await precision(page), "f16");
    assert.equal(s.load.fromCache, true);
    assert.equal(fetched(".safetensors").length, before, `no weights fetched again: ${fetched(".safetensors")}`);
    const f16 = await clickSample(page, "chelsea.png");
    assertSameTop5(assert, f16.lastResult, cliClassify("lite0", sample("chelsea.png")));
    assert.deepEqual(errors.filter((e) => !/Failed to load resource|ERR_/.test(e)), []);
  } finally {
    await context.close();
    await server.close();
  }
});

// onnxruntime-web peer of the page's `?bench`: same variants, input, warm-up and runs, one
// execution provider per page load. `?variants=lite0,b0&runs=3&ep=webgpu|wasm&threads=1`.
// Expects (tools/bench_browser.mjs serves them): ./dist/ = onnxruntime-web's dist/,
// ./models/ = target/onnx/ (tools/export_onnx.py). Publishes `window.__ortBench`.
import { gradient, preprocess } from "./preprocess.mjs";

const q = new URLSearchParams(location.search);
const ep = q.get("ep") ?? "wasm";
const runs = Number.parseInt(q.get("runs") ?? "3", 10);
const threads = Number.parseInt(q.get("threads") ?? "1", 10);
const variants = (q.get("variants") ?? "lite0").split(",").filter(Boolean);
const bench = (window.__ortBench = {
  done: false, ep, runs, variants, rows: [], crossOriginIsolated: self.crossOriginIsolated,
});
const out = document.getElementById("out");
const show = () => { out.textContent = JSON.stringify(bench, (k, v) => (k === "logits" ? undefined : v), 1); };

function stats(values) {
  if (!values.length) return {};
  const v = [...values].sort((a, b) => a - b);
  const n = v.length;
  const median = n % 2 ? v[(n - 1) / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  return { warm_median_ms: median, warm_min_ms: v[0], warm_max_ms: v[n - 1] };
}

function top5(logits) {
  let max = -Infinity;
  for (const l of logits) max = Math.max(max, l);
  let sum = 0;
  for (const l of logits) sum += Math.exp(l - max);
  return [...logits.keys()].sort((a, b) => logits[b] - logits[a] || a - b).slice(0, 5)
    .map((index) => ({ index, prob: Math.exp(logits[index] - max) / sum }));
}

async function fetchOk(url) {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return r;
}

async function benchVariant(ort, variant, options) {
  const row = { variant };
  bench.rows.push(row);
  try {
    const meta = await (await fetchOk(`models/${variant}.json`)).json();
    Object.assign(row, { pretrained: meta.pretrained, weights: meta.weights, torch: meta.torch, opset: meta.opset });
    const p = meta.preprocessing;
    const input = preprocess(gradient(p.size), p);
    const ref = new Float32Array(await (await fetchOk(`models/${meta.input_file}`)).arrayBuffer());
    row.input_max_diff = ref.length === input.length ? input.reduce((m, v, i) => Math.max(m, Math.abs(v - ref[i])), 0) : null;

    const t0 = performance.now();
    const bytes = await (await fetchOk(`models/${variant}.onnx`)).arrayBuffer();
    const session = await ort.InferenceSession.create(bytes, options);
    row.load_ms = performance.now() - t0;
    row.model_bytes = bytes.byteLength;
    const warm = [];
    let logits = null;
    for (let i = 0; i <= runs; i++) {
      const t = performance.now();
      const result = await session.run({ input: new ort.Tensor("float32", input, [1, 3, p.size, p.size]) });
      logits = await result.logits.getData();
      const ms = performance.now() - t;
      if (i === 0) row.cold_ms = ms; else warm.push(ms);
      show();
    }
    Object.assign(row, stats(warm), { runs: warm.length });
    row.top5 = top5(logits);
    row.max_abs_logit_diff_vs_torch = logits.reduce((m, v, i) => Math.max(m, Math.abs(v - meta.torch_logits[i])), 0);
    row.top5_same_as_torch = row.top5.every((e, i) => e.index === meta.torch_top5[i].index);
    await session.release();
  } catch (e) {
    row.error = String(e?.message ?? e);
  }
  show();
}

async function main() {
  // The wasm EP uses the plain wasm build, the WebGPU EP the build with ORT's WebGPU EP.
  const bundle = ep === "webgpu" ? "ort.webgpu.min.mjs" : "ort.wasm.min.mjs";
  const t0 = performance.now();
  const ort = await import(`./dist/${bundle}`);
  bench.ort_version = ort.env.versions?.web ?? null;
  bench.bundle = bundle;
  ort.env.wasm.wasmPaths = new URL("./dist/", import.meta.url).href; // never a CDN
  ort.env.wasm.proxy = false;
  // One thread (burn's CPU backend has one); more only work when cross-origin isolated.
  ort.env.wasm.numThreads = self.crossOriginIsolated ? threads : 1;
  bench.num_threads = ort.env.wasm.numThreads;
  if (ep === "webgpu") {
    const adapter = await navigator.gpu?.requestAdapter();
    if (!adapter) throw new Error("no WebGPU adapter");
    const info = adapter.info ?? {};
    bench.adapter = `${info.vendor || "?"} / ${info.architecture || "?"}${info.isFallbackAdapter ? " (fallback adapter)" : ""}`;
  }
  const options = { executionProviders: [ep], graphOptimizationLevel: "all" };
  // Runtime start-up (module, wasm, EP) timed apart, on a one-op model.
  const init = await ort.InferenceSession.create(await (await fetchOk("models/_init.onnx")).arrayBuffer(), options);
  await init.release();
  bench.init_ms = performance.now() - t0;
  show();
  for (const variant of variants) await benchVariant(ort, variant, options);
}

main().catch((e) => { bench.error = String(e?.message ?? e); }).finally(() => { bench.done = true; show(); });

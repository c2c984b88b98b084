// The page's bench input in JavaScript: src/app/bench.rs's gradient, then the crop, Pillow-exact
// resampling and normalisation of crates/effnet/src/preprocess.rs (the same arithmetic, step by
// step, so the values are bit-identical; the ORT page checks them against export_onnx.py's copy).

/** size × size RGB gradient (bytes, row-major), as bench.rs's `gradient`. */
export function gradient(size) {
  const data = new Uint8Array(size * size * 3);
  const d = Math.max(size, 2) - 1;
  let i = 0;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const fx = x / d, fy = y / d;
      data[i++] = Math.trunc(255 * fx);
      data[i++] = Math.trunc(255 * fy);
      data[i++] = Math.trunc(255 * (1 - (fx + fy) / 2));
    }
  }
  return { width: size, height: size, data };
}

const FILTERS = {
  bilinear: { support: 1, weight: (x) => Math.max(1 - Math.abs(x), 0) },
  bicubic: {
    support: 2,
    weight: (x) => {
      const A = -0.5;
      x = Math.abs(x);
      if (x < 1) return ((A + 2) * x - (A + 3)) * x * x + 1;
      if (x < 2) return (((x - 5) * x + 8) * x - 4) * A;
      return 0;
    },
  },
};
const PRECISION_BITS = 22;
const ONE = 2 ** PRECISION_BITS;

function taps(inSize, outSize, filter) {
  const scale = inSize / outSize;
  const filterscale = Math.max(scale, 1);
  const support = filter.support * filterscale;
  const out = [];
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const xmax = Math.min(Math.trunc(center + support + 0.5), inSize);
    const raw = [];
    for (let x = xmin; x < xmax; x++) raw.push(filter.weight((x - center + 0.5) / filterscale));
    let total = 0;
    for (const w of raw) total += w;
    const weights = raw.map((w) => {
      const fixed = (total !== 0 ? w / total : w) * ONE;
      return Math.trunc(fixed < 0 ? fixed - 0.5 : fixed + 0.5);
    });
    out.push({ start: xmin, weights });
  }
  return out;
}

const clip8 = (acc) => Math.min(Math.max(Math.floor(acc / ONE), 0), 255);

/** Pillow-compatible resize of an RGB image (horizontal pass first). */
export function resample(img, outW, outH, interpolation) {
  const filter = FILTERS[interpolation];
  if (!filter) throw new Error(`unknown interpolation ${interpolation}`);
  if (outW !== img.width) {
    const t = taps(img.width, outW, filter);
    const data = new Uint8Array(outW * img.height * 3);
    for (let y = 0; y < img.height; y++) {
      const row = y * img.width * 3;
      for (let x = 0; x < outW; x++) {
        for (let c = 0; c < 3; c++) {
          let acc = ONE / 2;
          t[x].weights.forEach((w, k) => { acc += img.data[row + (t[x].start + k) * 3 + c] * w; });
          data[(y * outW + x) * 3 + c] = clip8(acc);
        }
      }
    }
    img = { width: outW, height: img.height, data };
  }
  if (outH !== img.height) {
    const t = taps(img.height, outH, filter);
    const w3 = img.width * 3;
    const data = new Uint8Array(w3 * outH);
    for (let y = 0; y < outH; y++) {
      for (let x = 0; x < w3; x++) {
        let acc = ONE / 2;
        t[y].weights.forEach((w, k) => { acc += img.data[(t[y].start + k) * w3 + x] * w; });
        data[y * w3 + x] = clip8(acc);
      }
    }
    img = { width: img.width, height: outH, data };
  }
  return img;
}

function crop(img, left, top, w, h) {
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    const from = ((top + y) * img.width + left) * 3;
    data.set(img.data.subarray(from, from + w * 3), y * w * 3);
  }
  return { width: w, height: h, data };
}

function roundHalfEven(x) {
  let r = Math.round(x);
  if (Math.abs(x - Math.trunc(x)) === 0.5 && r % 2 !== 0) r -= 1;
  return r;
}

/** `p` is a manifest-style preprocessing ({size, resize: {rule, …}, interpolation, mean, std}):
 * the network input, NCHW float32 [1, 3, size, size]. */
export function preprocess(img, p) {
  const { width: w, height: h } = img;
  const size = p.size;
  let out;
  if (p.resize.rule === "centre_crop_then_resize") {
    const short = Math.min(w, h);
    const side = Math.min(Math.max(Math.floor((short * size) / (size + p.resize.pad) + 0.5), 1), short);
    out = resample(crop(img, Math.floor((w - side) / 2), Math.floor((h - side) / 2), side, side), size, size, p.interpolation);
  } else if (p.resize.rule === "short_side_then_centre_crop") {
    const r = p.resize.resize;
    const [nw, nh] = w <= h ? [r, Math.trunc((r * h) / w)] : [Math.trunc((r * w) / h), r];
    const scaled = resample(img, nw, nh, p.interpolation);
    out = nw < size || nh < size
      ? resample(scaled, size, size, p.interpolation)
      : crop(scaled, roundHalfEven((nw - size) / 2), roundHalfEven((nh - size) / 2), size, size);
  } else {
    throw new Error(`unknown resize rule ${p.resize.rule}`);
  }
  const plane = size * size;
  const x = new Float32Array(3 * plane);
  const mean = p.mean.map(Math.fround), std = p.std.map(Math.fround);
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) x[c * plane + i] = Math.fround(out.data[i * 3 + c] - mean[c]) / std[c];
  }
  return x;
}

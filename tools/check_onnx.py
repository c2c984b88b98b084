#!/usr/bin/env python3
"""Runs target/onnx/<variant>.onnx with onnxruntime (CPU) on its bench input and compares the
logits with torch's (recorded by tools/export_onnx.py). Needs numpy + onnxruntime, e.g. a venv:

    python3 -m venv target/onnx-venv && target/onnx-venv/bin/pip install onnxruntime==1.30.0 numpy
    target/onnx-venv/bin/python tools/check_onnx.py [--variants lite0,b0] [--tol 1e-3]
"""

import argparse
import json
import os
import sys

import numpy as np
import onnxruntime as ort

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--variants", default="lite0,lite1,lite2,b0")
    ap.add_argument("--dir", default=os.path.join(HERE, "..", "target", "onnx"))
    ap.add_argument("--tol", type=float, default=1e-3, help="max |logit difference| allowed")
    args = ap.parse_args()
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    bad = 0
    for variant in filter(None, args.variants.split(",")):
        with open(os.path.join(args.dir, f"{variant}.json")) as f:
            meta = json.load(f)
        x = np.fromfile(os.path.join(args.dir, meta["input_file"]), dtype="<f4").reshape(meta["input_shape"])
        sess = ort.InferenceSession(os.path.join(args.dir, f"{variant}.onnx"), opts, providers=["CPUExecutionProvider"])
        logits = sess.run(["logits"], {"input": x})[0][0]
        diff = float(np.abs(logits - np.array(meta["torch_logits"], np.float32)).max())
        top5 = [int(i) for i in np.argsort(-logits, kind="stable")[:5]]
        same = top5 == [e["index"] for e in meta["torch_top5"]]
        ok = diff <= args.tol and (same or not meta["pretrained"])
        bad += not ok
        print(f"{variant}: onnxruntime {ort.__version__} vs torch {meta['torch']}: max |dlogit| {diff:.2e}, "
              f"top-5 {top5} {'same as' if same else 'DIFFERS from'} torch's -> {'ok' if ok else 'FAIL'}")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Native CPU latency, burn (Flex backend) against PyTorch, one thread each, side by side in one run.

For each variant: burn's `effnet bench` (RAYON_NUM_THREADS=1; also with --no-kernels, burn's own
operations instead of our Flex kernels) and PyTorch (torch.set_num_threads(1);
torchvision's efficientnet_bN for B0-B7 — the seed's architecture, same parameter counts — and
tools/lite_reference.py for Lite0-4), random weights, batch 1 at the variant's resolution, one
warm-up run, then the median of --runs. Prints a markdown table (and JSON with --json FILE).

    PY tools/bench_native.py [--variants b0,lite0] [--runs 5] [--json out.json] [--effnet PATH]

PY is any python with torch + torchvision. Debian's python3-torch (/usr/bin/python3) uses a generic
BLAS and is slow; for a fair peer use PyPI's torch (~3 GB of wheels, not part of the set-up):
    python3 -m venv target/bench-venv && target/bench-venv/bin/pip install torch torchvision
    target/bench-venv/bin/python tools/bench_native.py
Needs `cargo build --release --bin effnet` first. Latest results: docs/bench-native.md.
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

import torch
import torchvision.models as tvm

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, ".."))
sys.path.insert(0, HERE)
import lite_reference  # noqa: E402

RESOLUTION = {"b0": 224, "b1": 240, "b2": 260, "b3": 300, "b4": 380, "b5": 456, "b6": 528, "b7": 600,
              "lite0": 224, "lite1": 240, "lite2": 260, "lite3": 280, "lite4": 300}


def torch_model(variant):
    if variant.startswith("lite"):
        return lite_reference.build(variant)
    return getattr(tvm, f"efficientnet_{variant}")(weights=None)


def bench_torch(variant, runs):
    torch.manual_seed(0)
    model = torch_model(variant).eval()
    r = RESOLUTION[variant]
    x = torch.randn(1, 3, r, r)
    times = []
    with torch.no_grad():
        for i in range(runs + 1):
            t = time.perf_counter()
            model(x)
            times.append((time.perf_counter() - t) * 1e3)
    return times[0], statistics.median(times[1:])


def bench_burn(variant, runs, effnet, extra=()):
    env = dict(os.environ, RAYON_NUM_THREADS="1")
    out = subprocess.run([effnet, "bench", "--variants", variant, "--runs", str(runs), "--json", *extra],
                         env=env, check=True, capture_output=True, text=True).stdout
    row = json.loads(out.strip().splitlines()[-1])
    return row["cold_ms"], row["warm_median_ms"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--variants", default="b0,b1,b2,b3,lite0,lite1,lite2")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--json")
    ap.add_argument("--effnet", default=os.path.join(ROOT, "target", "release", "effnet"))
    args = ap.parse_args()
    torch.set_num_threads(1)
    rows = []
    for v in args.variants.split(","):
        burn_cold, burn = bench_burn(v, args.runs, args.effnet)
        _, plain = bench_burn(v, args.runs, args.effnet, ["--no-kernels"])
        torch_cold, pt = bench_torch(v, args.runs)
        rows.append({"variant": v, "resolution": RESOLUTION[v], "burn_cold_ms": burn_cold, "burn_ms": burn,
                     "burn_no_kernels_ms": plain, "torch_cold_ms": torch_cold, "torch_ms": pt, "ratio": burn / pt})
        print(f"{v}: burn {burn:.1f} ms ({plain:.1f} without our kernels), torch {pt:.1f} ms", file=sys.stderr)
    print(f"Native CPU, 1 thread, batch 1, warm median of {args.runs} "
          f"({platform.processor() or platform.machine()}, torch {torch.__version__}, {time.strftime('%Y-%m-%d')})\n")
    print("| variant | input | burn Flex (ms) | burn without our kernels (ms) | PyTorch (ms) | burn / PyTorch |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['variant']} | {r['resolution']} | {r['burn_ms']:.1f} | {r['burn_no_kernels_ms']:.1f} "
              f"| {r['torch_ms']:.1f} | {r['ratio']:.2f} |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()

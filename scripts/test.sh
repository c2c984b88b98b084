#!/usr/bin/env bash
# Runs every test of the project (README's test command). Needs what scripts/setup.sh installs.
#   0. rustfmt: the Rust code is formatted (cargo fmt --check); the page's imports run one way
#      (tools/check_layers.py); clippy finds nothing in the core crate (native, -D warnings).
#   1. PyTorch references: parity fixtures (seed, torchvision, timm, lukemelas, Lite) with random
#      weights, Lite0's real-weights results on sample photos, heads trained in PyTorch
#      (tools/teach_reference.py), and folders of handwritten digits for `effnet teach`.
#   2. The core crate's tests (native, burn's Flex CPU backend).
#   3. The page in headless Chromium (WebGPU via SwiftShader, and the CPU fallback).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=/usr/bin/python3
FIX=target/fixtures

. scripts/lib.sh

step "formatting (cargo fmt --check) and the page's layers"
cargo fmt --all --check
python3 tools/check_layers.py

step "clippy (core crate, native, all targets, -D warnings)"
cargo clippy -p effnet --all-targets -- -D warnings

step "python references"
"$PY" -c 'import torch, torchvision' 2>/dev/null || {
  echo "test.sh: Debian's python3-torch and python3-torchvision are missing: run scripts/setup.sh" >&2; exit 1; }
tools/fetch_python_deps.sh --lite-weights --digits > /dev/null
# the seed reference (../shared/seed or $EFFNET_SEED) is optional; where it is, its own fixtures are required
seed=$("$PY" tools/gen_fixtures.py --seed-path)
if [ -n "$seed" ]; then export EFFNET_REQUIRE_SEED=1; fi
"$PY" tools/gen_fixtures.py "$FIX"
"$PY" tools/make_jpeg_samples.py "$FIX/jpeg-kinds" > /dev/null
lite0=$(ls target/weights/efficientnet-lite0-*.pth | head -n1)
for photo in coffee.png chelsea.png rocket.jpg; do
  "$PY" tools/lite_reference.py --variant lite0 --weights "$lite0" --image "static/samples/$photo" \
    --crop-out "$FIX/lite0_${photo%.*}.crop.png" --json "$FIX/lite0_${photo%.*}.json" > /dev/null
done
# heads trained in PyTorch (crates/effnet/tests/teach_parity.rs): Teachable Machine's settings on
# 1280 separable features, and 16 features of overlapping classes
"$PY" tools/teach_reference.py "$FIX/teach_parity.json"
"$PY" tools/teach_reference.py "$FIX/teach_parity_overlap.json" --dim 16 --examples 250 \
  --classes 3 --seed 11 --batch-size 10 --l2 0.01
# class folders for `effnet teach` (crates/effnet/tests/teach_cli.rs)
"$PY" tools/make_digits_folders.py "$FIX/digits" --per-class 30 --digits 0,1,2,3,4 --corrupt
"$PY" tools/make_digits_folders.py "$FIX/digits-empty" --per-class 2 --digits 0,1 --empty-class
"$PY" tools/make_digits_folders.py "$FIX/digits-one" --per-class 3 --digits 0

step "core crate (cargo test -p effnet)"
cargo test -p effnet

if ls tests/browser/*.test.mjs > /dev/null 2>&1; then
  step "page in headless Chromium"
  bash scripts/browser_tests.sh
fi

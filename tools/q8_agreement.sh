#!/usr/bin/env bash
# How closely f16 and q8 web weights agree with f32, per variant with pretrained weights, on real
# photos: the repo's samples plus the photos the scikit-image and scikit-learn wheels ship
# (tools/fetch_python_deps.sh --photos). Prints a markdown table (docs/weights.md has the last one); a bench, not a test.
#   tools/q8_agreement.sh [EFFNET_BIN]      (default target/debug/effnet; build it first)
set -euo pipefail
cd "$(dirname "$0")/.."
EFFNET="${1:-target/debug/effnet}"
OUT=target/agreement
mkdir -p "$OUT"
tools/fetch_python_deps.sh --lite-weights --photos > /dev/null
photos=(static/samples/*.png static/samples/*.jpg)
for f in target/photos/*.png target/photos/*.jpg; do
  [ -e "$f" ] || continue
  [ -e "static/samples/$(basename "$f")" ] && continue   # the same photo
  photos+=("$f")
done
variants=()
for pth in target/weights/efficientnet-lite[0-9]-*.pth target/weights/torchvision-efficientnet_b[0-9]*.pth; do
  [ -e "$pth" ] || continue
  case "$pth" in
    *lite*) v=lite$(basename "$pth" | sed 's/efficientnet-lite\([0-9]\).*/\1/'); src=lukemelas ;;
    *) v=b$(basename "$pth" | sed 's/torchvision-efficientnet_b\([0-9]\).*/\1/'); src=torchvision ;;
  esac
  variants+=("$v")
  for p in f32 f16 q8; do
    "$EFFNET" convert --variant "$v" --source "$src" --precision "$p" "$pth" "$OUT/$v.$p.safetensors" > /dev/null 2>&1
    "$EFFNET" classify --variant "$v" --weights "$OUT/$v.$p.safetensors" --json "${photos[@]}" > "$OUT/$v.$p.jsonl"
  done
done
/usr/bin/python3 tools/agreement.py "$OUT" "${#photos[@]}" "${variants[@]}"

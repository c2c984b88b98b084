#!/usr/bin/env bash
# Builds the site as it is shipped (scripts/build_site.sh: profile site, hashed names, service
# worker, CSP, precompressed files) and drives it in headless Debian Chromium, served
# by site/serve.mjs under a sub-path with the site's own headers.
set -euo pipefail
cd "$(dirname "$0")/.."
cd tests/browser
[ -d node_modules/playwright-core ] && [ -d node_modules/binaryen ] && [ -d node_modules/axe-core ] || npm ci --no-audit --no-fund --loglevel=error
cd ../..
scripts/build_site.sh
cd tests/browser
npm test

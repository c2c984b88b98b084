#!/usr/bin/env bash
# Runs the CubeCL kernel tests (crates/effnet/tests/cube_kernels.rs): the core's `cube` kernels
# (depthwise convolution, preprocessing) on burn's wgpu runtime, against burn's grouped
# convolution and the CPU preprocessing. On a machine without a GPU, wgpu runs them on Mesa's
# lavapipe (software Vulkan, Debian's mesa-vulkan-drivers), installed here when missing. (burn's
# CPU CubeCL runtime is no alternative offline: its build downloads LLVM from GitHub.)
#
#   scripts/test_kernels.sh                 build and run (prints the adapter and each case's |Δ|)
#   scripts/test_kernels.sh <test filter>   only the matching tests
#
# Builds in its own target dir (target/cube unless CARGO_TARGET_DIR is set): the `cube` feature
# brings wgpu into the core crate, which the default build (scripts/test.sh) never compiles.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

step "Vulkan driver (lavapipe) and loader"
install_missing mesa-vulkan-drivers libvulkan1
ls /usr/share/vulkan/icd.d/
echo "ok"

step "kernel tests (cargo test -p effnet --no-default-features --features cube --test cube_kernels)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$(pwd)/target/cube}"
# Mesa's window-system code complains on every device open without one (harmless otherwise).
if [ -z "${XDG_RUNTIME_DIR:-}" ]; then XDG_RUNTIME_DIR=$(mktemp -d); export XDG_RUNTIME_DIR; fi
# One test at a time: the software rasteriser already uses every core, and the output reads in
# order.
cargo test -p effnet --no-default-features --features cube --test cube_kernels -- \
  --nocapture --test-threads=1 "$@"

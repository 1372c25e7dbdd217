#!/usr/bin/env bash
# Builds SSAM's side of the in-browser comparison: the `ssam-bench` wasm module (wasm-bindgen,
# --target web) and an index of raw pixels, both under target/browser-peers/.
# Needs the wasm toolchain of scripts/setup.sh (wasm32 target, wasm-bindgen, wasm-opt).
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/env.sh

out=target/browser-peers
cargo build --release --locked --target wasm32-unknown-unknown --bin ssam-bench
wasm-bindgen --target web --no-typescript --out-dir "$out/pkg" target/wasm32-unknown-unknown/release/ssam-bench.wasm
# wasm-bindgen has written the name with a hyphen in some versions and an underscore in others.
for wasm in "$out"/pkg/ssam-bench_bg.wasm "$out"/pkg/ssam_bench_bg.wasm; do
    [ -f "$wasm" ] && break
done
# Optional: the module works unoptimised, only slower, so a wasm-opt that is missing or
# rejects the module is reported, not fatal.
if ! wasm-opt -O3 --enable-simd --enable-bulk-memory --enable-nontrapping-float-to-int \
    --enable-sign-ext --enable-mutable-globals "$wasm" -o "$wasm.opt"; then
    echo "build-ssam.sh: wasm-opt failed; using the module as wasm-bindgen wrote it" >&2
    rm -f "$wasm.opt"
else
    mv "$wasm.opt" "$wasm"
fi
cargo run --release --locked -p ssam-cli -- build --space raw --trees 10 --degree 24 --out "$out/index-raw.ssam"
cargo run --release --locked -p ssam-cli -- build --space raw --trees 10 --degree 24 --codes 64 --out "$out/index-raw-codes.ssam"

#!/usr/bin/env bash
# Sets up what is missing, then runs every test: the engine and the CLI natively, the
# engine compiled for WebAssembly, the site built as it ships and driven in Chromium.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh --browser
source scripts/env.sh

printf '\n== native tests: the engine, the CLI, the page/worker protocol, doc examples\n'
cargo test --release --locked --workspace

printf '\n== the engine knows no browser: no browser crate in its dependency tree\n'
if cargo tree --locked -p ssam --target all -e normal,build --prefix none | grep -E '^(wasm-bindgen|web-sys|js-sys|leptos|gloo)'; then
    echo "the engine crate (crates/ssam) depends on a browser crate" >&2
    exit 1
fi

printf '\n== the engine compiles for wasm32 with SIMD\n'
cargo build --release --locked --target wasm32-unknown-unknown -p ssam

printf '\n== browser-only code in Chromium (wasm-bindgen-test): picture decoding, simd128 kernels\n'
CHROMEDRIVER="${CHROMEDRIVER:-$(command -v chromedriver)}" cargo test --release --locked --target wasm32-unknown-unknown --test web

printf '\n== the site builds as it ships\n'
trunk build --release
test -s dist/index.html && test -s dist/assets/index.ssam.gz && ls dist/*.wasm >/dev/null

printf '\n== the site in Chromium: draw, upload, damaged index, no requests after loading\n'
CHROMEDRIVER="${CHROMEDRIVER:-$(command -v chromedriver)}" cargo test --release --locked --test e2e

printf '\nall tests passed\n'

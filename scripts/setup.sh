#!/usr/bin/env bash
# Installs what building and testing SSAM needs, skipping whatever is already there:
# the wasm32 target, Trunk, the wasm-bindgen CLI that matches Cargo.lock, wasm-opt
# (npm's binaryen) and, with --browser, Debian's Chromium, ChromeDriver, nginx (the static
# server of the browser tests and bench/phone.sh) and the fonts the tests type digits in.
# Only package registries are used. Source it or run it; tools land in ~/.cargo/bin and
# target/tools.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

TRUNK_VERSION=0.21.14
BINARYEN_VERSION=132
WASM_BINDGEN_VERSION=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)

step() { printf '\n== %s\n' "$*"; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    step "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
fi

if [ "$(trunk --version 2>/dev/null)" != "trunk $TRUNK_VERSION" ]; then
    step "installing trunk $TRUNK_VERSION (about 15 minutes on 2 cores, once)"
    cargo install --locked trunk --version "$TRUNK_VERSION"
fi

if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $WASM_BINDGEN_VERSION" ]; then
    step "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (matches Cargo.lock)"
    # Without --locked: the CLI's own lock file pins a crate the registry no longer has.
    cargo install wasm-bindgen-cli --version "=$WASM_BINDGEN_VERSION"
fi

if [ "$(target/tools/node_modules/.bin/wasm-opt --version 2>/dev/null | awk '{print $3}')" != "$BINARYEN_VERSION" ]; then
    step "installing wasm-opt (binaryen $BINARYEN_VERSION from npm)"
    mkdir -p target/tools
    (cd target/tools && npm install --silent --no-audit --no-fund "binaryen@$BINARYEN_VERSION")
fi

if [ "${1:-}" = "--browser" ] && { ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; }; then
    step "installing Debian's chromium and chromium-driver"
    sudo=""
    [ "$(id -u)" = 0 ] || sudo=sudo
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium chromium-driver
fi

if [ "${1:-}" = "--browser" ] && ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then
    step "installing Debian's nginx (serves dist/ to the browser tests and bench/phone.sh, as a CDN would)"
    sudo=""
    [ "$(id -u)" = 0 ] || sudo=sudo
    $sudo apt-get update -qq
    # Each test and benchmark runs its own on a free port; none needs the system's service.
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq nginx
fi

# The fonts crates/ssam/tests/preprocess.rs types digits in.
fonts=(/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf /usr/share/fonts/truetype/dejavu/DejaVuSans-ExtraLight.ttf /usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf)
if [ "${1:-}" = "--browser" ] && ! ls "${fonts[@]}" >/dev/null 2>&1; then
    step "installing Debian's DejaVu and Liberation fonts (digits typed in them are test queries)"
    sudo=""
    [ "$(id -u)" = 0 ] || sudo=sudo
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq fonts-dejavu-core fonts-dejavu-extra fonts-liberation
fi

if [ "${1:-}" = "--browser" ] && [ ! -d target/tools/node_modules/playwright-core ]; then
    step "installing playwright-core (drives Debian's Chromium for bench/browser.sh; no browser download)"
    mkdir -p target/tools
    (cd target/tools && npm install --silent --no-audit --no-fund playwright-core@1)
fi

step "fetching crates"
cargo fetch --locked --quiet

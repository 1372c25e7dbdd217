#!/usr/bin/env bash
# The map's in-browser figures of the README (bench/map.js): serves dist/ with nginx
# as the tests serve it (bench/nginx.sh; dist/ built when missing), measures frame times
# and placing, writes screenshots to bench/out/map-*.png.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --browser
source scripts/env.sh
[ -s dist/index.html ] || trunk build --release
mkdir -p bench/out
source bench/nginx.sh dist
PLAYWRIGHT_CORE="$PWD/target/tools/node_modules/playwright-core" node bench/map.js "$base" bench/out

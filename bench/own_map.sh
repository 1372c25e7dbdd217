#!/usr/bin/env bash
# An own set's map laid out in the page (bench/own_map.js): serves dist/ with nginx as
# the tests serve it (bench/nginx.sh; dist/ built when missing), lays out MNIST's first
# 5,000 and all 60,000 training digits given as own sets, times it and a Cancel;
# screenshots in bench/out/own-map-*.png. Sizes may be given: `bash bench/own_map.sh 5000`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --browser
source scripts/env.sh
[ -s dist/index.html ] || trunk build --release
mkdir -p bench/out
source bench/nginx.sh dist
PLAYWRIGHT_CORE="$PWD/target/tools/node_modules/playwright-core" node bench/own_map.js "$base" bench/out "$@"

#!/usr/bin/env bash
# The in-browser figures of the README: serves dist/ with nginx as the tests serve it
# (bench/nginx.sh; dist/ built when missing) and measures it in headless Chromium
# (bench/browser.js): first search, bytes, longest main-thread tasks, the page's
# benchmark, an offline second visit, and an own set of 60,000 28x28 images (MNIST's
# training images, raw IDX) indexed.
#   bash bench/browser.sh          1,000 test queries per setting
#   bash bench/browser.sh 10000    all of them
#   DIST=path/to/site bash bench/browser.sh   another build, e.g. the one before a change
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --browser
source scripts/env.sh
dist="${DIST:-dist}"
[ -s "$dist/index.html" ] || trunk build --release --dist "$dist"
mkdir -p bench/out
own=bench/out/train-images-60000.idx
[ -s "$own" ] || gunzip -c assets/mnist/train-images-idx3-ubyte.gz > "$own"
source bench/nginx.sh "$dist"
PLAYWRIGHT_CORE="$PWD/target/tools/node_modules/playwright-core" node bench/browser.js "$base" "${1:-1000}" "$PWD/$own"

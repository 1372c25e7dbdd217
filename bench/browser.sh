#!/usr/bin/env bash
# The in-browser figures of the README: builds the site, serves dist/ on a free local
# port and measures it in headless Chromium (bench/browser.js): first search, bytes,
# longest main-thread tasks, the page's benchmark, an offline second visit, and an own
# set of 60,000 28x28 images (MNIST's training images, raw IDX) indexed.
#   bash bench/browser.sh          1,000 test queries per setting
#   bash bench/browser.sh 10000    all of them
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --browser
source scripts/env.sh
trunk build --release
mkdir -p bench/out
own=bench/out/train-images-60000.idx
[ -s "$own" ] || gunzip -c assets/mnist/train-images-idx3-ubyte.gz > "$own"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 -m http.server "$port" --bind 127.0.0.1 --directory dist >/dev/null 2>&1 &
server=$!
trap 'kill $server' EXIT
sleep 1
PLAYWRIGHT_CORE="$PWD/target/tools/node_modules/playwright-core" node bench/browser.js "http://127.0.0.1:$port/" "${1:-1000}" "$PWD/$own"

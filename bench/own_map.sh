#!/usr/bin/env bash
# An own set's map laid out in the page (bench/own_map.js): builds the site, serves dist/
# on a free local port, lays out MNIST's first 5,000 and all 60,000 training digits given
# as own sets, times it and a Cancel; screenshots in bench/out/own-map-*.png. Sizes may be
# given: `bash bench/own_map.sh 5000`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --browser
source scripts/env.sh
trunk build --release
mkdir -p bench/out
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 -m http.server "$port" --bind 127.0.0.1 --directory dist >/dev/null 2>&1 &
server=$!
trap 'kill $server' EXIT
sleep 1
PLAYWRIGHT_CORE="$PWD/target/tools/node_modules/playwright-core" node bench/own_map.js "http://127.0.0.1:$port/" bench/out "$@"

#!/usr/bin/env bash
# The map's in-browser figures of the README (bench/map.js): builds the site, serves
# dist/ on a free local port, measures frame times and placing, writes screenshots to
# bench/out/map-*.png.
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
PLAYWRIGHT_CORE="$PWD/target/tools/node_modules/playwright-core" node bench/map.js "http://127.0.0.1:$port/" bench/out

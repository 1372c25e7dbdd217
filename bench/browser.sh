#!/usr/bin/env bash
# The in-browser figures of the README: builds the site, serves dist/ on a free local
# port and runs the page's benchmark panel in headless Chromium.
#   bash bench/browser.sh          1,000 test queries per budget
#   bash bench/browser.sh 10000    all of them
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --browser
source scripts/env.sh
trunk build --release
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 -m http.server "$port" --bind 127.0.0.1 --directory dist >/dev/null 2>&1 &
server=$!
trap 'kill $server' EXIT
sleep 1
PLAYWRIGHT_CORE="$PWD/target/tools/node_modules/playwright-core" node bench/browser.js "http://127.0.0.1:$port/" "${1:-1000}"

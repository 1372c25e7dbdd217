#!/usr/bin/env bash
# The page's longest main-thread tasks (bench/mainthread.mjs): three first visits, a
# folder of 5,000 pictures as an own set, a 12000x12000 and a 30000x30000 PNG uploaded.
# Builds the site only when dist/ is missing; the inputs are written by
# bench/mainthread_inputs.py into a temporary folder.
#   bash bench/mainthread.sh        three visits
#   bash bench/mainthread.sh 5      five
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --browser
source scripts/env.sh
[ -s dist/index.html ] || trunk build --release
inputs=$(mktemp -d)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 -m http.server "$port" --bind 127.0.0.1 --directory dist >/dev/null 2>&1 &
server=$!
trap 'kill $server; rm -rf "$inputs"' EXIT
python3 bench/mainthread_inputs.py "$inputs"
PLAYWRIGHT_CORE="$PWD/target/tools/node_modules/playwright-core" node bench/mainthread.mjs "http://127.0.0.1:$port/" "$inputs" "${1:-3}"

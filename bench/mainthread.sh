#!/usr/bin/env bash
# The page's longest main-thread tasks (bench/mainthread.mjs): three first visits, a
# folder of 5,000 pictures as an own set, a 12000x12000 and a 30000x30000 PNG uploaded.
# dist/ is served by nginx as the tests serve it (bench/nginx.sh) and built only when
# missing; the inputs are written by bench/mainthread_inputs.py into a temporary folder.
#   bash bench/mainthread.sh        three visits
#   bash bench/mainthread.sh 5      five
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --browser
source scripts/env.sh
[ -s dist/index.html ] || trunk build --release
source bench/nginx.sh dist
inputs=$(mktemp -d)
trap 'kill $server; wait $server 2>/dev/null; rm -rf "$prefix" "$inputs"' EXIT
python3 bench/mainthread_inputs.py "$inputs"
PLAYWRIGHT_CORE="$PWD/target/tools/node_modules/playwright-core" node bench/mainthread.mjs "http://127.0.0.1:$port/" "$inputs" "${1:-3}"

#!/usr/bin/env bash
# The page's longest main-thread tasks (bench/mainthread.mjs): three first visits, a
# folder of 5,000 pictures as an own set, a 12000x12000 and a 30000x30000 PNG uploaded.
# dist/ is served by nginx as the tests serve it (bench/nginx.sh) and built only when
# missing; the inputs are written by bench/mainthread_inputs.py into a temporary folder.
#   bash bench/mainthread.sh        three visits
#   bash bench/mainthread.sh 5      five
#   bash bench/mainthread.sh 9 load nine visits, nothing else
#   DIST=path/to/site bash bench/mainthread.sh   another build
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --browser
source scripts/env.sh
dist="${DIST:-dist}"
[ -s "$dist/index.html" ] || trunk build --release --dist "$dist"
source bench/nginx.sh "$dist"
inputs=$(mktemp -d)
at_exit "rm -rf '$inputs'"
[ "${2:-}" = load ] || python3 bench/mainthread_inputs.py "$inputs"
PLAYWRIGHT_CORE="$PWD/target/tools/node_modules/playwright-core" node bench/mainthread.mjs "$base" "$inputs" "${1:-3}" "${2:-}"

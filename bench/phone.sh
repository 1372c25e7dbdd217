#!/usr/bin/env bash
# The first result on a phone: dist/ served by nginx as a CDN serves it (scripts/nginx.conf,
# the end-to-end tests' server: gzip on, byte ranges), opened in headless Chromium at
# 390x844 with a fresh profile, "Random test digit" clicked as soon as it can be, and timed
# from navigation to the first result shown (bench/phone.js). Runs the phone's network
# (Lighthouse's mobile profile, emulated by Chromium), then localhost unthrottled; each a
# first visit, a second visit (the service worker's copy) and an offline visit.
#   bash bench/phone.sh
#   LATENCY_MS=40 DOWN_KBIT=9000 UP_KBIT=1500 bash bench/phone.sh   another network
#   DIST=path/to/site PAGE=some/page.html bash bench/phone.sh        another build or page
#   TAPS=100 bash bench/phone.sh    an impatient visitor: Random tapped again every 100 ms
#                                   (whenever it is enabled) until a result shows
# Builds nothing when dist/ (or $DIST) exists; else `trunk build --release`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
dist="${DIST:-dist}"
if [ ! -s "$dist/index.html" ]; then
    bash scripts/setup.sh --browser
    trunk build --release --dist "$dist"
fi
source bench/nginx.sh "$dist"

PLAYWRIGHT_CORE="$PWD/target/tools/node_modules/playwright-core" \
    LATENCY_MS="${LATENCY_MS:-150}" DOWN_KBIT="${DOWN_KBIT:-1638}" UP_KBIT="${UP_KBIT:-675}" \
    node bench/phone.js "$base${PAGE:-}" "$prefix/access.log"

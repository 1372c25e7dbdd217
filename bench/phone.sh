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
# Builds nothing when dist/ (or $DIST) exists; else `trunk build --release`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
dist="${DIST:-dist}"
if [ ! -s "$dist/index.html" ]; then
    bash scripts/setup.sh --browser
    trunk build --release --dist "$dist"
fi
command -v nginx >/dev/null || bash scripts/setup.sh --browser

prefix=$(mktemp -d)
ln -s "$(cd "$dist" && pwd)" "$prefix/root"
: > "$prefix/server.conf"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
user=""
[ "$(id -u)" = 0 ] && user="user root;"
sed -e "s#@PREFIX@#$prefix#g" -e "s#@PORT@#$port#g" -e "s#@USER@#$user#g" scripts/nginx.conf > "$prefix/nginx.conf"
nginx -c "$prefix/nginx.conf" -p "$prefix" &
server=$!
trap 'kill $server; wait $server 2>/dev/null; rm -rf "$prefix"' EXIT
for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
done

PLAYWRIGHT_CORE="$PWD/target/tools/node_modules/playwright-core" \
    LATENCY_MS="${LATENCY_MS:-150}" DOWN_KBIT="${DOWN_KBIT:-1638}" UP_KBIT="${UP_KBIT:-675}" \
    node bench/phone.js "http://127.0.0.1:$port/${PAGE:-}" "$prefix/access.log"

#!/usr/bin/env bash
# A large streamed set searched in the page (bench/million.js): dist/ and the set's folder
# served together by nginx as a CDN serves them (scripts/nginx.conf), the page opened
# with ?set=, each query timed in headless Chromium with a round trip added.
#   bash bench/million.sh                        50 digits, the set under target/million
#   ROOT=path/to/set.root COUNT=100 LATENCY_MS=50 bash bench/million.sh
#   HTTP2=1 bash bench/million.sh                over TLS with HTTP/2, as CDNs serve: a
#                                                query's ranges share one connection
# The set is built by `ssam augment` and `ssam stream --images ...` (README, "A million
# digits"); builds the site when dist/ has none.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
root="${ROOT:-target/million/train-images-idx3-ubyte.root}"
[ -s "$root" ] || { echo "no streamed set at $root: build it first (README, A million digits)" >&2; exit 1; }
if [ ! -s dist/index.html ]; then
    bash scripts/setup.sh --browser
    trunk build --release
fi
# The site and the set on one origin: the page may fetch only from its own.
site=$(mktemp -d)
trap 'rm -rf "$site"' EXIT
for f in dist/*; do ln -s "$PWD/$f" "$site/"; done
ln -s "$(cd "$(dirname "$root")" && pwd)" "$site/set"
source bench/nginx.sh "$site"
at_exit "rm -rf '$site'"
PLAYWRIGHT_CORE="$PWD/target/tools/node_modules/playwright-core" LATENCY_MS="${LATENCY_MS:-50}" \
    node bench/million.js "${base}?set=set/$(basename "$root")" \
    assets/mnist/t10k-labels-idx1-ubyte.gz "${COUNT:-50}"

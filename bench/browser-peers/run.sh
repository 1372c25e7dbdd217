#!/usr/bin/env bash
# SSAM beside two in-browser HNSW libraries, EdgeVec and hnswlib-wasm, in one headless
# Chromium page: same queries, same exact answers, same scoring, one table.
#   bash bench/browser-peers/run.sh [QUERIES] [--peers-only | --ssam-only]
# QUERIES (default 1000) are the first test digits. --peers-only skips SSAM (and its build);
# --ssam-only skips the peers' builds of several minutes. Writes bench/out/browser-peers.csv.
set -euo pipefail
cd "$(dirname "$0")/../.."

queries=1000
mode=""
for arg in "$@"; do
    case "$arg" in
        --peers-only | --ssam-only) mode="$arg" ;;
        *[!0-9]* | "") echo "usage: bash bench/browser-peers/run.sh [QUERIES] [--peers-only | --ssam-only]" >&2; exit 2 ;;
        *) queries="$arg" ;;
    esac
done

here=bench/browser-peers
tools=target/tools/browser-peers
step() { printf '\n== %s\n' "$*" >&2; }

if [ "$mode" != "--peers-only" ]; then
    # The wasm toolchain SSAM's module needs; also Chromium. Skips what is already there.
    bash scripts/setup.sh --browser
elif [ ! -x /usr/bin/chromium ]; then
    step "installing Debian's chromium"
    sudo=""
    [ "$(id -u)" = 0 ] || sudo=sudo
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium
fi

# Exact versions, so that figures from different runs compare; installed only when the
# folder does not already hold them. playwright-core never downloads a browser by itself.
packages=(edgevec@0.9.0 hnswlib-wasm@0.8.2 playwright-core@1)
installed() {
    node -e '
        const [dir, spec] = process.argv.slice(1);
        const at = spec.lastIndexOf("@");
        const want = spec.slice(at + 1);
        const have = require(`${dir}/node_modules/${spec.slice(0, at)}/package.json`).version;
        process.exit(have === want || have.startsWith(want + ".") ? 0 : 1);
    ' "$PWD/$tools" "$1" 2>/dev/null
}
for p in "${packages[@]}"; do
    if ! installed "$p"; then
        step "installing ${packages[*]} into $tools"
        mkdir -p "$tools"
        [ -f "$tools/package.json" ] || echo '{ "private": true }' >"$tools/package.json"
        (cd "$tools" && npm install --silent --no-audit --no-fund --save-exact "${packages[@]}")
        break
    fi
done

if [ "$mode" != "--peers-only" ]; then
    step "building SSAM's bench module and raw index"
    if ! bash "$here/build-ssam.sh"; then
        echo "run.sh: building SSAM's module failed (see above); --peers-only runs the peers alone" >&2
        exit 1
    fi
fi

# The shipped truth file is in the app's search space; the peers are compared on raw
# pixels, so the exact answers come from an index of raw pixels (forest only: quick).
truth=target/browser-peers/truth-raw.bin
if [ ! -s "$truth" ]; then
    step "exact 10th distances on raw pixels"
    mkdir -p target/browser-peers
    cargo run --release --locked --quiet -p ssam-cli -- build --space raw --no-graph --trees 1 --out target/browser-peers/forest-raw.ssam
    cargo run --release --locked --quiet -p ssam-cli -- truth --index target/browser-peers/forest-raw.ssam --out "$truth"
fi

step "serving the page and running it in Chromium ($queries queries)"
portfile=$(mktemp)
node "$here/serve.mjs" . "$tools" >"$portfile" &
server=$!
trap 'kill "$server" 2>/dev/null; rm -f "$portfile"' EXIT
for _ in $(seq 50); do
    [ -s "$portfile" ] && break
    kill -0 "$server" 2>/dev/null || { echo "run.sh: the page server stopped" >&2; exit 1; }
    sleep 0.1
done
port=$(head -n 1 "$portfile")
[ -n "$port" ] || { echo "run.sh: the page server did not start in 5 s" >&2; exit 1; }

BROWSER_PEERS_TOOLS="$PWD/$tools" node "$here/drive.mjs" "http://127.0.0.1:$port/" "$queries" bench/out/browser-peers.csv $mode

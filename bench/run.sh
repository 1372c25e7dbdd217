#!/usr/bin/env bash
# One command for the whole comparison on this machine: SSAM's sweep, then Annoy and
# hnswlib on the same files and truth, then one table and one plot of all of them.
#   bash bench/run.sh            all 10,000 test queries
#   bash bench/run.sh 1000       the first 1,000
set -euo pipefail
cd "$(dirname "$0")/.."
queries="${1:-10000}"
venv=bench/.venv
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check numpy annoy==1.17.3 hnswlib==0.8.0
cargo build --release --quiet
# The benchmark indexes have 10 trees and a degree cap of 24 (more than the shipped
# index, whose size a visitor downloads): speed, not bytes, is measured here.
./target/release/ssam bench --queries "$queries" --trees 10 --degree 24
"$venv/bin/python" bench/peers.py --queries "$queries"
./target/release/ssam plot bench/out/results.csv

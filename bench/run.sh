#!/usr/bin/env bash
# One command for the whole comparison on this machine: SSAM's sweep, then its peers
# (bench/peers.py) on the same files and truth, then one table, one plot and the summary
# of SSAM against the best peer at recall@10 0.95, 0.99 and 0.999.
#   bash bench/run.sh            all 10,000 test queries
#   bash bench/run.sh 1000       the first 1,000
# For the median of three runs, keep each run's bench/out/results.csv under its own name
# and give them all to `ssam plot a.csv b.csv c.csv`.
set -euo pipefail
cd "$(dirname "$0")/.."
queries="${1:-10000}"
venv=bench/.venv
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
# Pinned, from PyPI. pyglass-portable is glass (zilliztech/pyglass) built for AVX2; it
# imports as `glass`.
"$venv/bin/pip" install --quiet --disable-pip-version-check numpy==2.4.6 annoy==1.17.3 \
    hnswlib==0.8.0 faiss-cpu==1.15.1 usearch==2.26.6 pyglass-portable==2.1.0
cargo build --release --quiet -p ssam-cli
# The benchmark indexes have 10 trees and a degree cap of 24 (more than the shipped
# index, whose size a visitor downloads): speed, not bytes, is measured here.
./target/release/ssam bench --queries "$queries" --trees 10 --degree 24
"$venv/bin/python" bench/peers.py --queries "$queries"
./target/release/ssam plot bench/out/results.csv

#!/usr/bin/env bash
# Sets up what is missing, then builds the app and serves it on http://127.0.0.1:8080/
# (rebuilding on change). The MNIST files and the prebuilt index ship in assets/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
source scripts/env.sh
exec trunk serve --release "$@"

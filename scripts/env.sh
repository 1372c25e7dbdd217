# Puts the tools scripts/setup.sh installed on PATH; sourced by the other scripts.
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$HOME/.cargo/bin:$root/target/tools/node_modules/.bin:$PATH:/usr/sbin"  # nginx is in /usr/sbin

# Serves dist/ (or the folder given) with nginx as a CDN serves it (scripts/nginx.conf, the
# end-to-end tests' server: gzip on, the build's .gz copies, byte ranges) on a free local
# port, until the calling script exits. Sourced by every bench script that opens the site
# (the page reads its data by range requests, which python's http.server does not answer).
# Sets $port, $prefix (nginx's access.log is there), $scheme and $base (the site's URL,
# ending in /), and `at_exit COMMAND`, which runs COMMAND when the script exits (a caller's
# own `trap ... EXIT` would replace the one that stops nginx).
#   source bench/nginx.sh dist
#   HTTP2=1 source bench/nginx.sh dist   over TLS with HTTP/2, as CDNs serve (a certificate
#                                        made for the run; the browser must accept it)
if ! command -v nginx >/dev/null || [ ! -d target/tools/node_modules/playwright-core ]; then
    bash scripts/setup.sh --browser
fi
[ -s "$1/index.html" ] || { echo "bench/nginx.sh: no site in $1 (trunk build --release makes dist/)" >&2; exit 1; }
prefix=$(mktemp -d)
ln -s "$(cd "$1" && pwd)" "$prefix/root"
: > "$prefix/server.conf"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
user=""
[ "$(id -u)" = 0 ] && user="user root;"
scheme=http
listen="listen 127.0.0.1:@PORT@;"
if [ -n "${HTTP2:-}" ]; then
    scheme=https
    openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 \
        -keyout "$prefix/key.pem" -out "$prefix/cert.pem" 2>/dev/null
    listen="listen 127.0.0.1:@PORT@ ssl http2; ssl_certificate $prefix/cert.pem; ssl_certificate_key $prefix/key.pem;"
fi
sed -e "s#listen 127.0.0.1:@PORT@;#$listen#" -e "s#@PREFIX@#$prefix#g" -e "s#@PORT@#$port#g" \
    -e "s#@USER@#$user#g" scripts/nginx.conf > "$prefix/nginx.conf"
nginx -c "$prefix/nginx.conf" -p "$prefix" &
server=$!
exit_commands=("kill $server; wait $server 2>/dev/null; rm -rf '$prefix'")
at_exit() { exit_commands+=("$1"); }
on_exit() { local c; for c in "${exit_commands[@]}"; do eval "$c" || true; done; }
trap on_exit EXIT
up=""
for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && { up=1; break; }
    sleep 0.1
done
[ -n "$up" ] || { echo "bench/nginx.sh: nginx did not start: $(cat "$prefix/error.log" 2>/dev/null)" >&2; exit 1; }
base="$scheme://127.0.0.1:$port/"

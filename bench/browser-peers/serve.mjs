// Static server for the benchmark page. Cross-origin isolation (COOP + COEP) is the point:
// without it Chromium rounds performance.now() to 0.1 ms, too coarse for queries that take
// a fraction of that. Listens on a free loopback port and prints it as the first line.
//   node serve.mjs <repo root> <tools dir>
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const [root, tools] = process.argv.slice(2).map((p) => path.resolve(p));
if (!root || !tools) {
  console.error('usage: node serve.mjs <repo root> <tools dir>');
  process.exit(2);
}
const here = path.dirname(fileURLToPath(import.meta.url));

// URL prefix -> folder; nothing outside these is reachable.
const mounts = [
  ['/node_modules/', path.join(tools, 'node_modules')],
  ['/assets/', path.join(root, 'assets')],
  ['/ssam/', path.join(root, 'target', 'browser-peers')],
  ['/', here],
];

const types = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
};

function resolve(urlPath) {
  for (const [prefix, dir] of mounts) {
    if (!urlPath.startsWith(prefix)) continue;
    const file = path.join(dir, urlPath.slice(prefix.length) || 'index.html');
    return file.startsWith(dir + path.sep) ? file : null;
  }
  return null;
}

const server = http.createServer((req, res) => {
  const headers = {
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Embedder-Policy': 'require-corp',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Cache-Control': 'no-store',
  };
  let file;
  try {
    file = resolve(decodeURIComponent(new URL(req.url, 'http://x').pathname));
  } catch {
    file = null;
  }
  fs.stat(file ?? '', (err, st) => {
    if (!file || err || !st.isFile()) {
      res.writeHead(404, { ...headers, 'Content-Type': 'text/plain' });
      res.end('not found\n');
      return;
    }
    // .gz assets are served as opaque bytes on purpose: the page inflates them itself, as
    // SSAM's loader expects the files as shipped.
    const type = types[path.extname(file)] ?? 'application/octet-stream';
    res.writeHead(200, { ...headers, 'Content-Type': type, 'Content-Length': st.size });
    if (req.method === 'HEAD') res.end();
    else fs.createReadStream(file).pipe(res);
  });
});

server.listen(0, '127.0.0.1', () => console.log(server.address().port));
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0));

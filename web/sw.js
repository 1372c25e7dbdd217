// SSAM's service worker: keeps the page itself (HTML, app, worker, styles, icons) in a
// cache named after the build and answers the page's requests from it, so later visits
// load without the network. The data (assets/) are not its business: the engine's worker
// fetches what a query needs by range requests and keeps the whole set for offline use
// in its own cache (`data-ssam`), so nothing is downloaded twice.
//
// The page registers this worker only once a first result is shown, so that its
// downloads never compete with the first search. scripts/post_build.py writes the
// build's version and file list below; a new deploy has a new version, which installs a
// new cache and deletes the old one.
//
// Keeping the page never downloads a file the page already has:
// - files named by their content (Trunk's hashed app script, wasm and styles, and the
//   engine worker's script and wasm, which scripts/post_build.py names so) are taken from
//   the browser's HTTP cache whenever it has them, fresh or not (`force-cache`): the page
//   just loaded them, and a name that says its content cannot be stale;
// - files whose names stay the same from build to build (the page itself, the worker's
//   loader, the manifest, the icons) are revalidated with the host (`no-cache`): a 304
//   costs a few hundred bytes, and a copy kept under a host's `max-age` is never taken
//   for this version's (a stale page would point at files the new deploy no longer has).
// So the cache of version N holds version N's files only.
const VERSION = '__SSAM_VERSION__';
const FILES = __SSAM_FILES__;
const CACHE = 'ssam-' + VERSION;
const HASHED = /-[0-9a-f]{12,}(_bg)?\.(js|wasm|css)$/;

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches.open(CACHE)
      .then((cache) => cache.addAll(['./'].concat(FILES).map((url) => new Request(url, { cache: HASHED.test(url) ? 'force-cache' : 'no-cache' }))))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith('ssam-') && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  // A range request is the engine reading part of a data file: the network's to answer
  // (a whole cached file would come back as 200 and look like a host that ignores ranges).
  if (request.method !== 'GET' || request.headers.has('range') || new URL(request.url).origin !== self.location.origin) {
    return;
  }
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    const hit = (await cache.match(request, { ignoreSearch: true }))
      || (request.mode === 'navigate' ? await cache.match('./') : undefined);
    // Not in this build's files: the network, past the HTTP cache for the page itself.
    return hit || (request.mode === 'navigate' ? fetch(request.url, { cache: 'no-cache' }) : fetch(request));
  })());
});

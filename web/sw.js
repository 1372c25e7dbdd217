// SSAM's service worker: on the first visit it keeps the whole site (page, app, worker,
// MNIST files, index, exact answers) in a cache named after the build, then answers
// every request of the site from that cache, so later visits load without the network.
// scripts/post_build.py writes the build's version and file list below; a new deploy has
// a new version, which installs a new cache and deletes the old one.
//
// The new cache is filled from the server, never from the browser's HTTP cache
// (`cache: 'reload'`): static hosts send `max-age`, and a stale index.html or index
// from the HTTP cache, kept under the new version, would point at files the new deploy
// no longer has. So the cache of version N holds version N's files only.
const VERSION = '__SSAM_VERSION__';
const FILES = __SSAM_FILES__;
const CACHE = 'ssam-' + VERSION;

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches.open(CACHE)
      .then((cache) => cache.addAll(['./'].concat(FILES).map((url) => new Request(url, { cache: 'reload' }))))
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
  if (request.method !== 'GET' || new URL(request.url).origin !== self.location.origin) {
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

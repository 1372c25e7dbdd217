// The in-browser figures, scripted (bench/browser.sh): in headless Chromium on localhost,
// - time from navigation to the first possible search, and bytes transferred before it;
// - the longest main-thread task while loading and while the benchmark runs
//   (PerformanceObserver "longtask": tasks over 50 ms; none means every task was shorter);
// - the worker's WebAssembly memory with the test digits loaded (the worker reports it);
// - the page's own benchmark table (once a first result has brought the whole set);
// - a second visit with the server refusing everything;
// - an own set of 60,000 28x28 images (MNIST's training images as one IDX file) checked
//   and indexed, timed from handing the files over to the set being ready.
const { chromium } = require(process.env.PLAYWRIGHT_CORE || 'playwright-core');

(async () => {
  const [url, queries = '1000', ownSet] = process.argv.slice(2);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
  });
  // First visits without the service worker, whose caching after the first search would
  // count as transferred; the offline visit at the end uses it.
  const context = await browser.newContext({ serviceWorkers: 'block' });
  let bytes = 0;
  let counting = true;
  context.on('requestfinished', async (r) => {
    const size = (await r.sizes().catch(() => ({ responseBodySize: 0 }))).responseBodySize;
    if (counting) bytes += size;
  });
  const page = await context.newPage();
  // Long tasks from the very start of the page, kept in a global the script reads.
  await page.addInitScript(() => {
    window.__longest = 0;
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__longest = Math.max(window.__longest, e.duration);
    }).observe({ type: 'longtask', buffered: true });
  });
  const longest = async () => page.evaluate(() => { const l = window.__longest; window.__longest = 0; return l; });
  const say = (what, ms) => console.log(`${what}: ${ms > 0 ? ms.toFixed(0) + ' ms' : 'no task over 50 ms'}`);

  await page.goto(url);
  await page.waitForSelector('[data-testid=ready]', { timeout: 60000 });
  await page.waitForTimeout(500);
  counting = false;
  console.log(await page.textContent('[data-testid=ready]'));
  console.log(`transferred before the first search (page and worker, bodies): ${(bytes / 1e6).toFixed(2)} MB`);
  say('longest main-thread task while loading', await longest());

  // The set is searched by parts until a first result is shown; then it downloads whole,
  // and the benchmark runs once it is here (the worker refuses it before).
  const whole = Date.now();
  await page.click('.pick .primary');
  await page.waitForSelector('.results .verdict', { timeout: 60000 });
  await page.waitForSelector('[data-testid=ready][data-streamed=false]', { timeout: 600000 });
  console.log(`a first result, then the whole set here, ${((Date.now() - whole) / 1000).toFixed(2)} s after the click`);
  await longest();
  await page.selectOption('.bench select', queries);
  await page.click('text=Run benchmark');
  const status = '[data-testid=bench-status]';
  await page.waitForFunction((s) => /^(done|the benchmark stopped)/.test(document.querySelector(s).textContent), status, { timeout: 1800000 });
  say(`longest main-thread task during the ${queries}-query benchmark`, await longest());
  console.log(await page.textContent(status));
  const rows = await page.$$eval('.bench table tr', (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent).join('\t')));
  console.log(rows.join('\n'));


  if (ownSet) {
    await longest();
    const start = Date.now();
    await page.setInputFiles('[data-testid=own-files]', ownSet.split(','));
    await page.waitForFunction(() => /^Your set/.test(document.querySelector('[data-testid=ready]').textContent), null, { timeout: 120000 });
    const ms = Date.now() - start;
    console.log(`own set (${ownSet.split(',').map((f) => f.split('/').pop()).join(' + ')}) checked and indexed in ${(ms / 1000).toFixed(2)} s: ` + (await page.textContent('[data-testid=ready]')));
    say('longest main-thread task while the own set was indexed', await longest());
  }
  // Second visit, offline: the page registers its service worker once a first result is
  // shown, and the whole set downloads then; after both the site works offline.
  const online = await browser.newContext();
  const visit = await online.newPage();
  await visit.goto(url);
  await visit.waitForSelector('[data-testid=ready]', { timeout: 60000 });
  await visit.click('.pick .primary');
  await visit.waitForSelector('.results .verdict', { timeout: 60000 });
  await visit.waitForSelector('[data-testid=ready][data-streamed=false]', { timeout: 600000 });
  await visit.evaluate(() => navigator.serviceWorker.ready.then(() => true));
  await online.setOffline(true);
  await visit.reload();
  try {
    await visit.waitForSelector('[data-testid=ready]', { timeout: 60000 });
    await visit.click('.pick .primary');
    await visit.waitForSelector('.results .verdict', { timeout: 60000 });
    console.log('second visit with the network off: loads and searches; ' + (await visit.textContent('[data-testid=ready]')));
  } catch (e) {
    console.log('second visit with the network off: FAILED (' + e.message.split('\n')[0] + ')');
  }
  await browser.close();
})();

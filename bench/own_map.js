// An own set's map laid out in the page (bench/own_map.sh), in headless Chromium on
// localhost: MNIST's first N training digits given as an own set (IDX files), then
// "Lay out a map of this set": how long each stage takes (from the page's progress
// line), how long a search asked meanwhile takes to be answered, the whole layout as the
// worker timed it; then a second layout cancelled mid-way and how long the Cancel took to
// be answered. Screenshots of the laid-out map, desktop and phone, light and dark.
const fs = require('fs');
const os = require('os');
const path = require('path');
const zlib = require('zlib');
const { chromium } = require(process.env.PLAYWRIGHT_CORE || 'playwright-core');

// MNIST's first `n` training images and labels as IDX files in a temporary folder.
function subset(n) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'own-map-'));
  const images = zlib.gunzipSync(fs.readFileSync('assets/mnist/train-images-idx3-ubyte.gz'));
  const labels = zlib.gunzipSync(fs.readFileSync('assets/mnist/train-labels-idx1-ubyte.gz'));
  const img = Buffer.from(images.subarray(0, 16 + n * 784));
  img.writeUInt32BE(n, 4);
  const lab = Buffer.from(labels.subarray(0, 8 + n));
  lab.writeUInt32BE(n, 4);
  const files = [path.join(dir, `mnist-${n}-images.idx`), path.join(dir, `mnist-${n}-labels.idx`)];
  fs.writeFileSync(files[0], img);
  fs.writeFileSync(files[1], lab);
  return files;
}

async function ownSet(browser, url, files, viewport, scheme) {
  const context = await browser.newContext({ serviceWorkers: 'block', viewport, colorScheme: scheme });
  const page = await context.newPage();
  await page.goto(url);
  await page.waitForSelector('[data-testid=ready]', { timeout: 60000 });
  await page.setInputFiles('[data-testid=own-files]', files);
  await page.waitForFunction(() => /Your set/.test((document.querySelector('[data-testid=ready]')?.textContent || '')), null, { timeout: 120000 });
  await page.click('.pick .primary');
  await page.waitForSelector('.results .hits li');
  // The page's progress line, each change with the page's clock.
  await page.evaluate(() => {
    window.__lines = [];
    new MutationObserver(() => {
      const s = document.querySelector('[data-testid=map-layout-status]');
      const text = s ? s.textContent : '';
      const last = window.__lines[window.__lines.length - 1];
      if (!last || last[1] !== text) window.__lines.push([performance.now(), text]);
    }).observe(document.body, { childList: true, subtree: true, characterData: true });
  });
  return { context, page };
}

// Picks query image `n` by number; milliseconds, by the page's clock, from the submit to
// its results shown (a frame after they are in the page).
async function timedPick(page, n) {
  await page.fill('#test-number', String(n));
  return page.evaluate((n) => new Promise((done) => {
    const t0 = performance.now();
    document.querySelector('.pick form button[type=submit]').click();
    const look = () => (document.querySelector('.results')?.textContent || '').includes(`image #${n} `)
      ? done(performance.now() - t0) : requestAnimationFrame(look);
    look();
  }), n);
}

// Presses Cancel; milliseconds, by the page's clock, until the page says it stopped.
async function timedCancel(page) {
  return page.evaluate(() => new Promise((done) => {
    const t0 = performance.now();
    const cancel = document.querySelector('[data-testid=map-cancel]');
    if (!cancel) return done(NaN); // the layout was over before
    cancel.click();
    const look = () => /cancelled/.test(document.querySelector('[data-testid=map-layout-status]')?.textContent || '')
      ? done(performance.now() - t0) : requestAnimationFrame(look);
    look();
  }));
}

(async () => {
  const [url, out = 'bench/out', ...sizes] = process.argv.slice(2);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
  });
  for (const n of (sizes.length ? sizes : ['5000', '60000']).map(Number)) {
    const files = subset(n);
    const { context, page } = await ownSet(browser, url, files, { width: 1280, height: 900 }, 'light');
    const items = (await page.textContent('[data-testid=ready]')).match(/Your set [^:]+: ([\d,]+) images/)[1];
    const shot = `${out}/own-map-${n}`;
    await page.$eval('.map', (c) => c.scrollIntoView());
    await page.screenshot({ path: `${shot}-offered.png` });
    const t0 = await page.evaluate(() => performance.now());
    await page.click('[data-testid=map-lay-out]');
    // A search while the neighbours are being found.
    await page.waitForFunction(() => /nearest: [\d,]+ of/.test((document.querySelector('[data-testid=map-layout-status]')?.textContent || '')));
    await page.screenshot({ path: `${shot}-running.png` });
    const during = await timedPick(page, 3);
    await page.waitForSelector('[data-testid=map][data-state=ready]', { timeout: 600000 });
    const ms = Number(await page.getAttribute('[data-testid=map-layout-status]', 'data-ms'));
    const lines = await page.evaluate(() => window.__lines);
    const first = (re) => (lines.find(([, t]) => re.test(t)) || [NaN])[0];
    const [start, descent, done] = [first(/Placing/), first(/Laying out/), first(/Laid out/)];
    console.log(`${items} images (${n} given, every 20th or 60th held out as queries): laid out in ${(ms / 1000).toFixed(1)} s by the worker's clock; ` +
      `neighbours ${((start - t0) / 1000).toFixed(1)} s, start ${((descent - start) / 1000).toFixed(1)} s, descent ${((done - descent) / 1000).toFixed(1)} s (page's clock); ` +
      `a search asked meanwhile answered in ${during.toFixed(0)} ms`);
    await page.$eval('.map', (c) => c.scrollIntoView());
    await page.waitForTimeout(300);
    await page.screenshot({ path: `${shot}-desktop-light.png` });
    // Cancel, timed on a fresh page (the map shown has no layout to cancel), at 10% to 50%
    // of the way through a layout (NaN: it was over before).
    await context.close();
    const again = await ownSet(browser, url, files, { width: 1280, height: 900 }, 'light');
    const waits = [];
    for (let i = 0; i < 5; i++) {
      await again.page.click('[data-testid=map-lay-out]');
      await again.page.waitForTimeout(ms * 0.1 * (i + 1));
      waits.push(await timedCancel(again.page));
    }
    console.log(`  Cancel answered after ${waits.map((w) => w.toFixed(0)).join(', ')} ms (page's clock, from the click to "cancelled" shown; at 10, 20, 30, 40 and 50% of a layout's time)`);
    await again.context.close();
    if (n <= 10000) {
      for (const [name, viewport, scheme] of [['desktop-dark', { width: 1280, height: 900 }, 'dark'], ['phone-light', { width: 390, height: 844 }, 'light'], ['phone-dark', { width: 390, height: 844 }, 'dark']]) {
        const v = await ownSet(browser, url, files, viewport, scheme);
        await v.page.click('[data-testid=map-lay-out]');
        await v.page.waitForSelector('[data-testid=map][data-state=ready]', { timeout: 600000 });
        await v.page.$eval('.map', (c) => c.scrollIntoView());
        await v.page.waitForTimeout(300);
        await v.page.screenshot({ path: `${shot}-${name}.png` });
        await v.context.close();
      }
    }
  }
  await browser.close();
})().catch((e) => { console.error(e); process.exit(1); });

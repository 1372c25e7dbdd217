// The map's figures (bench/map.sh), in headless Chromium on localhost: whether the map
// is fetched before the first result, what placing the query costs, and frame times
// while zooming and panning over all 60,000 points (the page's own render time, read
// from the canvas's data-frame-ms after each frame, and the interval between frames);
// then screenshots, desktop and phone, light and dark, whole and zoomed in.
const { chromium } = require(process.env.PLAYWRIGHT_CORE || 'playwright-core');

const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  return `p50 ${at(0.5).toFixed(2)} ms, p95 ${at(0.95).toFixed(2)} ms, max ${s[s.length - 1].toFixed(2)} ms (${s.length} frames)`;
};

async function open(browser, url, viewport, scheme) {
  const context = await browser.newContext({ serviceWorkers: 'block', viewport, colorScheme: scheme });
  const page = await context.newPage();
  // When the first result appeared, by the page's clock, and when the map's request
  // started, by the browser's: both wall-clock milliseconds.
  await page.addInitScript(() => {
    new MutationObserver((_, o) => {
      if (document.querySelector('.results .hits li')) { window.__shown = Date.now(); o.disconnect(); }
    }).observe(document, { childList: true, subtree: true });
  });
  let mapStart = null;
  page.on('requestfinished', (r) => { if (r.url().endsWith('map.ssam.gz')) mapStart = r.timing().startTime; });
  await page.goto(url);
  await page.waitForSelector('[data-testid=ready]', { timeout: 60000 });
  await page.fill('#test-number', '0');
  await page.click('.pick form button[type=submit]');
  await page.waitForSelector('.results .hits li');
  await page.waitForSelector('[data-testid=map][data-state=ready]', { timeout: 60000 });
  await page.waitForFunction(() => /lands among/.test(document.querySelector('[data-testid=map-where]').textContent));
  const shown = await page.evaluate(() => window.__shown);
  return { context, page, mapAfterResult: mapStart !== null && mapStart >= shown, after: mapStart - shown };
}

// Frames driven by `step(i)` (dispatching an event), one per animation frame.
async function frames(page, kind, n) {
  return page.evaluate(async ([kind, n]) => {
    const canvas = document.querySelector('[data-testid=map]');
    const r = canvas.getBoundingClientRect();
    const render = [], interval = [];
    let last = performance.now();
    for (let i = 0; i < n; i++) {
      if (kind === 'zoom') {
        canvas.dispatchEvent(new WheelEvent('wheel', { deltaY: i < n / 2 ? -60 : 60, clientX: r.left + r.width * 0.45, clientY: r.top + r.height * 0.55, bubbles: true, cancelable: true }));
      } else {
        canvas.dispatchEvent(new KeyboardEvent('keydown', { key: i % 40 < 20 ? 'ArrowRight' : 'ArrowLeft', bubbles: true, cancelable: true }));
      }
      await new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
      const now = performance.now();
      interval.push(now - last);
      last = now;
      render.push(parseFloat(canvas.dataset.frameMs));
    }
    return { render, interval };
  }, [kind, n]);
}

(async () => {
  const [url, out = 'bench/out'] = process.argv.slice(2);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
  });
  const desk = await open(browser, url, { width: 1280, height: 900 }, 'light');
  const page = desk.page;
  console.log(`map fetched only after the first result: ${desk.mapAfterResult} (its request started ${desk.after.toFixed(0)} ms after the result appeared)`);
  console.log(`placing the query: ${await page.getAttribute('[data-testid=map]', 'data-place-ms')} ms`);
  console.log(`text: ${await page.textContent('[data-testid=map-where]')}`);
  const size = await page.$eval('[data-testid=map]', (c) => `${c.width}x${c.height}`);
  await page.$eval('[data-testid=map]', (c) => c.scrollIntoView());
  await page.screenshot({ path: `${out}/map-desktop-light.png` });
  for (const kind of ['zoom', 'pan']) {
    const f = await frames(page, kind, 120);
    console.log(`${kind}, whole map (canvas ${size}): render ${stats(f.render)}; between frames ${stats(f.interval)}`);
  }
  // Zoomed in to the query (pictures), then panned.
  await page.click('[data-testid=map-to-query]');
  await page.waitForTimeout(2000);
  const zoom = await page.getAttribute('[data-testid=map]', 'data-zoom');
  const f = await frames(page, 'pan', 120);
  console.log(`pan at zoom ${zoom} (pictures): render ${stats(f.render)}; between frames ${stats(f.interval)}`);
  await page.click('[data-testid=map-to-query]');
  await page.waitForTimeout(1500);
  await page.screenshot({ path: `${out}/map-desktop-zoomed.png` });
  // The pointer just beside the query: the digit under it shows large.
  const [qx, qy] = (await page.getAttribute('[data-testid=map]', 'data-query-at')).split(',').map(Number);
  const r = await page.$eval('[data-testid=map]', (c) => { const b = c.getBoundingClientRect(); return [b.left, b.top]; });
  await page.mouse.move(r[0] + qx + 12, r[1] + qy + 12);
  await page.mouse.move(r[0] + qx + 6, r[1] + qy + 6, { steps: 3 });
  await page.waitForTimeout(1000);
  await page.screenshot({ path: `${out}/map-desktop-hover.png` });
  console.log(`hover: ${await page.textContent('[data-testid=map-hover]')}`);
  await desk.context.close();
  for (const [name, viewport, scheme] of [['desktop-dark', { width: 1280, height: 900 }, 'dark'], ['phone-light', { width: 390, height: 844 }, 'light'], ['phone-dark', { width: 390, height: 844 }, 'dark']]) {
    const v = await open(browser, url, viewport, scheme);
    await v.page.$eval('[data-testid=map]', (c) => c.scrollIntoView());
    await v.page.waitForTimeout(300);
    await v.page.screenshot({ path: `${out}/map-${name}.png` });
    await v.context.close();
  }
  await browser.close();
})().catch((e) => { console.error(e); process.exit(1); });

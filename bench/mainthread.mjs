// The page's main thread under load and large inputs (bench/mainthread.sh), in headless
// Chromium: for each scenario the longest main-thread task (PerformanceObserver
// "longtask", which reports tasks over 50 ms; "none over 50 ms" means every task was
// shorter) and what the page said. A long task may also be the browser carrying out the
// script's own DevTools commands (setInputFiles): the page's own handling of a chosen
// file or folder (its change event, from capture to bubble) is printed beside it.
//   load     a first visit, from navigation until the first search is possible (3 visits)
//   folder   a folder of 5,000 pictures (plus a too large, an empty and a text file)
//            chosen as an own set, until the set is ready
//   big      a 12000x12000 PNG uploaded, until its results show
//   huge     a 30000x30000 PNG uploaded, until the page says what is wrong
// (each upload after a first answer, which is measured apart: it builds the results and
// the map for the first time). Arguments: the page's URL, the inputs' folder, the number
// of visits (3) and `load` to measure the visits alone.
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const { chromium } = require(process.env.PLAYWRIGHT_CORE || 'playwright-core');
const [url, inputs, runs = '3', only = ''] = process.argv.slice(2);

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
});

// A fresh page (no service worker, no cache) that records its long tasks from the start.
async function open() {
  const context = await browser.newContext({ serviceWorkers: 'block' });
  const page = await context.newPage();
  await page.addInitScript(() => {
    window.__tasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__tasks.push(Math.round(e.duration));
    }).observe({ type: 'longtask', buffered: true });
    // The page's own handling of a chosen file or folder: from the change event reaching
    // the window (capture) to it leaving it (bubble), after the page's handler ran.
    window.__change = [];
    addEventListener('change', () => { window.__changeStart = performance.now(); }, true);
    addEventListener('change', () => { window.__change.push(Math.round(performance.now() - window.__changeStart)); });
  });
  await page.goto(url);
  await page.waitForSelector('[data-testid=ready]', { timeout: 60000 });
  await page.waitForTimeout(500);
  return { context, page };
}
// The long tasks since the last call, and a line saying the longest.
async function tasks(page) {
  const t = await page.evaluate(() => window.__tasks.splice(0));
  const longest = Math.max(0, ...t);
  return { longest, line: longest > 0 ? `${longest} ms (${t.length} over 50 ms: ${t.join(', ')})` : 'none over 50 ms' };
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const loads = [];
for (let i = 0; i < Number(runs); i++) {
  const { context, page } = await open();
  const t = await tasks(page);
  loads.push(t.longest);
  console.log(`load ${i + 1}: longest main-thread task ${t.line}; ${await page.textContent('[data-testid=ready]')}`);
  await context.close();
}
console.log(`load: median of the longest tasks ${median(loads)} ms over ${loads.length} visits (0: none over 50 ms)`);
if (only === 'load') {
  await browser.close();
  process.exit(0);
}

{
  const { context, page } = await open();
  await tasks(page);
  const start = Date.now();
  await page.setInputFiles('[data-testid=own-folder]', path.join(inputs, 'folder'));
  await page.waitForFunction(() => /^Your set/.test(document.querySelector('[data-testid=ready]').textContent)
    || document.querySelector('[data-testid=own-error]'), null, { timeout: 600000 });
  await page.waitForTimeout(500);
  const said = (await page.textContent('[data-testid=ready]')) + ((await page.$('[data-testid=own-error]')) ? ` / ${await page.textContent('[data-testid=own-error]')}` : '');
  const change = await page.evaluate(() => window.__change);
  console.log(`folder of 5,000 pictures: longest main-thread task ${(await tasks(page)).line}, of which the page's change handler ${change.join(', ')} ms (the rest: the browser making 5,003 File objects before the event); ${((Date.now() - start) / 1000).toFixed(1)} s; ${said}`);
  await context.close();
}

for (const [name, what] of [['big.png', '12000x12000 PNG'], ['huge.png', '30000x30000 PNG']]) {
  const { context, page } = await open();
  // The first answer of a visit builds the results and the map for the first time:
  // measured on its own, so that the upload's line is the upload's.
  await tasks(page);
  await page.click('.pick .primary');
  await page.waitForSelector('.results .verdict', { timeout: 60000 });
  await page.waitForTimeout(1500);
  console.log(`first answer of a visit (a random test digit, with the map): longest main-thread task ${(await tasks(page)).line}`);
  const start = Date.now();
  await page.setInputFiles('[data-testid=picture-file]', path.join(inputs, name));
  await page.waitForFunction((n) => [...document.querySelectorAll('.results, [data-testid=message]')].some((e) => e.textContent.includes(n)), name, { timeout: 120000 });
  await page.waitForTimeout(500);
  const message = await page.textContent('[data-testid=message]');
  const verdict = await page.$('.verdict .big');
  const said = message || (verdict ? `searched, the verdict ${await verdict.textContent()}` : 'searched');
  const change = await page.evaluate(() => window.__change);
  console.log(`upload of a ${what}: longest main-thread task ${(await tasks(page)).line}, the page's change handler ${change.join(', ')} ms; ${((Date.now() - start) / 1000).toFixed(1)} s; ${said}`);
  await context.close();
}
await browser.close();

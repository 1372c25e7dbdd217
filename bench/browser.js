// The in-browser benchmark, scripted: opens the site in headless Chromium, reports the
// time to the first possible search and the bytes transferred before it, runs the page's
// own benchmark panel and prints its table. Used by bench/browser.sh.
const { chromium } = require(process.env.PLAYWRIGHT_CORE || 'playwright-core');

(async () => {
  const [url, queries = '1000'] = process.argv.slice(2);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
  });
  const page = await browser.newPage();
  await page.goto(url);
  await page.waitForSelector('[data-testid=ready]', { timeout: 60000 });
  console.log(await page.textContent('[data-testid=ready]'));
  // What the page itself fetched up to now, page included, as the browser counted it.
  const bytes = await page.evaluate(() => performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource')).reduce((sum, e) => sum + e.encodedBodySize, 0));
  console.log(`transferred before the first search: ${(bytes / 1e6).toFixed(2)} MB`);
  await page.selectOption('.bench select', queries);
  await page.click('text=Run benchmark');
  const status = '[data-testid=bench-status]';
  await page.waitForFunction((s) => /^(done|the benchmark stopped)/.test(document.querySelector(s).textContent), status, { timeout: 1800000 });
  console.log(await page.textContent(status));
  const rows = await page.$$eval('.bench table tr', (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent).join('\t')));
  console.log(rows.join('\n'));
  await browser.close();
})();

// A large streamed set in the page (bench/million.sh): headless Chromium with a round trip
// added to every request (CDP Network.emulateNetworkConditions; the page's session covers
// its worker), the page opened with `?set=ROOT`, and MNIST test digits asked for by number.
// Per digit, a fresh profile (nothing fetched or kept): the time from the click on "Search"
// to the answer shown, and what the answer says it fetched (bytes, sequential round trips);
// then, in the same page, a second test digit of the same class (warm). At the end, the
// worker's WebAssembly memory (it never shrinks: the most it held), after a run of many
// queries in one page. Arguments: the page's URL (with ?set=), test labels (gzip IDX),
// how many digits. LATENCY_MS sets the added round trip.
const fs = require('fs');
const zlib = require('zlib');
const { chromium } = require(process.env.PLAYWRIGHT_CORE || 'playwright-core');

const [url, labelsFile, countArg] = process.argv.slice(2);
const count = Number(countArg || 50);
const latency = Number(process.env.LATENCY_MS || 50);
const WAIT = 600000;
const labels = zlib.gunzipSync(fs.readFileSync(labelsFile)).subarray(8);

// Digits spread over the test set, and for each the next test digit of its class.
const digits = [...Array(count).keys()].map((i) => Math.floor((i * labels.length) / count));
const sameClass = (i) => {
  for (let j = i + 1; j < labels.length; j++) if (labels[j] === labels[i]) return j;
  return i;
};

async function open(context) {
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false, latency, downloadThroughput: -1, uploadThroughput: -1,
  });
  await page.goto(url, { timeout: WAIT });
  await page.waitForSelector('[data-testid=ready]', { timeout: WAIT });
  return page;
}

// Asks for test digit `n`; resolves when its answer is shown: ms from the click to the
// frame that paints it, both taken in the page (a wait from here polls, and would add its
// interval), and what the answer says it cost.
async function ask(page, n) {
  await page.fill('#test-number', String(n));
  await page.evaluate((n) => { window.timed = new Promise((resolve) => {
    let clicked;
    const button = document.querySelector('.pick form button[type=submit]');
    button.addEventListener('click', () => { clicked = performance.now(); }, { capture: true, once: true });
    const shown = () => [...document.querySelectorAll('[data-testid=results]')]
      .find((el) => el.textContent.includes(`test digit #${n} `));
    const seen = new MutationObserver(() => {
      const el = shown();
      if (!el || clicked === undefined) return;
      seen.disconnect();
      requestAnimationFrame(() => resolve({
        ms: performance.now() - clicked,
        fetched: Number(el.dataset.fetched), trips: Number(el.dataset.trips), memory: Number(el.dataset.memoryMb),
      }));
    });
    seen.observe(document.body, { subtree: true, childList: true, characterData: true });
  }); }, n);
  await page.click('.pick form button[type=submit]');
  return await page.evaluate(() => window.timed);
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];

(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
  });
  const cold = [];
  const warm = [];
  for (const n of digits) {
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await open(context);
    cold.push(await ask(page, n));
    warm.push(await ask(page, sameClass(n)));
    await context.close();
  }
  // Memory over a long run in one page: every digit again, one after the other.
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  const page = await open(context);
  const ready = await page.locator('[data-testid=ready]').textContent();
  let memory = 0;
  for (const n of digits) memory = Math.max(memory, (await ask(page, n)).memory, (await ask(page, sameClass(n))).memory);
  await browser.close();

  const kb = (r) => r.fetched / 1e3;
  console.log(`set: ${ready.trim()}`);
  const protocol = await (async () => url.startsWith('https') ? 'HTTP/2 over TLS' : 'HTTP/1.1')();
  console.log(`${count} test digits, ${protocol}, ${latency} ms added per round trip; a fresh profile per digit`);
  console.log('| query | latency p50 | p90 | max | kB fetched p50 | max | round trips p50 | max |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const [name, rows] of [['cold', cold], ['warm (same class next)', warm]]) {
    const ms = rows.map((r) => r.ms);
    const k = rows.map(kb);
    const t = rows.map((r) => r.trips);
    console.log(`| ${name} | ${median(ms).toFixed(0)} ms | ${pct(ms, 0.9).toFixed(0)} ms | ${Math.max(...ms).toFixed(0)} ms | ${median(k).toFixed(1)} | ${Math.max(...k).toFixed(1)} | ${median(t)} | ${Math.max(...t)} |`);
  }
  console.log(`worker memory after ${2 * count} queries in one page: ${memory.toFixed(1)} MB`);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});

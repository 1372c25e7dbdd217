// The first result on a phone (bench/phone.sh): headless Chromium at 390x844, a fresh
// profile per network, "Random test digit" clicked as soon as it is enabled; timed from
// navigation to the first result shown ([data-testid=results] .hit), with what nginx sent
// (its access log: $msec, $request_time, $bytes_sent) around that moment: the answers
// that had ended before it (what the page surely had) and all the answers that had begun
// (at most what was sent). nginx's clock says when it handed bytes to the kernel; under
// Chromium's emulation they reach the page later, which is why both bounds are given.
// Three visits per network: the first, a second (the service worker's copy, network on)
// and an offline one. Arguments: the page's URL and nginx's access log; the network from
// LATENCY_MS, DOWN_KBIT and UP_KBIT (kbit/s as Lighthouse counts them, 1 kbit = 1024 bit).
const fs = require('fs');
const { chromium } = require(process.env.PLAYWRIGHT_CORE || 'playwright-core');

const [url, accessLog] = process.argv.slice(2);
const kbit = (name) => Number(process.env[name]) * 1024 / 8;
const phone = {
  name: `phone (${process.env.LATENCY_MS} ms, ${process.env.DOWN_KBIT}/${process.env.UP_KBIT} kbit/s)`,
  conditions: {
    offline: false,
    latency: Number(process.env.LATENCY_MS),
    downloadThroughput: kbit('DOWN_KBIT'),
    uploadThroughput: kbit('UP_KBIT'),
  },
};
const localhost = { name: 'localhost, unthrottled', conditions: null };
const WAIT = 600000;

// nginx's log lines since line `from`: when each answer began and ended (s since the
// epoch) and the bytes it sent.
function served(from) {
  const lines = fs.existsSync(accessLog) ? fs.readFileSync(accessLog, 'utf8').split('\n').filter(Boolean) : [];
  return lines.slice(from).map((l) => {
    const [msec, took, status, bytes] = l.split(' ');
    return { end: Number(msec), start: Number(msec) - Number(took), status: Number(status), bytes: Number(bytes), line: l };
  });
}
const logLength = () => (fs.existsSync(accessLog) ? fs.readFileSync(accessLog, 'utf8').split('\n').filter(Boolean).length : 0);

// The page records when the button became usable and when the first result appeared, in
// its own clock (ms since navigation started), and clicks the button the moment it is
// usable: a click from here would wait for Playwright's polling, tens to hundreds of
// milliseconds that are the harness's, not the page's. An impatient visitor (TAPS=100)
// then taps it again every that many milliseconds, whenever it is enabled, until a
// result shows; the taps are counted.
function marks(every) {
  window.__marks = { taps: 0 };
  const m = window.__marks;
  const button = () => [...document.querySelectorAll('.pick button')].find((b) => /^Random/.test(b.textContent));
  const tap = () => {
    const b = button();
    if (m.first !== undefined || !b || b.disabled) return false;
    b.click();
    m.taps += 1;
    return true;
  };
  const again = () => setTimeout(() => {
    if (m.first !== undefined) return;
    tap();
    again();
  }, every);
  const look = () => {
    if (m.usable === undefined && button() && !button().disabled) {
      m.usable = performance.now();
      tap();
      if (every > 0) again();
    }
    if (m.first === undefined && document.querySelector('[data-testid=results] .hit')) m.first = performance.now();
  };
  new MutationObserver(look).observe(document, { subtree: true, childList: true, attributes: true });
}

// Chromium's emulation is per target: the page's session covers the page and its
// dedicated worker; the service worker is a target of its own, throttled here as it
// appears (its first request may start before).
async function throttleServiceWorkers(browser, conditions) {
  const cdp = await browser.newBrowserCDPSession();
  let id = 0;
  cdp.on('Target.targetCreated', async ({ targetInfo }) => {
    if (targetInfo.type !== 'service_worker') return;
    try {
      const { sessionId } = await cdp.send('Target.attachToTarget', { targetId: targetInfo.targetId, flatten: false });
      for (const [method, params] of [['Network.enable', {}], ['Network.emulateNetworkConditions', conditions]]) {
        await cdp.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id: ++id, method, params }) });
      }
    } catch (e) {
      console.error(`the service worker could not be throttled: ${e.message}`);
    }
  });
  await cdp.send('Target.setDiscoverTargets', { discover: true });
}

async function visit(context, network, name) {
  const page = await context.newPage();
  if (network.conditions) {
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', network.conditions);
  }
  const from = logLength();
  await page.goto(url, { waitUntil: 'commit', timeout: WAIT });
  await page.waitForSelector('[data-testid=results] .hit', { timeout: WAIT });
  const { m, origin } = await page.evaluate(() => ({ m: window.__marks, origin: performance.timeOrigin }));
  // nginx writes a line when an answer ends: wait for the whole set to be here (it
  // downloads in the background once a first result is shown, and the later visits
  // need it offline) and for the service worker to have kept the page, and give the
  // last lines a moment.
  const whole = Date.now();
  await page.waitForSelector('[data-testid=ready][data-streamed=false]', { timeout: WAIT });
  const wholeAfter = (Date.now() - whole) / 1000;
  await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));
  await page.waitForTimeout(500);
  const moment = (origin + m.first) / 1000;
  const all = served(from);
  const ended = all.filter((s) => s.end <= moment);
  // Answers that carried a file's bytes (or the same range of it) a second time in this
  // visit: the folder's address and its index.html are one file.
  const seen = new Set();
  const again = all.filter((s) => {
    if (s.status !== 200 && s.status !== 206) return false;
    const [, , , , range, path] = s.line.match(/^(\S+) (\S+) (\S+) (\S+) "([^"]*)" (\S+)$/) || [];
    const key = `${(path || '').split('?')[0].replace(/index\.html$/, '')} ${range}`;
    if (seen.has(key)) return true;
    seen.add(key);
    return false;
  });
  const begun = all.filter((s) => s.start <= moment);
  const row = {
    network: network.name,
    visit: name,
    usable: m.usable / 1000,
    taps: m.taps,
    first: m.first / 1000,
    requests: ended.length,
    sent: ended.reduce((a, s) => a + s.bytes, 0),
    begun: begun.length,
    begunBytes: begun.reduce((a, s) => a + s.bytes, 0),
    whole: m.first / 1000 + wholeAfter,
    again: again.reduce((a, s) => a + s.bytes, 0),
    againFiles: again.map((s) => s.line.split(' ').pop()),
  };
  if (process.env.VERBOSE) for (const s of all) console.log(`  ${(s.start - origin / 1000).toFixed(2)} .. ${(s.end - origin / 1000).toFixed(2)} s  ${s.line}`);
  await page.close();
  return row;
}

async function run(network) {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
  });
  if (network.conditions) await throttleServiceWorkers(browser, network.conditions);
  // A new context is a fresh profile: empty HTTP cache, no service worker.
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 3, isMobile: true, hasTouch: true });
  await context.addInitScript(marks, Number(process.env.TAPS || 0));
  const rows = [await visit(context, network, 'first')];
  rows.push(await visit(context, network, 'second'));
  await context.setOffline(true);
  rows.push(await visit(context, network, 'offline'));
  await browser.close();
  return rows;
}

(async () => {
  const rows = [...(await run(phone)), ...(await run(localhost))];
  const mb = (b) => (b / 1e6).toFixed(2);
  const taps = Number(process.env.TAPS || 0) > 0;
  if (taps) console.log(`Random test digit tapped every ${process.env.TAPS} ms while enabled, until a result showed`);
  console.log(`| network | visit | button usable |${taps ? ' taps |' : ''} first result | answers ended before it | MB sent in them | requests begun before it | MB sent in them | whole set here | kB sent twice |`);
  console.log(`|---|---|---:|${taps ? '---:|' : ''}---:|---:|---:|---:|---:|---:|---:|`);
  for (const r of rows) {
    console.log(`| ${r.network} | ${r.visit} | ${r.usable.toFixed(2)} s |${taps ? ` ${r.taps} |` : ''} ${r.first.toFixed(2)} s | ${r.requests} | ${mb(r.sent)} | ${r.begun} | ${mb(r.begunBytes)} | ~${r.whole.toFixed(1)} s | ${(r.again / 1e3).toFixed(1)} |`);
  }
  // "Sent twice": answers in a visit (until the whole set is here and the service worker
  // has kept the page) carrying a file, or a range of it, that an earlier answer of the
  // same visit had already carried.
  for (const r of rows) if (r.againFiles.length) console.log(`sent twice (${r.network}, ${r.visit}): ${r.againFiles.join(' ')}`);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});

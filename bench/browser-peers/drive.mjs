// Opens the benchmark page in Debian's Chromium through playwright-core, runs it, prints
// one aligned table and writes the CSV. Used by run.sh.
//   node drive.mjs <url> <queries> <csv out> [--peers-only | --ssam-only]
// Exit status: 0 on success, 1 on any failure, including SSAM missing when it was expected.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';

const HEADER = 'system,trees,leaf_size,budget,build_s,index_bytes,recall10,qps,p50_ms,p99_ms,acc1';
// Two peer builds take about 4 minutes on 2 cores; a shared, busy machine gets headroom.
const TIMEOUT_S = Number(process.env.BROWSER_PEERS_TIMEOUT_S || 1800);

const [url, queriesArg, csvPath, mode = ''] = process.argv.slice(2);
const queries = Number(queriesArg);
if (!url || !Number.isInteger(queries) || !csvPath) {
  console.error('usage: node drive.mjs <url> <queries> <csv out> [--peers-only | --ssam-only]');
  process.exit(2);
}
const require = createRequire(path.join(process.env.BROWSER_PEERS_TOOLS, 'node_modules', 'x.js'));
const { chromium } = require('playwright-core');

let browser;
let timedOut = false;
const deadline = setTimeout(async () => {
  timedOut = true;
  console.error(`browser-peers: no result after ${TIMEOUT_S} s, stopping (BROWSER_PEERS_TIMEOUT_S sets the limit)`);
  await browser?.close().catch(() => {});
  process.exit(1);
}, TIMEOUT_S * 1000);

function table(rows) {
  const head = ['system', 'setting', 'recall@10', 'QPS', 'p50 ms', 'p99 ms', '1-NN acc', 'build/load s', 'wasm MB'];
  const body = rows.map((r) => [
    r.system,
    r.system === 'ssam-forest' ? `budget ${r.budget}` : `ef ${r.budget}`,
    r.recall10.toFixed(4),
    r.qps.toFixed(0),
    r.p50_ms.toFixed(3),
    r.p99_ms.toFixed(3),
    r.acc1.toFixed(4),
    r.build_s.toFixed(2),
    r.mem_bytes == null ? '?' : (r.mem_bytes / 1e6).toFixed(0),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

// The same cell formats as the native `ssam bench` (crates/cli/src/table.rs).
function csvLine(r) {
  return [
    r.system, r.trees, r.leaf_size, r.budget, r.build_s.toFixed(3), r.index_bytes,
    r.recall10.toFixed(4), r.qps.toFixed(1), r.p50_ms.toFixed(4), r.p99_ms.toFixed(4), r.acc1.toFixed(4),
  ].join(',');
}

try {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    // playwright adds --headless and a fresh temporary --user-data-dir itself. Without the
    // networking flags Chromium keeps trying to reach Google on a closed network.
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
    timeout: 60000,
  });
  const page = await browser.newPage();
  // The page's own progress and errors; EdgeVec also logs a line per early-stopped
  // insertion search, thousands per build, which are only counted.
  let chatter = 0;
  page.on('console', (m) => {
    if (m.text().startsWith('[page]') || m.type() === 'error') console.error(m.text());
    else chatter++;
  });
  page.on('pageerror', (e) => console.error(`[page error] ${e.message}`));
  await page.goto(url, { timeout: 60000 });
  await page.waitForFunction(() => window.benchReady === true, null, { timeout: 60000 });
  const report = await page.evaluate(
    (opts) => window.runBench(opts),
    { queries, ssam: mode !== '--peers-only', peers: mode !== '--ssam-only' },
  );
  const version = browser.version();
  await browser.close();
  clearTimeout(deadline);

  console.log(`Chromium ${version}, crossOriginIsolated = ${report.crossOriginIsolated}`);
  console.log(`${queries} queries, top 10; ${os.cpus().length} cores, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log('');
  console.log(table(report.rows));
  if (chatter) console.error(`(${chatter} other console messages from the libraries not shown)`);
  for (const u of report.unavailable) console.log(`${u.system}: not available: ${u.reason}`);

  // A failed run leaves the last good CSV in place.
  let failure = null;
  if (!report.crossOriginIsolated) {
    failure = 'the page was not cross-origin isolated; timings are rounded to 0.1 ms';
  } else if (mode !== '--peers-only' && report.unavailable.some((u) => u.system === 'ssam')) {
    failure = 'SSAM was not measured (see above); --peers-only runs without it';
  } else if (report.unavailable.some((u) => !u.reason.startsWith('skipped'))) {
    failure = 'a peer was not measured (see above)';
  }
  if (failure) {
    console.error(`browser-peers: ${failure}; ${csvPath} left as it was`);
    process.exit(1);
  }
  fs.mkdirSync(path.dirname(csvPath), { recursive: true });
  fs.writeFileSync(csvPath, [HEADER, ...report.rows.map(csvLine)].join('\n') + '\n');
  console.log(`\nwrote ${csvPath}`);
} catch (e) {
  if (timedOut) await new Promise(() => {}); // the deadline handler is exiting already
  console.error(`browser-peers: ${e.message}`);
  await browser?.close().catch(() => {});
  process.exit(1);
}

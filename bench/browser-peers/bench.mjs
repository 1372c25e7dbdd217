// The benchmark, run inside the page so that every system pays the same browser costs:
// the same queries, the same exact answers, the same scoring code, one clock.
// drive.mjs calls window.runBench({ queries, ssam, peers }) and prints what it returns.

const K = 10;
const DIM = 784;
const WARMUP = 100;
// ann-benchmarks counts a returned point as a true neighbour when its distance is within
// this much of the exact k-th distance, so that ties at the boundary do not count as misses.
const RECALL_EPSILON = 1e-3;
const TRAIN = 60000;

const SSAM_GRAPH_EFS = [10, 16, 24, 32, 48, 64, 96, 128];
const SSAM_FOREST_BUDGETS = [1000, 2000, 4000];
const PEER_EFS = [10, 20, 40, 80];
// hnswlib's own defaults from its README and ann-benchmarks' MNIST runs: M=16, efC=200.
const HNSWLIB_INIT = { m: 16, efConstruction: 200, seed: 100 };
// Inserting in slices lets the page print progress during a build of more than a minute.
const BUILD_SLICE = 5000;

const log = (...a) => console.log('[page]', ...a);
const pause = () => new Promise((r) => setTimeout(r, 0));

async function fetchBytes(url) {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

async function gunzip(bytes) {
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

// IDX: two zero bytes, type 0x08 (u8), number of dimensions, big-endian u32 sizes, data.
function parseIdx(bytes, name, ndims) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint16(0) !== 0 || bytes[2] !== 0x08 || bytes[3] !== ndims) {
    throw new Error(`${name}: not an IDX file of u8 with ${ndims} dimension(s)`);
  }
  const dims = [];
  for (let i = 0; i < ndims; i++) dims.push(view.getUint32(4 + 4 * i));
  const start = 4 + 4 * ndims;
  const size = dims.reduce((a, b) => a * b, 1);
  if (bytes.length !== start + size) throw new Error(`${name}: ${bytes.length} bytes, expected ${start + size}`);
  return { dims, data: bytes.subarray(start) };
}

function parseTruth(bytes, testCount) {
  const magic = new TextDecoder().decode(bytes.subarray(0, 8));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // SSAM's envelope (crates/ssam/src/envelope.rs): magic, version, checksum, length; then
  // k, queries and two fingerprints (crates/ssam/src/truth.rs), then one u32 a query.
  if (magic !== 'SSAMKTH\0') throw new Error(`truth-raw.bin: magic ${JSON.stringify(magic)}, expected "SSAMKTH\\0"`);
  if (view.getUint32(8, true) !== 2) throw new Error(`truth-raw.bin: version ${view.getUint32(8, true)}, expected 2`);
  const k = view.getUint32(28, true);
  const n = view.getUint32(32, true);
  if (k !== K) throw new Error(`truth-raw.bin: k = ${k}, expected ${K}`);
  if (n !== testCount) throw new Error(`truth-raw.bin: ${n} queries, the test set has ${testCount}`);
  if (bytes.length !== 52 + 4 * n) throw new Error(`truth-raw.bin: ${bytes.length} bytes, expected ${52 + 4 * n}`);
  const kth = new Uint32Array(n);
  for (let i = 0; i < n; i++) kth[i] = view.getUint32(52 + 4 * i, true);
  return kth;
}

function dist2(a, ai, b, bi) {
  let s = 0;
  for (let j = 0, x = ai * DIM, y = bi * DIM; j < DIM; j++) {
    const d = a[x + j] - b[y + j];
    s += d * d;
  }
  return s;
}

async function loadData() {
  const names = ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'];
  const gz = await Promise.all(names.map((n) => fetchBytes(`/assets/mnist/${n}`)));
  const [trainImg, trainLab, testImg, testLab] = await Promise.all(gz.map(gunzip));
  const data = {
    trainImagesGz: gz[0],
    trainLabelsGz: gz[1],
    train: parseIdx(trainImg, names[0], 3).data,
    trainLabels: parseIdx(trainLab, names[1], 1).data,
    test: parseIdx(testImg, names[2], 3).data,
    testLabels: parseIdx(testLab, names[3], 1).data,
  };
  if (data.train.length !== TRAIN * DIM) throw new Error(`expected ${TRAIN} training digits`);
  data.testCount = data.testLabels.length;
  data.truth = parseTruth(await fetchBytes('/ssam/truth-raw.bin'), data.testCount);
  // The truth file's fingerprints are XXH3 of the engine's dataset; instead of porting the
  // hash, check the first queries by brute force: a stale file shows up at once.
  for (let q = 0; q < 2; q++) {
    const d = new Float64Array(TRAIN);
    for (let i = 0; i < TRAIN; i++) d[i] = dist2(data.train, i, data.test, q);
    d.sort();
    if (d[K - 1] !== data.truth[q]) {
      throw new Error(`truth-raw.bin does not match the MNIST files: query ${q} has 10th distance ${d[K - 1]}, the file says ${data.truth[q]}`);
    }
  }
  return data;
}

// Runs one setting: a warm-up on queries outside the measured ones, then every measured
// query timed on its own. `search(i)` takes an index into `qs` and returns nearest-first
// training ids in any array-like; copying them out happens after the clock stops.
function measure(search, measured, warm) {
  for (const i of warm) search(i);
  const n = measured.length;
  const ids = new Int32Array(n * K).fill(-1);
  const lat = new Float64Array(n);
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const r = search(measured[i]);
    const t1 = performance.now();
    lat[i] = t1 - t0;
    for (let j = 0; j < Math.min(K, r.length); j++) ids[i * K + j] = r[j];
  }
  const total = performance.now() - start;
  return { ids, lat, total };
}

function score(data, measured, { ids, lat, total }) {
  const n = measured.length;
  let hits = 0;
  let correct = 0;
  for (let i = 0; i < n; i++) {
    const q = measured[i];
    const limit = Math.sqrt(data.truth[q]) + RECALL_EPSILON;
    for (let j = 0; j < K; j++) {
      const id = ids[i * K + j];
      if (id < 0 || id >= TRAIN) continue;
      if (Math.sqrt(dist2(data.train, id, data.test, q)) <= limit) hits++;
      if (j === 0 && data.trainLabels[id] === data.testLabels[q]) correct++;
    }
  }
  const sorted = Float64Array.from(lat).sort();
  const pct = (p) => sorted[Math.max(0, Math.ceil(p * n) - 1)];
  return {
    recall10: hits / (n * K),
    qps: n / (total / 1000),
    p50_ms: pct(0.5),
    p99_ms: pct(0.99),
    acc1: correct / n,
  };
}

async function exists(url) {
  const res = await fetch(url, { method: 'HEAD' });
  return res.ok;
}

// Each system builds or loads its index and returns { buildS, memory, runs }: memory() reads
// its wasm memory now, runs lists [row fields, search] per setting, where search is a
// function or { lazy } for one that needs a call when its setting starts.

// SSAM's module, loaded once for both of its indexes.
let ssamModule = null;
async function ssamBench() {
  if (ssamModule) return ssamModule;
  let module = null;
  // wasm-bindgen keeps the hyphen of the bin name in some versions and not in others.
  for (const name of ['ssam-bench.js', 'ssam_bench.js']) {
    if (!module && (await exists(`/ssam/pkg/${name}`))) module = `/ssam/pkg/${name}`;
  }
  if (!module) throw new Error('no target/browser-peers/pkg/ssam-bench.js (run bench/browser-peers/build-ssam.sh)');
  const { default: init, SsamBench } = await import(module);
  await init();
  ssamModule = SsamBench;
  return SsamBench;
}

// SSAM loading the prebuilt index `file`: its graph searched with each beam (named
// `graphName`), and with `forest` its forest alone.
async function ssamLoaded(data, queries, file, graphName, forest) {
  const SsamBench = await ssamBench();
  if (!(await exists(`/ssam/${file}`))) throw new Error(`no target/browser-peers/${file}`);
  const indexBytes = await fetchBytes(`/ssam/${file}`);
  const t0 = performance.now();
  const ssam = SsamBench.load(data.trainImagesGz, data.trainLabelsGz, indexBytes);
  const buildS = (performance.now() - t0) / 1000;
  const q = queries.u8;
  // Optional getters: the interface does not promise them, the table uses them if present.
  const trees = typeof ssam.trees === 'function' ? ssam.trees() : '';
  const leaf = typeof ssam.leaf_size === 'function' ? ssam.leaf_size() : '';
  return {
    buildS,
    memory: () => ssam.memory_bytes(),
    runs: [
      ...SSAM_GRAPH_EFS.map((ef) => [
        { system: graphName, budget: ef, index_bytes: indexBytes.length },
        (i) => ssam.search_graph(q[i], K, ef),
      ]),
      ...(forest ? SSAM_FOREST_BUDGETS : []).map((b) => [
        { system: 'ssam-forest', trees, leaf_size: leaf, budget: b, index_bytes: indexBytes.length },
        (i) => ssam.search_forest(q[i], K, b),
      ]),
    ],
  };
}

const ssamSystem = (data, queries) => ssamLoaded(data, queries, 'index-raw.ssam', 'ssam-graph', true);
// The same graph walking on 64-byte compact codes (`ssam build --codes 64`).
const ssamCodesSystem = (data, queries) =>
  ssamLoaded(data, queries, 'index-raw-codes.ssam', 'ssam-graph-pca64', false);

async function edgevecSystem(data, queries) {
  const ev = await import('/node_modules/edgevec/edgevec.js');
  const exports = await ev.default();
  const config = new ev.EdgeVecConfig(DIM);
  config.metric = 'l2';
  // ef_search is fixed when the index is made, and EdgeVec searches with a beam of
  // max(k, ef_search). Rather than build four indexes (about 80 s each), build one with
  // ef_search = k and ask for `ef` results: the beam is then `ef` wide, exactly as with
  // ef_search = ef, and the first k of its answer are that setting's top k.
  config.ef_search = K;
  const t0 = performance.now();
  const index = new ev.EdgeVec(config);
  // EdgeVec picks the ids (they start at 1); answers are mapped back to training rows.
  const rowIds = new Uint32Array(TRAIN);
  const slice = new Float32Array(BUILD_SLICE * DIM);
  for (let start = 0; start < TRAIN; start += BUILD_SLICE) {
    const count = Math.min(BUILD_SLICE, TRAIN - start);
    for (let j = 0; j < count * DIM; j++) slice[j] = data.train[start * DIM + j];
    const ids = index.insertBatchFlat(slice.subarray(0, count * DIM), count);
    if (ids.length !== count) throw new Error(`EdgeVec inserted ${ids.length} of ${count}`);
    rowIds.set(ids, start);
    log(`edgevec: ${start + count} / ${TRAIN} inserted, ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    await pause();
  }
  const buildS = (performance.now() - t0) / 1000;
  const idToRow = new Int32Array(rowIds.reduce((a, b) => Math.max(a, b), 0) + 1).fill(-1);
  rowIds.forEach((id, row) => { idToRow[id] = row; });
  const q = queries.f32;
  const out = new Int32Array(K);
  const search = (ef) => (i) => {
    const res = index.search(q[i], Math.max(K, ef));
    const n = Math.min(K, res.length);
    for (let j = 0; j < n; j++) out[j] = idToRow[res[j].id];
    return out.subarray(0, n);
  };
  return {
    buildS,
    memory: () => exports.memory.buffer.byteLength,
    runs: PEER_EFS.map((ef) => [{ system: 'edgevec', budget: ef }, search(ef)]),
  };
}

async function hnswlibSystem(data, queries) {
  const { loadHnswlib } = await import('/node_modules/hnswlib-wasm/dist/hnswlib.js');
  const lib = await loadHnswlib();
  // An empty file name: no IndexedDB autosave, which would add writes to the build time.
  const index = new lib.HierarchicalNSW('l2', DIM, '');
  const t0 = performance.now();
  index.initIndex(TRAIN, HNSWLIB_INIT.m, HNSWLIB_INIT.efConstruction, HNSWLIB_INIT.seed);
  const point = new Float32Array(DIM);
  for (let start = 0; start < TRAIN; start += BUILD_SLICE) {
    const end = Math.min(TRAIN, start + BUILD_SLICE);
    for (let i = start; i < end; i++) {
      for (let j = 0; j < DIM; j++) point[j] = data.train[i * DIM + j];
      index.addPoint(point, i, false);
    }
    log(`hnswlib-wasm: ${end} / ${TRAIN} inserted, ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    await pause();
  }
  const buildS = (performance.now() - t0) / 1000;
  const q = queries.f32;
  const probe = index.searchKnn(q[0], K, undefined).distances;
  log(`hnswlib-wasm: answers come ${probe[0] <= probe[probe.length - 1] ? 'nearest' : 'farthest'} first`);
  const run = (ef) => {
    index.setEfSearch(ef);
    return (i) => {
      const { neighbors, distances } = index.searchKnn(q[i], K, undefined);
      // hnswlib pops its heap farthest first; put the nearest first if the binding did not.
      return distances.length > 1 && distances[0] > distances[distances.length - 1] ? neighbors.slice().reverse() : neighbors;
    };
  };
  return {
    buildS,
    memory: () => (lib.HEAPU8?.buffer ?? lib.wasmMemory?.buffer)?.byteLength ?? null,
    // setEfSearch must happen when the setting starts, not when the list is made.
    runs: PEER_EFS.map((ef) => [{ system: 'hnswlib-wasm', budget: ef }, { lazy: () => run(ef) }]),
  };
}

async function runSystem(name, make, data, queries, measured, warm, report) {
  log(`${name}: building or loading`);
  let sys;
  try {
    sys = await make(data, queries);
  } catch (e) {
    log(`${name}: not available: ${e.message}`);
    report.unavailable.push({ system: name, reason: e.message });
    return;
  }
  const mib = () => { const b = sys.memory(); return b == null ? '?' : `${(b / 2 ** 20).toFixed(0)} MiB`; };
  log(`${name}: ready in ${sys.buildS.toFixed(2)} s, wasm memory ${mib()}`);
  const rows = [];
  for (const [fields, s] of sys.runs) {
    const search = s.lazy ? s.lazy() : s;
    const figures = score(data, measured, measure(search, measured, warm));
    const row = { trees: '', leaf_size: '', index_bytes: '', ...fields, build_s: sys.buildS, ...figures };
    log(`${row.system} ${row.budget}: recall ${row.recall10.toFixed(4)}, ${row.qps.toFixed(0)} QPS`);
    rows.push(row);
    await pause();
  }
  // Wasm memory only grows, so read after the searches it is the peak of build and search.
  const peak = sys.memory();
  log(`${name}: wasm memory after the searches ${mib()}`);
  for (const row of rows) report.rows.push({ ...row, mem_bytes: peak });
}

window.runBench = async ({ queries: count, ssam, peers }) => {
  const report = { crossOriginIsolated: self.crossOriginIsolated, userAgent: navigator.userAgent, rows: [], unavailable: [] };
  log(`crossOriginIsolated = ${self.crossOriginIsolated}`);
  const data = await loadData();
  if (!(count >= 1 && count <= data.testCount - WARMUP)) {
    throw new Error(`queries must be between 1 and ${data.testCount - WARMUP}, not ${count}`);
  }
  // Warm-up on the last test digits, so that no measured query has been seen before.
  const measured = Array.from({ length: count }, (_, i) => i);
  const warm = Array.from({ length: WARMUP }, (_, i) => data.testCount - WARMUP + i);
  const queries = { u8: [], f32: [] };
  for (const i of [...measured, ...warm]) {
    queries.u8[i] = data.test.slice(i * DIM, (i + 1) * DIM);
    queries.f32[i] = Float32Array.from(queries.u8[i]);
  }
  log(`data loaded: ${TRAIN} training digits, ${count} queries, truth checked`);

  if (ssam) {
    await runSystem('ssam', ssamSystem, data, queries, measured, warm, report);
    await runSystem('ssam-codes', ssamCodesSystem, data, queries, measured, warm, report);
    // SSAM was asked for: a failure ends the run now rather than after the peers' builds.
    if (report.unavailable.length) return report;
  } else {
    report.unavailable.push({ system: 'ssam', reason: 'skipped (--peers-only)' });
  }
  if (peers) {
    await runSystem('edgevec', edgevecSystem, data, queries, measured, warm, report);
    await runSystem('hnswlib-wasm', hnswlibSystem, data, queries, measured, warm, report);
  } else {
    report.unavailable.push({ system: 'edgevec, hnswlib-wasm', reason: 'skipped (--ssam-only)' });
  }

  return report;
};
window.benchReady = true;

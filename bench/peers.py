"""The peers on the same MNIST files, scored against the same exact answers
(bench/out/truth.bin, written by `ssam bench`) with the same rule: a returned item counts
when its distance is within the 10th true distance + 1e-3. Their rows replace their own
earlier rows in the same results.csv.

    python bench/peers.py [--out bench/out] [--queries N] [--only PREFIX,...]

Every library builds and searches on one thread, set explicitly (Annoy n_jobs=1, hnswlib
num_threads=1, faiss.omp_set_num_threads(1), usearch threads=1, glass.set_num_threads(1)).

How each is timed:
- Annoy has no batch call: every query is timed alone; QPS is queries over the summed
  time of the calls, and p50/p99 are of those calls.
- hnswlib, faiss, usearch and glass are given all queries in one batch call (no per-call
  interpreter overhead, as SSAM's own loop has none); QPS is queries over the time of that
  call, and p50/p99 are left empty, since a batch has no per-query latency.

index_bytes is what the library saves (vectors included, as SSAM's index includes its
own), except glass, which saves only its graph: there it is the graph file plus the codes
its searcher holds for the walk and the re-rank (4, 8 or 32 bits a pixel each), and its
build_s is the graph's plus that searcher's setup.

Rerunning with --only replaces those systems' rows and keeps the others.
"""

import argparse
import gzip
import os
import struct
import tempfile
import time

import numpy as np

K = 10
EPSILON = 1e-3
ASSETS = os.path.join(os.path.dirname(__file__), "..", "assets", "mnist")
HEADER = "system,trees,leaf_size,budget,build_s,index_bytes,recall10,qps,p50_ms,p99_ms,acc1"

# Search widths (ef): recall from about 0.9 to 0.9995 for the graph libraries here, dense
# where they cross 0.95 and 0.99, sparse where each search costs most.
EFS = [10, 12, 14, 16, 20, 24, 32, 40, 48, 64, 96, 128, 192]


class Data:
    def __init__(self, queries, out):
        self.train = idx("train-images-idx3-ubyte.gz").reshape(60000, -1)
        self.train_labels = idx("train-labels-idx1-ubyte.gz")
        self.test = idx("t10k-images-idx3-ubyte.gz").reshape(10000, -1)[:queries]
        self.test_labels = idx("t10k-labels-idx1-ubyte.gz")[:queries]
        self.true_sq = truth(os.path.join(out, "truth.bin"), len(self.test))
        # Converted once, outside every timed call.
        self.train_f = np.ascontiguousarray(self.train, dtype=np.float32)
        self.test_f = np.ascontiguousarray(self.test, dtype=np.float32)

    def score(self, ids):
        """recall@10 and 1-NN accuracy of an (queries x >= K) array of train ids, where a
        negative or out-of-range id (a library's "no answer") counts as a miss."""
        ids = np.asarray(ids, dtype=np.int64)[:, :K]
        valid = (ids >= 0) & (ids < len(self.train))
        safe = np.where(valid, ids, 0)
        hits = 0
        for lo in range(0, len(ids), 1000):
            part = slice(lo, lo + 1000)
            diff = self.train[safe[part]].astype(np.int32) - self.test[part, None, :].astype(np.int32)
            dist = np.sqrt((diff * diff).sum(axis=2))
            limit = np.sqrt(self.true_sq[part, K - 1]) + EPSILON
            hits += int(((dist <= limit[:, None]) & valid[part]).sum())
        right = valid[:, 0] & (self.train_labels[safe[:, 0]] == self.test_labels)
        return hits / (len(ids) * K), float(right.mean())


def idx(name):
    with gzip.open(os.path.join(ASSETS, name)) as f:
        raw = f.read()
    ndim = raw[3]
    dims = struct.unpack(">" + "I" * ndim, raw[4 : 4 + 4 * ndim])
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def truth(path, queries):
    raw = open(path, "rb").read()
    # SSAM's envelope (crates/ssam/src/envelope.rs): magic, version, checksum, length;
    # then k, queries and two fingerprints (crates/ssam/src/truth.rs).
    if raw[:8] != b"SSAMGT\0\0" or struct.unpack("<I", raw[8:12])[0] != 2:
        raise SystemExit(f"{path}: not a version 2 truth file; run `ssam bench` first")
    k, n = struct.unpack("<II", raw[28:36])
    if k != K or n < queries:
        raise SystemExit(f"{path}: holds {n} queries of k={k}; run `ssam bench --queries {queries}` first")
    pairs = np.frombuffer(raw, dtype="<u4", offset=52).reshape(n, k, 2)
    return pairs[:queries, :, 1].astype(np.float64)  # squared distances


class Rows:
    """Collects CSV rows and prints each as it is measured."""

    def __init__(self):
        self.lines = []

    def add(self, system, budget, build_s, index_bytes, recall, acc1, qps, p50=None, p99=None, trees=None):
        ms = lambda v: "" if v is None else f"{v:.4f}"
        cells = [system, "" if trees is None else str(trees), "", str(budget), f"{build_s:.3f}", str(index_bytes)]
        cells += [f"{recall:.4f}", f"{qps:.1f}", ms(p50), ms(p99), f"{acc1:.4f}"]
        self.lines.append(",".join(cells))
        print(self.lines[-1], flush=True)


def per_query(data, search):
    """Times every call alone: (ids, QPS, p50 ms, p99 ms)."""
    latencies, ids = [], np.full((len(data.test_f), K), -1, dtype=np.int64)
    for i, q in enumerate(data.test_f):
        t = time.perf_counter()
        found = search(q)
        latencies.append(time.perf_counter() - t)
        ids[i, : len(found[:K])] = found[:K]
    total = sum(latencies)
    latencies.sort()
    pct = lambda p: latencies[round((len(latencies) - 1) * p)] * 1e3
    return ids, len(latencies) / total, pct(0.5), pct(0.99)


def batch(queries, search):
    """Times one call over all queries, after a small call to warm the caches: (ids, QPS)."""
    search(queries[:100])
    t = time.perf_counter()
    ids = search(queries)
    return ids, len(queries) / (time.perf_counter() - t)


def timed(build):
    t = time.perf_counter()
    built = build()
    return built, time.perf_counter() - t


def file_size(save):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "index")
        save(path)
        return os.path.getsize(path)


def sweep(data, rows, system, build_s, size, set_width, search, widths, queries=None):
    """One row per search width, widest last; stops past recall 0.9995, the top of the
    range compared, since wider searches only take longer."""
    for w in widths:
        set_width(w)
        ids, qps = batch(data.test_f if queries is None else queries, search)
        recall, acc1 = data.score(ids)
        rows.add(system, w, build_s, size, recall, acc1, qps)
        if recall >= 0.9995:
            break


def annoy(data, rows, trees_list, search_ks):
    from annoy import AnnoyIndex

    for trees in trees_list:
        index = AnnoyIndex(data.train.shape[1], "euclidean")
        for i, v in enumerate(data.train_f):
            index.add_item(i, v)
        _, build_s = timed(lambda: index.build(trees, n_jobs=1))
        size = file_size(index.save)
        for sk in search_ks:
            ids, qps, p50, p99 = per_query(data, lambda q: index.get_nns_by_vector(q, K, search_k=sk))
            recall, acc1 = data.score(ids)
            rows.add("annoy", sk, build_s, size, recall, acc1, qps, p50, p99, trees=trees)


def hnswlib_(data, rows, system, m, ef_construction):
    import hnswlib

    index = hnswlib.Index(space="l2", dim=data.train.shape[1])
    index.init_index(max_elements=len(data.train), M=m, ef_construction=ef_construction, random_seed=1)
    index.set_num_threads(1)
    _, build_s = timed(lambda: index.add_items(data.train_f, np.arange(len(data.train)), num_threads=1))
    size = file_size(index.save_index)
    search = lambda qs: index.knn_query(qs, k=K, num_threads=1)[0]
    sweep(data, rows, system, build_s, size, lambda ef: index.set_ef(max(ef, K)), search, EFS)


def faiss_(data, rows, system, m, sq8):
    import faiss

    faiss.omp_set_num_threads(1)
    d = data.train.shape[1]
    # The 8-bit codes are the pixels themselves ("direct"), so its distances are exact;
    # faiss's trained 8-bit codes (QT_8bit) stop recall near 0.991 on MNIST.
    direct = faiss.ScalarQuantizer.QT_8bit_direct
    index = faiss.IndexHNSWSQ(d, direct, m) if sq8 else faiss.IndexHNSWFlat(d, m)
    # 200, as glass's L and hnswlib M=16's: ann-benchmarks' 500 more than doubles the
    # build of both faiss indexes, more than the benchmark's wall time can spare.
    index.hnsw.efConstruction = 200

    def build():
        if sq8:
            index.train(data.train_f)
        index.add(data.train_f)

    _, build_s = timed(build)
    size = len(faiss.serialize_index(index))

    def set_ef(ef):
        index.hnsw.efSearch = max(ef, K)

    sweep(data, rows, system, build_s, size, set_ef, lambda qs: index.search(qs, K)[1], EFS)


def usearch_(data, rows, system, m, int8):
    from usearch.index import Index

    index = Index(ndim=data.train.shape[1], metric="l2sq", dtype="i8" if int8 else "f32", connectivity=m)
    # Pixels less 128 fit signed bytes exactly, and a shift leaves distances unchanged:
    # the i8 index measures exact distances on a quarter of the f32 index's bytes.
    shift = lambda pixels: (pixels.astype(np.int16) - 128).astype(np.int8)
    train = shift(data.train) if int8 else data.train_f
    queries = shift(data.test) if int8 else data.test_f
    _, build_s = timed(lambda: index.add(np.arange(len(train)), train, threads=1))
    size = index.serialized_length

    def set_ef(ef):
        index.expansion_search = max(ef, K)

    search = lambda qs: index.search(qs, K, threads=1).keys.astype(np.int64)
    sweep(data, rows, system, build_s, size, set_ef, search, EFS, queries)


def glass_(data, rows, r, searchers, efs):
    """One graph of degree r, searched by each (walk codes, re-rank codes) in `searchers`.
    glass re-ranks the walk's best 1.5 k on the re-rank codes, whose precision then caps
    recall: 8-bit codes stop near 0.995 on MNIST, float32 goes on to 0.9995."""
    import glass

    glass.set_num_threads(1)
    graph, graph_s = timed(lambda: glass.Index("HNSW", "L2", "SQ8U", R=r, L=200).build(data.train_f))
    bits = {"SQ4U": 4, "SQ8U": 8, "FP16": 16, "FP32": 32, "": 0}
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "graph")
        graph.save(path)
        graph_bytes = os.path.getsize(path)
        for walk, rerank in searchers:
            size = graph_bytes + data.train.size * (bits[walk] + bits[rerank]) // 8

            def make():
                # A searcher takes its graph's memory, so each loads its own copy.
                searcher = glass.Searcher(glass.Graph(path), data.train_f, "L2", walk, rerank)
                # optimize() times sample searches to choose its prefetch depths.
                searcher.optimize(1)
                return searcher

            searcher, setup_s = timed(make)
            system = f"glass-hnsw(R={r} {walk.lower()}{'+' + rerank.lower() if rerank else ''})"
            search = lambda qs: searcher.batch_search(qs, K, num_threads=1)[0]
            set_ef = lambda ef: searcher.set_ef(max(ef, K))
            sweep(data, rows, system, graph_s + setup_s, size, set_ef, search, efs)


def systems(data, rows):
    """(name prefix, run) for every configuration, in the order they run."""
    return [
        # 50 trees are about as fast as 10 at each search_k and reach higher recall; each
        # query is timed alone, so the budgets stop where Annoy's QPS falls to hundreds.
        ("annoy", lambda: annoy(data, rows, [50], [1000, 3000, 6000, 12000])),
        ("hnswlib(M=16)", lambda: hnswlib_(data, rows, "hnswlib(M=16)", 16, 200)),
        *[
            (name, lambda m=m, name=name: hnswlib_(data, rows, name, m, 500))
            for m in (12, 24, 48)
            for name in [f"hnswlib(M={m} efC=500)"]
        ],
        *[
            (name, lambda sq8=sq8, name=name: faiss_(data, rows, name, 32, sq8))
            for sq8, name in [(False, "faiss-hnsw-flat(M=32)"), (True, "faiss-hnsw-sq8direct(M=32)")]
        ],
        *[
            (name, lambda m=m, i8=i8, name=name: usearch_(data, rows, name, m, i8))
            for i8 in (False, True)
            for m in (16, 32)
            for name in [f"usearch-{'i8' if i8 else 'f32'}(M={m})"]
        ],
        (
            "glass-hnsw(R=32",
            lambda: glass_(data, rows, 32, [("SQ4U", "SQ8U"), ("SQ4U", "FP32"), ("SQ8U", "FP32")], EFS),
        ),
    ]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "out"))
    ap.add_argument("--queries", type=int, default=10000)
    ap.add_argument("--only", default="", help="comma-separated prefixes of the systems to run (default all)")
    args = ap.parse_args()
    data = Data(args.queries, args.out)
    rows = Rows()
    only = [p for p in args.only.split(",") if p]
    for name, run in systems(data, rows):
        if not only or any(name.startswith(p) for p in only):
            t = time.perf_counter()
            run()
            print(f"# {name}: {time.perf_counter() - t:.0f} s", flush=True)

    csv = os.path.join(args.out, "results.csv")
    lines = [l for l in open(csv).read().splitlines() if l]
    if lines[0] != HEADER:
        raise SystemExit(f"{csv}: unexpected header {lines[0]!r}")
    ran = {l.split(",")[0] for l in rows.lines}
    kept = [l for l in lines[1:] if l.split(",")[0] not in ran]
    open(csv, "w").write("\n".join([HEADER] + kept + rows.lines) + "\n")


if __name__ == "__main__":
    main()

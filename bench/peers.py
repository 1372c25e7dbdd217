"""Annoy and hnswlib on the same MNIST files, scored against the same exact answers
(bench/out/truth.bin, written by `ssam bench`) with the same metric, one thread, every
query timed; their rows are appended to the same results.csv.

    python bench/peers.py [--out bench/out] [--queries N]
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


def idx(name):
    with gzip.open(os.path.join(ASSETS, name)) as f:
        raw = f.read()
    ndim = raw[3]
    dims = struct.unpack(">" + "I" * ndim, raw[4 : 4 + 4 * ndim])
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def truth(path, queries):
    raw = open(path, "rb").read()
    if raw[:8] != b"SSAMGT1\0":
        raise SystemExit(f"{path}: not a truth file; run `ssam bench` first")
    k, n = struct.unpack("<II", raw[8:16])
    if k != K or n < queries:
        raise SystemExit(f"{path}: holds {n} queries of k={k}; run `ssam bench --queries {queries}` first")
    pairs = np.frombuffer(raw, dtype="<u4", offset=32).reshape(n, k, 2)
    return pairs[:queries, :, 1].astype(np.float64)  # squared distances


def score(train, test, test_labels, train_labels, true_sq, search):
    """Times every query and scores it exactly as `ssam bench` does: QPS is queries over
    the summed time of the search calls alone, not of the scoring between them."""
    latencies, recalls, right = [], [], 0
    for i, q in enumerate(test):
        t = time.perf_counter()
        ids = search(q)
        latencies.append((time.perf_counter() - t) * 1e3)
        ids = np.asarray(ids[:K], dtype=np.int64)
        diff = train[ids].astype(np.int32) - test[i].astype(np.int32)
        dist = np.sqrt((diff * diff).sum(axis=1))
        limit = np.sqrt(true_sq[i, K - 1]) + EPSILON
        recalls.append(float((dist <= limit).sum()) / K)
        right += int(len(ids) > 0 and train_labels[ids[0]] == test_labels[i])
    total = sum(latencies) / 1e3
    latencies.sort()
    pct = lambda p: latencies[round((len(latencies) - 1) * p)]
    return dict(recall10=np.mean(recalls), qps=len(test) / total, p50_ms=pct(0.5), p99_ms=pct(0.99), acc1=right / len(test))


def row(system, trees, budget, build_s, index_bytes, m):
    cells = [system, "" if trees is None else str(trees), "", str(budget), f"{build_s:.3f}", str(index_bytes)]
    cells += [f"{m['recall10']:.4f}", f"{m['qps']:.1f}", f"{m['p50_ms']:.4f}", f"{m['p99_ms']:.4f}", f"{m['acc1']:.4f}"]
    line = ",".join(cells)
    print(line, flush=True)
    return line


def file_size(save):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "index")
        save(path)
        return os.path.getsize(path)


def annoy_rows(train, test, labels, true_sq, trees_list, search_ks):
    from annoy import AnnoyIndex

    rows = []
    for trees in trees_list:
        index = AnnoyIndex(train.shape[1], "euclidean")
        for i, v in enumerate(train):
            index.add_item(i, v)
        t = time.perf_counter()
        index.build(trees, n_jobs=1)
        build_s = time.perf_counter() - t
        size = file_size(index.save)
        for sk in search_ks:
            m = score(train, test, *labels, true_sq, lambda q: index.get_nns_by_vector(q, K, search_k=sk))
            rows.append(row("annoy", trees, sk, build_s, size, m))
    return rows


def hnsw_rows(train, test, labels, true_sq, ms, efs):
    import hnswlib

    test_f = test.astype(np.float32)
    rows = []
    for m_ in ms:
        index = hnswlib.Index(space="l2", dim=train.shape[1])
        index.init_index(max_elements=len(train), M=m_, ef_construction=200, random_seed=1)
        index.set_num_threads(1)
        t = time.perf_counter()
        index.add_items(train.astype(np.float32), np.arange(len(train)), num_threads=1)
        build_s = time.perf_counter() - t
        size = file_size(index.save_index)
        for ef in efs:
            index.set_ef(max(ef, K))
            # The queries are converted to float32 once, outside the timed calls.
            m = score(train, test_f, *labels, true_sq, lambda q: index.knn_query(q, k=K, num_threads=1)[0][0])
            rows.append(row(f"hnswlib(M={m_})", None, ef, build_s, size, m))
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "out"))
    ap.add_argument("--queries", type=int, default=10000)
    args = ap.parse_args()
    train = idx("train-images-idx3-ubyte.gz").reshape(60000, -1)
    train_labels = idx("train-labels-idx1-ubyte.gz")
    test = idx("t10k-images-idx3-ubyte.gz").reshape(10000, -1)[: args.queries]
    test_labels = idx("t10k-labels-idx1-ubyte.gz")[: args.queries]
    true_sq = truth(os.path.join(args.out, "truth.bin"), len(test))
    labels = (test_labels, train_labels)
    train_f = train.astype(np.float32)
    rows = annoy_rows(train_f, test.astype(np.float32), labels, true_sq, [10, 50, 100], [1000, 3000, 6000, 12000, 25000])
    rows += hnsw_rows(train, test, labels, true_sq, [16], [10, 12, 14, 16, 20, 24, 32, 40, 48, 64, 80, 120, 160])

    csv = os.path.join(args.out, "results.csv")
    lines = [l for l in open(csv).read().splitlines() if l and not l.startswith(("annoy,", "hnswlib("))]
    if lines[0] != HEADER:
        raise SystemExit(f"{csv}: unexpected header {lines[0]!r}")
    open(csv, "w").write("\n".join(lines + rows) + "\n")


if __name__ == "__main__":
    main()

"""UMAP (umap-learn from PyPI) on MNIST's 60,000 training digits in raw pixels, scored
the way `ssam map` scores SSAM's map: for every 6th digit (10,000), the share of its 10
nearest on the map that carry its label, and the share of them among its 30 nearest in
the space the layout was made from. Usage: python bench/map_peers.py [assets]"""
import gzip
import sys
import time

import numpy as np
from sklearn.neighbors import NearestNeighbors
import umap

assets = sys.argv[1] if len(sys.argv) > 1 else "assets"
with gzip.open(f"{assets}/mnist/train-images-idx3-ubyte.gz") as f:
    x = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 784).astype(np.float32)
with gzip.open(f"{assets}/mnist/train-labels-idx1-ubyte.gz") as f:
    y = np.frombuffer(f.read(), np.uint8, offset=8)

start = time.time()
# random_state makes umap-learn deterministic, which also makes it single-threaded.
emb = umap.UMAP(n_neighbors=15, min_dist=0.1, random_state=42).fit_transform(x)
seconds = time.time() - start

ids = np.arange(0, len(x), 6)[:10000]
_, on_map = NearestNeighbors(n_neighbors=11).fit(emb).kneighbors(emb[ids])
_, in_space = NearestNeighbors(n_neighbors=31, algorithm="brute").fit(x).kneighbors(x[ids])
same = kept = total = 0
for row, i in enumerate(ids):
    near = [j for j in on_map[row] if j != i][:10]
    space = set(j for j in in_space[row] if j != i)
    same += sum(y[j] == y[i] for j in near)
    kept += sum(j in space for j in near)
    total += len(near)
print(f"umap-learn {umap.__version__}, raw pixels, {seconds:.1f} s: label share {same / total:.4f}, "
      f"among 30 nearest {kept / total:.4f}")

"""The large inputs of bench/mainthread.sh, written into a folder given as argument:

- folder/: 5,000 MNIST training digits as 28x28 grey PNGs in one subfolder per label,
  plus three files a folder set skips: a 30000x30000 PNG (too large), an empty `.png`
  and a `.txt`;
- big.png: a 12000x12000 grey PNG of one MNIST test digit (white on black), scaled up;
- huge.png: the 30000x30000 PNG, black (the page must say it is too large).

Only the standard library: PNGs are written row by row through zlib, so a 900-megapixel
picture costs a few megabytes of memory, not 900.
"""

import gzip
import os
import struct
import sys
import zlib

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png(path, width, height, row):
    """Writes a grey 8-bit PNG whose row y is the bytes row(y)."""
    z = zlib.compressobj(9)
    parts = []
    for y in range(height):
        parts.append(z.compress(b"\x00" + row(y)))
    parts.append(z.flush())
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
        f.write(chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)))
        f.write(chunk(b"IDAT", b"".join(parts)))
        f.write(chunk(b"IEND", b""))


def mnist(stem, count):
    with gzip.open(os.path.join(ROOT, "assets", "mnist", f"{stem}-images-idx3-ubyte.gz")) as f:
        images = f.read(16 + 784 * count)[16:]
    with gzip.open(os.path.join(ROOT, "assets", "mnist", f"{stem}-labels-idx1-ubyte.gz")) as f:
        labels = f.read(8 + count)[8:]
    return [images[i * 784:(i + 1) * 784] for i in range(count)], labels


def main(out):
    os.makedirs(out, exist_ok=True)
    huge = os.path.join(out, "huge.png")
    black = bytes(30000)
    png(huge, 30000, 30000, lambda y: black)

    folder = os.path.join(out, "folder")
    images, labels = mnist("train", 5000)
    for i, (img, label) in enumerate(zip(images, labels)):
        sub = os.path.join(folder, str(label))
        os.makedirs(sub, exist_ok=True)
        png(os.path.join(sub, f"{i:05}.png"), 28, 28, lambda y, img=img: img[y * 28:(y + 1) * 28])
    with open(huge, "rb") as src, open(os.path.join(folder, "huge.png"), "wb") as dst:
        dst.write(src.read())
    open(os.path.join(folder, "empty.png"), "wb").close()
    with open(os.path.join(folder, "notes.txt"), "w") as f:
        f.write("not a picture\n")

    # A test digit 428 times its size: each source pixel a 428x428 square, the rest black.
    (digit,), _ = mnist("t10k", 1)
    side, scale = 12000, 12000 // 28
    rows = {}
    for y in range(28):
        rows[y] = b"".join(bytes([digit[y * 28 + x]]) * scale for x in range(28)).ljust(side, b"\x00")
    png(os.path.join(out, "big.png"), side, side, lambda y: rows.get(y // scale, bytes(side)))


if __name__ == "__main__":
    main(sys.argv[1])

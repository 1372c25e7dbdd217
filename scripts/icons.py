#!/usr/bin/env python3
"""Writes web/icons/icon-192.png and icon-512.png: a light pixel 7 on SSAM's blue, as the
digits look in MNIST (light ink on dark). Python's standard library only (zlib); run it
again after changing the drawing: `python3 scripts/icons.py`."""
import os
import struct
import zlib

# A 7 on a 12x12 grid, with a margin that keeps it inside a maskable icon's safe zone.
SEVEN = [
    "............",
    "............",
    "...######...",
    "...#######..",
    ".......###..",
    "......###...",
    "......##....",
    ".....###....",
    ".....##.....",
    "....###.....",
    "............",
    "............",
]
BLUE = (0x24, 0x57, 0xC5)
INK = (0xF5, 0xF5, 0xF2)


def png(size):
    cell = size / len(SEVEN)
    rows = []
    for y in range(size):
        row = bytearray([0])  # filter: none
        for x in range(size):
            on = SEVEN[int(y / cell)][int(x / cell)] == "#"
            row.extend(INK if on else BLUE)
        rows.append(bytes(row))
    raw = zlib.compress(b"".join(rows), 9)

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


if __name__ == "__main__":
    out = os.path.join(os.path.dirname(__file__), "..", "web", "icons")
    os.makedirs(out, exist_ok=True)
    for size in (192, 512):
        with open(os.path.join(out, f"icon-{size}.png"), "wb") as f:
            f.write(png(size))

#!/usr/bin/env python3
"""Trunk's post_build hook (Trunk.toml): finishes the built site in Trunk's staging folder.

1. The worker's files are named by their content. Trunk hashes the app's script,
   WebAssembly and styles into their names, but a worker's (`ssam-worker.js`,
   `ssam-worker_bg.wasm`) keep theirs; here they get a hash of their bytes in their names
   and its loader (`ssam-worker_loader.js`, which the page starts by that name) is
   rewritten to load them. A file named by its content never changes under that name, so
   the service worker takes it from the browser's HTTP cache (the page just loaded it)
   instead of downloading it again.
2. The Content-Security-Policy: Trunk writes an inline module script that loads the app;
   the policy in index.html allows inline scripts only by hash, so the hash of each inline
   script is computed here and put where the policy says 'sha256-INLINE'.
3. The service worker: sw.js gets the list of files to keep offline (the page itself, not
   assets/) and a version that is a hash of those files, so a deploy that changes the page
   replaces the old cache.
4. Precompressed copies: each of the page's text and WebAssembly files gets a `.gz` beside
   it, compressed once at gzip's highest level, for hosts that serve them (nginx's
   gzip_static, scripts/nginx.conf) instead of compressing every answer anew, as a CDN
   keeps what it compressed. Hosts that do not know them serve them as more files.

Standard library only; run by `trunk build` with TRUNK_STAGING_DIR set."""
import base64
import gzip
import hashlib
import json
import os
import re
import sys

PLACEHOLDER = "'sha256-INLINE'"
# Trunk's loader of a worker built with `data-loader-shim`: NAME_loader.js loads NAME.js
# and NAME_bg.wasm.
LOADER = "_loader.js"
# What gets a precompressed copy: the types scripts/nginx.conf gzips.
COMPRESSED = (".html", ".js", ".css", ".wasm", ".webmanifest", ".svg")


def name_workers_by_content(staging):
    """Renames each worker's script and WebAssembly to carry a hash of their bytes, as Trunk
    names the app's, and points the worker's loader at the new names. Returns the renames.
    A folder done before (the build's own, copied) has no unhashed pair left: nothing
    happens."""
    renamed = []
    for loader in sorted(n for n in os.listdir(staging) if n.endswith(LOADER)):
        stem = loader[: -len(LOADER)]
        script, wasm = stem + ".js", stem + "_bg.wasm"
        if not (os.path.isfile(os.path.join(staging, script)) and os.path.isfile(os.path.join(staging, wasm))):
            continue
        digest = hashlib.sha256()
        for name in (script, wasm):
            with open(os.path.join(staging, name), "rb") as f:
                digest.update(hashlib.sha256(f.read()).digest())
        tag = digest.hexdigest()[:16]
        names = {script: f"{stem}-{tag}.js", wasm: f"{stem}-{tag}_bg.wasm"}
        path = os.path.join(staging, loader)
        with open(path, encoding="utf-8") as f:
            text = f.read()
        for old, new in names.items():
            # The loader names each file once, in quotes ("./ssam-worker.js").
            quoted = re.compile(r"""(["'`](?:\./)?)""" + re.escape(old) + r"""(["'`])""")
            text, count = quoted.subn(lambda m: m.group(1) + new + m.group(2), text)
            if count != 1:
                sys.exit(f"post_build.py: {loader} names {old} {count} times, not once: Trunk's loader changed?")
            os.rename(os.path.join(staging, old), os.path.join(staging, new))
            renamed.append((old, new))
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    return renamed


def main():
    staging = os.environ.get("TRUNK_STAGING_DIR") or (sys.argv[1] if len(sys.argv) > 1 else None)
    if not staging:
        sys.exit("post_build.py: TRUNK_STAGING_DIR is not set (run it from trunk build)")
    renamed = name_workers_by_content(staging)
    page = os.path.join(staging, "index.html")
    with open(page, encoding="utf-8") as f:
        html = f.read()
    inline = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", html, flags=re.S)
    if PLACEHOLDER not in html:
        sys.exit("post_build.py: index.html has no " + PLACEHOLDER + " in its Content-Security-Policy")
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(s.encode("utf-8")).digest()).decode() + "'"
        for s in inline
    )
    html = html.replace(PLACEHOLDER, hashes or "'none'")
    with open(page, "w", encoding="utf-8") as f:
        f.write(html)

    worker = os.path.join(staging, "sw.js")
    files = []
    for root, _, names in os.walk(staging):
        for name in names:
            path = os.path.relpath(os.path.join(root, name), staging).replace(os.sep, "/")
            # The data are the engine worker's to fetch and keep (web/sw.js says why);
            # index.html is kept as the folder's address, './', which is what the page's
            # address asks for (the same file under a second name would be fetched twice).
            if path not in ("sw.js", "index.html") and not path.startswith("assets/") and not path.endswith(".gz"):
                files.append(path)
    files.sort()
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.encode())
        with open(os.path.join(staging, path), "rb") as f:
            digest.update(hashlib.sha256(f.read()).digest())
    with open(worker, encoding="utf-8") as f:
        sw = f.read()
    sw = sw.replace("'__SSAM_VERSION__'", json.dumps(digest.hexdigest()[:16]))
    sw = sw.replace("__SSAM_FILES__", json.dumps(["./" + p for p in files]))
    with open(worker, "w", encoding="utf-8") as f:
        f.write(sw)
    compressed = 0
    for root, _, names in os.walk(staging):
        for name in names:
            path = os.path.join(root, name)
            if name.endswith(COMPRESSED) and not os.path.relpath(path, staging).startswith("assets"):
                with open(path, "rb") as f:
                    raw = f.read()
                if len(raw) < 256:  # nginx's gzip_min_length: smaller ones gain nothing
                    continue
                # mtime 0: the same build writes the same bytes.
                with open(path + ".gz", "wb") as f:
                    f.write(gzip.compress(raw, compresslevel=9, mtime=0))
                compressed += 1
    print(f"post_build.py: {', '.join(new for _, new in renamed) or 'no worker files'} named by content; {len(inline)} inline script(s) hashed into the CSP; sw.js keeps {len(files)} files and the page, version {digest.hexdigest()[:16]}; {compressed} files precompressed")


if __name__ == "__main__":
    main()

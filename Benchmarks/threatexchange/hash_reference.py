#!/usr/bin/env python3
"""Reference benchmark: python-threatexchange's image hashing and PyPI vpdq's video hashing.

usage: hash_reference.py images SECONDS FILE...   (run with the threatexchange venv's python)
       hash_reference.py videos FILE...           (run with a python that has vpdq)

images: pdq_from_file (Pillow + pdqhash, python-threatexchange's own function) on every file
in turn for at least SECONDS on one core, then the same on every core (one process per core,
as a Python deployment would scale); prints one JSON line:
  {"version", "one_core", "all_cores", "cores",
   "hashes": {path: [pdq_from_file hex, quality, hex of Pillow pixels converted to RGB, quality]}}
videos: vpdq.computeHash(path, seconds_per_hash=1) on each file, with vpdq's default threads
and with one thread; prints one JSON line: {"version", "files": {path: [seconds, seconds_one_thread, frames]}}
Everything else goes to stderr.
"""
import json, multiprocessing, os, sys, time
from importlib.metadata import version


def pdq_rate(files, seconds):
    from threatexchange.signal_type.pdq.pdq_hasher import pdq_from_file
    n, start = 0, time.perf_counter()
    while True:
        for f in files:
            pdq_from_file(f)
            n += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return n, elapsed


def worker(args):
    return pdq_rate(*args)


def images(seconds, files):
    import numpy as np
    import pdqhash
    from PIL import Image
    from threatexchange.signal_type.pdq.pdq_hasher import pdq_from_file
    hashes = {}
    for f in files:
        h, q = pdq_from_file(f)
        bits, rq = pdqhash.compute(np.asarray(Image.open(f).convert("RGB")))
        hashes[f] = [h, int(q), "%064x" % int("".join(str(int(b)) for b in bits), 2), int(rq)]
    pdq_rate(files, 0.5)  # warm-up: imports, page cache
    n, elapsed = pdq_rate(files, seconds)
    cores = os.cpu_count() or 1
    with multiprocessing.Pool(cores) as pool:
        pool.map(worker, [(files, 0.2)] * cores)  # each process imports and warms up
        start = time.perf_counter()
        results = pool.map(worker, [(files, seconds)] * cores)
        wall = time.perf_counter() - start
    print(json.dumps({"version": version("threatexchange"), "one_core": n / elapsed,
                      "all_cores": sum(r[0] for r in results) / wall, "cores": cores, "hashes": hashes}))


def videos(files):
    import vpdq
    out = {}
    for f in files:
        start = time.perf_counter()
        frames = vpdq.computeHash(f, seconds_per_hash=1)
        t = time.perf_counter() - start
        start = time.perf_counter()
        vpdq.computeHash(f, seconds_per_hash=1, thread_count=1)
        out[f] = [t, time.perf_counter() - start, len(frames)]
    print(json.dumps({"version": version("vpdq"), "files": out}))


if __name__ == "__main__":
    if sys.argv[1] == "images":
        images(float(sys.argv[2]), sys.argv[3:])
    else:
        videos(sys.argv[2:])

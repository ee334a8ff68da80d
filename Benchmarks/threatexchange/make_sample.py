#!/usr/bin/env python3
"""Writes a random input file for pdq_reference.py.

usage: make_sample.py OUT N Q [--seed S]

Format (little-endian): uint32 N, uint32 Q, N hashes of 32 bytes, Q query hashes of 32 bytes
(a hash's bytes in the order of its 64-character hex string). Even-numbered queries are stored
hashes with 0-31 distinct random bits flipped, odd-numbered ones are random.

Also writes OUT.truth for pdq_reference.py --check: Q little-endian int32 pairs
(planted stored index, bits flipped), (-1, -1) for a random query.
"""
import argparse
import sys

import numpy as np


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("out")
    p.add_argument("n", type=int)
    p.add_argument("q", type=int)
    p.add_argument("--seed", type=int, default=7)
    a = p.parse_args()
    if a.n < 1 or a.q < 0 or a.n >= 2**32 or a.q >= 2**32:
        sys.exit("make_sample: need 1 <= N < 2^32 and 0 <= Q < 2^32")

    rng = np.random.default_rng(a.seed)
    hashes = rng.integers(0, 256, size=(a.n, 32), dtype=np.uint8)
    queries = rng.integers(0, 256, size=(a.q, 32), dtype=np.uint8)
    truth = np.full((a.q, 2), -1, dtype="<i4")
    for i in range(0, a.q, 2):
        base = int(rng.integers(0, a.n))
        flips = int(rng.integers(0, 32))  # 0..31
        bits = np.unpackbits(hashes[base])
        pos = rng.choice(256, size=flips, replace=False)
        bits[pos] ^= 1
        queries[i] = np.packbits(bits)
        truth[i] = (base, flips)

    with open(a.out, "wb") as f:
        f.write(np.array([a.n, a.q], dtype="<u4").tobytes())
        f.write(hashes.tobytes())
        f.write(queries.tobytes())
    with open(a.out + ".truth", "wb") as f:
        f.write(truth.tobytes())
    print(f"make_sample: wrote {a.out} ({a.n} hashes, {a.q} queries) and {a.out}.truth", file=sys.stderr)


if __name__ == "__main__":
    main()

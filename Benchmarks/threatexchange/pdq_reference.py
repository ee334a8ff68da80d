#!/usr/bin/env python3
"""Reference benchmark: python-threatexchange's default PDQ index on given hashes and queries.

usage: pdq_reference.py INPUT_FILE [--distance 31] [--threads 1] [--check TRUTH_FILE]

INPUT_FILE (little-endian): uint32 N, uint32 Q, N hashes of 32 bytes, Q query hashes of
32 bytes; a hash's bytes are in the order of its 64-character hex string.

Builds the index that PdqSignal.get_index_cls() names from the N hashes (entry i = index
number i), runs the Q queries one at a time through the index's query(), and prints one
line of JSON to stdout:
  {"index_class", "version", "n", "queries", "build_seconds", "qps", "matches", "peak_rss_mib"}
Everything else goes to stderr.

--check TRUTH_FILE (written by make_sample.py) then runs untimed sanity checks after the
measurement (peak RSS is taken before them): whether each planted near-duplicate query
returns its planted hash, and, on a sample of queries, whether the returned set and
distances equal a brute-force scan with distance <= threshold.
"""
import argparse
import contextlib
import json
import os
import resource
import struct
import sys
import time


def log(*a) -> None:
    print("pdq_reference:", *a, file=sys.stderr, flush=True)


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description="python-threatexchange PDQ index reference benchmark")
    p.add_argument("input_file")
    p.add_argument("--distance", type=int, default=31,
                   help="match threshold: hashes at Hamming distance <= this match (default 31)")
    p.add_argument("--threads", type=int, default=1, help="OpenMP threads for faiss (default 1)")
    p.add_argument("--check", metavar="TRUTH_FILE",
                   help="after the measurement, sanity-check against make_sample.py's .truth file")
    p.add_argument("--check-sample", type=int, default=200,
                   help="queries compared against a brute-force scan under --check (default 200)")
    a = p.parse_args()
    if not 0 <= a.distance <= 255:
        p.error("--distance must be in 0..255")
    if a.threads < 1:
        p.error("--threads must be >= 1")
    return a


def load(path: str, np):
    """Returns (hashes, queries) as (N, 32) and (Q, 32) uint8 arrays."""
    with open(path, "rb") as f:
        header = f.read(8)
        if len(header) != 8:
            raise SystemExit(f"pdq_reference: {path}: too short for the 8-byte header")
        n, q = struct.unpack("<II", header)
        data = np.fromfile(f, dtype=np.uint8, count=(n + q) * 32)
        if data.size != (n + q) * 32:
            raise SystemExit(f"pdq_reference: {path}: header says {n} hashes and {q} queries "
                             f"({(n + q) * 32} bytes) but only {data.size} bytes follow")
        if f.read(1):
            log(f"warning: {path} has trailing bytes after {n} hashes and {q} queries")
    data = data.reshape(n + q, 32)
    return data[:n], data[n:]


def to_hex(rows) -> list:
    """(K, 32) uint8 -> list of K lowercase 64-character hex strings, without a per-row numpy call."""
    s = rows.tobytes().hex()
    return [s[i:i + 64] for i in range(0, len(s), 64)]


def describe(index, faiss) -> str:
    """Class name of the threatexchange index plus what it wraps, down to the faiss index."""
    cls = type(index)
    parts = [f"{cls.__module__}.{cls.__qualname__}"]
    inner = getattr(index, "index", None) or getattr(index, "_index", None)
    if inner is not None:
        parts.append(type(inner).__name__)
        fi = getattr(inner, "faiss_index", None)
        chain = []
        while fi is not None:
            try:
                fi = faiss.downcast_IndexBinary(fi)
            except Exception:
                try:
                    fi = faiss.downcast_index(fi)
                except Exception:
                    pass
            name = type(fi).__name__
            if hasattr(fi, "nhash") and hasattr(fi, "b"):
                name += f"(nhash={fi.nhash}, b={fi.b})"
            chain.append(name)
            fi = getattr(fi, "index", None)
        if chain:
            parts.append("faiss " + " > ".join(chain))
    return " / ".join(parts)


def main() -> None:
    args = parse_args()
    # Before numpy/faiss load their OpenMP runtime.
    os.environ["OMP_NUM_THREADS"] = str(args.threads)
    os.environ.setdefault("OPENBLAS_NUM_THREADS", str(args.threads))

    with contextlib.redirect_stdout(sys.stderr):  # keep stdout for the one JSON line
        import numpy as np
        import faiss
        from importlib.metadata import version
        try:
            from threatexchange.signal_type.pdq.signal import PdqSignal as Signal
        except ImportError:  # other layouts / names across versions
            from threatexchange.signal_type.pdq import PdqSignalType as Signal  # type: ignore

        faiss.omp_set_num_threads(args.threads)
        te_version = version("threatexchange")
        faiss_version = getattr(faiss, "__version__", "?")

        t0 = time.perf_counter()
        hashes, queries = load(args.input_file, np)
        n, q = len(hashes), len(queries)
        hex_hashes = to_hex(hashes)
        hex_queries = to_hex(queries)
        log(f"loaded {n} hashes and {q} queries, hex strings ready in {time.perf_counter() - t0:.2f} s")

        index_cls = Signal.get_index_cls()
        default_threshold = None
        if hasattr(index_cls, "get_match_threshold"):
            default_threshold = index_cls.get_match_threshold()
        log(f"threatexchange {te_version}, faiss {faiss_version}; "
            f"{Signal.__name__}.get_index_cls() = {index_cls.__module__}.{index_cls.__qualname__}, "
            f"built-in threshold {default_threshold}; faiss OpenMP threads {faiss.omp_get_max_threads()}")
        build_cls = index_cls
        if default_threshold is not None and default_threshold != args.distance:
            # The index's query() takes no threshold; it asks get_match_threshold() (as the
            # library's own PDQFlatIndex subclass does to change it).
            d = args.distance
            build_cls = type(index_cls.__name__, (index_cls,),
                             {"get_match_threshold": classmethod(lambda cls: d),
                              "__module__": index_cls.__module__,
                              "__qualname__": index_cls.__qualname__})
            log(f"threshold {d} set by overriding {index_cls.__name__}.get_match_threshold")

        t0 = time.perf_counter()
        index = build_cls.build(zip(hex_hashes, range(n)))
        build_seconds = time.perf_counter() - t0
        if default_threshold is None and hasattr(index, "threshold"):
            index.threshold = args.distance  # e.g. PDQIndex2 takes it per instance
        description = describe(index, faiss)
        log(f"built {description} over {len(index)} entries in {build_seconds:.2f} s")

        matches = 0
        t0 = time.perf_counter()
        for h in hex_queries:
            matches += len(index.query(h))
        query_seconds = time.perf_counter() - t0
        peak_rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        qps = q / query_seconds if q and query_seconds > 0 else 0.0
        log(f"{q} queries in {query_seconds:.2f} s ({qps:.0f}/s), {matches} matches, "
            f"peak RSS {peak_rss_mib:.0f} MiB")

        if args.check:
            check(args, np, index, hashes, queries, hex_queries)

    print(json.dumps({
        "index_class": description,
        "version": f"threatexchange {te_version}, faiss-cpu {faiss_version}",
        "n": n,
        "queries": q,
        "build_seconds": round(build_seconds, 4),
        "qps": round(qps, 2),
        "matches": matches,
        "peak_rss_mib": round(peak_rss_mib, 1),
    }), flush=True)


def check(args, np, index, hashes, queries, hex_queries) -> None:
    """Untimed sanity checks against make_sample.py's truth file and a brute-force scan."""
    truth = np.fromfile(args.check, dtype="<i4").reshape(-1, 2)
    if len(truth) != len(queries):
        raise SystemExit(f"pdq_reference: {args.check} has {len(truth)} rows, expected {len(queries)}")
    d = args.distance

    def hits(i):
        return {int(m.metadata): int(m.similarity_info.distance) for m in index.query(hex_queries[i])}

    found, total = {}, {}
    for i, (base, flips) in enumerate(truth):
        if base < 0:
            continue
        total[flips] = total.get(flips, 0) + 1
        if int(base) in hits(i):
            found[flips] = found.get(flips, 0) + 1
    within = sum(total.get(k, 0) for k in total if k <= d)
    within_found = sum(found.get(k, 0) for k in total if k <= d)
    beyond = sum(total.get(k, 0) for k in total if k > d)
    beyond_found = sum(found.get(k, 0) for k in total if k > d)
    log(f"check: planted queries with flips <= {d}: {within_found}/{within} return the planted hash; "
        f"with flips > {d}: {beyond_found}/{beyond}")
    for k in (d - 1, d, d + 1):
        if k in total:
            log(f"check:   planted with exactly {k} bits flipped: {found.get(k, 0)}/{total[k]} found")

    words = np.ascontiguousarray(hashes).view(np.uint64)  # (N, 4)
    qwords = np.ascontiguousarray(queries).view(np.uint64)
    sample = min(args.check_sample, len(queries))
    expected = agreed = extra = wrong_dist = boundary = 0
    for i in range(sample):
        dist = np.bitwise_count(words ^ qwords[i]).sum(axis=1, dtype=np.int32)
        truth_ids = np.nonzero(dist <= d)[0]
        boundary += int((dist[truth_ids] == d).sum())
        got = hits(i)
        expected += len(truth_ids)
        agreed += sum(1 for t in truth_ids if int(t) in got)
        extra += sum(1 for g in got if dist[g] > d)
        wrong_dist += sum(1 for g, gd in got.items() if dist[g] != gd)
    log(f"check: brute force on {sample} queries: {agreed}/{expected} of the hashes at distance <= {d} "
        f"returned ({boundary} of them at exactly {d}); {extra} returned beyond {d}; "
        f"{wrong_dist} returned with a wrong distance")


if __name__ == "__main__":
    main()

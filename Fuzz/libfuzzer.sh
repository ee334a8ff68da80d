#!/usr/bin/env bash
# Builds coalition-fuzz for libFuzzer (coverage-guided, with AddressSanitizer) and runs one target.
#
#   Fuzz/libfuzzer.sh <target> [libFuzzer flags...]
#   Fuzz/libfuzzer.sh frame -runs=10000000        # what docs/reliability.md records
#   Fuzz/libfuzzer.sh --list                       # the targets
#
# New inputs go to .build-fuzz/corpus/<target>; the repository's Fuzz/corpus/<target> is read,
# never written. To refresh it with a minimised corpus:
#   Fuzz/libfuzzer.sh <target> -merge=1 Fuzz/corpus/<target>.new   (then replace the old folder)
# The committed corpora hold each target's built-in seeds (valid entries, frames, exports...),
# which random bytes would not find past a signature check; `coalition-fuzz seed DIR` (the
# plain build) writes them, to merge into a corpus made from nothing:
#   Fuzz/libfuzzer.sh <target> -merge=1 Fuzz/corpus/<target>.new Fuzz/corpus/<target> DIR/<target>
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ "${1:-}" == "--list" || -z "${1:-}" ]]; then
    swift run -q coalition-fuzz list
    exit 0
fi
target=$1
shift
# The toolset links with lld: gold fails on the sanitizer runtime (an internal error in its
# DWARF reader).
swift build -c release --scratch-path .build-fuzz --product coalition-fuzz --toolset Fuzz/toolset.json \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -DLIBFUZZER
work=.build-fuzz/corpus/$target
mkdir -p "$work" "Fuzz/corpus/$target"
# -rss_limit_mb bounds memory (a finding beyond it); -timeout makes a hang a finding.
# Folders named on the command line come first: libFuzzer writes to (or merges into) the first.
flags=() dirs=()
for arg in "$@"; do if [[ "$arg" == -* ]]; then flags+=("$arg"); else dirs+=("$arg"); fi; done
dirs+=("$work" "Fuzz/corpus/$target")
COALITION_FUZZ_TARGET=$target exec .build-fuzz/release/coalition-fuzz \
    -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 "${flags[@]}" "${dirs[@]}"

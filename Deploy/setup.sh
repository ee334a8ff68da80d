#!/usr/bin/env bash
# Sets up a Debian/Ubuntu machine (with Swift already installed) to build, run and test Coalition:
#   - the C libraries Coalition links: libsodium (signatures, hashing, sealed boxes), SQLite, and
#     the media decoders (libjpeg-turbo's TurboJPEG, libpng, libwebp, giflib, ffmpeg's libav*),
#     plus pkg-config, which SwiftPM uses to find them;
#   - the media reference hashers the tests compare against: pdqhash, Pillow and numpy from PyPI,
#     and vpdq (a source package: built with cmake against ffmpeg's development libraries);
#   - PyNaCl, used only by the independent spec checker Protocol/tools/verify_vectors.py;
#   - schemathesis, used only by the API contract check Protocol/tools/api-contract.sh;
#   - standardwebhooks, the reference verifier the alerting tests' webhook receiver checks with;
#   - iproute2 and iptables, with which the network-fault test builds its own namespaces;
#   - Debian's chromium and chromium-driver, with selenium from PyPI, for the dashboard's browser
#     test (headless, the system browser; nothing is downloaded at test time).
# Safe to run again: it installs only what is missing. Uses sudo when not run as root.
set -euo pipefail

say() { printf '==> %s\n' "$*"; }

if ! command -v swift >/dev/null 2>&1; then
  echo "error: swift is not on PATH. Install Swift 6 (https://www.swift.org/install/) first." >&2
  exit 1
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "error: installing system packages needs root or sudo." >&2; exit 1
  fi
fi

missing=()
for pkg in libsodium-dev libsqlite3-dev pkg-config \
    libturbojpeg0-dev libpng-dev libwebp-dev libgif-dev \
    libavformat-dev libavcodec-dev libswscale-dev libavutil-dev \
    cmake libavdevice-dev libavfilter-dev libswresample-dev \
    iproute2 iptables chromium chromium-driver; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
else
  say "system packages present (libsodium, SQLite, the media decoders, pkg-config, cmake, iproute2, iptables, chromium)"
fi
pkg-config --exists libsodium || { echo "error: pkg-config cannot find libsodium after installing libsodium-dev" >&2; exit 1; }

if command -v python3 >/dev/null 2>&1; then
  if ! python3 -c 'import nacl.bindings' >/dev/null 2>&1; then
    say "installing PyNaCl for the spec checker"
    python3 -m pip install --quiet pynacl 2>/dev/null || python3 -m pip install --quiet --break-system-packages pynacl
  fi
  if ! command -v st >/dev/null 2>&1; then
    say "installing schemathesis for the API contract check"
    python3 -m pip install --quiet 'schemathesis>=4,<5' 2>/dev/null || python3 -m pip install --quiet --break-system-packages 'schemathesis>=4,<5'
  fi
  if ! python3 -c 'import standardwebhooks' >/dev/null 2>&1; then
    say "installing standardwebhooks, the webhook verifier of the alerting tests"
    python3 -m pip install --quiet standardwebhooks 2>/dev/null || python3 -m pip install --quiet --break-system-packages standardwebhooks
  fi
  if ! python3 -c 'import pdqhash, PIL, numpy' >/dev/null 2>&1; then
    say "installing pdqhash and Pillow, the PDQ reference for the media tests"
    python3 -m pip install --quiet pdqhash pillow numpy 2>/dev/null || python3 -m pip install --quiet --break-system-packages pdqhash pillow numpy
  fi
  if ! python3 -c 'import selenium' >/dev/null 2>&1; then
    say "installing selenium, which drives Debian's chromium in the dashboard's browser test"
    python3 -m pip install --quiet selenium 2>/dev/null || python3 -m pip install --quiet --break-system-packages selenium
  fi
  if ! python3 -c 'import vpdq' >/dev/null 2>&1; then
    say "building vpdq, the vPDQ reference for the media tests (about a minute)"
    python3 -m pip install --quiet vpdq 2>/dev/null || python3 -m pip install --quiet --break-system-packages vpdq
  fi
else
  echo "warning: python3 not found; Protocol/tools/verify_vectors.py will not run" >&2
fi
say "setup done (libsodium $(pkg-config --modversion libsodium))"

#!/usr/bin/env bash
# Creates the three nodes that docker-compose.yml runs, in Deploy/compose/data/<service>, and wires
# them together: every node accepts the other two as members; video-app and forum each dial
# photo-app (a line, so entries between video-app and forum are relayed by photo-app).
#
# Usage (from anywhere):  Deploy/compose/init.sh [--reset]
#   then:                 docker compose -f Deploy/compose/docker-compose.yml up --build
# Uses $COALITION, else the repo's .build/debug/coalition (swift build --product coalition).
# The host binary only writes files (key, config, empty SQLite store); the containers run them.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
data="$here/data"
bin="${COALITION:-$root/.build/debug/coalition}"
services=(video-app photo-app forum)

case "${1:-}" in
  "") reset=0 ;;
  --reset) reset=1 ;;
  -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "error: unknown argument '$1' (try --help)" >&2; exit 2 ;;
esac

if [ ! -x "$bin" ]; then
  echo "error: no coalition binary at $bin" >&2
  echo "hint: build it with 'swift build --product coalition' in $root, or set COALITION=/path/to/coalition" >&2
  exit 1
fi

if [ -e "$data" ]; then
  if [ "$reset" -eq 1 ]; then
    # The dirs may belong to uid 10001 by now; then this needs sudo.
    rm -rf "$data" || { echo "error: cannot remove $data; try: sudo rm -rf $data" >&2; exit 1; }
  else
    echo "error: $data already exists; pass --reset to delete it (and its keys) and start over" >&2
    exit 1
  fi
fi
mkdir -p "$data"

# node SERVICE ARGS...: runs the CLI against that service's data dir.
node() { local s=$1; shift; "$bin" "$@" --data-dir "$data/$s"; }

ids=()
for i in "${!services[@]}"; do
  s=${services[$i]}
  # Inside the container the node listens on all interfaces; compose DNS resolves the service names.
  # video-app's API listens on its address on the video-app-internal network only (see
  # docker-compose.yml); the others keep theirs on 127.0.0.1 inside the container.
  api=127.0.0.1:7421
  [ "$s" = video-app ] && api=172.30.1.10:7421
  node "$s" init --name "$s" --listen 0.0.0.0:7420 --api-listen "$api" >/dev/null
  ids[i]=$(node "$s" id)
  echo "$s: ${ids[i]}"
done

# Full membership: a node stores and relays only entries authored by members, so each node must
# know every platform, including those it never connects to directly.
for i in "${!services[@]}"; do
  for j in "${!services[@]}"; do
    [ "$i" -eq "$j" ] && continue
    node "${services[$i]}" members add "${ids[j]}" --name "${services[$j]}" >/dev/null
  done
done

# Links: one dialing side per link is enough; a connection carries gossip both ways.
photo=1
node video-app peers add "${ids[photo]}" photo-app:7420 --name photo-app >/dev/null
node forum peers add "${ids[photo]}" photo-app:7420 --name photo-app >/dev/null
echo "wired: video-app -> photo-app <- forum"

# video-app-client's token (lookup scope), readable only by the containers' user.
mkdir -p "$data/video-app-client"
(umask 077; node video-app tokens create --name video-app-client --scope lookup 2>/dev/null > "$data/video-app-client/token")
echo "video-app-client: token in $data/video-app-client/token"

# The containers run as uid 10001 unless COALITION_UID/COALITION_GID say otherwise.
if [ "$(id -u)" -eq 0 ]; then
  chown -R 10001:10001 "$data"
  echo "data dirs chowned to 10001:10001"
else
  cat <<MSG
The data dirs belong to $(id -un) (uid $(id -u)); the containers run as uid 10001 by default. Either:
  sudo chown -R 10001:10001 $data
or run the containers as yourself (Docker Desktop on macOS usually needs neither):
  export COALITION_UID=$(id -u) COALITION_GID=$(id -g)
Then: docker compose -f Deploy/compose/docker-compose.yml up --build
MSG
fi

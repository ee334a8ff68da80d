#!/usr/bin/env bash
# Runs an N-node Coalition mesh on loopback, for experiments. See usage() or --help.
# Portable to macOS's bash 3.2: no associative arrays, no mapfile.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
bin="${COALITION:-$root/.build/debug/coalition}"

dir=/tmp/coalition-mesh
base_port=7500
degree=3
seed=""
log_level=info
json=0
stop_timeout=20

usage() {
  cat <<EOF
Usage:
  $(basename "$0") start N [--base-port 7500] [--degree 3] [--seed S] [--log-level info] [--dir DIR]
  $(basename "$0") stop   [--dir DIR]
  $(basename "$0") status [--json] [--dir DIR]
  $(basename "$0") clean  [--dir DIR]

start   Creates N nodes node-1..node-N in DIR (default $dir), node-i listening on
        127.0.0.1:(base-port + i), wires them and runs each with 'coalition run' in the background
        (log DIR/node-i.log, pid DIR/node-i.pid). Run again after 'stop' to restart the same mesh.
        Topology: a ring (so the mesh is connected) plus random extra links until nodes reach
        --degree links (the ring alone gives 2); --seed makes it reproducible; it is written to
        DIR/topology.txt. Each link is dialled by one of its two ends ('coalition peers add').
        Every node accepts every other node as a member, since nodes relay only members' entries.
stop    SIGTERM to every node, then waits up to ${stop_timeout}s (SIGKILL after that).
status  Runs 'coalition status' on each node.
clean   stop, then deletes DIR.

Uses \$COALITION, else $root/.build/debug/coalition; builds nothing.
EOF
}

die() { echo "error: $*" >&2; exit 1; }
is_uint() { case "$1" in ''|*[!0-9]*) return 1 ;; *) return 0 ;; esac; }

cmd="${1:-}"
[ $# -gt 0 ] && shift
case "$cmd" in
  -h|--help|help) usage; exit 0 ;;
  start|stop|status|clean) ;;
  "") usage >&2; exit 2 ;;
  *) echo "error: unknown command '$cmd'" >&2; usage >&2; exit 2 ;;
esac

n=""
if [ "$cmd" = start ]; then
  n="${1:-}"
  if ! is_uint "$n" || [ "$n" -lt 1 ]; then die "start needs a node count N >= 1 (try --help)"; fi
  shift
fi

while [ $# -gt 0 ]; do
  opt="$1"
  case "$opt" in
    -h|--help) usage; exit 0 ;;
    --json) json=1; shift; continue ;;
    --*=*) val="${opt#*=}"; opt="${opt%%=*}"; shift ;;
    --*) [ $# -ge 2 ] || die "$opt needs a value"; val="$2"; shift 2 ;;
    *) die "unexpected argument '$opt' (try --help)" ;;
  esac
  case "$opt" in
    --base-port) is_uint "$val" || die "--base-port must be a number"; base_port="$val" ;;
    --degree) is_uint "$val" || die "--degree must be a number"; degree="$val" ;;
    --seed) is_uint "$val" || die "--seed must be a number"; seed="$val" ;;
    --log-level) log_level="$val" ;;
    --dir) dir="$val" ;;
    *) die "unknown option '$opt' (try --help)" ;;
  esac
done
dir="${dir%/}"

need_bin() {
  [ -x "$bin" ] || die "no coalition binary at $bin
hint: build it first with 'swift build --product coalition' in $root, or set COALITION=/path/to/coalition"
}

# The mesh description written by start; its presence marks DIR as ours (clean relies on it).
meta="$dir/mesh.env"
mesh_nodes() { sed -n 's/^nodes=//p' "$meta"; }
mesh_port() { echo $(( $(sed -n 's/^base_port=//p' "$meta") + $1 )); }
node_dir() { echo "$dir/node-$1"; }
pid_file() { echo "$dir/node-$1.pid"; }

# Prints node i's pid if that process is still running *this* node (guards against pid reuse).
running_pid() {
  local f pid
  f="$(pid_file "$1")"
  [ -f "$f" ] || return 1
  pid="$(cat "$f")"
  is_uint "$pid" || return 1
  case "$(ps -p "$pid" -o args= 2>/dev/null) " in
    *" run --data-dir $(node_dir "$1") "*) echo "$pid" ;;
    *) return 1 ;;
  esac
}

# ---- topology: adjacency as a flat indexed array, adj[(a-1)*n + (b-1)] ----
adj=()
deg=()
edge_from=()
edge_to=()
link() {
  local a=$1 b=$2
  [ "$a" -ne "$b" ] || return 1
  [ "${adj[$(( (a - 1) * n + b - 1 ))]:-0}" -eq 0 ] || return 1
  adj[(a - 1) * n + b - 1]=1
  adj[(b - 1) * n + a - 1]=1
  deg[a]=$(( ${deg[a]:-0} + 1 ))
  deg[b]=$(( ${deg[b]:-0} + 1 ))
  # Either end may dial; pick one at random.
  if [ $(( RANDOM % 2 )) -eq 0 ]; then edge_from+=("$a"); edge_to+=("$b"); else edge_from+=("$b"); edge_to+=("$a"); fi
}

make_topology() {
  local i j tries
  [ -z "$seed" ] || RANDOM=$seed
  for i in $(seq 1 "$n"); do deg[i]=0; done
  # Ring: connected whatever the random links turn out to be.
  if [ "$n" -eq 2 ]; then link 1 2; fi
  if [ "$n" -ge 3 ]; then
    for i in $(seq 1 "$n"); do link "$i" $(( i % n + 1 )); done
  fi
  # Random extra links while both ends are below the degree; bounded tries so it always ends.
  for i in $(seq 1 "$n"); do
    tries=0
    while [ "${deg[i]}" -lt "$degree" ] && [ "$tries" -lt $(( 4 * n )) ]; do
      j=$(( RANDOM % n + 1 ))
      if [ "${deg[j]}" -lt "$degree" ]; then link "$i" "$j" || true; fi
      tries=$(( tries + 1 ))
    done
  done
}

# Runs "$@" in the background for each node and fails if any of them failed.
wait_all() {
  local pid failed=0
  for pid in "$@"; do wait "$pid" || failed=1; done
  [ "$failed" -eq 0 ] || die "setting up the mesh failed (see the messages above); run '$0 clean --dir $dir' and retry"
}

create_mesh() {
  local i j e d pids ids=()
  mkdir -p "$dir"
  d="$(node_dir "$n")/admin.sock"
  [ ${#d} -lt 100 ] || echo "warning: $d is long for a unix socket path (limit ~104); use a shorter --dir" >&2

  pids=()
  for i in $(seq 1 "$n"); do
    "$bin" init --name "node-$i" --listen "127.0.0.1:$(( base_port + i ))" --api-listen "127.0.0.1:$(( base_port + 1000 + i ))" --data-dir "$(node_dir "$i")" >/dev/null &
    pids+=("$!")
  done
  wait_all "${pids[@]}"
  for i in $(seq 1 "$n"); do ids[i]="$("$bin" id --data-dir "$(node_dir "$i")")"; done

  # Full membership, one background job per node (each job edits only its own config).
  pids=()
  for i in $(seq 1 "$n"); do
    (
      for j in $(seq 1 "$n"); do
        [ "$i" -eq "$j" ] && continue
        "$bin" members add "${ids[j]}" --name "node-$j" --data-dir "$(node_dir "$i")" >/dev/null
      done
    ) &
    pids+=("$!")
  done
  wait_all "${pids[@]}"

  make_topology
  {
    echo "# node-A -> node-B: A dials B (coalition peers add); links carry gossip both ways"
    e=0
    while [ "$e" -lt "${#edge_from[@]}" ]; do
      echo "node-${edge_from[e]} -> node-${edge_to[e]}"
      e=$(( e + 1 ))
    done
  } >"$dir/topology.txt"
  e=0
  while [ "$e" -lt "${#edge_from[@]}" ]; do
    i=${edge_from[e]}; j=${edge_to[e]}
    "$bin" peers add "${ids[j]}" "127.0.0.1:$(( base_port + j ))" --name "node-$j" --data-dir "$(node_dir "$i")" >/dev/null
    e=$(( e + 1 ))
  done
  printf 'nodes=%s\nbase_port=%s\ndegree=%s\nseed=%s\n' "$n" "$base_port" "$degree" "$seed" >"$meta"
  echo "created $n nodes in $dir with ${#edge_from[@]} links (see $dir/topology.txt)"
}

start_nodes() {
  local i pid failed=0
  for i in $(seq 1 "$n"); do
    # No nohup: it would make the node ignore SIGHUP, which is its reload signal.
    "$bin" run --data-dir "$(node_dir "$i")" --log-format text --log-level "$log_level" \
      </dev/null >>"$dir/node-$i.log" 2>&1 &
    echo "$!" >"$(pid_file "$i")"
  done
  sleep 1
  for i in $(seq 1 "$n"); do
    if ! running_pid "$i" >/dev/null; then
      failed=1
      echo "node-$i exited at startup; last lines of $dir/node-$i.log:" >&2
      tail -n 5 "$dir/node-$i.log" >&2 || true
    fi
  done
  [ "$failed" -eq 0 ] || die "some nodes did not start; '$0 stop --dir $dir' stops the others"
  echo "started node-1..node-$n on 127.0.0.1:$(( base_port + 1 ))..$(( base_port + n )); logs in $dir/node-*.log"
}

stop_nodes() {
  local i pid waited=0 left
  [ -f "$meta" ] || { echo "no mesh in $dir"; return 0; }
  n="$(mesh_nodes)"
  for i in $(seq 1 "$n"); do
    if pid="$(running_pid "$i")"; then kill -TERM "$pid" 2>/dev/null || true; fi
  done
  while :; do
    left=0
    for i in $(seq 1 "$n"); do running_pid "$i" >/dev/null && left=$(( left + 1 )); done
    [ "$left" -gt 0 ] || break
    if [ "$waited" -ge $(( stop_timeout * 10 )) ]; then
      echo "warning: $left node(s) still running after ${stop_timeout}s; sending SIGKILL" >&2
      for i in $(seq 1 "$n"); do
        if pid="$(running_pid "$i")"; then kill -KILL "$pid" 2>/dev/null || true; fi
      done
      break
    fi
    sleep 0.1
    waited=$(( waited + 1 ))
  done
  for i in $(seq 1 "$n"); do rm -f "$(pid_file "$i")"; done
  echo "stopped $n nodes in $dir"
}

case "$cmd" in
  start)
    need_bin
    if [ -f "$meta" ]; then
      [ "$(mesh_nodes)" = "$n" ] || die "$dir holds a $(mesh_nodes)-node mesh; run '$0 clean --dir $dir' first"
      for i in $(seq 1 "$n"); do
        ! running_pid "$i" >/dev/null || die "node-$i is already running; run '$0 stop --dir $dir' first"
      done
      base_port="$(sed -n 's/^base_port=//p' "$meta")"
      echo "restarting the existing mesh in $dir"
    else
      [ ! -e "$dir" ] || [ -z "$(ls -A "$dir")" ] || die "$dir exists and is not a mesh directory; choose another --dir"
      create_mesh
    fi
    start_nodes
    ;;
  stop)
    stop_nodes
    ;;
  status)
    need_bin
    [ -f "$meta" ] || die "no mesh in $dir"
    n="$(mesh_nodes)"
    for i in $(seq 1 "$n"); do
      if pid="$(running_pid "$i")"; then state="running, pid $pid"; else state="stopped"; fi
      echo "== node-$i 127.0.0.1:$(mesh_port "$i") ($state)"
      if [ "$json" -eq 1 ]; then
        "$bin" status --json --data-dir "$(node_dir "$i")" || true
      else
        "$bin" status --data-dir "$(node_dir "$i")" || true
      fi
    done
    ;;
  clean)
    if [ -f "$meta" ]; then
      stop_nodes
      rm -rf "$dir"
      echo "removed $dir"
    elif [ -e "$dir" ]; then
      die "$dir has no mesh.env, so it was not made by this script; not deleting it"
    fi
    ;;
esac

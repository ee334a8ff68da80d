#!/usr/bin/env bash
# Makes docs/images/dashboard-overview.png: three nodes on loopback (video-app ← photo-app ←
# forum) with a month of signals (published with a shifted clock, COALITION_CLOCK_OFFSET_FILE),
# a few retractions and disputes, then the overview in headless Chromium through selenium.
#   docs/images/make-overview-screenshot.sh      (after swift build; needs Deploy/setup.sh)
set -euo pipefail
cd "$(dirname "$0")/../.."
bin="${COALITION:-$PWD/.build/debug/coalition}"
root="$(mktemp -d "${TMPDIR:-/tmp}/coalition-shot.XXXXXX")"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$root"; }
trap cleanup EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
names=(video-app photo-app forum)
declare -A ids gossip api
for n in "${names[@]}"; do
  gossip[$n]=$(port); api[$n]=$(port)
  "$bin" init --name "$n" --listen "127.0.0.1:${gossip[$n]}" --api-listen "127.0.0.1:${api[$n]}" --data-dir "$root/$n" >/dev/null
  ids[$n]=$("$bin" id --data-dir "$root/$n")
done
for n in "${names[@]}"; do for m in "${names[@]}"; do
  [[ $n == "$m" ]] || "$bin" members add "${ids[$m]}" --name "$m" --data-dir "$root/$n" >/dev/null
done; done
"$bin" peers add "${ids[video-app]}" "127.0.0.1:${gossip[video-app]}" --data-dir "$root/photo-app" >/dev/null
"$bin" peers add "${ids[photo-app]}" "127.0.0.1:${gossip[photo-app]}" --data-dir "$root/forum" >/dev/null
categories=(protection_of_minors/unsafe_challenges violence scams_and_fraud illegal_or_harmful_speech/hate_speech self_harm)
severities=(low medium high critical)
kinds=(trend url md5)
first=()
for d in $(seq 29 -1 0); do
  echo "$(( -d * 86400 ))" > "$root/offset"
  i=0
  for n in "${names[@]}"; do
    count=$(( (d * 7 + ${#n}) % 4 ))
    for k in $(seq 1 $count); do
      i=$((i + 1))
      kind=${kinds[$(( (d + k) % 3 ))]}
      case $kind in
        trend) value="#challenge-$n-$d-$k" ;;
        url) value="https://$n-$d-$k.example/post" ;;
        md5) value=$(printf '%s' "$n$d$k" | md5sum | cut -c1-32) ;;
      esac
      out=$(COALITION_CLOCK_OFFSET_FILE="$root/offset" "$bin" publish --kind "$kind" --value "$value" \
        --category "${categories[$(( (d + k + ${#n}) % 5 ))]}" --severity "${severities[$(( (d * k) % 4 ))]}" --data-dir "$root/$n")
      [[ $d -gt 20 && $k -eq 1 ]] && first+=("$n:$(echo "$out" | grep -o '[0-9a-f]\{64\}')")
    done
  done
done
echo 0 > "$root/offset"
for item in "${first[@]:0:3}"; do "$bin" retract "${item#*:}" --reason "false positive" --data-dir "$root/${item%%:*}" >/dev/null; done
for item in "${first[@]:3:3}"; do "$bin" opine "${item#*:}" --stance dispute --note "satire" --data-dir "$root/forum" >/dev/null 2>&1 || true; done
token=$("$bin" tokens create --name screenshot --scope admin --data-dir "$root/video-app")
for n in "${names[@]}"; do "$bin" run --data-dir "$root/$n" --log-level warning 2>>"$root/$n.log" & pids+=($!); done
python3 - "${api[video-app]}" "$token" "$PWD/docs/images/dashboard-overview.png" <<'PY'
import os, sys, time, urllib.request
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
os.environ.setdefault("SE_OFFLINE", "true")
port, token, out = sys.argv[1:]
base = "http://127.0.0.1:" + port
for _ in range(600):
    try:
        if urllib.request.urlopen(base + "/readyz").status == 200: break
    except Exception: time.sleep(0.2)
o = webdriver.ChromeOptions()
o.binary_location = "/usr/bin/chromium"
for f in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1180"): o.add_argument(f)
d = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=o)
try:
    d.get(base + "/ui/login"); d.find_element(By.ID, "token").send_keys(token); d.find_element(By.ID, "login").click()
    for _ in range(600):
        d.get(base + "/ui")
        if not d.find_elements(By.ID, "peers"): print(d.current_url, d.page_source[:1500]); time.sleep(0.5); continue
        peers = d.find_element(By.ID, "peers").text
        if "photo-app" in peers and "not connected" not in peers and "forum" in d.page_source: break
        time.sleep(0.5)
    time.sleep(6)  # the counts are kept for 5 s: show every signal gossip brought
    d.get(base + "/ui")
    d.save_screenshot(out)
    print("wrote " + out)
finally:
    d.quit()
PY

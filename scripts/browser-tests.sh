#!/usr/bin/env bash
# The console's browser tests: a real host on SQLite with the demo tenants, driven by headless Chromium
# (Debian's chromium and chromium-driver) through Selenium. With --screenshots DIR, the same run also
# writes screenshots of the main pages to DIR.
#   scripts/browser-tests.sh [--screenshots docs/screenshots]
set -euo pipefail
cd "$(dirname "$0")/.."

shots=""
if [ "${1:-}" = "--screenshots" ]; then shots="$(cd "$(dirname "$2")" && pwd)/$(basename "$2")"; mkdir -p "$shots"; fi

missing=""
for p in chromium chromium-driver; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
if [ -n "$missing" ]; then
  echo "==> installing:$missing"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
fi
python3 -c 'import selenium' 2>/dev/null || { echo "==> installing selenium"; python3 -m pip install -q selenium; }

bin="${SWITCHBOARD_BIN_DIR:-$(swift build --show-bin-path)}"
work="$(mktemp -d)"
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
cp -r tenants "$work/tenants"
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
export SWITCHBOARD_DATABASE_URL="sqlite://$work/switchboard.sqlite"
export SWITCHBOARD_TENANTS_DIR="$work/tenants" SWITCHBOARD_PLUGINS_DIR="$bin" SWITCHBOARD_DATA_DIR="$work/data"
export SWITCHBOARD_ADMIN_TOKEN="browser-admin-$(date +%s%N)"

echo "==> starting the host on 127.0.0.1:$port (log: $work/host.log)"
"$bin/switchboard" serve --port "$port" --log-level warning >"$work/host.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
  curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
  kill -0 "$pid" 2>/dev/null || { cat "$work/host.log"; exit 1; }
  sleep 0.1
done

export SB_PASSWORD="browser-test-password"
for tenant in mrdj chargecars tutorbot leadqualifier; do
  SWITCHBOARD_PASSWORD="$SB_PASSWORD" "$bin/switchboard" users create --tenant "$tenant" --email "admin@$tenant.test" --name "Admin" --role admin >/dev/null
done
SB_MRDJ_TOKEN="$("$bin/switchboard" tokens create --tenant mrdj --role admin --name browser-tests | tail -1)"
export SB_MRDJ_TOKEN SB_PORT="$port" SB_SCREENSHOTS="$shots"

echo "==> browser tests (headless Chromium)"
status=0
python3 Tests/Browser/console_browser_tests.py -v || status=$?
if [ "$status" != 0 ]; then echo "--- host log ---"; tail -50 "$work/host.log"; fi
exit "$status"

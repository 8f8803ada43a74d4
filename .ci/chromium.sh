#!/usr/bin/env bash
# Debian's chromium for the browser tests of tests/viz/test_viewer.py (driven by Playwright,
# which downloads no browser of its own): installs it with apt-get if /usr/bin/chromium is
# missing and checks that it starts headless. Needs root. Exit 1 (with the reason) on failure.
set -uo pipefail

log() { echo "chromium: $*"; }
fail() { echo "chromium: FAILED: $*" >&2; exit 1; }

if [ ! -x /usr/bin/chromium ]; then
    [ "$(id -u)" -eq 0 ] || fail "needs root to apt-get install chromium"
    command -v apt-get >/dev/null || fail "no apt-get: install chromium by hand"
    log "installing chromium (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null || fail "apt-get update"
    apt-get install -y -qq chromium >/dev/null || fail "apt-get install chromium"
fi
version=$(timeout 60 /usr/bin/chromium --headless --no-sandbox --disable-gpu --version 2>&1 | tail -n 1) \
    || fail "/usr/bin/chromium does not start: $version"
log "$version"

#!/usr/bin/env bash
# Debian's chromium for the browser tests of tests/viz/test_viewer.py (driven by Playwright,
# which downloads no browser of its own): installs it with apt-get if /usr/bin/chromium is
# missing and checks that it starts headless and loads a page. Needs root to install. Exit 1
# (with the reason) on failure.
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
version=$(/usr/bin/chromium --version 2>&1 | tail -n 1) || fail "/usr/bin/chromium --version: $version"
# a real headless start (a page loaded and its DOM printed), not only --version, which
# succeeds where the browser itself cannot start (missing libraries, no /dev/shm)
# (the flags of the tests: no background connections, which a closed network refuses; a
# fresh profile)
profile=$(mktemp -d)
dom=$(timeout 60 /usr/bin/chromium --headless --no-sandbox --disable-gpu --disable-quic \
      --no-first-run --disable-background-networking --disable-component-update --disable-sync \
      --disable-dev-shm-usage \
      --user-data-dir="$profile" --dump-dom about:blank 2>/dev/null)
status=$?
rm -rf "$profile"
[ "$status" -eq 0 ] || fail "/usr/bin/chromium does not start headless (--dump-dom about:blank)"
[[ "$dom" == *"<body>"* ]] || fail "/usr/bin/chromium --headless printed no page: $dom"
log "$version starts headless"

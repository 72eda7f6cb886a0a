#!/usr/bin/env bash
# Headless Chromium and its WebDriver for the HTML report's browser test (tests/reports/test_html_browser.py).
# Debian packages: `chromium` and `chromium-driver`. Safe to run again: installs only what is missing.
set -euo pipefail

if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then
    echo "chromium: $(chromium --version 2>/dev/null || echo present), chromedriver present" >&2
    exit 0
fi
command -v apt-get >/dev/null || { echo "chromium: apt-get not found; install chromium and chromedriver by hand" >&2; exit 1; }
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null
command -v chromium >/dev/null && command -v chromedriver >/dev/null \
    || { echo "chromium: installation failed" >&2; exit 1; }
echo "chromium: installed $(chromium --version 2>/dev/null)" >&2

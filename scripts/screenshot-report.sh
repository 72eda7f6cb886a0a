#!/usr/bin/env bash
# Regenerate docs/report-first-screen.png: the first screen (1280x900) of the demo's report.html,
# rendered by headless Chromium (scripts/extras/20-chromium.sh installs it).
#   scripts/screenshot-report.sh             run the offline demo first (about 3 minutes on 2 cores)
#   scripts/screenshot-report.sh RUN_DIR     re-render an existing run's reports and screenshot it
set -euo pipefail
cd "$(dirname "$0")/.."

out=docs/report-first-screen.png
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if [ $# -ge 1 ]; then
    run_dir=$1
    .venv/bin/qframe report "$run_dir" >/dev/null
else
    .venv/bin/qframe run --no-progress --out "$work" --run-id demo >/dev/null
    run_dir=$work/demo
fi
report=$(cd "$run_dir" && pwd)/report.html
[ -f "$report" ] || { echo "screenshot: $report not found (is qframe-report-html installed?)" >&2; exit 1; }

chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
    --disable-component-update --disable-sync --hide-scrollbars --user-data-dir="$work/profile" \
    --window-size=1280,900 --screenshot="$work/shot.png" "file://$report" 2>/dev/null
mv "$work/shot.png" "$out"
echo "wrote $out ($(stat -c %s "$out") bytes) from $report" >&2

#!/bin/bash
# scenario_report_page.sh RUNNER SCENARIO PAGE: runs SCENARIO and copies the
# report.html it wrote to PAGE (the generator of
# scenario_report_screenshot_test). The run must pass.
set -euo pipefail
out="$(mktemp -d "${TEST_TMPDIR:-/tmp}/scenario-report.XXXXXX")"
"$1" run "$2" --out "$out" --progress=false
cp "$out/report.html" "$3"

#!/bin/bash
# Runs report_screenshot_test.py (see its docstring) with Debian's python3:
#   report_screenshot_test.sh REPORT_SAMPLE REPORT_SCREENSHOT_TEST_PY
set -euo pipefail
[[ -x /usr/bin/python3 ]] || { echo "FAIL: /usr/bin/python3 is missing: apt-get install python3" >&2; exit 1; }
exec /usr/bin/python3 "$2" "$1"

#!/bin/bash
# Runs report_screenshot_test.py (see its docstring) with Debian's python3:
#   report_screenshot_test.sh REPORT_SCREENSHOT_TEST_PY GENERATOR [ARGS...]
# where `GENERATOR ARGS... PAGE` writes the report page to PAGE.
set -euo pipefail
[[ -x /usr/bin/python3 ]] || { echo "FAIL: /usr/bin/python3 is missing: apt-get install python3" >&2; exit 1; }
script="$1"
shift
exec /usr/bin/python3 "$script" "$@"

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# One version everywhere: the Makefile's VERSION (compiled into the binary),
# `siobpf version`, the newest entry of CHANGELOG.md and the upstream part of
# the newest debian/changelog entry.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
passed=0 failed=0
ok() { passed=$((passed + 1)); echo "ok - $*"; }
bad() { failed=$((failed + 1)); echo "not ok - $*"; }
same() { [ "$2" = "$3" ] && ok "$1 ($3)" || bad "$1 (expected '$2', got '$3')"; }

make_v=$(sed -n 's/^VERSION[[:space:]]*:=[[:space:]]*\([0-9.]*\)$/\1/p' "$ROOT/Makefile")
[ -n "$make_v" ] && ok "the Makefile sets VERSION ($make_v)" || bad "the Makefile sets no VERSION"
bin_v=$("$BUILD/siobpf" version 2>/dev/null | sed -n 's/^siobpf \([^ ]*\) .*/\1/p')
same "siobpf version prints the Makefile's version" "$make_v" "$bin_v"
log_v=$(sed -n 's/^## \[\{0,1\}\([0-9][0-9.]*\)\]\{0,1\}.*/\1/p' "$ROOT/CHANGELOG.md" 2>/dev/null | head -1)
same "CHANGELOG.md's newest entry is this version" "$make_v" "$log_v"
deb_v=$(sed -n '1s/^siobpf (\([^)-]*\)-[^)]*).*/\1/p' "$ROOT/debian/changelog" 2>/dev/null)
same "debian/changelog's newest entry packages this version" "$make_v" "$deb_v"
echo "# $passed passed, $failed failed"
[ "$failed" -eq 0 ]

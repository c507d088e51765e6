#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# The README's command reference, `siobpf help` and the man page all come
# from user/cli/commands.c: every command appears in each, and the README's copy
# is the current one.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
bin=$BUILD/siobpf
passed=0 failed=0
ok() { passed=$((passed + 1)); echo "ok - $*"; }
bad() { failed=$((failed + 1)); echo "not ok - $*"; }

# Every command name, from the table itself (help lists one per line).
mapfile -t names < <("$bin" help | sed -n 's/^  \([a-z]*\( [a-z]*\)\?\) .*/\1/p' | while read -r a b; do
	case "$b" in add|set|del|withdraw|resume) echo "$a $b" ;; *) echo "$a" ;; esac
done)
[ "${#names[@]}" -ge 14 ] && ok "help lists ${#names[@]} commands" || bad "help lists only ${#names[@]} commands"

man=$("$bin" help --man)
readme=$(cat "$ROOT/README.md")
for n in "${names[@]}"; do
	"$bin" $n --help | grep -q "usage: siobpf $n" && ok "'$n --help' shows its usage" || bad "'$n --help' has no usage line"
	grep -qF "siobpf $n" <<<"${man//\\-/-}" && ok "man page documents '$n'" || bad "man page lacks '$n'"
	grep -qF "#### \`siobpf $n" <<<"$readme" && ok "README documents '$n'" || bad "README lacks '$n'"
done
"$ROOT/scripts/readme-commands.sh" --check "$bin" "$ROOT/README.md" >/dev/null &&
	ok "README's command reference matches siobpf help --markdown" ||
	bad "README's command reference is stale: run make docs"
cmp -s <(printf '%s\n' "$man") "$BUILD/siobpf.8" && head -1 "$BUILD/siobpf.8" | grep -q '^\.TH SIOBPF 8' &&
	ok "build/siobpf.8 is the generated man page" || bad "build/siobpf.8 is missing or stale: run make"
# The README says every command takes --pin-dir: those without maps too.
for c in help version; do
	"$BUILD/siobpf" "$c" --pin-dir /nonexistent >/dev/null 2>&1 &&
		ok "siobpf $c --pin-dir DIR exits 0" || bad "siobpf $c --pin-dir DIR fails (exit $?)"
done
echo "# $passed passed, $failed failed"
[ "$failed" -eq 0 ]

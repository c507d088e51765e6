#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Replaces the README's command reference (between the "commands:begin" and
# "commands:end" markers) with `siobpf help --markdown`, the same source as
# `siobpf help` and the man page.
#   readme-commands.sh SIOBPF README         rewrite the README
#   readme-commands.sh --check SIOBPF README exit 1 if it is out of date
set -euo pipefail

check=false
if [ "${1:-}" = "--check" ]; then
	check=true
	shift
fi
bin=$1 readme=$2
new=$(mktemp)
trap 'rm -f "$new"' EXIT

awk -v ref="$("$bin" help --markdown)" '
	/<!-- commands:begin -->/ { print; print ref; skip = 1; next }
	/<!-- commands:end -->/ { skip = 0 }
	!skip { print }
' "$readme" >"$new"

if $check; then
	if ! diff -u "$readme" "$new"; then
		echo "README.md's command reference is out of date: run make docs" >&2
		exit 1
	fi
else
	cp "$new" "$readme"
fi

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# The one test command (README, CI): installs what is missing, builds, and
# runs every test layer. Needs root: the tests load BPF programs.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
	echo "test: run as root (the tests load BPF programs and build namespaces)" >&2
	exit 1
fi
scripts/deps.sh
exec make -j"$(nproc)" test

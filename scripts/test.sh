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
# The network tests pin maps below /sys/fs/bpf (siobpf would mount it too).
if ! mountpoint -q /sys/fs/bpf; then
	mount -t bpf bpf /sys/fs/bpf
fi
exec make -j"$(nproc)" test

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Prepares a backend for siobpf's direct server return: the VIPs on lo, so
# the backend accepts packets addressed to them and answers from them, and
# the ARP settings that keep it from answering ARP for the VIPs (the
# balancer must be the only one that attracts VIP traffic).
#
#   backend-setup.sh [--remove] VIP_ADDRESS...
#
# Run it on every backend (as root); it is idempotent. IPv6 needs no
# equivalent of arp_ignore: Linux answers neighbour solicitations only for
# addresses on the interface they arrive on, and lo never receives them.
set -euo pipefail

remove=false
if [ "${1:-}" = "--remove" ]; then
	remove=true
	shift
fi
if [ $# -eq 0 ]; then
	echo "usage: $0 [--remove] VIP_ADDRESS..." >&2
	exit 2
fi

if ! $remove; then
	# Answer ARP only for addresses of the receiving interface, and source
	# ARP requests from the outgoing interface's own address.
	sysctl -qw net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2
	sysctl -qw net.ipv4.conf.default.arp_ignore=1 net.ipv4.conf.default.arp_announce=2
fi
ip link set lo up
for vip in "$@"; do
	case "$vip" in
	*:*) prefix=128 ;;
	*.*.*.*) prefix=32 ;;
	*) echo "backend-setup: '$vip' is not an IPv4 or IPv6 address" >&2; exit 1 ;;
	esac
	if $remove; then
		ip addr del "$vip/$prefix" dev lo 2>/dev/null || true
	elif ! ip addr show dev lo | grep -qw "$vip/$prefix"; then
		ip addr add "$vip/$prefix" dev lo
	fi
done

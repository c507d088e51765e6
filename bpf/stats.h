/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Per-CPU counters: no atomics, user space sums the CPUs. */
#ifndef SIOBPF_BPF_STATS_H
#define SIOBPF_BPF_STATS_H

#include "maps.h"

static __always_inline void stats_reason(__u32 reason)
{
	__u64 *count = bpf_map_lookup_elem(&sio_reasons, &reason);

	if (count)
		*count += 1;
}

static __always_inline void stats_traffic(void *map, __u32 id, __u32 bytes, int new_sticky)
{
	struct siobpf_traffic *t = bpf_map_lookup_elem(map, &id);

	if (!t)
		return;
	t->packets += 1;
	t->bytes += bytes;
	t->new_sticky += new_sticky;
}

#endif /* SIOBPF_BPF_STATS_H */

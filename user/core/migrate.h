/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Maps pinned by an older siobpf (an older SIOBPF_LAYOUT) replaced by maps
 * of this layout holding the same state, under traffic: the upgrade path of
 * `siobpf reload` and `siobpf load`. Functions return 0 or -errno. */
#ifndef SIOBPF_MIGRATE_H
#define SIOBPF_MIGRATE_H

#include <stddef.h>
#include <linux/types.h>

#include "dataplane.h"

/* Puts the program prog_fd on ifindex in place of the older siobpf program
 * attached there in mode (XDP_MODE_*), in one step: 0, or 1 when no siobpf
 * program is attached there (nothing to swap), or -errno. */
typedef int (*migrate_swap_fn)(int ifindex, __u8 mode, int prog_fd, void *ctx);

struct migrate_report {
	int from_layout;
	size_t entries[24];    /* copied, by map index (dataplane_map_name) */
	size_t sticky;         /* sticky entries copied before the swap */
	size_t sticky_lost;    /* of those, entries that found no room in the new table */
	size_t late_sticky;    /* sticky entries copied again after the swap (the fresher kept) */
	size_t late_sticky_lost; /* of those, entries that found no room */
	unsigned interfaces;   /* interfaces swapped to the new program */
};

/* With the pin lock held: loads this siobpf's program with new, unpinned
 * maps; copies every entry of the pinned maps into them (a value that grew
 * keeps the old bytes, the rest zero; the sticky table is carried into one
 * sized for clients, 0: as large as the old one; a ring is reused as it is, or rebuilt
 * from the backend table when its layout changed; a ring buffer is never
 * copied, and sio_node starts zero: the events switch off); swaps the program on
 * every interface in sio_ifaces (swap); copies the sticky entries that the
 * old program made or refreshed meanwhile, and the old counters; then pins
 * the new maps in place of the old, sio_meta last. On success dp holds the
 * new program and maps. A failure before the swap changes nothing; after
 * it, the message says what was left, and re-running finishes the job. */
int migrate_pins(struct dataplane *dp, const char *dir, __u32 clients, migrate_swap_fn swap, void *ctx,
		 struct migrate_report *report);

#endif /* SIOBPF_MIGRATE_H */

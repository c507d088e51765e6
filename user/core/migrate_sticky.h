/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Sticky entries carried from the table of older maps into a new table:
 * part of migrate.c's upgrade, and of a resize (siobpf load --clients). */
#ifndef SIOBPF_MIGRATE_STICKY_H
#define SIOBPF_MIGRATE_STICKY_H

#include <stdbool.h>
#include <stddef.h>

#include "dataplane.h"

/* Carries every live entry of the old table (old_sticky_fd: a bucket table
 * of any size, or the LRU hash of layouts 1 to 3, whose entries become
 * protected slots; old_probation_fd, -1 if none: layout 3's probation LRU,
 * whose entries stay on probation) into dp's table, whose VIPs and backends
 * must already be in place. With late, an entry the new program has since
 * made as fresh is left alone. *copied: slots written; *lost: entries that
 * found no room. */
int migrate_sticky(int old_sticky_fd, int old_probation_fd, struct dataplane *dp, bool late,
		   size_t *copied, size_t *lost);

#endif /* SIOBPF_MIGRATE_STICKY_H */

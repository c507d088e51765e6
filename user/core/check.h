/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* The invariants of the pinned maps (DESIGN §7), checked, and what a
 * command killed between two of its writes can leave repaired: `siobpf
 * check [--repair]`. Functions return 0 or -errno. */
#ifndef SIOBPF_CHECK_H
#define SIOBPF_CHECK_H

#include <stdbool.h>
#include <stdio.h>

#include "dataplane.h"

struct check_result {
	unsigned found;    /* violations seen */
	unsigned repaired; /* of those, repaired (with repair) */
};

/* Checks every invariant, one line on out per violation (and per repair):
 * - every backend record in use names a published VIP (no orphans left by
 *   a `vip del` or an `apply` stopped half-way);
 * - VIP settings in use belong to a published VIP (a `vip add` stopped
 *   before publishing, a `vip del` after unpublishing);
 * - every published VIP's ring is the ring its backend table makes, so it
 *   names only its own backends that take new clients (a change stopped
 *   between a record and its ring);
 * - the address entries and the VIP index are what the VIP table makes;
 * - no sticky entry belongs to a VIP id that is not published;
 * - every interface a backend record names is in sio_egress.
 * With repair, finishes or undoes each: orphan records freed, settings of
 * unpublished VIPs cleared with their rings and sticky entries, rings
 * rebuilt, index republished. The caller holds the pin lock. */
int check_run(struct dataplane *dp, bool repair, FILE *out, struct check_result *res);

#endif /* SIOBPF_CHECK_H */

/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* siobpf run: the maps into the daemon's view, neighbours, --config (refresh.c). */
#ifndef SIOBPF_REFRESH_H
#define SIOBPF_REFRESH_H

#include <linux/types.h>

#include "run.h"

int maps_open(struct run *r);
void maps_close(struct run *r);
void rings_repair(struct run *r);
void config_apply_now(struct run *r);
/* Called with d->lock held. */
void neigh_refresh(struct run *r, __u32 id);
void refresh(struct run *r, __u64 now);

#endif /* SIOBPF_REFRESH_H */

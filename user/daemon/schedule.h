/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* siobpf run: probe deadlines (schedule.c). */
#ifndef SIOBPF_SCHEDULE_H
#define SIOBPF_SCHEDULE_H

#include <linux/types.h>

#include "run.h"

__u64 first_due(__u32 id, __u32 interval_ms, __u64 now);
/* Starts the probes due; returns the next deadline. Takes d->lock. */
__u64 schedule_scan(struct run *r, __u64 now);

#endif /* SIOBPF_SCHEDULE_H */

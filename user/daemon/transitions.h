/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* siobpf run: backend state changes from probe results (transitions.c). */
#ifndef SIOBPF_TRANSITIONS_H
#define SIOBPF_TRANSITIONS_H

#include <linux/types.h>

#include "run.h"

/* CHANGE_DOWN and CHANGE_UP are the probe's (health_apply); CHANGE_DRAIN_END
 * takes a drain that ended down as the operator's; CHANGE_DRAIN_SEEN marks a
 * drain seen with clients (drain_check). */
enum change { CHANGE_DOWN, CHANGE_UP, CHANGE_DRAIN_END, CHANGE_DRAIN_SEEN, CHANGE_MAC };

void adopt_record(struct target *t, const struct siobpf_backend *b);
void backend_change(struct run *r, __u32 id, enum change what, const __u8 *mac, const char *why);
/* Ends the drains that are over (drain_check); clients by backend id, or NULL. */
void drains_check(struct run *r, const __u32 *clients);
/* The probe engine's callback: ctx is the run, owner the target. */
void on_probe_done(void *ctx, void *owner, const struct probe_result *res);

#endif /* SIOBPF_TRANSITIONS_H */

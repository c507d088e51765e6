/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* siobpf run: backend state changes from probe results (transitions.c). */
#ifndef SIOBPF_TRANSITIONS_H
#define SIOBPF_TRANSITIONS_H

#include <linux/types.h>

#include "run.h"

/* CHANGE_DOWN and CHANGE_UP are the probe's (health_apply); CHANGE_DRAIN_END
 * takes a drain that ended down as the operator's; CHANGE_DRAIN_SEEN marks a
 * drain seen with clients (drain_check). */
enum change { CHANGE_DOWN, CHANGE_UP, CHANGE_DRAIN_END, CHANGE_DRAIN_SEEN, CHANGE_MAC, CHANGE_EGRESS };

/* A backend's change, decided and not yet written. */
struct pending_change {
	bool queued;
	bool state_change;
	enum change what;                /* the state change: CHANGE_UP, _DOWN, _DRAIN_END */
	bool drain_seen;                 /* CHANGE_DRAIN_SEEN: the mark, beside any change */
	bool mac_change;
	__u8 mac[6];
	bool egress_change;              /* CHANGE_EGRESS: a route moved it (with mac) */
	__u32 ifindex;
	__u8 src_mac[6];
	struct siobpf_backend decided_on; /* the target's record when it was decided */
	struct siobpf_backend prev;       /* the map's record it is written over */
	char why[256];
	char addr_text[ADDR_TEXT_MAX];
	char vip_text[ADDR_TEXT_MAX];
};

int transitions_init(struct run *r);
void transitions_free(struct run *r);
void adopt_record(struct target *t, const struct siobpf_backend *b);
/* Queues a change of backend id; d->lock held. */
void backend_change(struct run *r, __u32 id, enum change what, const __u8 *mac, const char *why);
/* Queues a move of backend id to another egress interface (its route
 * changed): the interface, its MAC and the backend's MAC there. */
void backend_change_egress(struct run *r, __u32 id, __u32 ifindex, const __u8 *src_mac, const __u8 *mac);
/* Writes the queued changes, with one ring rebuild per VIP; d->lock not
 * held (the metrics thread reads on while maps and rings are written). */
void transitions_apply(struct run *r);
/* A probe's verdict into the target's health and state; d->lock held. */
void probe_verdict(struct run *r, struct target *t, const struct probe_result *res);
/* Ends the drains that are over (drain_check); clients by backend id, or NULL. */
void drains_check(struct run *r, const __u32 *clients);
/* The probe engine's callback: ctx is the run, owner the target. */
void on_probe_done(void *ctx, void *owner, const struct probe_result *res);

#endif /* SIOBPF_TRANSITIONS_H */

// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* The user-space model of bpf/siobpf.bpf.c's choice: protected entry first,
 * then the probation entry, else the ring (or the previous ring), with the
 * shared rules of siobpf/decide.h. */
#include "siobpf/decide.h"
#include "siobpf/hash.h"
#include "model.h"

static int entry_live(const struct model_state *state, const struct siobpf_sticky *entry)
{
	return entry && entry->backend_id < SIOBPF_MAX_BACKENDS &&
	       siobpf_sticky_live(state->vip, entry, &state->backends[entry->backend_id], state->now);
}

struct model_choice model_decide(const struct model_state *state,
				 const struct siobpf_sticky_key *key)
{
	const struct siobpf_vip *vip = state->vip;
	struct model_choice choice = {
		.source = MODEL_NO_BACKEND,
		.backend_id = SIOBPF_NO_BACKEND,
		.slot = siobpf_ring_slot(key, vip->hash_seed),
	};
	int start = !state->not_start && state->proto != 17 /* IPPROTO_UDP */;
	__u32 id;

	if (vip->persist_sec && entry_live(state, state->entry)) {
		choice.source = MODEL_STICKY;
		choice.backend_id = state->entry->backend_id;
		choice.age_ns = state->now - state->entry->last_seen;
		choice.refresh = siobpf_sticky_refresh_due(vip, state->entry, state->now);
		return choice;
	}
	if (vip->persist_sec && entry_live(state, state->probation)) {
		choice.source = MODEL_PROBATION;
		choice.backend_id = state->probation->backend_id;
		choice.age_ns = state->now - state->probation->last_seen;
		choice.promote = siobpf_probation_due(vip, state->admit, state->probation, state->now);
		return choice;
	}
	if (!start && state->prev_ring && siobpf_prev_ring_active(state->admit, state->now)) {
		id = state->prev_ring[choice.slot];
		if (id < SIOBPF_MAX_BACKENDS && siobpf_backend_keeps(vip, &state->backends[id])) {
			choice.source = MODEL_PREV_RING;
			choice.backend_id = id;
		}
	}
	if (choice.source == MODEL_NO_BACKEND && state->ring) {
		id = state->ring[choice.slot];
		if (id < SIOBPF_MAX_BACKENDS && siobpf_backend_takes_new(vip, &state->backends[id])) {
			choice.source = MODEL_RING;
			choice.backend_id = id;
		}
	}
	if (choice.source != MODEL_NO_BACKEND)
		choice.create = vip->persist_sec &&
				siobpf_creates_entry(state->proto ? state->proto : 6, start);
	return choice;
}

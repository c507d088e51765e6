// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* The user-space model of bpf/siobpf.bpf.c's choice: sticky entry first,
 * else the ring, with the shared rules of siobpf/decide.h. */
#include "siobpf/decide.h"
#include "siobpf/hash.h"
#include "model.h"

struct model_choice model_decide(const struct model_state *state,
				 const struct siobpf_sticky_key *key)
{
	const struct siobpf_vip *vip = state->vip;
	struct model_choice choice = {
		.source = MODEL_NO_BACKEND,
		.backend_id = SIOBPF_NO_BACKEND,
		.slot = siobpf_ring_slot(key, vip->hash_seed),
	};
	__u32 id;

	if (state->entry && state->entry->backend_id < SIOBPF_MAX_BACKENDS &&
	    siobpf_sticky_live(vip, state->entry, &state->backends[state->entry->backend_id],
			       state->now)) {
		choice.source = MODEL_STICKY;
		choice.backend_id = state->entry->backend_id;
		choice.age_ns = state->now - state->entry->last_seen;
		choice.refresh = siobpf_sticky_refresh_due(vip, state->entry, state->now);
		return choice;
	}
	if (!state->ring)
		return choice;
	id = state->ring[choice.slot];
	if (id < SIOBPF_MAX_BACKENDS && siobpf_backend_takes_new(vip, &state->backends[id])) {
		choice.source = MODEL_RING;
		choice.backend_id = id;
	}
	return choice;
}

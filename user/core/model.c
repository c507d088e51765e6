// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* The user-space model of bpf/siobpf.bpf.c's choice: the key's live slot
 * (protected or on probation), else the ring (or the previous ring), with
 * the shared rules of siobpf/decide.h. */
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
	int start = !state->not_start && state->proto != 17 /* IPPROTO_UDP */;
	__u32 id;

	if (vip->persist_sec && state->slot) {
		__u64 slot = *state->slot;
		__u32 now_u = siobpf_time_units(state->now);

		choice.backend_id = siobpf_slot_backend(slot);
		choice.age_ns = (__u64)siobpf_slot_age(slot, now_u, siobpf_persist_units(vip->persist_sec))
				<< SIOBPF_TIME_UNIT_SHIFT;
		if (siobpf_slot_kind(slot) == SIOBPF_SLOT_PROTECTED) {
			choice.source = MODEL_STICKY;
			choice.refresh = siobpf_slot_refresh_due(vip, slot, now_u);
		} else {
			choice.source = MODEL_PROBATION;
			choice.promote = siobpf_probation_due(vip, state->admit, slot, now_u);
		}
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

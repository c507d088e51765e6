/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* VIPs and backends as the operator sees them, on top of the maps: id
 * allocation, ring rebuilds, sticky clean-up. Shared by the CLI and the
 * daemon. Functions return 0 or -errno and never leave a half-done change. */
#ifndef SIOBPF_STATE_H
#define SIOBPF_STATE_H

#include <stddef.h>

#include "addr.h"
#include "dataplane.h"

struct vip_entry {
	struct siobpf_vip_key key;
	struct siobpf_vip vip;
	struct siobpf_vip_config cfg;
};

struct backend_entry {
	__u32 id;
	struct siobpf_backend b;
};

/* Defaults of a new VIP (HAProxy's familiar probe timing). The timeout is
 * left unset: each backend's is derived from its interval in force
 * (probe_settings_resolve). */
void state_vip_defaults(const struct siobpf_vip_key *key, struct siobpf_vip *vip,
			struct siobpf_vip_config *cfg);

/* -ENOENT when no such VIP (fragment aliases are not VIPs). */
int state_vip_find(struct dataplane *dp, const struct siobpf_vip_key *key, struct vip_entry *out);
/* All VIPs, ordered by id. *count is set; at most max. */
int state_vip_list(struct dataplane *dp, struct vip_entry *out, size_t max, size_t *count);
/* -ENOSPC when every VIP id is taken, -EEXIST when the VIP exists.
 * state_vip_add is state_vip_prepare (an id, its settings and an empty
 * ring; the program does not see the VIP yet) then state_vip_publish (the
 * VIP in the table and the index). Between the two, backends can be added
 * to the VIP, so that it goes live with its complete ring (DESIGN §7). */
int state_vip_add(struct dataplane *dp, struct vip_entry *entry);
int state_vip_prepare(struct dataplane *dp, struct vip_entry *entry);
int state_vip_publish(struct dataplane *dp, const struct vip_entry *entry);
/* Writes new settings for an existing VIP: rebuilds the ring when the seed
 * changed, forgets its sticky entries when the key shape changed. */
int state_vip_update(struct dataplane *dp, const struct vip_entry *old, const struct vip_entry *next);
int state_vip_del(struct dataplane *dp, const struct vip_entry *entry);

/* A VIP's backends, ordered by address. */
int state_backend_list(struct dataplane *dp, __u32 vip_id, struct backend_entry *out, size_t max,
		       size_t *count);
/* -ENOENT when the VIP has no backend at that address. */
int state_backend_find(struct dataplane *dp, __u32 vip_id, const struct addr *addr,
		       struct backend_entry *out);
/* Ids for n new backends of a VIP: the lowest free records, each entry's
 * id, in_use, vip_id and generation (one past the record's last) filled in
 * and its counters zeroed; the records themselves are not written (that is
 * state_backends_update_batch's). -ENOSPC, writing nothing, when fewer than
 * n are free. */
int state_backends_claim(struct dataplane *dp, const struct vip_entry *vip,
			 struct backend_entry *entries, size_t n);
/* Adds (id allocated, generation bumped) and rebuilds the ring. -ENOSPC. */
int state_backend_add(struct dataplane *dp, const struct vip_entry *vip, struct backend_entry *entry);
/* Replaces a backend's record and rebuilds the ring. */
int state_backend_update(struct dataplane *dp, const struct vip_entry *vip,
			 const struct backend_entry *entry);
/* Replaces several records of one VIP's backends, or of ids claimed for it
 * (each id once; -EINVAL otherwise) and rebuilds its ring once, in the order state_backend_update
 * keeps for one. On failure every previous record and the ring are put back. */
int state_backends_update_batch(struct dataplane *dp, const struct vip_entry *vip,
				const struct backend_entry *entries, size_t n);
/* A backend's record once freed: not in use, down, next generation (so its
 * sticky entries die). */
struct siobpf_backend state_backend_freed(const struct siobpf_backend *b);
/* Frees the id (its sticky entries die with the generation) and rebuilds. */
int state_backend_del(struct dataplane *dp, const struct vip_entry *vip,
		      const struct backend_entry *entry);

/* Deletes every sticky entry of a VIP. */
int state_sticky_forget(struct dataplane *dp, __u32 vip_id);

#endif /* SIOBPF_STATE_H */

// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Publishing the VIP table to the program: the fragment aliases derived
 * from it, and the VIP index (see struct siobpf_vip_slot). */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <bpf/bpf.h>

#include "siobpf/hash.h"
#include "dataplane.h"
#include "vip_table.h"

#define VIP_KEYS_MAX (SIOBPF_MAX_VIPS * 2) /* VIPs and their aliases */

struct vip_snapshot {
	struct siobpf_vip_key keys[VIP_KEYS_MAX];
	struct siobpf_vip vals[VIP_KEYS_MAX];
	size_t n;
};

/* Copies the VIP table: the steps below change the map they would walk. */
static int snapshot_take(int fd, struct vip_snapshot *s)
{
	struct siobpf_vip_key key, *prev = NULL;

	s->n = 0;
	while (s->n < VIP_KEYS_MAX && !bpf_map_get_next_key(fd, prev, &s->keys[s->n])) {
		key = s->keys[s->n];
		prev = &key;
		if (!bpf_map_lookup_elem(fd, &s->keys[s->n], &s->vals[s->n]))
			s->n++;
		else if (errno != ENOENT) /* ENOENT: deleted since; skip it */
			return -errno;
	}
	return errno == ENOENT || s->n == VIP_KEYS_MAX ? 0 : -errno;
}

/* The alias key of a VIP key: same address and protocol, port 0. */
static struct siobpf_vip_key alias_of(const struct siobpf_vip_key *key)
{
	struct siobpf_vip_key alias = *key;

	alias.port = 0;
	return alias;
}

/* The real VIP whose decision an alias carries: the one with the lowest
 * port among those of the alias's address and protocol, or NULL. */
static const struct siobpf_vip *alias_target(const struct vip_snapshot *s,
					     const struct siobpf_vip_key *alias)
{
	const struct siobpf_vip *best = NULL;
	__u16 best_port = 0;

	for (size_t j = 0; j < s->n; j++) {
		struct siobpf_vip_key other = alias_of(&s->keys[j]);
		__u16 port = ntohs(s->keys[j].port);

		if ((s->vals[j].flags & SIOBPF_VIP_F_FRAG_ALIAS) || memcmp(&other, alias, sizeof(other)))
			continue;
		if (!best || port < best_port) {
			best = &s->vals[j];
			best_port = port;
		}
	}
	return best;
}

static bool snapshot_has(const struct vip_snapshot *s, const struct siobpf_vip_key *key)
{
	for (size_t i = 0; i < s->n; i++)
		if (!memcmp(&s->keys[i], key, sizeof(*key)))
			return true;
	return false;
}

static void snapshot_add(struct vip_snapshot *s, const struct siobpf_vip_key *key,
			 const struct siobpf_vip *vip)
{
	if (s->n == VIP_KEYS_MAX) /* cannot happen: the table holds no more */
		return;
	s->keys[s->n] = *key;
	s->vals[s->n] = *vip;
	s->n++;
}

/* Brings the table's aliases in line with its VIPs: each address's alias
 * written, stale ones deleted. *after gets the table as it is then (VIPs
 * and aliases), without reading it back. */
static int aliases_sync(int fd, const struct vip_snapshot *before, struct vip_snapshot *after)
{
	after->n = 0;
	for (size_t i = 0; i < before->n; i++)
		if (!(before->vals[i].flags & SIOBPF_VIP_F_FRAG_ALIAS))
			snapshot_add(after, &before->keys[i], &before->vals[i]);

	for (size_t i = 0; i < before->n; i++) {
		struct siobpf_vip_key alias = alias_of(&before->keys[i]);
		const struct siobpf_vip *target = alias_target(before, &alias);
		struct siobpf_vip value;

		if (!target) { /* an alias whose address has no VIP left */
			if (bpf_map_delete_elem(fd, &alias) && errno != ENOENT)
				return -errno;
			continue;
		}
		if (snapshot_has(after, &alias)) /* written for another port already */
			continue;
		value = *target;
		value.flags |= SIOBPF_VIP_F_FRAG_ALIAS;
		if (bpf_map_update_elem(fd, &alias, &value, BPF_ANY))
			return -errno;
		snapshot_add(after, &alias, &value);
	}
	return 0;
}

size_t vip_index_fill(struct siobpf_vip_slot *slots, const struct siobpf_vip_key *keys,
		      const struct siobpf_vip *vips, size_t n)
{
	size_t left_out = 0;

	memset(slots, 0, SIOBPF_VIP_INDEX_SLOTS * sizeof(*slots));
	for (size_t i = 0; i < n; i++) {
		__u32 home = siobpf_vip_index_home(&keys[i]);
		int placed = 0;

		for (__u32 p = 0; p < SIOBPF_VIP_INDEX_PROBES && !placed; p++) {
			struct siobpf_vip_slot *slot = &slots[(home + p) & (SIOBPF_VIP_INDEX_SLOTS - 1)];

			if (slot->key.family)
				continue;
			slot->key = keys[i];
			slot->vip = vips[i];
			placed = 1;
		}
		left_out += !placed;
	}
	return left_out;
}

/* Builds a new index and swaps it into the outer map's one slot: packets
 * see the old index or the new one, never a mix. */
static int index_install(int outer_fd, const struct vip_snapshot *s)
{
	struct siobpf_vip_slot *slots = malloc(SIOBPF_VIP_INDEX_SLOTS * sizeof(*slots));
	int err;

	if (!slots)
		return -ENOMEM;
	vip_index_fill(slots, s->keys, s->vals, s->n);
	err = dataplane_inner_swap(outer_fd, 0, "sio_vip_index", sizeof(*slots),
				   SIOBPF_VIP_INDEX_SLOTS, slots);
	free(slots);
	return err;
}

int dataplane_vips_publish(struct dataplane *dp)
{
	static struct vip_snapshot before, after;
	int err;

	err = snapshot_take(dp->vips_fd, &before);
	if (!err)
		err = aliases_sync(dp->vips_fd, &before, &after);
	if (!err) /* every key of the table, aliases included */
		err = index_install(dp->vip_index_fd, &after);
	return err;
}

// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Publishing the VIP table to the program: the address entries derived
 * from it (struct siobpf_vip_addr), and the VIP index (see struct
 * siobpf_vip_slot). */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <bpf/bpf.h>

#include "siobpf/hash.h"
#include "dataplane.h"
#include "map_write.h"
#include "vip_table.h"

#define VIP_KEYS_MAX (SIOBPF_MAX_VIPS * 2) /* VIPs and their address entries */

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

/* The address entry's key of a VIP key: same address and protocol, port 0. */
static struct siobpf_vip_key alias_of(const struct siobpf_vip_key *key)
{
	struct siobpf_vip_key alias = *key;

	alias.port = 0;
	return alias;
}

/* The address entry of an address and protocol: how many VIPs of the
 * snapshot have them, and the one's id and port. 0 VIPs: no entry. */
static struct siobpf_vip_addr alias_target(const struct vip_snapshot *s,
					   const struct siobpf_vip_key *alias)
{
	struct siobpf_vip_addr addr = {.vip_id = SIOBPF_NO_VIP, .flags = SIOBPF_VIP_F_FRAG_ALIAS};

	for (size_t j = 0; j < s->n; j++) {
		struct siobpf_vip_key other = alias_of(&s->keys[j]);

		if ((s->vals[j].flags & SIOBPF_VIP_F_FRAG_ALIAS) || memcmp(&other, alias, sizeof(other)))
			continue;
		addr.vips++;
		addr.vip_id = s->vals[j].id;
		addr.port = s->keys[j].port;
	}
	if (addr.vips != 1) {
		addr.vip_id = SIOBPF_NO_VIP;
		addr.port = 0;
	}
	return addr;
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

/* The table as it must be (into *after): its VIPs, and for each address
 * and protocol that a VIP has, the address entry that counts them. */
static void aliases_expected(const struct vip_snapshot *before, struct vip_snapshot *after)
{
	after->n = 0;
	for (size_t i = 0; i < before->n; i++)
		if (!(before->vals[i].flags & SIOBPF_VIP_F_FRAG_ALIAS))
			snapshot_add(after, &before->keys[i], &before->vals[i]);
	for (size_t i = 0; i < before->n; i++) {
		struct siobpf_vip_key alias = alias_of(&before->keys[i]);
		struct siobpf_vip_addr target = alias_target(before, &alias);
		struct siobpf_vip value;

		if (!target.vips || snapshot_has(after, &alias)) /* none left, or done for another port */
			continue;
		_Static_assert(sizeof(value) == sizeof(target), "an address entry fills a VIP's value");
		memcpy(&value, &target, sizeof(value));
		snapshot_add(after, &alias, &value);
	}
}

/* Brings the table's address entries in line with its VIPs: each
 * address's entry written, stale ones deleted. *after gets the table as it
 * is then (VIPs and address entries), without reading it back. */
static int aliases_sync(int fd, const struct vip_snapshot *before, struct vip_snapshot *after)
{
	aliases_expected(before, after);
	for (size_t i = 0; i < before->n; i++)
		if ((before->vals[i].flags & SIOBPF_VIP_F_FRAG_ALIAS) && !snapshot_has(after, &before->keys[i]) &&
		    sio_map_delete(fd, &before->keys[i]) && errno != ENOENT)
			return -errno;
	for (size_t i = 0; i < after->n; i++)
		if ((after->vals[i].flags & SIOBPF_VIP_F_FRAG_ALIAS) &&
		    sio_map_update(fd, &after->keys[i], &after->vals[i], BPF_ANY))
			return -errno;
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
	if (!err) /* every key of the table, address entries included */
		err = index_install(dp->vip_index_fd, &after);
	return err;
}

/* Whether snapshot b holds every entry of a, values included. */
static bool snapshot_within(const struct vip_snapshot *a, const struct vip_snapshot *b)
{
	for (size_t i = 0; i < a->n; i++) {
		size_t j;

		for (j = 0; j < b->n; j++)
			if (!memcmp(&a->keys[i], &b->keys[j], sizeof(a->keys[i])))
				break;
		if (j == b->n || memcmp(&a->vals[i], &b->vals[j], sizeof(a->vals[i])))
			return false;
	}
	return true;
}

int dataplane_vips_published(struct dataplane *dp)
{
	static struct vip_snapshot now, want;
	struct siobpf_vip_slot *slots = malloc(SIOBPF_VIP_INDEX_SLOTS * sizeof(*slots)), cur;
	__u32 zero = 0, inner_id;
	int inner = -1, err, same = 1;

	if (!slots)
		return -ENOMEM;
	err = snapshot_take(dp->vips_fd, &now);
	if (err)
		goto out;
	aliases_expected(&now, &want);
	if (!snapshot_within(&now, &want) || !snapshot_within(&want, &now))
		same = 0;
	vip_index_fill(slots, want.keys, want.vals, want.n);
	if (bpf_map_lookup_elem(dp->vip_index_fd, &zero, &inner_id)) {
		same = 0; /* no index at all */
		goto out;
	}
	inner = bpf_map_get_fd_by_id(inner_id);
	if (inner < 0) {
		err = -errno;
		goto out;
	}
	for (__u32 i = 0; same && i < SIOBPF_VIP_INDEX_SLOTS; i++) {
		if (bpf_map_lookup_elem(inner, &i, &cur)) {
			err = -errno;
			break;
		}
		same = !memcmp(&cur, &slots[i], sizeof(cur));
	}
out:
	if (inner >= 0)
		close(inner);
	free(slots);
	return err ? err : same;
}

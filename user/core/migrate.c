// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Migrating pinned maps of an older layout; see migrate.h.
 *
 * Order, and why: the new maps are filled while the old program still
 * forwards with the old ones, so clients see the old state until the swap;
 * each interface then changes program in one netlink request (a packet
 * meets either program with its own complete maps); what the old program
 * wrote after the first copy (new sticky entries, refreshed last-seen
 * times, counters) is copied once it can write no more; the pins change
 * last, sio_meta after every other map, so that until then the pin
 * directory still reads as the old layout and a re-run starts over. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "map_write.h"
#include "migrate.h"
#include "migrate_sticky.h"
#include "vip_table.h"

struct map_shape {
	__u32 type, key_size, value_size, max_entries;
};

static int shape_of(int fd, struct map_shape *s)
{
	struct bpf_map_info info;
	int err = dataplane_map_info(fd, &info);

	*s = (struct map_shape){info.type, info.key_size, info.value_size, info.max_entries};
	return err;
}

static bool per_cpu(__u32 type)
{
	return type == BPF_MAP_TYPE_PERCPU_ARRAY || type == BPF_MAP_TYPE_PERCPU_HASH ||
	       type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

static bool of_maps(__u32 type)
{
	return type == BPF_MAP_TYPE_ARRAY_OF_MAPS || type == BPF_MAP_TYPE_HASH_OF_MAPS;
}

/* A ring buffer has no elements to walk, and its events are news that
 * its reader either took already or never will: it is never copied (a
 * new ring, of any size, starts empty). */
static bool copyable(__u32 type)
{
	return type != BPF_MAP_TYPE_RINGBUF;
}

/* Bytes a lookup of one element fills: per-CPU values come one per
 * possible CPU, each rounded up to 8 bytes. */
static size_t value_bytes(const struct map_shape *s, int ncpus)
{
	return per_cpu(s->type) ? (size_t)((s->value_size + 7) & ~7u) * (size_t)ncpus : s->value_size;
}

static bool all_zero(const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

/* How a value moves from one map to its successor. */
enum copy_mode {
	COPY_PUT,       /* write the old value (grown with zeros) over the new */
	COPY_ADD,       /* counters: add the old per-CPU values to the new */
};

/* The old value laid out for the new map: each CPU's bytes copied up to the
 * shorter of the two values, the rest zero. */
static void convert(const struct map_shape *from, const struct map_shape *to, int ncpus,
		    const char *in, char *out)
{
	size_t in_stride = (from->value_size + 7) & ~7u, out_stride = (to->value_size + 7) & ~7u;
	size_t n = from->value_size < to->value_size ? from->value_size : to->value_size;
	int cpus = per_cpu(to->type) ? ncpus : 1;

	memset(out, 0, value_bytes(to, ncpus));
	for (int c = 0; c < cpus; c++)
		memcpy(out + (size_t)c * out_stride, in + (size_t)c * in_stride, n);
}

static int put_one(int fd, const struct map_shape *to, int ncpus, enum copy_mode mode,
		   const void *key, char *val, char *cur, bool *written)
{
	*written = false;
	if (mode == COPY_ADD) {
		size_t words = value_bytes(to, ncpus) / sizeof(__u64);

		if (all_zero(val, value_bytes(to, ncpus)))
			return 0;
		if (bpf_map_lookup_elem(fd, key, cur)) {
			if (errno != ENOENT)
				return -errno;
			/* A hash's key the new map does not have yet. */
			memset(cur, 0, value_bytes(to, ncpus));
		}
		for (size_t w = 0; w < words; w++)
			((__u64 *)(void *)val)[w] += ((__u64 *)(void *)cur)[w];
	}
	if (sio_map_update(fd, key, val, BPF_ANY))
		return errno == E2BIG ? 0 : -errno; /* E2BIG: past a smaller array's end */
	*written = true;
	return 0;
}

/* Copies every element of from_fd into to_fd. Keys must not have changed;
 * array elements past the new map's end are left out, all-zero ones
 * skipped. The walk is bounded: an LRU map that the program churns can send
 * get_next_key back to its start. */
static int copy_map(int from_fd, int to_fd, int ncpus, enum copy_mode mode, size_t *copied)
{
	struct map_shape from, to;
	char *key = NULL, *next = NULL, *in = NULL, *val = NULL, *cur = NULL;
	size_t limit, steps = 0;
	bool have_key = false;
	int err;

	*copied = 0;
	if ((err = shape_of(from_fd, &from)) || (err = shape_of(to_fd, &to)))
		return err;
	if (from.key_size != to.key_size || from.type != to.type)
		return -EINVAL;
	if (!copyable(from.type))
		return 0;
	key = calloc(1, from.key_size);
	next = calloc(1, from.key_size);
	in = calloc(1, value_bytes(&from, ncpus));
	val = calloc(1, value_bytes(&to, ncpus));
	cur = calloc(1, value_bytes(&to, ncpus));
	if (!key || !next || !in || !val || !cur) {
		err = -ENOMEM;
		goto out;
	}
	limit = 2 * (size_t)from.max_entries + 16;
	while (steps++ < limit) {
		bool written;

		if (bpf_map_get_next_key(from_fd, have_key ? key : NULL, next)) {
			err = errno == ENOENT ? 0 : -errno;
			break;
		}
		memcpy(key, next, from.key_size);
		have_key = true;
		if (bpf_map_lookup_elem(from_fd, key, in))
			continue; /* deleted meanwhile (an LRU eviction) */
		if (from.type == BPF_MAP_TYPE_ARRAY && all_zero(in, from.value_size))
			continue;
		convert(&from, &to, ncpus, in, val);
		err = put_one(to_fd, &to, ncpus, mode, key, val, cur, &written);
		if (err)
			break;
		*copied += written;
	}
out:
	free(key);
	free(next);
	free(in);
	free(val);
	free(cur);
	return err;
}

/* An array of maps: each inner map (a ring, the VIP index) is put in the
 * new outer map as it is. -EINVAL when the new outer map takes another
 * inner layout; the caller then rebuilds. */
static int copy_inner_maps(int from_fd, int to_fd, size_t *copied)
{
	__u32 key, next, id;
	bool have_key = false;
	int err = 0;

	*copied = 0;
	while (!bpf_map_get_next_key(from_fd, have_key ? &key : NULL, &next)) {
		int inner;

		key = next;
		have_key = true;
		if (bpf_map_lookup_elem(from_fd, &key, &id))
			continue; /* an empty slot */
		inner = bpf_map_get_fd_by_id(id);
		if (inner < 0)
			return -errno;
		err = sio_map_update(to_fd, &key, &inner, BPF_ANY) ? -errno : 0;
		close(inner);
		if (err)
			return err;
		(*copied)++;
	}
	return errno == ENOENT ? 0 : -errno;
}

/* The backend table into the new maps, one swap: from a plain array (layout
 * 1 kept the records in sio_backends itself) or from the table in slot 0 of
 * an array of maps, whichever the old map is. Each record keeps its id and
 * its bytes, grown with zeros; free records are not counted. */
static int backends_copy(int from_fd, struct dataplane *dp, size_t *copied)
{
	struct siobpf_backend *table = NULL;
	struct map_shape s;
	char *old = NULL;
	__u32 zero = 0, id;
	int fd = from_fd, err;

	*copied = 0;
	if ((err = shape_of(from_fd, &s)))
		return err;
	if (of_maps(s.type)) {
		if (bpf_map_lookup_elem(from_fd, &zero, &id))
			return errno == ENOENT ? 0 : -errno; /* no table: nothing to copy */
		fd = bpf_map_get_fd_by_id(id);
		if (fd < 0)
			return -errno;
		if ((err = shape_of(fd, &s)))
			goto out;
	}
	if (s.type != BPF_MAP_TYPE_ARRAY || s.key_size != sizeof(__u32)) {
		err = -EINVAL;
		goto out;
	}
	table = calloc(SIOBPF_MAX_BACKENDS, sizeof(*table));
	old = calloc(1, s.value_size);
	if (!table || !old) {
		err = -ENOMEM;
		goto out;
	}
	for (__u32 i = 0; i < s.max_entries && i < SIOBPF_MAX_BACKENDS; i++) {
		if (bpf_map_lookup_elem(fd, &i, old)) {
			err = -errno;
			goto out;
		}
		memcpy(&table[i], old, s.value_size < sizeof(*table) ? s.value_size : sizeof(*table));
		*copied += !all_zero(old, s.value_size);
	}
	err = dataplane_backends_install(dp, table);
out:
	if (fd != from_fd)
		close(fd);
	free(table);
	free(old);
	return err;
}

struct rebuild_pass {
	struct dataplane *dp;
	size_t rebuilt;
};

static int ring_rebuild_one(const struct siobpf_vip_key *key, const struct siobpf_vip *vip, void *ctx)
{
	struct rebuild_pass *p = ctx;
	int err;

	/* Maps of an older layout may hold port-0 address entries without the
	 * flag: none of them has a ring of its own. */
	if (key->port == 0)
		return 0;
	err = dataplane_ring_rebuild(p->dp, vip);
	p->rebuilt += !err;
	return err;
}

/* Every VIP's ring built again from the (copied) backend table; an
 * address entry shares its VIP's ring. */
static int rings_rebuild(struct dataplane *dp, size_t *rebuilt)
{
	struct rebuild_pass p = {.dp = dp};
	int err = dataplane_vips_each(dp, ring_rebuild_one, &p);

	*rebuilt = p.rebuilt;
	return err;
}

static int pin_name(char *buf, size_t len, const char *dir, const char *prefix, const char *name)
{
	int n = snprintf(buf, len, "%s/%s%s", dir, prefix, name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* Pins fd as dir/name in place of what is pinned there now. bpffs has no
 * rename, so the old pin goes first: the name is missing for the two calls
 * in between, which mutating commands (they wait for the lock) never see. */
static int pin_over(int fd, const char *dir, const char *name)
{
	char path[PATH_MAX];
	int err = pin_name(path, sizeof(path), dir, "", name);

	if (err)
		return err;
	if (unlink(path) && errno != ENOENT)
		return -errno;
	return bpf_obj_pin(fd, path) ? -errno : 0;
}

/* The interfaces the old program runs on (sio_ifaces), each given the new
 * program. */
static int swap_interfaces(struct dataplane *dp, migrate_swap_fn swap, void *ctx,
			   unsigned *swapped)
{
	__u32 key, next;
	struct siobpf_iface iface;
	bool have_key = false;
	int err;

	*swapped = 0;
	while (!bpf_map_get_next_key(dp->ifaces_fd, have_key ? &key : NULL, &next)) {
		key = next;
		have_key = true;
		if (bpf_map_lookup_elem(dp->ifaces_fd, &key, &iface))
			continue;
		err = swap((int)key, iface.mode, dp->prog_fd, ctx);
		if (err < 0) {
			fprintf(stderr, "siobpf: giving interface %u the new program failed: %s\n", key,
				strerror(-err));
			return err;
		}
		*swapped += err == 0;
	}
	return 0;
}

static int epoch_draw_one(const struct siobpf_vip_key *key, const struct siobpf_vip *vip, void *ctx)
{
	struct dataplane *dp = ctx;

	if (key->port == 0 || vip->id >= SIOBPF_MAX_VIPS || dataplane_vip_epoch(dp, vip->id))
		return 0;
	return dataplane_sticky_forget(dp, vip->id);
}

/* VIPs of maps older than the table epoch (layouts 1 to 3) carry epoch 0:
 * each is given a random one, as a new VIP is (state_sticky_forget), before
 * any entry is put in the new table. */
static int epochs_draw(struct dataplane *dp)
{
	return dataplane_vips_each(dp, epoch_draw_one, dp);
}

/* The old sticky table's capacity in clients: a bucket table's, or an LRU
 * table's entries. */
static __u32 clients_of(const struct map_shape *s)
{
	if (s->value_size == sizeof(struct siobpf_bucket))
		return s->max_entries * 4 > s->max_entries ? s->max_entries * 4 : SIOBPF_MAX_CLIENTS;
	return s->max_entries;
}

int migrate_pins(struct dataplane *dp, const char *dir, __u32 clients, migrate_swap_fn swap, void *ctx,
		 struct migrate_report *report)
{
	struct dataplane old;
	struct map_shape sticky;
	size_t n = dataplane_map_count(), rebuilt;
	char path[PATH_MAX];
	bool rebuild = false;
	int err, layout, old_probation_fd = -1;

	memset(report, 0, sizeof(*report));
	if (n > sizeof(report->entries) / sizeof(report->entries[0]))
		return -E2BIG;
	layout = dataplane_pinned_layout(dir);
	if (layout <= 0)
		return layout ? layout : -ENOENT;
	report->from_layout = layout;

	/* The old maps, by name; those it never had stay -1. */
	dataplane_init(&old);
	for (size_t i = 0; i < n; i++) {
		char path[PATH_MAX];

		if ((err = pin_name(path, sizeof(path), dir, "", dataplane_map_name(i))))
			goto out;
		*dataplane_map_fd(&old, i) = bpf_obj_get(path);
	}
	if (old.sticky_fd < 0 || old.backends_fd < 0 || old.vips_fd < 0) {
		err = -ENOENT;
		goto out;
	}
	/* Layout 3's probation table, which this layout folds into sio_sticky. */
	if ((err = pin_name(path, sizeof(path), dir, "", "sio_probation")))
		goto out;
	old_probation_fd = bpf_obj_get(path);
	/* The sticky table's capacity: as asked, else as it was. */
	if ((err = shape_of(old.sticky_fd, &sticky)))
		goto out;
	err = dataplane_load(dp, &(struct dataplane_opts){.clients = clients ? clients : clients_of(&sticky)});
	if (err)
		goto out;

	/* 1. The state, while the old program still forwards. */
	for (size_t i = 0; i < n; i++) {
		int from = *dataplane_map_fd(&old, i), to = *dataplane_map_fd(dp, i);
		struct map_shape s;

		/* The index is published below, from the VIP table; sio_last is
		 * each CPU's scratch; sio_egress follows the backend table. The
		 * events switch starts off: whoever turned it on reads the old
		 * ring, and turns it on again over the new one. */
		if (from < 0 || to == dp->meta_fd || to == dp->vip_index_fd || to == dp->last_fd ||
		    to == dp->egress_fd || to == dp->sticky_fd || to == dp->node_fd)
			continue; /* sio_sticky: below, once the VIPs and backends are in */
		if ((err = shape_of(from, &s)))
			goto fail;
		if (per_cpu(s.type))
			continue; /* counters: once the old program is gone */
		if (!copyable(s.type))
			continue;
		if (to == dp->backends_fd) {
			err = backends_copy(from, dp, &report->entries[i]);
		} else if (of_maps(s.type)) {
			err = copy_inner_maps(from, to, &report->entries[i]);
			if (err == -EINVAL) {
				rebuild = true;
				err = 0;
			}
		} else {
			err = copy_map(from, to, dp->ncpus, COPY_PUT, &report->entries[i]);
		}
		if (err) {
			fprintf(stderr, "siobpf: copying %s failed: %s\n", dataplane_map_name(i),
				strerror(-err));
			goto fail;
		}
	}
	if (layout < SIOBPF_LAYOUT && (err = epochs_draw(dp)))
		goto fail;
	err = migrate_sticky(old.sticky_fd, old_probation_fd, dp, false, &report->sticky, &report->sticky_lost);
	if (err) {
		fprintf(stderr, "siobpf: copying the sticky entries failed: %s\n", strerror(-err));
		goto fail;
	}
	for (size_t i = 0; i < n; i++)
		if (*dataplane_map_fd(dp, i) == dp->sticky_fd)
			report->entries[i] = report->sticky;
	if (rebuild && (err = rings_rebuild(dp, &rebuilt)))
		goto fail;
	if ((err = dataplane_vips_publish(dp)))
		goto fail;

	/* 2. The program, interface by interface. */
	err = swap_interfaces(dp, swap, ctx, &report->interfaces);
	if (err)
		goto fail;

	/* 3. What the old program wrote since step 1. Nothing fails from here
	 * on without saying so: the interfaces already run the new program. */
	err = migrate_sticky(old.sticky_fd, old_probation_fd, dp, true, &report->late_sticky,
			     &report->late_sticky_lost);
	for (size_t i = 0; !err && i < n; i++) {
		int from = *dataplane_map_fd(&old, i);
		struct map_shape s;

		if (from >= 0 && *dataplane_map_fd(dp, i) != dp->last_fd && !shape_of(from, &s) &&
		    per_cpu(s.type) && copyable(s.type))
			err = copy_map(from, *dataplane_map_fd(dp, i), dp->ncpus, COPY_ADD,
				       &report->entries[i]);
	}
	/* 4. The pins, the tracing links first (the old ones end with their
	 * pins), sio_meta last. */
	if (!err)
		err = dataplane_links_pin(dp, dir);
	for (size_t i = 0; !err && i < n; i++)
		err = pin_over(*dataplane_map_fd(dp, i), dir, dataplane_map_name(i));
	/* Layout 3's probation table is folded into sio_sticky now: its pin
	 * goes (with it the old table's memory), once sio_meta says the
	 * migration is done. */
	if (!err && old_probation_fd >= 0 && !(err = pin_name(path, sizeof(path), dir, "", "sio_probation")) &&
	    unlink(path) && errno != ENOENT)
		err = -errno;
	if (err)
		fprintf(stderr,
			"siobpf: the interfaces run the new program, but finishing the migration in %s "
			"failed: %s; run the reload again\n",
			dir, strerror(-err));
	goto out;
fail:
	dataplane_close(dp);
out:
	if (old_probation_fd >= 0)
		close(old_probation_fd);
	dataplane_close(&old);
	return err;
}

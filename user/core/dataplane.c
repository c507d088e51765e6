// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* The data path's maps from user space; see dataplane.h. */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/random.h>
#include <sys/stat.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "siobpf.skel.h"
#include "dataplane.h"
#include "maglev.h"
#include "map_write.h"

static const char *const reason_names[SIOBPF_R_MAX] = {
	[SIOBPF_R_TX] = "tx",
	[SIOBPF_R_REDIRECT] = "redirect",
	[SIOBPF_R_PASS_NOT_IP] = "pass_not_ip",
	[SIOBPF_R_PASS_VLAN_STACKED] = "pass_vlan_stacked",
	[SIOBPF_R_PASS_IPV6_EXT] = "pass_ipv6_ext",
	[SIOBPF_R_PASS_ICMP] = "pass_icmp",
	[SIOBPF_R_PASS_OTHER_PROTO] = "pass_other_proto",
	[SIOBPF_R_PASS_NOT_VIP] = "pass_not_vip",
	[SIOBPF_R_DROP_BAD_L2] = "drop_bad_l2",
	[SIOBPF_R_DROP_BAD_IPV4] = "drop_bad_ipv4",
	[SIOBPF_R_DROP_BAD_IPV6] = "drop_bad_ipv6",
	[SIOBPF_R_DROP_BAD_L4] = "drop_bad_l4",
	[SIOBPF_R_DROP_FRAGMENT] = "drop_fragment",
	[SIOBPF_R_DROP_NO_BACKEND] = "drop_no_backend",
	[SIOBPF_R_DROP_BAD_CSUM] = "drop_bad_csum",
	[SIOBPF_R_DROP_FRAG_UNKNOWN] = "drop_frag_unknown",
	[SIOBPF_R_PASS_FRAG_STACK] = "pass_frag_stack",
	[SIOBPF_R_DROP_NO_EGRESS] = "drop_no_egress",
	[SIOBPF_R_REDIRECT_FAILED] = "redirect_failed",
};

const char *siobpf_reason_name(int reason)
{
	if (reason < 0 || reason >= SIOBPF_R_MAX)
		return "unknown";
	return reason_names[reason];
}

__u64 dataplane_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + (__u64)ts.tv_nsec;
}

static int errno_or(int fallback)
{
	return errno ? -errno : fallback;
}

/* Every map, by its pinned name, and where its fd goes. */
static const struct {
	const char *name;
	size_t fd_offset;
} map_fds[] = {
	{"sio_vips", offsetof(struct dataplane, vips_fd)},
	{"sio_vip_index", offsetof(struct dataplane, vip_index_fd)},
	{"sio_backends", offsetof(struct dataplane, backends_fd)},
	{"sio_rings", offsetof(struct dataplane, rings_fd)},
	{"sio_sticky", offsetof(struct dataplane, sticky_fd)},
	{"sio_frags", offsetof(struct dataplane, frags_fd)},
	{"sio_prev_rings", offsetof(struct dataplane, prev_rings_fd)},
	{"sio_vip_admit", offsetof(struct dataplane, vip_admit_fd)},
	{"sio_admit_stats", offsetof(struct dataplane, admit_stats_fd)},
	{"sio_vip_stats", offsetof(struct dataplane, vip_stats_fd)},
	{"sio_be_stats", offsetof(struct dataplane, be_stats_fd)},
	{"sio_reasons", offsetof(struct dataplane, reasons_fd)},
	{"sio_vip_cfg", offsetof(struct dataplane, vip_cfg_fd)},
	{"sio_be_cfg", offsetof(struct dataplane, be_cfg_fd)},
	{"sio_ifaces", offsetof(struct dataplane, ifaces_fd)},
	{"sio_egress", offsetof(struct dataplane, egress_fd)},
	{"sio_egress_err", offsetof(struct dataplane, egress_err_fd)},
	{"sio_last", offsetof(struct dataplane, last_fd)},
	{"sio_events", offsetof(struct dataplane, events_fd)},
	{"sio_node", offsetof(struct dataplane, node_fd)},
	{"sio_ev_stats", offsetof(struct dataplane, ev_stats_fd)},
	{"sio_meta", offsetof(struct dataplane, meta_fd)}, /* last: written last by a migration */
};
#define MAP_COUNT (sizeof(map_fds) / sizeof(map_fds[0]))

static int *map_fd_slot(struct dataplane *dp, size_t i)
{
	return (int *)((char *)dp + map_fds[i].fd_offset);
}

size_t dataplane_map_count(void)
{
	return MAP_COUNT;
}

const char *dataplane_map_name(size_t i)
{
	return i < MAP_COUNT ? map_fds[i].name : NULL;
}

int *dataplane_map_fd(struct dataplane *dp, size_t i)
{
	return map_fd_slot(dp, i);
}

static int meta_read(int fd, struct siobpf_meta *meta)
{
	__u32 key = 0;

	return bpf_map_lookup_elem(fd, &key, meta) ? -errno : 0;
}

/* Maps just created carry a zero sio_meta: say which layout they are. */
static int meta_claim(int fd)
{
	struct siobpf_meta meta, mine = {.magic = SIOBPF_META_MAGIC, .layout = SIOBPF_LAYOUT};
	__u32 key = 0;
	int err = meta_read(fd, &meta);

	if (err || meta.magic)
		return err;
	return sio_map_update(fd, &key, &mine, BPF_ANY) ? -errno : 0;
}

/* Maps just created have no backend table yet: an empty one (all records
 * free) goes in, so that a put always finds a table to copy. */
static int backends_claim(struct dataplane *dp)
{
	__u32 zero = 0, id;

	if (!bpf_map_lookup_elem(dp->backends_fd, &zero, &id))
		return 0;
	if (errno != ENOENT)
		return -errno;
	return dataplane_inner_swap(dp->backends_fd, 0, "sio_backends",
				    sizeof(struct siobpf_backend), SIOBPF_MAX_BACKENDS, NULL);
}

void dataplane_init(struct dataplane *dp)
{
	memset(dp, 0, sizeof(*dp));
	dp->prog_fd = -1;
	for (size_t i = 0; i < MAP_COUNT; i++)
		*map_fd_slot(dp, i) = -1;
}

static int pin_path(char *buf, size_t len, const char *dir, const char *name)
{
	int n = snprintf(buf, len, "%s/%s", dir, name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* A devmap's pin libbpf cannot reuse: the kernel adds BPF_F_RDONLY_PROG
 * to its flags, which libbpf (before 1.2) then finds differ from the
 * object's. Reused here by hand (type, key and value checked), or pinned
 * after the load when there is none (*pin_later). */
static int devmap_reuse(struct bpf_map *map, const char *path, bool *pin_later)
{
	struct bpf_map_info info;
	int fd = bpf_obj_get(path), err;

	*pin_later = false;
	if (fd < 0 && errno == ENOENT) {
		*pin_later = true;
		return 0;
	}
	if (fd < 0)
		return -errno;
	err = dataplane_map_info(fd, &info);
	if (!err && (info.type != bpf_map__type(map) || info.key_size != bpf_map__key_size(map) ||
		     info.value_size != bpf_map__value_size(map) ||
		     info.max_entries != bpf_map__max_entries(map)))
		err = -EINVAL;
	if (!err)
		err = bpf_map__reuse_fd(map, fd);
	close(fd);
	return err;
}

static int set_pin_paths(struct bpf_object *obj, const char *dir, bool *egress_pin_later)
{
	for (size_t i = 0; i < MAP_COUNT; i++) {
		struct bpf_map *map = bpf_object__find_map_by_name(obj, map_fds[i].name);
		char path[PATH_MAX];
		int err;

		if (!map)
			return -ENOENT;
		err = pin_path(path, sizeof(path), dir, map_fds[i].name);
		if (!err && bpf_map__type(map) == BPF_MAP_TYPE_DEVMAP_HASH) {
			err = devmap_reuse(map, path, egress_pin_later);
			if (err)
				return err;
			continue;
		}
		if (!err)
			err = bpf_map__set_pin_path(map, path);
		if (err)
			return err;
	}
	return 0;
}

/* The network namespace this process runs in: the tracing programs count
 * only failures of interfaces there. */
static __u32 netns_ino(void)
{
	struct stat st;

	return stat("/proc/self/ns/net", &st) ? 0 : (__u32)st.st_ino;
}

/* The tracing programs (bpf/egress.h) onto their tracepoints, told which
 * devmap is this program's. */
static int tracing_attach(struct siobpf_bpf *skel)
{
	struct bpf_map_info info;
	int err = dataplane_map_info(bpf_map__fd(skel->maps.sio_egress), &info);

	if (err)
		return err;
	skel->bss->egress_map_id = info.id;
	skel->links.siobpf_redirect_err = bpf_program__attach(skel->progs.siobpf_redirect_err);
	if (!skel->links.siobpf_redirect_err)
		return errno_or(-EINVAL);
	skel->links.siobpf_devmap_xmit = bpf_program__attach(skel->progs.siobpf_devmap_xmit);
	if (!skel->links.siobpf_devmap_xmit)
		return errno_or(-EINVAL);
	return 0;
}

/* The sticky table's buckets: for opts->clients, else those of the table
 * pinned in opts->pin_dir (which the load reuses, so sizes must agree),
 * else for SIOBPF_CLIENTS. The program is told the mask. */
static int sticky_size(struct siobpf_bpf *skel, const struct dataplane_opts *opts)
{
	__u32 buckets = siobpf_table_buckets(SIOBPF_CLIENTS);
	struct bpf_map_info info;
	char path[PATH_MAX];
	int fd;

	if (opts && opts->clients) {
		buckets = siobpf_table_buckets(opts->clients);
	} else if (opts && opts->pin_dir && !pin_path(path, sizeof(path), opts->pin_dir, "sio_sticky") &&
		   (fd = bpf_obj_get(path)) >= 0) {
		if (!dataplane_map_info(fd, &info) && info.value_size == sizeof(struct siobpf_bucket))
			buckets = info.max_entries;
		close(fd);
	}
	skel->rodata->sticky_mask = buckets - 1;
	return bpf_map__set_max_entries(skel->maps.sio_sticky, buckets);
}

int dataplane_load(struct dataplane *dp, const struct dataplane_opts *opts)
{
	struct siobpf_bpf *skel;
	bool egress_pin_later = false;
	int err;

	dataplane_init(dp);
	dp->ncpus = libbpf_num_possible_cpus();
	if (dp->ncpus < 0)
		return dp->ncpus;
	skel = siobpf_bpf__open();
	if (!skel)
		return errno_or(-EINVAL);
	err = sticky_size(skel, opts);
	if (err)
		goto fail;
	if (opts && opts->pin_dir) {
		err = set_pin_paths(skel->obj, opts->pin_dir, &egress_pin_later);
		if (err)
			goto fail;
	}
	skel->rodata->egress_netns_ino = netns_ino();
	err = siobpf_bpf__load(skel);
	if (err)
		goto fail;
	err = tracing_attach(skel);
	if (!err && egress_pin_later) {
		char path[PATH_MAX];

		err = pin_path(path, sizeof(path), opts->pin_dir, "sio_egress");
		if (!err && bpf_obj_pin(bpf_map__fd(skel->maps.sio_egress), path))
			err = -errno;
	}
	if (err)
		goto fail;

	dp->skel = skel;
	dp->prog_fd = bpf_program__fd(skel->progs.siobpf_xdp);
	for (size_t i = 0; i < MAP_COUNT; i++)
		*map_fd_slot(dp, i) =
			bpf_map__fd(bpf_object__find_map_by_name(skel->obj, map_fds[i].name));
	err = sticky_table_open(&dp->sticky, dp->sticky_fd);
	if (!err)
		err = meta_claim(dp->meta_fd);
	if (!err)
		err = backends_claim(dp);
	if (err) {
		dataplane_close(dp);
		return err;
	}
	return 0;
fail:
	siobpf_bpf__destroy(skel);
	dataplane_init(dp);
	return err < 0 ? err : -err;
}

static bool map_type_is(int fd, __u32 type)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	return !bpf_obj_get_info_by_fd(fd, &info, &len) && info.type == type;
}

int dataplane_open_pinned(struct dataplane *dp, const char *dir)
{
	int err = 0;

	dataplane_init(dp);
	dp->ncpus = libbpf_num_possible_cpus();
	if (dp->ncpus < 0)
		return dp->ncpus;
	for (size_t i = 0; i < MAP_COUNT; i++) {
		char path[PATH_MAX];
		int fd;

		err = pin_path(path, sizeof(path), dir, map_fds[i].name);
		if (err)
			break;
		fd = bpf_obj_get(path);
		if (fd < 0) {
			/* Some maps but not all: pinned by an older siobpf. */
			err = errno == ENOENT && i > 0 ? -ENOMSG : -errno;
			break;
		}
		*map_fd_slot(dp, i) = fd;
	}
	if (!err) {
		struct siobpf_meta meta;

		err = meta_read(dp->meta_fd, &meta);
		if (!err && (meta.magic != SIOBPF_META_MAGIC || meta.layout < SIOBPF_LAYOUT))
			err = -ENOMSG;
		else if (!err && meta.layout > SIOBPF_LAYOUT)
			err = -EPROTONOSUPPORT;
		/* A plain array here is the layout before the table was swapped
		 * whole (slot 0 would not hold a map id). */
		if (!err && !map_type_is(dp->backends_fd, BPF_MAP_TYPE_ARRAY_OF_MAPS))
			err = -ENOMSG;
	}
	if (!err)
		err = sticky_table_open(&dp->sticky, dp->sticky_fd);
	if (err)
		dataplane_close(dp);
	return err;
}

int dataplane_pinned_layout(const char *dir)
{
	char path[PATH_MAX];
	struct siobpf_meta meta;
	int fd, err;

	err = pin_path(path, sizeof(path), dir, "sio_meta");
	if (err)
		return err;
	fd = bpf_obj_get(path);
	if (fd < 0 && errno == ENOENT) {
		/* No sio_meta: siobpf 0.1.0's maps, or none at all. */
		err = pin_path(path, sizeof(path), dir, map_fds[0].name);
		if (err)
			return err;
		fd = bpf_obj_get(path);
		if (fd < 0)
			return errno == ENOENT ? 0 : -errno;
		close(fd);
		return 1;
	}
	if (fd < 0)
		return -errno;
	err = meta_read(fd, &meta);
	close(fd);
	if (err)
		return err;
	return meta.magic == SIOBPF_META_MAGIC ? (int)meta.layout : -EPROTO;
}

/* The tracing links' pins, beside the maps'. */
static const char *const link_pins[] = {"sio_tp_redir_err", "sio_tp_xmit"};
#define LINK_COUNT (sizeof(link_pins) / sizeof(link_pins[0]))

/* Pins of older layouts that this one no longer has: an unload removes
 * them too (a migration from layout 3 interrupted before it unpinned
 * sio_probation leaves it). */
static const char *const retired_pins[] = {"sio_probation"};
#define RETIRED_COUNT (sizeof(retired_pins) / sizeof(retired_pins[0]))

int dataplane_unpin(const char *dir)
{
	int err = 0;

	for (size_t i = 0; i < MAP_COUNT + LINK_COUNT + RETIRED_COUNT; i++) {
		const char *name = i < MAP_COUNT		? map_fds[i].name
				   : i < MAP_COUNT + LINK_COUNT ? link_pins[i - MAP_COUNT]
								: retired_pins[i - MAP_COUNT - LINK_COUNT];
		char path[PATH_MAX];

		if (pin_path(path, sizeof(path), dir, name) == 0 && unlink(path) && errno != ENOENT &&
		    !err)
			err = -errno;
	}
	return err;
}

int dataplane_links_pin(struct dataplane *dp, const char *dir)
{
	struct bpf_link *links[LINK_COUNT];

	if (!dp->skel)
		return -EINVAL;
	links[0] = dp->skel->links.siobpf_redirect_err;
	links[1] = dp->skel->links.siobpf_devmap_xmit;
	for (size_t i = 0; i < LINK_COUNT; i++) {
		char path[PATH_MAX];
		int err = pin_path(path, sizeof(path), dir, link_pins[i]);

		if (err)
			return err;
		if (!links[i])
			return -ENOENT;
		/* bpffs has no rename: the old link ends when its pin goes. */
		if (unlink(path) && errno != ENOENT)
			return -errno;
		err = bpf_link__pin(links[i], path);
		if (err)
			return err < 0 ? err : -err;
	}
	return 0;
}

void dataplane_close(struct dataplane *dp)
{
	sticky_table_close(&dp->sticky);
	if (dp->skel) {
		siobpf_bpf__destroy(dp->skel); /* closes the program and map fds */
	} else {
		for (size_t i = 0; i < MAP_COUNT; i++)
			if (*map_fd_slot(dp, i) >= 0)
				close(*map_fd_slot(dp, i));
	}
	dataplane_init(dp);
}

static int map_put(int fd, const void *key, const void *value)
{
	return sio_map_update(fd, key, value, BPF_ANY) ? -errno : 0;
}

static int map_get(int fd, const void *key, void *value)
{
	return bpf_map_lookup_elem(fd, key, value) ? -errno : 0;
}

int dataplane_vip_put(struct dataplane *dp, const struct siobpf_vip_key *key,
		      const struct siobpf_vip *vip)
{
	return map_put(dp->vips_fd, key, vip);
}

int dataplane_vip_get(struct dataplane *dp, const struct siobpf_vip_key *key,
		      struct siobpf_vip *vip)
{
	return map_get(dp->vips_fd, key, vip);
}

/* The backend table the program reads now (slot 0 of sio_backends). */
static int backends_table_fd(struct dataplane *dp)
{
	__u32 zero = 0, id;
	int fd;

	if (bpf_map_lookup_elem(dp->backends_fd, &zero, &id))
		return -errno;
	fd = bpf_map_get_fd_by_id(id);
	return fd < 0 ? -errno : fd;
}

static bool egress_named(const struct siobpf_backend *table, __u32 ifindex)
{
	for (__u32 id = 0; id < SIOBPF_MAX_BACKENDS; id++)
		if (table[id].in_use && table[id].ifindex == ifindex)
			return true;
	return false;
}

bool dataplane_egress_present(struct dataplane *dp, __u32 ifindex)
{
	__u32 value;

	return dp->egress_fd >= 0 && !bpf_map_lookup_elem(dp->egress_fd, &ifindex, &value);
}

/* Every interface a record names into sio_egress, before the records that
 * name it are installed. An interface that is gone (the kernel refuses it)
 * is left out: its backends' frames are dropped and counted as
 * drop_no_egress; `siobpf status` says so. */
static int egress_add(struct dataplane *dp, const struct siobpf_backend *table)
{
	for (__u32 id = 0; id < SIOBPF_MAX_BACKENDS; id++) {
		__u32 ifindex = table[id].ifindex;

		if (!table[id].in_use || !ifindex || dataplane_egress_present(dp, ifindex))
			continue;
		if (sio_map_update(dp->egress_fd, &ifindex, &ifindex, BPF_ANY) && errno != ENODEV &&
		    errno != EINVAL)
			return -errno;
	}
	return 0;
}

/* Interfaces no record names any more out of sio_egress, after the table
 * that stopped naming them is installed. */
static void egress_prune(struct dataplane *dp, const struct siobpf_backend *table)
{
	__u32 key, next;
	bool have = false;

	while (!bpf_map_get_next_key(dp->egress_fd, have ? &key : NULL, &next)) {
		if (have && !egress_named(table, key))
			sio_map_delete(dp->egress_fd, &key);
		key = next;
		have = true;
	}
	if (have && !egress_named(table, key))
		sio_map_delete(dp->egress_fd, &key);
}

int dataplane_backends_install(struct dataplane *dp, const struct siobpf_backend *table)
{
	int err = egress_add(dp, table);

	if (!err)
		err = dataplane_inner_swap(dp->backends_fd, 0, "sio_backends", sizeof(*table),
					   SIOBPF_MAX_BACKENDS, table);
	if (!err)
		egress_prune(dp, table);
	return err;
}

/* A record is never written in place: the table is copied, changed and
 * swapped in, so the program reads the old record or the new one whole. */
int dataplane_backend_put(struct dataplane *dp, __u32 id, const struct siobpf_backend *backend)
{
	struct siobpf_backend *table;
	int err;

	if (id >= SIOBPF_MAX_BACKENDS)
		return -ERANGE;
	table = malloc(SIOBPF_MAX_BACKENDS * sizeof(*table));
	if (!table)
		return -ENOMEM;
	err = dataplane_backends_read(dp, table);
	if (!err) {
		table[id] = *backend;
		err = dataplane_backends_install(dp, table);
	}
	free(table);
	return err;
}

int dataplane_backend_get(struct dataplane *dp, __u32 id, struct siobpf_backend *backend)
{
	int fd, err;

	if (id >= SIOBPF_MAX_BACKENDS)
		return -ERANGE;
	fd = backends_table_fd(dp);
	if (fd < 0)
		return fd;
	err = map_get(fd, &id, backend);
	close(fd);
	return err;
}

/* Reads a whole array map from index 0 in batches: one syscall per batch
 * instead of one per element (the backend table has thousands). */
static int array_read(int fd, void *values, size_t value_size, __u32 count)
{
	__u32 *keys = malloc(count * sizeof(*keys));
	__u32 done = 0, next_key;
	void *in_batch = NULL;
	int err = 0;

	if (!keys)
		return -ENOMEM;
	while (done < count) {
		__u32 n = count - done;
		int end = bpf_map_lookup_batch(fd, in_batch, &next_key, keys + done,
					       (char *)values + (size_t)done * value_size, &n, NULL);

		if (end && errno != ENOENT) {
			err = -errno;
			break;
		}
		done += n;
		in_batch = &next_key;
		if (end) /* ENOENT: no more elements */
			break;
	}
	free(keys);
	if (!err && done != count)
		err = -EIO;
	return err;
}

int dataplane_backends_read(struct dataplane *dp, struct siobpf_backend *all)
{
	int fd = backends_table_fd(dp), err;

	if (fd < 0)
		return fd;
	err = array_read(fd, all, sizeof(*all), SIOBPF_MAX_BACKENDS);
	close(fd);
	return err;
}

__u32 dataplane_vip_epoch(struct dataplane *dp, __u32 vip_id)
{
	struct siobpf_vip_admit admit;

	return dataplane_vip_admit_get(dp, vip_id, &admit) ? 0 : admit.table_epoch;
}

/* The VIP table holds VIPs by address: at most twice SIOBPF_MAX_VIPS
 * entries, address entries included. */
int dataplane_vips_each(struct dataplane *dp, dataplane_vip_fn fn, void *ctx)
{
	struct siobpf_vip_key key, next;
	struct siobpf_vip vip;
	bool have = false;
	int ret;

	for (int steps = 0; steps < 2 * SIOBPF_MAX_VIPS &&
			    !bpf_map_get_next_key(dp->vips_fd, have ? &key : NULL, &next); steps++) {
		key = next;
		have = true;
		if (bpf_map_lookup_elem(dp->vips_fd, &key, &vip) || (vip.flags & SIOBPF_VIP_F_FRAG_ALIAS))
			continue;
		if ((ret = fn(&key, &vip, ctx)))
			return ret;
	}
	return 0;
}

struct vip_wanted {
	__u32 id;
	struct siobpf_vip *vip;
};

static int vip_if_wanted(const struct siobpf_vip_key *key, const struct siobpf_vip *vip, void *ctx)
{
	struct vip_wanted *w = ctx;

	(void)key;
	if (vip->id != w->id)
		return 0;
	*w->vip = *vip;
	return 1;
}

/* The VIP of a key, by id. */
static int vip_by_id(struct dataplane *dp, __u32 vip_id, struct siobpf_vip *vip)
{
	struct vip_wanted w = {.id = vip_id, .vip = vip};

	return dataplane_vips_each(dp, vip_if_wanted, &w) == 1 ? 0 : -ENOENT;
}

/* What a table operation on a key needs: a copy of the backend table and,
 * with vip set, the key's VIP. Returns the copy (the caller frees it), or
 * NULL with *err set. */
static struct siobpf_backend *table_context(struct dataplane *dp, const struct siobpf_sticky_key *key,
					    struct siobpf_vip *vip, int *err)
{
	struct siobpf_backend *all = malloc(SIOBPF_MAX_BACKENDS * sizeof(*all));

	*err = all ? 0 : -ENOMEM;
	if (!*err && key)
		*err = vip_by_id(dp, key->vip_id, vip);
	if (!*err)
		*err = dataplane_backends_read(dp, all);
	if (!*err && !dp->sticky.buckets)
		*err = -EBADF;
	if (*err) {
		free(all);
		return NULL;
	}
	return all;
}

int dataplane_sticky_find(struct dataplane *dp, const struct siobpf_sticky_key *key, __u64 now,
			  struct sticky_found_slot *found)
{
	struct siobpf_vip vip;
	int err;
	struct siobpf_backend *all = table_context(dp, key, &vip, &err);

	if (!err && !sticky_table_find(&dp->sticky, &vip, dataplane_vip_epoch(dp, key->vip_id), all, key,
				       siobpf_time_units(now), found))
		err = -ENOENT;
	free(all);
	return err;
}

int dataplane_sticky_put(struct dataplane *dp, const struct siobpf_sticky_key *key, __u32 backend_id,
			 __u32 kind, __u64 last_seen)
{
	struct siobpf_vip vip;
	int err;
	struct siobpf_backend *all = table_context(dp, key, &vip, &err);

	if (!err && backend_id >= SIOBPF_MAX_BACKENDS)
		err = -EINVAL;
	if (!err)
		err = sticky_table_put(&dp->sticky, &vip, dataplane_vip_epoch(dp, key->vip_id), all, key, backend_id,
				       all[backend_id].generation, kind,
				       siobpf_time_units(last_seen) + siobpf_persist_units(vip.persist_sec),
				       siobpf_time_units(dataplane_now()), 0);
	free(all);
	return err;
}

int dataplane_sticky_slot(struct dataplane *dp, const struct siobpf_sticky_key *key,
			  struct sticky_found_slot *found)
{
	return sticky_table_slot_of(&dp->sticky, key, dataplane_vip_epoch(dp, key->vip_id), found) ? 0
												     : -ENOENT;
}

int dataplane_sticky_delete(struct dataplane *dp, const struct siobpf_sticky_key *key)
{
	return sticky_table_clear(&dp->sticky, key, dataplane_vip_epoch(dp, key->vip_id)) ? 0 : -ENOENT;
}

int dataplane_sticky_reclaim(struct dataplane *dp, __u32 vip_id)
{
	int err;
	struct siobpf_backend *all = table_context(dp, NULL, NULL, &err);

	if (!err)
		sticky_table_reclaim(&dp->sticky, all, vip_id, siobpf_time_units(dataplane_now()));
	free(all);
	return err;
}

int dataplane_sticky_clamp(struct dataplane *dp, __u32 vip_id, __u32 persist_sec)
{
	int err;
	struct siobpf_backend *all = table_context(dp, NULL, NULL, &err);

	if (!err)
		sticky_table_clamp(&dp->sticky, all, vip_id, siobpf_time_units(dataplane_now()),
				   siobpf_persist_units(persist_sec));
	free(all);
	return err;
}

int dataplane_sticky_forget(struct dataplane *dp, __u32 vip_id)
{
	struct siobpf_vip_admit admit;
	__u32 epoch;
	int err = dataplane_vip_admit_get(dp, vip_id, &admit);

	if (err)
		return err;
	do {
		if (getrandom(&epoch, sizeof(epoch), 0) != sizeof(epoch))
			return -errno;
	} while (epoch == admit.table_epoch);
	admit.table_epoch = epoch;
	return dataplane_vip_admit_put(dp, vip_id, &admit);
}

int dataplane_vip_admit_get(struct dataplane *dp, __u32 vip_id, struct siobpf_vip_admit *admit)
{
	return map_get(dp->vip_admit_fd, &vip_id, admit);
}

int dataplane_vip_admit_put(struct dataplane *dp, __u32 vip_id, const struct siobpf_vip_admit *admit)
{
	return map_put(dp->vip_admit_fd, &vip_id, admit);
}

int dataplane_sticky_count_by_backend(struct dataplane *dp, const struct siobpf_backend *backends,
				      __u64 now, __u32 *counts)
{
	if (!dp->sticky.buckets)
		return -EBADF;
	sticky_table_count_by_backend(&dp->sticky, backends, siobpf_time_units(now), counts);
	return 0;
}

int dataplane_sticky_sizes(struct dataplane *dp, __u64 now, __u64 *protected_n, __u64 *probation_n)
{
	if (!dp->sticky.buckets)
		return -EBADF;
	sticky_table_sizes(&dp->sticky, siobpf_time_units(now), protected_n, probation_n);
	return 0;
}

int dataplane_array_write(int fd, const void *values, __u32 count)
{
	__u32 *keys = malloc(count * sizeof(*keys));
	__u32 n = count;
	int err = 0;

	if (!keys)
		return -ENOMEM;
	for (__u32 i = 0; i < count; i++)
		keys[i] = i;
	if (sio_map_update_batch(fd, keys, values, &n, NULL))
		err = -errno;
	free(keys);
	return err;
}

int dataplane_inner_swap(int outer_fd, __u32 slot, const char *name, __u32 value_size,
			 __u32 count, const void *values)
{
	int inner, err = 0;

	inner = bpf_map_create(BPF_MAP_TYPE_ARRAY, name, sizeof(__u32), value_size, count, NULL);
	if (inner < 0)
		return -errno;
	if (values)
		err = dataplane_array_write(inner, values, count);
	/* One update of the outer slot: packets see the old table or the new
	 * one, never a mix. */
	if (!err)
		err = map_put(outer_fd, &slot, &inner);
	close(inner);
	return err;
}

/* Keeps the ring in place as the VIP's previous ring, then says when it
 * changed: until the new ring lands the two are the same, so the order
 * leaves no packet between rings. A ring equal to the new one is not kept:
 * a rebuild that changes nothing must not shorten the previous ring's
 * window. */
static int ring_keep_previous(struct dataplane *dp, __u32 vip_id, const __u32 *next)
{
	struct siobpf_vip_admit admit = {0};
	__u32 *cur = malloc(SIOBPF_RING_SIZE * sizeof(*cur)), inner_id;
	int inner = -1, err;

	if (!cur)
		return -ENOMEM;
	err = dataplane_ring_read(dp, vip_id, cur);
	if (err == -ENOENT) { /* no ring yet: nothing to keep */
		err = 0;
		goto out;
	}
	if (err || !memcmp(cur, next, SIOBPF_RING_SIZE * sizeof(*cur)))
		goto out;
	if (bpf_map_lookup_elem(dp->rings_fd, &vip_id, &inner_id)) {
		err = errno == ENOENT ? 0 : -errno;
		goto out;
	}
	inner = bpf_map_get_fd_by_id(inner_id);
	if (inner < 0) {
		err = -errno;
		goto out;
	}
	err = map_put(dp->prev_rings_fd, &vip_id, &inner);
	if (!err && (err = dataplane_vip_admit_get(dp, vip_id, &admit)) == -ENOENT)
		err = 0;
	if (!err) {
		admit.ring_changed = dataplane_now();
		err = dataplane_vip_admit_put(dp, vip_id, &admit);
	}
out:
	if (inner >= 0)
		close(inner);
	free(cur);
	return err;
}

int dataplane_ring_install(struct dataplane *dp, __u32 vip_id, const __u32 *ring)
{
	int err;

	if (vip_id >= SIOBPF_MAX_VIPS)
		return -ERANGE;
	if (dp->prev_rings_fd >= 0 && (err = ring_keep_previous(dp, vip_id, ring)))
		return err;
	return dataplane_inner_swap(dp->rings_fd, vip_id, "sio_ring", sizeof(*ring),
				    SIOBPF_RING_SIZE, ring);
}

int dataplane_prev_ring_forget(struct dataplane *dp, __u32 vip_id)
{
	if (vip_id >= SIOBPF_MAX_VIPS)
		return -ERANGE;
	if (sio_map_delete(dp->prev_rings_fd, &vip_id) && errno != ENOENT)
		return -errno;
	return 0;
}

int dataplane_rings_forget(struct dataplane *dp, __u32 vip_id)
{
	struct siobpf_vip_admit none = {0}, was;

	/* The table epoch is the sticky table's, not the ring's: kept. */
	if (!dataplane_vip_admit_get(dp, vip_id, &was))
		none.table_epoch = was.table_epoch;
	if (vip_id >= SIOBPF_MAX_VIPS)
		return -ERANGE;
	if (sio_map_delete(dp->rings_fd, &vip_id) && errno != ENOENT)
		return -errno;
	if (sio_map_delete(dp->prev_rings_fd, &vip_id) && errno != ENOENT)
		return -errno;
	return dataplane_vip_admit_put(dp, vip_id, &none);
}

static int ring_read_from(int rings_fd, __u32 vip_id, __u32 *ring)
{
	__u32 inner_id;
	int inner, err;

	if (vip_id >= SIOBPF_MAX_VIPS)
		return -ERANGE;
	if (bpf_map_lookup_elem(rings_fd, &vip_id, &inner_id))
		return -errno;
	inner = bpf_map_get_fd_by_id(inner_id);
	if (inner < 0)
		return -errno;
	err = array_read(inner, ring, sizeof(*ring), SIOBPF_RING_SIZE);
	close(inner);
	return err;
}

int dataplane_ring_read(struct dataplane *dp, __u32 vip_id, __u32 *ring)
{
	return ring_read_from(dp->rings_fd, vip_id, ring);
}

int dataplane_prev_ring_read(struct dataplane *dp, __u32 vip_id, __u32 *ring)
{
	return ring_read_from(dp->prev_rings_fd, vip_id, ring);
}

int dataplane_ring_build(const struct siobpf_vip *vip, const struct siobpf_backend *table, __u32 *ring)
{
	struct maglev_backend *members = calloc(SIOBPF_MAX_BACKENDS, sizeof(*members));
	size_t count = 0;
	int err;

	if (!members)
		return -ENOMEM;
	for (__u32 i = 0; i < SIOBPF_MAX_BACKENDS; i++) {
		const struct siobpf_backend *b = &table[i];

		if (!b->in_use || b->vip_id != vip->id)
			continue;
		members[count] = (struct maglev_backend){
			.id = i, .family = b->family, .state = b->state, .weight = b->weight,
		};
		memcpy(members[count].addr, b->addr, sizeof(b->addr));
		count++;
	}
	err = maglev_build(members, count, vip->hash_seed, ring);
	free(members);
	return err;
}

int dataplane_ring_install_from(struct dataplane *dp, const struct siobpf_vip *vip,
				const struct siobpf_backend *table)
{
	__u32 *ring = malloc(SIOBPF_RING_SIZE * sizeof(*ring));
	int err;

	if (!ring)
		return -ENOMEM;
	err = dataplane_ring_build(vip, table, ring);
	if (!err)
		err = dataplane_ring_install(dp, vip->id, ring);
	free(ring);
	return err;
}

int dataplane_ring_rebuild_as(struct dataplane *dp, const struct siobpf_vip *vip, __u32 id,
			      const struct siobpf_backend *record)
{
	struct siobpf_backend *table = calloc(SIOBPF_MAX_BACKENDS, sizeof(*table));
	int err;

	if (!table)
		return -ENOMEM;
	err = dataplane_backends_read(dp, table);
	if (!err && record && id < SIOBPF_MAX_BACKENDS)
		table[id] = *record;
	if (!err)
		err = dataplane_ring_install_from(dp, vip, table);
	free(table);
	return err;
}

int dataplane_ring_rebuild(struct dataplane *dp, const struct siobpf_vip *vip)
{
	return dataplane_ring_rebuild_as(dp, vip, SIOBPF_MAX_BACKENDS, NULL);
}

static int percpu_sum(int fd, __u32 id, size_t words, int ncpus, __u64 *sum)
{
	__u64 *values = calloc((size_t)ncpus * words, sizeof(__u64));
	int err = 0;

	if (!values)
		return -ENOMEM;
	memset(sum, 0, words * sizeof(__u64));
	if (bpf_map_lookup_elem(fd, &id, values)) {
		err = -errno;
	} else {
		for (int cpu = 0; cpu < ncpus; cpu++)
			for (size_t w = 0; w < words; w++)
				sum[w] += values[(size_t)cpu * words + w];
	}
	free(values);
	return err;
}

int dataplane_traffic(struct dataplane *dp, bool backend, __u32 id, struct siobpf_traffic *sum)
{
	__u64 words[3];
	int err;

	err = percpu_sum(backend ? dp->be_stats_fd : dp->vip_stats_fd, id, 3, dp->ncpus, words);
	if (err)
		return err;
	sum->packets = words[0];
	sum->bytes = words[1];
	sum->new_sticky = words[2];
	return 0;
}

int dataplane_admit_stats(struct dataplane *dp, __u32 vip_id, struct siobpf_admit_stats *sum)
{
	return percpu_sum(dp->admit_stats_fd, vip_id, sizeof(*sum) / sizeof(__u64), dp->ncpus,
			  (__u64 *)(void *)sum);
}

int dataplane_event_stats(struct dataplane *dp, struct siobpf_event_stats *sum)
{
	return percpu_sum(dp->ev_stats_fd, 0, sizeof(*sum) / sizeof(__u64), dp->ncpus, (__u64 *)(void *)sum);
}

int dataplane_reasons(struct dataplane *dp, __u64 counts[SIOBPF_R_MAX])
{
	for (__u32 r = 0; r < SIOBPF_R_MAX; r++) {
		int err = percpu_sum(dp->reasons_fd, r, 1, dp->ncpus, &counts[r]);

		if (err)
			return err;
	}
	return 0;
}

static int egress_cmp(const void *a, const void *b)
{
	const struct egress_errors *x = a, *y = b;

	return x->ifindex < y->ifindex ? -1 : x->ifindex > y->ifindex;
}

int dataplane_egress_errors(struct dataplane *dp, struct egress_errors *out, size_t max, size_t *count)
{
	struct siobpf_egress_err *values = calloc((size_t)dp->ncpus, sizeof(*values));
	__u32 key, next;
	bool have = false;
	size_t n = 0;

	if (!values)
		return -ENOMEM;
	while (n < max && !bpf_map_get_next_key(dp->egress_err_fd, have ? &key : NULL, &next)) {
		key = next;
		have = true;
		if (bpf_map_lookup_elem(dp->egress_err_fd, &key, values))
			continue;
		out[n] = (struct egress_errors){.ifindex = key};
		for (int cpu = 0; cpu < dp->ncpus; cpu++) {
			out[n].redirect_err += values[cpu].redirect_err;
			out[n].xmit_drop += values[cpu].xmit_drop;
			if (values[cpu].last_err)
				out[n].last_err = (int)(__s64)values[cpu].last_err;
		}
		n++;
	}
	free(values);
	qsort(out, n, sizeof(*out), egress_cmp);
	*count = n;
	return 0;
}

int dataplane_map_info(int fd, struct bpf_map_info *info)
{
	__u32 len = sizeof(*info);

	memset(info, 0, sizeof(*info));
	return bpf_obj_get_info_by_fd(fd, info, &len) ? -errno : 0;
}

/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* The data path's maps, seen from user space: loading the program, and
 * reading and writing VIPs, backends, rings, sticky entries and counters.
 * Functions return 0 or -errno. */
#ifndef SIOBPF_DATAPLANE_H
#define SIOBPF_DATAPLANE_H

#include <stdbool.h>
#include <linux/types.h>

#include "siobpf/abi.h"
#include "sticky_table.h"

struct siobpf_bpf;

struct dataplane {
	struct siobpf_bpf *skel; /* NULL when only the maps are open */
	int prog_fd;
	int vips_fd;
	int vip_index_fd;
	int backends_fd;
	int rings_fd;
	int sticky_fd;    /* the sticky table (siobpf/table.h) */
	int frags_fd;
	int prev_rings_fd;
	int vip_admit_fd;
	int admit_stats_fd;
	int vip_stats_fd;
	int be_stats_fd;
	int reasons_fd;
	int vip_cfg_fd;
	int be_cfg_fd;
	int ifaces_fd;
	int meta_fd;
	int egress_fd;     /* sio_egress: the devmap of egress interfaces */
	int egress_err_fd; /* sio_egress_err: redirect failures per interface */
	int last_fd;       /* sio_last */
	int events_fd;     /* sio_events: the new-entry events' ring buffer */
	int node_fd;       /* sio_node: node-wide settings (the events switch) */
	int ev_stats_fd;   /* sio_ev_stats: events written and lost, per CPU */
	int ncpus;
	struct sticky_table sticky; /* sio_sticky, mapped */
};

struct dataplane_opts {
	/* The sticky table's size, in clients (siobpf_table_buckets): 0 keeps
	 * the size of the table pinned in pin_dir, or SIOBPF_CLIENTS. */
	__u32 clients;
	const char *pin_dir;  /* reuse the maps pinned here, or pin them here; NULL: none */
};

/* An empty handle (no fds) that dataplane_close accepts. */
void dataplane_init(struct dataplane *dp);

/* Opens and loads the embedded BPF object (not attached). With a pin
 * directory, maps already pinned there are reused (their entries survive a
 * program replacement) and missing ones are pinned. */
int dataplane_load(struct dataplane *dp, const struct dataplane_opts *opts);
/* Opens the maps pinned in dir, without a program. -ENOENT: nothing pinned;
 * -ENOMSG: maps of an older layout, or some missing (pinned by an older
 * siobpf: reload migrates them); -EPROTONOSUPPORT: maps of a newer layout. */
int dataplane_open_pinned(struct dataplane *dp, const char *dir);
/* The layout of the maps pinned in dir (SIOBPF_LAYOUT when they are this
 * siobpf's; 1 for maps without sio_meta), 0 when nothing is pinned, or
 * -errno. */
int dataplane_pinned_layout(const char *dir);

/* Every map by index (0 .. dataplane_map_count() - 1): its pinned name and
 * its fd in dp, for code that treats all maps alike (migration). */
size_t dataplane_map_count(void);
const char *dataplane_map_name(size_t i);
int *dataplane_map_fd(struct dataplane *dp, size_t i);
/* Removes every map pin, and the tracing links' pins, from dir (the maps
 * live on while in use). */
int dataplane_unpin(const char *dir);
/* Pins the tracing programs' links (loaded and attached by dataplane_load)
 * in dir in place of those pinned there before, which end with their pins:
 * they outlive this process, like the XDP program they watch. */
int dataplane_links_pin(struct dataplane *dp, const char *dir);
void dataplane_close(struct dataplane *dp);

int dataplane_vip_put(struct dataplane *dp, const struct siobpf_vip_key *key,
		      const struct siobpf_vip *vip);
int dataplane_vip_get(struct dataplane *dp, const struct siobpf_vip_key *key,
		      struct siobpf_vip *vip);
/* The program reads the backend table that slot 0 of sio_backends holds,
 * and it is never written in place: a put copies the table with one record
 * changed and swaps the copy in (a read of the whole table, a new map). */
int dataplane_backend_put(struct dataplane *dp, __u32 id, const struct siobpf_backend *backend);
int dataplane_backend_get(struct dataplane *dp, __u32 id, struct siobpf_backend *backend);

/* Copies the whole backend table (SIOBPF_MAX_BACKENDS entries). */
int dataplane_backends_read(struct dataplane *dp, struct siobpf_backend *all);
/* Swaps in table (SIOBPF_MAX_BACKENDS records, by id) whole: every change
 * it carries reaches packets at once. */
int dataplane_backends_install(struct dataplane *dp, const struct siobpf_backend *table);
/* A client's live slot in the sticky table at now (dataplane_now()), as
 * the program finds it (sticky_table_find); -ENOENT when it has none. */
int dataplane_sticky_find(struct dataplane *dp, const struct siobpf_sticky_key *key, __u64 now,
			  struct sticky_found_slot *found);
/* Writes a client's slot (sticky_table_put) with kind and a deadline of
 * the VIP's persistence after last_seen (ns, dataplane_now()'s clock). */
int dataplane_sticky_put(struct dataplane *dp, const struct siobpf_sticky_key *key, __u32 backend_id,
			 __u32 kind, __u64 last_seen);
/* The key's slot whatever its state (sticky_table_slot_of), and
 * emptying it (sticky_table_clear), with the VIP's table epoch. -ENOENT:
 * no slot with the key's fingerprint. */
int dataplane_sticky_slot(struct dataplane *dp, const struct siobpf_sticky_key *key,
			  struct sticky_found_slot *found);
int dataplane_sticky_delete(struct dataplane *dp, const struct siobpf_sticky_key *key);
/* The table epoch a VIP's keys are hashed with (0 when it has none). */
__u32 dataplane_vip_epoch(struct dataplane *dp, __u32 vip_id);

/* Calls fn for each VIP of the VIP table (its address entries left out), in
 * the map's order, until fn returns nonzero, which is then returned; 0 once
 * every VIP was seen. The walk takes at most as many steps as the table has
 * room for, so a table changed under it cannot make it loop. */
typedef int (*dataplane_vip_fn)(const struct siobpf_vip_key *key, const struct siobpf_vip *vip, void *ctx);
int dataplane_vips_each(struct dataplane *dp, dataplane_vip_fn fn, void *ctx);
/* Empties the slots dead for everyone, and with vip_id (not
 * SIOBPF_NO_VIP) those of the VIP's backends (sticky_table_reclaim). */
int dataplane_sticky_reclaim(struct dataplane *dp, __u32 vip_id);
/* A VIP's persistence lowered to persist_sec: its slots' deadlines brought
 * in to at most that from now (sticky_table_clamp). */
int dataplane_sticky_clamp(struct dataplane *dp, __u32 vip_id, __u32 persist_sec);
/* Forgets every entry of a VIP at once: a new table epoch for it, so its
 * old slots are found no more (they expire where they are). */
int dataplane_sticky_forget(struct dataplane *dp, __u32 vip_id);
/* A VIP's admission record (ring change time, settings); zeros if unset. */
int dataplane_vip_admit_get(struct dataplane *dp, __u32 vip_id, struct siobpf_vip_admit *admit);
int dataplane_vip_admit_put(struct dataplane *dp, __u32 vip_id, const struct siobpf_vip_admit *admit);
/* A VIP's admission counters summed over CPUs. */
int dataplane_admit_stats(struct dataplane *dp, __u32 vip_id, struct siobpf_admit_stats *sum);
/* The new-entry events' counters (sio_ev_stats) summed over CPUs. */
int dataplane_event_stats(struct dataplane *dp, struct siobpf_event_stats *sum);
/* Held slots of the sticky table, protected and on probation, at now. */
int dataplane_sticky_sizes(struct dataplane *dp, __u64 now, __u64 *protected_n, __u64 *probation_n);

/* Counts the live sticky clients of every backend into counts (indexed by
 * backend id, SIOBPF_MAX_BACKENDS of them): held slots that name the
 * backend and its generation, not down, at now (dataplane_now()). One
 * pass over the table: slots written during it may or may not be counted. */
int dataplane_sticky_count_by_backend(struct dataplane *dp, const struct siobpf_backend *backends,
				      __u64 now, __u32 *counts);

/* Rebuilds a VIP's ring from the backend table and swaps it in at once. */
int dataplane_ring_rebuild(struct dataplane *dp, const struct siobpf_vip *vip);
/* The same, as if backend id's record already were *record: the ring a
 * change will need, installed before the change is written. */
int dataplane_ring_rebuild_as(struct dataplane *dp, const struct siobpf_vip *vip, __u32 id,
			      const struct siobpf_backend *record);
/* The ring the backend table makes for a VIP, SIOBPF_RING_SIZE ids. */
int dataplane_ring_build(const struct siobpf_vip *vip, const struct siobpf_backend *table, __u32 *ring);
/* Builds a VIP's ring from table (SIOBPF_MAX_BACKENDS records, by id, as
 * they will be rather than as the map holds them) and swaps it in. */
int dataplane_ring_install_from(struct dataplane *dp, const struct siobpf_vip *vip,
				const struct siobpf_backend *table);
/* Swaps in a ring of SIOBPF_RING_SIZE backend ids. When it differs from
 * the ring in place, that one is kept first as the VIP's previous ring and
 * the change's time written (siobpf_vip_admit), so that handshakes begun
 * on it finish there (siobpf/decide.h). */
int dataplane_ring_install(struct dataplane *dp, __u32 vip_id, const __u32 *ring);
/* Copies a VIP's ring; -ENOENT when the VIP has none. */
int dataplane_ring_read(struct dataplane *dp, __u32 vip_id, __u32 *ring);
/* Copies a VIP's previous ring; -ENOENT when it has none. */
int dataplane_prev_ring_read(struct dataplane *dp, __u32 vip_id, __u32 *ring);
/* Forgets a VIP's previous ring (a seed change: its slots mean nothing now). */
int dataplane_prev_ring_forget(struct dataplane *dp, __u32 vip_id);
/* Forgets a VIP's rings, previous one and admission record (vip del). */
int dataplane_rings_forget(struct dataplane *dp, __u32 vip_id);

/* Writes values[0..count) to an array map from index 0, in batches. */
int dataplane_array_write(int fd, const void *values, __u32 count);
/* Puts a new array map of count values (zeros when values is NULL) in slot
 * of the array of maps outer_fd, in one update: how a ring, the VIP index
 * and the backend table change atomically for the program. */
int dataplane_inner_swap(int outer_fd, __u32 slot, const char *name, __u32 value_size,
			 __u32 count, const void *values);

/* Counters summed over CPUs. */
int dataplane_traffic(struct dataplane *dp, bool backend, __u32 id, struct siobpf_traffic *sum);
int dataplane_reasons(struct dataplane *dp, __u64 counts[SIOBPF_R_MAX]);

/* Redirect failures of one egress interface, summed over CPUs. */
struct egress_errors {
	__u32 ifindex;
	__u64 redirect_err;
	__u64 xmit_drop;
	int last_err; /* -errno of a failure, 0: none */
};
/* Every interface with failures (at most max of them, sorted by ifindex). */
int dataplane_egress_errors(struct dataplane *dp, struct egress_errors *out, size_t max, size_t *count);
/* Whether ifindex is in sio_egress (the program may redirect to it). */
bool dataplane_egress_present(struct dataplane *dp, __u32 ifindex);

/* The stable name of a reason counter (JSON, metrics, text). */
const char *siobpf_reason_name(int reason);

struct bpf_map_info;
/* The kernel's description of a map (id, type, sizes). */
int dataplane_map_info(int fd, struct bpf_map_info *info);

/* CLOCK_MONOTONIC_COARSE in nanoseconds: the data path's clock. */
__u64 dataplane_now(void);

#endif /* SIOBPF_DATAPLANE_H */

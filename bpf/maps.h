/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* The maps: the program's whole state, written by user space (VIPs,
 * backends, rings) or by the program (sticky table, counters). Names carry
 * the "sio_" prefix and fit bpftool's 15 characters.
 */
#ifndef SIOBPF_BPF_MAPS_H
#define SIOBPF_BPF_MAPS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "siobpf/abi.h"
#include "siobpf/table.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SIOBPF_MAX_VIPS * 2); /* VIPs and their address entries */
	__type(key, struct siobpf_vip_key);
	__type(value, struct siobpf_vip);
} sio_vips SEC(".maps");

/* The VIP index (see struct siobpf_vip_slot): slot 0 of the outer map holds
 * the current table, swapped whole by user space like a ring. */
struct sio_vip_index_inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SIOBPF_VIP_INDEX_SLOTS);
	/* Sizes, not BTF types: clang emits the slot struct here only as a
	 * forward declaration, whose size libbpf cannot resolve. */
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(struct siobpf_vip_slot));
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__array(values, struct sio_vip_index_inner);
} sio_vip_index SEC(".maps");

/* The backend table, by backend id: slot 0 of the outer map holds it whole.
 * User space never writes a live table; it builds a changed copy and swaps
 * it in, so a packet reads each record complete (DESIGN §7). */
struct sio_backend_table {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SIOBPF_MAX_BACKENDS);
	/* Sizes, not BTF types, as for the VIP index. */
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(struct siobpf_backend));
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__array(values, struct sio_backend_table);
} sio_backends SEC(".maps");

/* One Maglev ring per VIP: slot -> backend id. User space builds a new inner
 * map and swaps it into the outer slot, so a ring changes atomically. */
struct sio_ring_inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SIOBPF_RING_SIZE);
	__type(key, __u32);
	__type(value, __u32);
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, SIOBPF_MAX_VIPS);
	__type(key, __u32);
	__array(values, struct sio_ring_inner);
} sio_rings SEC(".maps");

/* Each VIP's ring before its last change, kept by user space for a few
 * seconds (struct siobpf_vip_admit says when it changed): a packet that is
 * not a connection start and has no entry follows it (siobpf/decide.h). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, SIOBPF_MAX_VIPS);
	__type(key, __u32);
	__array(values, struct sio_ring_inner);
} sio_prev_rings SEC(".maps");

/* Per VIP, by id: its last ring change and admission settings (user space). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SIOBPF_MAX_VIPS);
	__type(key, __u32);
	__type(value, struct siobpf_vip_admit);
} sio_vip_admit SEC(".maps");

/* The sticky table (siobpf/table.h): buckets of one cache line each.
 * Shared by all CPUs on purpose: one client's connections arrive on
 * different CPUs and must find the same slot. Mappable, so user space reads
 * and writes slots with the same compare-and-exchange, and page-aligned,
 * so that each bucket is exactly a cache line. Its size is set at load
 * (siobpf load --clients); the program is told the mask in sticky_mask. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, SIOBPF_CLIENTS / 4);
	__type(key, __u32);
	__type(value, struct siobpf_bucket);
} sio_sticky SEC(".maps");

/* Where each fragmented datagram's first fragment went (frag.h). Shared by
 * all CPUs: a datagram's fragments may arrive on different ones. An LRU, so
 * a flood of first fragments only evicts old datagrams. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SIOBPF_FRAG_ENTRIES);
	__type(key, struct siobpf_frag_key);
	__type(value, struct siobpf_frag);
} sio_frags SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SIOBPF_MAX_VIPS);
	__type(key, __u32);
	__type(value, struct siobpf_admit_stats);
} sio_admit_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SIOBPF_MAX_VIPS);
	__type(key, __u32);
	__type(value, struct siobpf_traffic);
} sio_vip_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SIOBPF_MAX_BACKENDS);
	__type(key, __u32);
	__type(value, struct siobpf_traffic);
} sio_be_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SIOBPF_R_MAX);
	__type(key, __u32);
	__type(value, __u64);
} sio_reasons SEC(".maps");

/* User-space state, never read by the program: kept here so that it is
 * created and pinned with the rest (see struct siobpf_vip_config). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SIOBPF_MAX_VIPS);
	__type(key, __u32);
	__type(value, struct siobpf_vip_config);
} sio_vip_cfg SEC(".maps");

/* User-space state too: a backend's own probe settings, by backend id. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SIOBPF_MAX_BACKENDS);
	__type(key, __u32);
	__type(value, struct siobpf_backend_config);
} sio_be_cfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, struct siobpf_iface);
} sio_ifaces SEC(".maps");

/* Where a backend's frames leave when that is not the ingress interface:
 * bpf_redirect_map() through a devmap, which the kernel checks and bulks,
 * instead of bpf_redirect() to a bare ifindex. Keyed and valued by ifindex;
 * user space adds every interface a backend record names before installing
 * the record (dataplane_backends_install). */
struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
	__uint(max_entries, SIOBPF_MAX_EGRESS);
	__type(key, __u32);
	__type(value, __u32);
} sio_egress SEC(".maps");

/* Redirect failures per egress interface, written by the tracing programs
 * (egress.h). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, SIOBPF_MAX_EGRESS * 4);
	__type(key, __u32);
	__type(value, struct siobpf_egress_err);
} sio_egress_err SEC(".maps");

/* The last redirect of each CPU, for the tracing program that takes a
 * failed one back out of the counters. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct siobpf_last_redirect);
} sio_last SEC(".maps");

/* New-entry events (struct siobpf_entry_event) for a consumer in user
 * space: 1 MiB, 18724 events. Never copied by a migration: events are
 * news, and the new ring's consumer starts reading it afresh. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, SIOBPF_EVENTS_BYTES);
} sio_events SEC(".maps");

/* Node-wide settings (struct siobpf_node), written by user space: with
 * the events switch off, a new entry costs one load of this line and the
 * ring is never touched. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct siobpf_node);
} sio_node SEC(".maps");

/* Events written and lost, per CPU (struct siobpf_event_stats). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct siobpf_event_stats);
} sio_ev_stats SEC(".maps");

/* The maps' layout (struct siobpf_meta, SIOBPF_LAYOUT), never read by the
 * program: a newer siobpf finds here what it must migrate. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct siobpf_meta);
} sio_meta SEC(".maps");

#endif /* SIOBPF_BPF_MAPS_H */

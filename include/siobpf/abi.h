/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* The data shared by the XDP program and user space: map layouts, states,
 * counters. Every struct has fixed-width fields, explicit padding and a size
 * check, so both compilers agree byte for byte. Addresses and ports are kept
 * in network byte order, exactly as they sit in the packet.
 */
#ifndef SIOBPF_ABI_H
#define SIOBPF_ABI_H

#include <linux/types.h>

/* Sizes a build may override (-DSIOBPF_RING_SIZE=...). The ring size must be
 * prime so that every Maglev permutation visits every slot. */
#ifndef SIOBPF_RING_SIZE
#define SIOBPF_RING_SIZE 65537
#endif
#ifndef SIOBPF_MAX_VIPS
#define SIOBPF_MAX_VIPS 256
#endif
#ifndef SIOBPF_MAX_BACKENDS
#define SIOBPF_MAX_BACKENDS 4096
#endif
/* Datagrams whose fragments are being followed at once (sio_frags). */
#ifndef SIOBPF_FRAG_ENTRIES
#define SIOBPF_FRAG_ENTRIES 8192
#endif
/* The layout of the pinned maps, as a whole: raised whenever a map's type,
 * key, value or size changes, so that a newer siobpf recognises maps pinned
 * by an older one and migrates them on `reload` (user/core/migrate.c)
 * instead of failing to reuse them. A change keeps a map's name and key
 * and only appends to its value (the migration copies the old value's
 * bytes and zeroes the rest), or it gives migrate.c a conversion.
 *   1  siobpf 0.1.0 (its maps carry no sio_meta)
 *   2  sio_meta; siobpf_backend_config gains drain_deadline; sio_backends
 *      is a one-slot array of maps whose table is swapped whole
 *   3  sio_frags (the fragment table); sio_reasons grows by the fragment
 *      and checksum reasons; a port-0 entry of sio_vips is an address
 *      entry (struct siobpf_vip_addr), rewritten by the publication;
 *      sio_egress (the devmap of egress interfaces), sio_egress_err (redirect
 *      failures per interface), sio_last (per-CPU: the last redirect), and
 *      sio_reasons grows by drop_no_egress and redirect_failed too;
 *      admission: sio_probation beside sio_sticky (which holds protected
 *      entries only; older entries are carried into it), sio_prev_rings,
 *      sio_vip_admit, sio_admit_stats
 *   4  sio_sticky is the bucket table (siobpf/table.h), sized at load for
 *      a number of clients; sio_probation is gone (its entries are carried
 *      into the table as probation slots, sio_sticky's as protected ones);
 *      siobpf_vip_admit gains table_epoch, siobpf_admit_stats gains full,
 *      evicted and raced
 *   5  sio_events (the ring buffer of new-entry events), sio_node (the
 *      node-wide settings: the events switch), sio_ev_stats (per-CPU:
 *      events written and lost); a migration creates them, copies no
 *      event and starts with the switch off */
#define SIOBPF_LAYOUT 5
#define SIOBPF_META_MAGIC 0x53494f42u /* "SIOB" */

/* sio_meta's one entry, written by user space when it creates the maps. */
struct siobpf_meta {
	__u32 magic;  /* SIOBPF_META_MAGIC; 0 in maps just created */
	__u32 layout; /* SIOBPF_LAYOUT of the siobpf that created the maps */
};
_Static_assert(sizeof(struct siobpf_meta) == 8, "siobpf_meta layout");

/* A ring slot that names no backend (the VIP has nothing in service). */
#define SIOBPF_NO_BACKEND 0xffffffffu

/* Refresh a sticky entry's last-seen time at most this often: a write per
 * packet would bounce the entry's cache line between CPUs. A persistence
 * under twice this refreshes at half the persistence (siobpf/decide.h). */
#define SIOBPF_STICKY_REFRESH_NS 1000000000ull

#define SIOBPF_FAMILY_IPV4 4
#define SIOBPF_FAMILY_IPV6 6

/* How a VIP builds its sticky key. */
enum siobpf_sticky_mode {
	SIOBPF_STICKY_IP = 0,      /* client address (masked by the prefix) */
	SIOBPF_STICKY_IP_PORT = 1, /* client address and port: one key per connection */
};

enum siobpf_forward_mode {
	SIOBPF_FORWARD_DSR = 0, /* L2 direct server return: rewrite MACs only */
};

enum siobpf_backend_state {
	SIOBPF_BACKEND_UP = 0,    /* in the ring, takes new clients */
	SIOBPF_BACKEND_DRAIN = 1, /* out of the ring, keeps its sticky clients */
	SIOBPF_BACKEND_DOWN = 2,  /* out of the ring, its sticky entries are void */
};

/* Key of the VIP table. IPv4 uses addr[0]; the rest stays zero. A key with
 * port 0 is the address entry of an address and protocol (struct
 * siobpf_vip_addr), never a VIP. */
struct siobpf_vip_key {
	__u32 addr[4]; /* network byte order */
	__u16 port;    /* network byte order */
	__u8 proto;    /* IPPROTO_TCP or IPPROTO_UDP */
	__u8 family;   /* SIOBPF_FAMILY_IPV4 / _IPV6 */
};
_Static_assert(sizeof(struct siobpf_vip_key) == 20, "siobpf_vip_key layout");

/* Value of the VIP table. */
struct siobpf_vip {
	__u32 id;          /* index into rings and per-VIP stats */
	__u32 persist_sec; /* sticky entry lifetime; 0 keeps no sticky state */
	__u32 hash_seed;   /* seed of the key hash; equal seeds give equal rings */
	__u32 mask[4];     /* client address mask from the prefix, network order */
	__u8 sticky;       /* enum siobpf_sticky_mode */
	__u8 forward;      /* enum siobpf_forward_mode */
	__u8 prefix;       /* prefix length the mask was made from (for display) */
	__u8 flags;        /* SIOBPF_VIP_F_* */
};
_Static_assert(sizeof(struct siobpf_vip) == 32, "siobpf_vip layout");

/* The program's VIP index: an open-addressing table of VIP keys and their
 * VIPs, rebuilt by user space from the VIP table (sio_vips) on every change
 * and swapped in whole. The program finds a VIP with a few inlined array
 * reads instead of a hash-map lookup, which is the larger part of the cost
 * of a packet that is not for a VIP. A key sits in the first free slot of
 * the SIOBPF_VIP_INDEX_PROBES slots from its home slot; a key that found no
 * free slot there is left to the VIP table itself. */
#define SIOBPF_VIP_INDEX_SLOTS 2048 /* a power of two; >= 4x the keys it holds */
#define SIOBPF_VIP_INDEX_PROBES 8
_Static_assert((SIOBPF_VIP_INDEX_SLOTS & (SIOBPF_VIP_INDEX_SLOTS - 1)) == 0,
	       "the VIP index size is a power of two");
/* Every VIP has a key and shares at most one address entry: at a quarter
 * full or less, a window is almost never full (a full one costs the table
 * lookup only). */
_Static_assert(SIOBPF_VIP_INDEX_SLOTS >= 4 * 2 * SIOBPF_MAX_VIPS,
	       "the VIP index has four slots for each key it may hold");

/* Set on a port-0 entry of the VIP table: an address entry, not a VIP. */
#define SIOBPF_VIP_F_FRAG_ALIAS 0x1

/* A VIP id that names no VIP. */
#define SIOBPF_NO_VIP 0xffffffffu

/* The address entry of (family, address, protocol), kept in the VIP table
 * (and its index) under that address with port 0, beside its VIPs: it exists
 * while at least one VIP of that protocol has the address. The program reads
 * it only for frames that carry no ports to look a VIP up with (fragments
 * after the first) or whose L4 header is broken: with no entry such a frame
 * is transit traffic and passed; with one it is for this balancer. Written
 * by user space on every publication of the VIP table (vip_table.c). The
 * same size as struct siobpf_vip, with flags at the same place, so that the
 * two share the map. */
struct siobpf_vip_addr {
	__u32 vips;        /* VIPs of this address and protocol (>= 1) */
	__u32 vip_id;      /* the one VIP's id when vips == 1, else SIOBPF_NO_VIP */
	__u16 port;        /* the one VIP's port when vips == 1, else 0; network order */
	__u8 pad[21];
	__u8 flags;        /* SIOBPF_VIP_F_FRAG_ALIAS, where siobpf_vip keeps flags */
};
_Static_assert(sizeof(struct siobpf_vip_addr) == 32, "siobpf_vip_addr layout");
_Static_assert(__builtin_offsetof(struct siobpf_vip_addr, flags) ==
		       __builtin_offsetof(struct siobpf_vip, flags),
	       "an address entry's flags sit where a VIP's do");

/* Fragment table (sio_frags): where a fragmented datagram's first fragment
 * went, so that the later ones (which carry no ports) go there too. Keyed
 * by the datagram: family, protocol, both addresses and the IP
 * identification. */
struct siobpf_frag_key {
	__u32 src[4];  /* client address, network order; IPv4 in src[0] */
	__u32 dst[4];  /* destination address, network order */
	__u32 id;      /* IPv4 identification zero-extended, or IPv6 Fragment
			* header identification; host order */
	__u8 family;   /* SIOBPF_FAMILY_IPV4 / _IPV6 */
	__u8 proto;    /* IPPROTO_TCP or IPPROTO_UDP */
	__u16 pad;
};
_Static_assert(sizeof(struct siobpf_frag_key) == 40, "siobpf_frag_key layout");

/* An entry older than this is treated as missing: the datagram is long
 * finished (or lost), and its IP identification may come back. */
#define SIOBPF_FRAG_TIMEOUT_NS 5000000000ull

struct siobpf_frag {
	__u64 created;     /* CLOCK_MONOTONIC_COARSE, nanoseconds */
	__u32 vip_id;      /* the VIP the first fragment went to, or SIOBPF_NO_VIP: the stack */
	__u32 backend_id;  /* its backend (when vip_id is a VIP) */
};
_Static_assert(sizeof(struct siobpf_frag) == 16, "siobpf_frag layout");

/* One backend of one VIP; the backend table is an array indexed by id. */
struct siobpf_backend {
	__u32 addr[4];     /* network byte order; IPv4 in addr[0] */
	__u8 mac[6];       /* backend's MAC: the rewritten destination */
	__u8 src_mac[6];   /* egress interface's MAC: the rewritten source */
	__u32 ifindex;     /* egress interface */
	__u32 weight;      /* relative share of the ring, 1..SIOBPF_MAX_WEIGHT */
	__u32 generation;  /* bumped when the id is reused; voids older entries */
	__u32 vip_id;      /* the VIP this backend serves */
	__u8 state;        /* enum siobpf_backend_state */
	__u8 family;       /* SIOBPF_FAMILY_IPV4 / _IPV6 */
	__u8 in_use;       /* 0: free slot of the table */
	__u8 flags;        /* SIOBPF_BACKEND_F_* (user space only) */
};
_Static_assert(sizeof(struct siobpf_backend) == 48, "siobpf_backend layout");

/* The health probe, not the operator, took this backend down: only then
 * may a probe bring it back up. An operator's `backend set` clears it. */
#define SIOBPF_BACKEND_F_PROBE_DOWN 0x1
/* With PROBE_DOWN: the backend was draining when its probe took it down,
 * so it recovers to drain, not up. Cleared with PROBE_DOWN. */
#define SIOBPF_BACKEND_F_DRAINED 0x2
/* siobpf run saw this drain serve a live sticky client: once none is left
 * the drain is over. A drain that never had one stays until its deadline. */
#define SIOBPF_BACKEND_F_DRAIN_SEEN 0x4
/* What an operator's state (`backend set --state`, apply) clears. */
#define SIOBPF_BACKEND_F_STATE_MARKS \
	(SIOBPF_BACKEND_F_PROBE_DOWN | SIOBPF_BACKEND_F_DRAINED | SIOBPF_BACKEND_F_DRAIN_SEEN)

#define SIOBPF_MAX_WEIGHT 1000

/* Sticky table key: the VIP and the client, masked as the VIP says. The
 * table (siobpf/table.h) keeps only a fingerprint of it. */
struct siobpf_sticky_key {
	__u32 vip_id;
	__u32 addr[4]; /* client address, masked; network order */
	__u16 port;    /* client port in ip-port mode, else 0; network order */
	__u16 pad;
};
_Static_assert(sizeof(struct siobpf_sticky_key) == 24, "siobpf_sticky_key layout");

/* Admission (DESIGN §8; the rule itself is in siobpf/decide.h). Defaults
 * of the per-VIP settings in struct siobpf_vip_admit. */
#ifndef SIOBPF_ADMIT_GAP_MS
#define SIOBPF_ADMIT_GAP_MS 1000u  /* "seen again later": at least this long after */
#endif
#ifndef SIOBPF_PREV_RING_MS
#define SIOBPF_PREV_RING_MS 5000u  /* how long the previous ring is kept after a change */
#endif

/* Per VIP (sio_vip_admit, by VIP id), written by user space: when its ring
 * last changed, and its admission settings. Host byte order. */
struct siobpf_vip_admit {
	__u64 ring_changed; /* CLOCK_MONOTONIC_COARSE ns of the last ring swap; 0: never */
	__u32 admit_gap_ms; /* 0: SIOBPF_ADMIT_GAP_MS */
	__u32 prev_ring_ms; /* 0: SIOBPF_PREV_RING_MS */
	__u32 table_epoch;  /* folded into the VIP's table hash; renewed to forget its entries */
	__u32 pad;
};
_Static_assert(sizeof(struct siobpf_vip_admit) == 24, "siobpf_vip_admit layout");

/* Per-CPU admission counters per VIP (sio_admit_stats). */
struct siobpf_admit_stats {
	__u64 created;  /* probation entries made (a connection start with no entry) */
	__u64 admitted; /* probation entries promoted to the sticky table */
	__u64 deferred; /* probation hits too young to be promoted */
	__u64 refused;  /* no entry, not a connection start: no entry made */
	__u64 misses;   /* no live entry in either table: the ring decided */
	__u64 prev_ring;/* of those, decided by the previous ring */
	__u64 full;     /* a miss that would make an entry but found no slot to take */
	__u64 evicted;  /* probation slots taken by a newer client's entry */
	__u64 raced;    /* a slot write lost to another CPU's (the next packet tries again) */
};
_Static_assert(sizeof(struct siobpf_admit_stats) == 72, "siobpf_admit_stats layout");

/* The new-entry events (sio_events, a BPF ring buffer): one for every slot
 * the data path creates (kind SIOBPF_SLOT_PROBATION) and every promotion
 * it makes (SIOBPF_SLOT_PROTECTED), so that user space learns of new
 * entries without scanning the table. Written only while sio_node's events
 * switch is on; an event the ring has no room for is counted as lost and
 * the packet forwarded all the same.
 *
 * seen_ns is the data path's CLOCK_MONOTONIC_COARSE clock, which differs
 * from one machine to the next: a consumer turns it into wall-clock time
 * (or an age) and never publishes the raw value to other nodes. Host byte
 * order, but for the key's address and port (network order, as in the
 * table's hash). */
struct siobpf_entry_event {
	struct siobpf_sticky_key key; /* the full key: the table keeps only a fingerprint */
	__u32 backend_id;
	__u32 generation; /* the slot's bits of the backend's generation (SIOBPF_GEN_MASK) */
	__u32 kind;       /* SIOBPF_SLOT_PROBATION or SIOBPF_SLOT_PROTECTED (siobpf/table.h) */
	__u32 pad;
	__u64 seen_ns;    /* CLOCK_MONOTONIC_COARSE ns of the packet that made it */
};
_Static_assert(sizeof(struct siobpf_entry_event) == 48, "siobpf_entry_event layout");

/* sio_events' size: 1 MiB holds 18724 events (each 48 bytes behind the
 * ring's 8-byte record header). */
#define SIOBPF_EVENTS_BYTES (1u << 20)

/* sio_node's one entry: node-wide settings, written by user space (host
 * byte order; the program only reads it). */
struct siobpf_node {
	__u32 events; /* nonzero: write new-entry events (a consumer reads sio_events) */
	__u32 pad[15]; /* room for more settings; zero */
};
_Static_assert(sizeof(struct siobpf_node) == 64, "siobpf_node layout");

/* Per-CPU event counters (sio_ev_stats, one entry). */
struct siobpf_event_stats {
	__u64 written; /* events submitted to sio_events */
	__u64 lost;    /* events the ring had no room for (its consumer is behind) */
};
_Static_assert(sizeof(struct siobpf_event_stats) == 16, "siobpf_event_stats layout");

/* One slot of the VIP index; family 0 marks an empty slot. */
struct siobpf_vip_slot {
	struct siobpf_vip_key key;
	__u32 pad;
	struct siobpf_vip vip;
};
_Static_assert(sizeof(struct siobpf_vip_slot) == 56, "siobpf_vip_slot layout");

/* Per-CPU traffic counters, one per VIP and one per backend. */
struct siobpf_traffic {
	__u64 packets;
	__u64 bytes;
	__u64 new_sticky; /* sticky entries created (new or replaced) */
};
_Static_assert(sizeof(struct siobpf_traffic) == 24, "siobpf_traffic layout");

/* How the daemon checks a VIP's backends (siobpf run). */
enum siobpf_probe_kind {
	SIOBPF_PROBE_TCP = 0,      /* connect */
	SIOBPF_PROBE_HTTP = 1,     /* GET path, expect a status */
	SIOBPF_PROBE_SOCKETIO = 2, /* Engine.IO polling handshake */
	SIOBPF_PROBE_NONE = 3,     /* never probed: state is the operator's */
};

/* The request method of an http probe. */
enum siobpf_probe_method {
	SIOBPF_METHOD_GET = 0,
	SIOBPF_METHOD_HEAD = 1,
	SIOBPF_METHOD_OPTIONS = 2,
};

#define SIOBPF_PROBE_PATH_MAX 108

/* A VIP's settings that the data path does not read, kept in a pinned map
 * beside the rest so that the maps stay the single source of truth for
 * every siobpf process. Indexed by VIP id. Host byte order. */
struct siobpf_vip_config {
	__u32 interval_ms;
	__u32 timeout_ms;
	__u16 probe_port;   /* 0: the VIP's port */
	__u8 rise;
	__u8 fall;
	__u8 probe;         /* enum siobpf_probe_kind */
	__u8 in_use;
	__u16 http_status;  /* expected status of an http probe */
	__u8 probe_method;  /* enum siobpf_probe_method */
	__u8 pad[3];
	char probe_path[SIOBPF_PROBE_PATH_MAX]; /* NUL-terminated */
};
_Static_assert(sizeof(struct siobpf_vip_config) == 128, "siobpf_vip_config layout");

/* A field of siobpf_backend_config that takes the VIP's value. */
#define SIOBPF_PROBE_INHERIT 0xff

/* One backend's own probe settings, overriding its VIP's field by field
 * (user space only). Indexed by backend id, like the backend table; an
 * entry counts only while in_use is set and generation is the backend's,
 * so a reused id never inherits a removed backend's override. Zero in a
 * number field (and "" as the path) means "the VIP's". Host byte order. */
struct siobpf_backend_config {
	__u32 generation;   /* the backend generation this override was made for */
	__u32 interval_ms;
	__u32 timeout_ms;
	__u16 probe_port;
	__u16 http_status;
	__u8 rise;
	__u8 fall;
	__u8 probe;         /* enum siobpf_probe_kind, or SIOBPF_PROBE_INHERIT */
	__u8 probe_method;  /* enum siobpf_probe_method, or SIOBPF_PROBE_INHERIT */
	__u8 in_use;
	__u8 pad[3];
	char probe_path[SIOBPF_PROBE_PATH_MAX]; /* NUL-terminated */
	__u32 pad2;
	/* Layout 2: when a drain ends by itself (`backend set --state drain
	 * --drain-timeout`), as CLOCK_REALTIME seconds; 0: no deadline. It
	 * counts while it is not 0 and generation is the backend's, whatever
	 * in_use says (in_use is the probe override's alone: a deadline does
	 * not turn one on), and only while the backend drains: state drain, or
	 * down by its probe with SIOBPF_BACKEND_F_DRAINED. Every `backend set
	 * --state` rewrites it. */
	__u64 drain_deadline;
};
_Static_assert(sizeof(struct siobpf_backend_config) == 144, "siobpf_backend_config layout");

/* The egress interfaces the program may redirect to (sio_egress, a devmap
 * keyed and valued by ifindex): user space puts there every interface a
 * backend record names, before the record is installed. */
#ifndef SIOBPF_MAX_EGRESS
#define SIOBPF_MAX_EGRESS 64
#endif

/* Redirect failures of one egress interface, per CPU (sio_egress_err, keyed
 * by ifindex), counted by the tracing programs on the kernel's xdp
 * tracepoints: frames the program redirected that the kernel did not send. */
struct siobpf_egress_err {
	__u64 redirect_err; /* refused at once (xdp:xdp_redirect_err): no ndo_xdp_xmit,
			     * interface down, frame larger than its MTU, ... */
	__u64 xmit_drop;    /* dropped by the driver when the queue was flushed
			     * (xdp:xdp_devmap_xmit) */
	__u64 last_err;     /* -errno of the last failure (0: none) */
};
_Static_assert(sizeof(struct siobpf_egress_err) == 24, "siobpf_egress_err layout");

/* The packet the program redirected last on this CPU (sio_last): a redirect
 * that fails does so right after the program returns, on the same CPU, so
 * the tracing program takes it back out of the counters that counted it. */
struct siobpf_last_redirect {
	__u32 vip_id;
	__u32 backend_id;
	__u32 bytes;
	__u32 ifindex;     /* 0: the packet was not redirected (or was taken back) */
};
_Static_assert(sizeof(struct siobpf_last_redirect) == 16, "siobpf_last_redirect layout");

/* An interface siobpf is attached to (user space only). Keyed by ifindex. */
struct siobpf_iface {
	__u8 mode;   /* 1 native, 2 generic (XDP_MODE_*) */
	__u8 pad[7];
};
_Static_assert(sizeof(struct siobpf_iface) == 8, "siobpf_iface layout");

/* Why a packet got its verdict. One per-CPU counter each. The names in
 * siobpf_reason_names (user space) are part of the JSON interface. Never
 * renumbered: a migration copies the counters by index, so new reasons are
 * appended before SIOBPF_R_MAX. Which reasons drop is SIOBPF_R_DROPS. */
enum siobpf_reason {
	SIOBPF_R_TX = 0,           /* forwarded out of the ingress interface */
	SIOBPF_R_REDIRECT,         /* forwarded to another interface */
	SIOBPF_R_PASS_NOT_IP,      /* ARP and other non-IP frames */
	SIOBPF_R_PASS_VLAN_STACKED,/* more than one 802.1Q/802.1ad tag */
	SIOBPF_R_PASS_IPV6_EXT,    /* IPv6 routing, AH or mobility header, or a 5th extension header */
	SIOBPF_R_PASS_ICMP,        /* ICMP / ICMPv6 but errors about VIP flows */
	SIOBPF_R_PASS_OTHER_PROTO, /* neither TCP nor UDP */
	SIOBPF_R_PASS_NOT_VIP,     /* no VIP for this address, port, protocol */
	SIOBPF_R_DROP_BAD_L2,      /* truncated Ethernet or VLAN header */
	SIOBPF_R_DROP_BAD_IPV4,    /* truncated or inconsistent IPv4 header */
	SIOBPF_R_DROP_BAD_IPV6,    /* truncated or inconsistent IPv6 header */
	SIOBPF_R_DROP_BAD_L4,      /* truncated or inconsistent TCP/UDP header */
	SIOBPF_R_DROP_FRAGMENT,    /* no longer counted (kept for the counters' continuity) */
	SIOBPF_R_DROP_NO_BACKEND,  /* VIP with no backend in service */
	/* Appended, never renumbered: a migration copies counters by index. */
	SIOBPF_R_DROP_BAD_CSUM,    /* IPv4 header checksum wrong, frame for a VIP */
	SIOBPF_R_DROP_FRAG_UNKNOWN,/* later fragment of a datagram not seen to start, and its
				    * address has no single `ip` VIP of that protocol */
	SIOBPF_R_PASS_FRAG_STACK,  /* later fragment of a datagram whose first went to the stack */
	SIOBPF_R_DROP_NO_EGRESS,   /* backend's egress interface not in sio_egress */
	SIOBPF_R_REDIRECT_FAILED,  /* redirected, but the kernel could not send it
				    * (moved here from redirect by the tracing program) */
	SIOBPF_R_MAX,
};

/* The reasons whose packets are dropped; every other one passes, or is a
 * forward (tx, redirect). One bit per reason: one place says it. */
#define SIOBPF_R_DROPS                                                                    \
	((1u << SIOBPF_R_DROP_BAD_L2) | (1u << SIOBPF_R_DROP_BAD_IPV4) |                  \
	 (1u << SIOBPF_R_DROP_BAD_IPV6) | (1u << SIOBPF_R_DROP_BAD_L4) |                  \
	 (1u << SIOBPF_R_DROP_FRAGMENT) | (1u << SIOBPF_R_DROP_NO_BACKEND) |              \
	 (1u << SIOBPF_R_DROP_BAD_CSUM) | (1u << SIOBPF_R_DROP_FRAG_UNKNOWN) |            \
	 (1u << SIOBPF_R_DROP_NO_EGRESS))
_Static_assert(SIOBPF_R_MAX <= 32, "SIOBPF_R_DROPS has a bit for every reason");

#endif /* SIOBPF_ABI_H */

/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* An independent model of the XDP program's decision (docs/data-path.md):
 * raw frame bytes plus what it was told about the maps in, verdict out.
 * It shares no code with the program: not siobpf/decide.h, siobpf/hash.h
 * nor bpf/, but for the sticky table's placement (oracle.c calls
 * siobpf/table.h's key hash, bucket and victim functions, pure arithmetic;
 * what a slot means, when it is live, renewed or promoted, is its own).
 * Its inputs are its own reading of the map bytes, so a layout change shows
 * up as a disagreement, not as a silent agreement.
 */
#ifndef SIOBPF_TEST_ORACLE_H
#define SIOBPF_TEST_ORACLE_H

#include <stdint.h>

/* Reason counters by index, as docs/data-path.md numbers them. */
enum oracle_reason {
	OR_TX = 0,
	OR_REDIRECT,
	OR_PASS_NOT_IP,
	OR_PASS_VLAN_STACKED,
	OR_PASS_IPV6_EXT,
	OR_PASS_ICMP,
	OR_PASS_OTHER_PROTO,
	OR_PASS_NOT_VIP,
	OR_DROP_BAD_L2,
	OR_DROP_BAD_IPV4,
	OR_DROP_BAD_IPV6,
	OR_DROP_BAD_L4,
	OR_DROP_FRAGMENT, /* kept for counter continuity, never produced */
	OR_DROP_NO_BACKEND,
	OR_DROP_BAD_CSUM,
	OR_DROP_FRAG_UNKNOWN,
	OR_PASS_FRAG_STACK,
	OR_DROP_NO_EGRESS,
	OR_REDIRECT_FAILED, /* moved there by the tracing programs, never by a run */
	OR_REASONS,
};

/* XDP actions (linux/bpf.h numbers them the same). */
enum { OA_ABORTED = 0, OA_DROP = 1, OA_PASS = 2, OA_TX = 3, OA_REDIRECT = 4 };

const char *oracle_reason_name(int reason);
int oracle_reason_action(int reason); /* for every reason but TX/REDIRECT */

/* Map values as raw bytes, in the sizes docs/data-path.md gives. */
#define ORACLE_VIP_KEY_BYTES 20
#define ORACLE_VIP_BYTES 32
#define ORACLE_BACKEND_BYTES 48
#define ORACLE_STICKY_KEY_BYTES 24
#define ORACLE_BUCKET_SLOTS 8 /* a sticky table bucket: eight u64 slots */

/* A VIP as the oracle reads it from one entry of sio_vips. */
struct oracle_vip {
	uint8_t addr[16]; /* network order; IPv4 in the first 4 */
	uint16_t port;    /* host order */
	uint8_t proto, family;
	uint32_t id, persist_sec, seed;
	uint8_t mask[16];
	uint8_t sticky; /* 0 ip, 1 ip-port */
	uint8_t flags;  /* bit 0: a port-0 alias entry, not a VIP */
};

struct oracle_backend {
	uint8_t addr[16];
	uint8_t mac[6], src_mac[6];
	uint32_t ifindex, weight, generation, vip_id;
	uint8_t state; /* 0 up, 1 drain, 2 down */
	uint8_t family, in_use;
};

/* A VIP's admission record (sio_vip_admit's value, 24 bytes). */
#define ORACLE_ADMIT_BYTES 24
struct oracle_admit {
	uint64_t ring_changed; /* 0: never */
	uint32_t gap_ms, prev_ms; /* 0: the defaults */
	uint32_t epoch;        /* the VIP's sticky table epoch */
};

/* The admission counters (sio_admit_stats' value, nine u64), by index. */
enum { OC_CREATED, OC_ADMITTED, OC_DEFERRED, OC_REFUSED, OC_MISSES, OC_PREV_RING, OC_FULL, OC_EVICTED,
       OC_RACED, OC_N };
#define ORACLE_ADMIT_STATS_BYTES (8 * OC_N)

void oracle_vip_read(struct oracle_vip *v, const uint8_t *key,
		     const uint8_t *val);
void oracle_admit_read(struct oracle_admit *a, const uint8_t *val);
void oracle_backend_read(struct oracle_backend *b, const uint8_t *val);

/* The fragment table as the oracle expects the program to hold it. */
#define ORACLE_FRAG_BUCKETS (1u << 16)
#define ORACLE_FRAG_WAYS 4
struct oracle_frag_key {
	uint8_t family, proto, pad[2];
	uint32_t id;
	uint8_t src[16], dst[16];
};
struct oracle_frag {
	struct oracle_frag_key key;
	uint8_t used, stack;
	uint32_t vip_id, backend_id;
	uint64_t t0, t1; /* the recording frame ran between these times */
};

#define ORACLE_MAX_VIPS 64
#define ORACLE_MAX_VIP_IDS 256

struct oracle_world {
	struct oracle_vip vips[ORACLE_MAX_VIPS]; /* real VIPs (aliases left out) */
	int n_vips;
	const struct oracle_backend *backends; /* indexed by backend id */
	uint32_t n_backends;
	const uint32_t *rings[ORACLE_MAX_VIP_IDS]; /* by VIP id; NULL: no ring */
	const uint32_t *prev_rings[ORACLE_MAX_VIP_IDS]; /* sio_prev_rings; NULL: none */
	struct oracle_admit admit[ORACLE_MAX_VIP_IDS]; /* sio_vip_admit, by VIP id */
	uint32_t ring_size;
	uint32_t ingress_ifindex;
	uint32_t egress[16]; /* the interfaces in sio_egress */
	int n_egress;
	/* The sticky table (sio_sticky): its bucket mask, and one bucket's
	 * eight slots read from the map. */
	uint32_t sticky_mask;
	void (*bucket_get)(void *ctx, uint32_t bucket, uint64_t out[ORACLE_BUCKET_SLOTS]);
	void *ctx;
	/* Seconds a fragment entry surely lives / surely is gone. */
	uint64_t frag_live_ns, frag_gone_ns;
	struct oracle_frag *frags; /* ORACLE_FRAG_BUCKETS * ORACLE_FRAG_WAYS */
	uint64_t *frag_lossy;      /* per bucket: last time a live entry was pushed out */
};

/* Which of the fragment, length and checksum rules the decision went
 * through: the class a disagreement is put in. */
#define OF_CSUM 0x1  /* an IPv4 checksum was verified and was wrong */
#define OF_FRAG 0x2  /* an IPv4 or IPv6 fragment on the TCP/UDP path */
#define OF_V6EXT 0x4 /* IPv6 extension headers walked */
#define OF_L4LEN 0x8 /* L4 bounds by the datagram differ from the frame's */
#define OF_ICMP 0x10 /* an ICMP message (rules unchanged) */
#define OF_TRANSIT 0x20 /* a broken TCP/UDP header for no VIP address: passed */

enum oracle_sticky_effect {
	OS_NONE = 0,  /* the table is not touched */
	OS_LOOK,      /* read only: both buckets stay as they were */
	OS_HIT,       /* a live protected slot: renewed when `refresh` says */
	OS_PROBATION, /* a live probation slot, too young: left */
	OS_PROMOTE,   /* a live probation slot: made protected in place */
	OS_CREATE,    /* a miss that makes an entry: a probation slot written */
	OS_FULL,      /* the same, but no slot may be taken */
};

struct oracle_out {
	int action, reason;
	int64_t vip_id, backend_id; /* -1: none */
	int new_sticky;
	uint32_t flags;        /* OF_* */
	int ambiguous;         /* an age sat on a limit between t0 and t1 */
	int frag_exception;    /* forwarded by a fragment entry: state not looked at */
	int for_vip;           /* the destination is a VIP address (of that protocol),
				* or an ICMP error about a VIP flow */
	int family;            /* 4, 6, or 0 when no IP header was parsed */
	int fragment;          /* 0 none, 1 first, 2 later */
	uint8_t dst[16];       /* the destination address */
	/* Sticky side effect: the key's two buckets as read (home first),
	 * and the one slot of them written, if any. */
	int sticky;            /* enum oracle_sticky_effect */
	uint8_t key[ORACLE_STICKY_KEY_BYTES];
	uint32_t bucket[2];
	uint64_t seen[2 * ORACLE_BUCKET_SLOTS];
	int hit;               /* the live slot found (0-15), -1: none */
	int write_at;          /* the slot written (0-15), -1: none */
	uint64_t written;      /* its new value */
	int refresh;           /* OS_HIT: 0 no, 1 yes */
	int64_t admit_vip;     /* the VIP whose admission counters may move; -1 none */
	uint8_t admit[OC_N];   /* what each adds */
	int prev_ring;         /* decided by the previous ring */
	/* Fragment table write, applied by oracle_commit. */
	int frag_write;
	struct oracle_frag frag;
};

/* The decision for one frame run by the program between times t0 and t1
 * (CLOCK_MONOTONIC_COARSE ns). Does not change the world. */
void oracle_decide(const struct oracle_world *w, const uint8_t *frame, uint32_t len, uint64_t t0,
		   uint64_t t1, struct oracle_out *out);
/* Applies a decision's fragment table write. */
void oracle_commit(struct oracle_world *w, const struct oracle_out *out);

/* MurmurHash3, x86 32-bit variant, of a byte string. */
uint32_t oracle_murmur3_32(const uint8_t *data, uint32_t len, uint32_t seed);
/* The Internet checksum's folded ones' complement sum of len bytes. */
uint16_t oracle_ones_sum(const uint8_t *data, uint32_t len);

#endif /* SIOBPF_TEST_ORACLE_H */

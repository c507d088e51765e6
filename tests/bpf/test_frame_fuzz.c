// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Frame fuzz: millions of generated frames through the XDP program
 * (BPF_PROG_TEST_RUN, one frame per run) and through the independent oracle
 * (oracle.c, the rules of docs/data-path.md), which must agree on every one:
 * the XDP action, the reason counter the frame increments, the backend, the
 * output bytes (a forwarded frame differs from the input in its two MACs
 * only), the sticky entry it creates or refreshes, and the VIP and backend
 * counters. Independently of the oracle: XDP_ABORTED never; a forwarded
 * frame is for a VIP address and names a backend of a VIP of that address
 * that is in use and not down (but a later fragment of a datagram whose
 * first fragment was recorded finishes on that backend whatever its state).
 *
 * The fixture: eleven VIPs (IPv4 and IPv6, TCP and UDP, ip and ip-port,
 * prefixes, two VIPs on one address, one VIP without persistence, one
 * without any backend up, one whose ring still names backends that left
 * service, one with a 1 s persistence whose entries expire during the
 * run), backends up, drain, down and removed, some on another interface
 * (redirect), and planted sticky slots: live, expired, with a deadline
 * beyond the persistence, of an older generation, for a down, removed,
 * foreign or unknown backend;
 * probation entries of the same kinds, young (under the admission gap),
 * due (promoted by the next packet) and expired; previous rings inside
 * their window, outside it, and with no change time; a short admission gap
 * and one capped at half the persistence. TCP frames carry SYN (a
 * connection start), ACK, SYN-ACK or any flags. Frames are
 * mutations of fixture frames (truncation at random lengths, and sweeps
 * that cut one frame at every length; bit flips; length fields; padding;
 * VLAN stacks; IPv4 options; IPv6 extension chains), fragment trains in and
 * out of order, ICMP errors quoting random headers, and random bytes.
 *
 * State: the sticky table is small (FUZZ_TABLE_CLIENTS: 64 buckets of 8
 * slots for about 1600 keys), so inserts meet full buckets. The oracle reads
 * the frame's key's two buckets from the map before the frame runs (so it
 * follows what the program wrote, displacements included), places the key
 * with siobpf/table.h's hash and bucket functions, and says which one slot
 * of the sixteen the program writes and to what: a protected hit's renewal,
 * a promotion in place, a probation slot in the victim siobpf_table_victim
 * picks, none when the pair is full of held protected slots; after the run
 * every other slot of the pair must be as it was. The VIP's
 * admission counters (sio_admit_stats) are compared frame by frame, and
 * their totals at the end against the moves of the frames watched. The fragment table is
 * the oracle's own model of what the program must have recorded (an entry
 * is surely there for 1 s, surely gone after 60 s; a lookup in between is
 * "on a time limit"); each train's datagram id is new, so a train meets no
 * older entry. Planted entry ages are far from every limit, and a frame
 * whose decision would change between the clock reads before and after its
 * run is counted as "on a time limit" and not compared.
 *
 * A disagreement is put in the class of the rule (docs/data-path.md) its
 * frame went through, first match: checksum (an IPv4 header checksum that is wrong, for
 * an address with VIPs), fragment (IPv4 or IPv6 fragment, first or later),
 * ipv6-ext (IPv6 extension headers walked), l4-length (TCP/UDP bounds by
 * the datagram differ from those by the frame), l4-transit (a broken TCP/UDP
 * header for an address with no VIP: passed, no longer dropped); else
 * other. invariant: a rule above that holds whatever the oracle says.
 *
 * Environment:
 *   SIOBPF_FUZZ_SEED=N     replay a run (the seed is printed every run)
 *   SIOBPF_FUZZ_FRAMES=N   frames the program runs (default 2,000,000)
 * Every class fails the test. (Before the fragment, length and checksum
 * rules landed in the program, the classes they changed disagreed by the
 * hundred thousand: the counts are in the CHANGELOG.)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <linux/bpf.h>
#include <linux/in.h>

#include <cmocka.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "harness.h"
#include "oracle.h"

#define DEFAULT_FRAMES 2000000
#define FRAME_MAX 1024
#define SEC 1000000000ull
#define NO_BACKEND_ID 0xffffffffu
#define FUZZ_TABLE_CLIENTS 256 /* 64 buckets, 512 slots */

/* ---- random numbers (splitmix64: the whole run follows from the seed) ---- */

/* A real interface (sio_egress takes no other): the redirect backends'. */
static __u32 egress_ifindex;

static __u64 rng_state;

static __u64 rnd64(void)
{
	__u64 z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static __u32 rnd(__u32 n) /* 0..n-1 */
{
	return n ? (__u32)(rnd64() % n) : 0;
}

static int chance(int percent)
{
	return (int)rnd(100) < percent;
}

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (__u64)ts.tv_sec * SEC + (__u64)ts.tv_nsec;
}

/* ---- the fixture ---- */

struct vip_case {
	const char *addr;
	__u16 port;
	__u8 proto, sticky, prefix;
	__u32 persist; /* 0: the VIP keeps no sticky state */
	int kind;      /* how its backends are set up */
};

enum { VK_NORMAL, VK_NONE_UP, VK_STALE_RING };

#define N_VIPS 11
#define BACKENDS_PER_VIP 5
static const struct vip_case cases[N_VIPS] = {
	{"10.0.0.10", 80, IPPROTO_TCP, SIOBPF_STICKY_IP, 32, 600, VK_NORMAL},
	{"10.0.0.10", 443, IPPROTO_TCP, SIOBPF_STICKY_IP_PORT, 32, 600, VK_NORMAL},
	{"10.0.0.10", 53, IPPROTO_UDP, SIOBPF_STICKY_IP, 24, 600, VK_NORMAL},
	{"10.0.0.20", 4433, IPPROTO_UDP, SIOBPF_STICKY_IP_PORT, 32, 0, VK_NORMAL},
	{"10.0.0.30", 80, IPPROTO_TCP, SIOBPF_STICKY_IP, 32, 3600, VK_NONE_UP},
	{"2001:db8::10", 80, IPPROTO_TCP, SIOBPF_STICKY_IP, 64, 3600, VK_NORMAL},
	{"2001:db8::10", 443, IPPROTO_UDP, SIOBPF_STICKY_IP_PORT, 128, 600, VK_NORMAL},
	{"2001:db8::20", 80, IPPROTO_TCP, SIOBPF_STICKY_IP, 128, 600, VK_NORMAL},
	{"2001:db8::20", 8080, IPPROTO_TCP, SIOBPF_STICKY_IP, 56, 600, VK_NORMAL},
	{"10.0.0.40", 80, IPPROTO_TCP, SIOBPF_STICKY_IP, 32, 600, VK_STALE_RING},
	/* Entries it creates expire and are refreshed during the run: frames
	 * whose clock reads straddle a limit are not compared. */
	{"10.0.0.50", 80, IPPROTO_TCP, SIOBPF_STICKY_IP, 32, 1, VK_NORMAL},
};

/* Admission (docs/data-path.md §6.2-§6.4), per VIP: its previous ring,
 * kept by a ring change during the setup (PR_IN: the window lasts the
 * whole run, so packets that are not connection starts follow it; PR_OUT:
 * the change is long past; PR_NEVER: the ring is there but no change time
 * is), and its admission gap in ms (0: the default 1 s; 200: a short one;
 * 10^9: capped at half the persistence, so planted young entries stay
 * young for the whole run). The 1 s persistence VIP's gap is 0.5 s. */
enum { PR_NONE, PR_IN, PR_OUT, PR_NEVER };
static const int prev_kind[N_VIPS] = {PR_IN, PR_NONE, PR_IN, PR_IN, PR_NONE, PR_OUT,
				      PR_IN, PR_NEVER, PR_NONE, PR_NONE, PR_IN};
static const __u32 gap_ms[N_VIPS] = {0, 200, 0, 0, 0, 0, 0, 0, 1000000000u, 0, 0};

static __u64 gap_ns_of(int v)
{
	__u64 gap = (__u64)(gap_ms[v] ? gap_ms[v] : 1000u) * 1000000ull;
	__u64 half = (__u64)cases[v].persist * (SEC / 2);

	return gap < half ? gap : half;
}

static struct siobpf_vip vips[N_VIPS];
static __u8 vip_addr[N_VIPS][16];

#define N_CLIENTS 64
static __u8 clients4[N_CLIENTS][16], clients6[N_CLIENTS][16];
static const __u16 client_ports[8] = {1024, 1025, 40000, 50000, 60000, 80, 443, 65535};

static __u32 backend_id_of(int v, int i)
{
	return (__u32)(8 * (v + 1) + i);
}

static void put_backend_state(__u32 id, __u8 state, int in_use)
{
	struct siobpf_backend b;

	assert_int_equal(dataplane_backend_get(&test_dp, id, &b), 0);
	b.state = state;
	b.in_use = (__u8)in_use;
	assert_int_equal(dataplane_backend_put(&test_dp, id, &b), 0);
}

static void setup_vips(void)
{
	for (int v = 0; v < N_VIPS; v++) {
		const struct vip_case *c = &cases[v];
		int family = strchr(c->addr, ':') ? 6 : 4;

		vip_add(&(struct vip_spec){.addr = c->addr, .port = c->port, .proto = c->proto,
					   .id = (__u32)v + 1, .sticky = c->sticky, .prefix = c->prefix,
					   .persist_sec = c->persist ? c->persist : 1, .seed = 1000u + (__u32)v * 77},
			&vips[v]);
		if (!c->persist) { /* vip_add reads 0 as its default: set 0 itself */
			struct siobpf_vip_key key = {0};

			inet_pton(family == 6 ? AF_INET6 : AF_INET, c->addr, key.addr);
			key.port = htons(c->port);
			key.proto = c->proto;
			key.family = (__u8)family;
			vips[v].persist_sec = 0;
			assert_int_equal(dataplane_vip_put(&test_dp, &key, &vips[v]), 0);
			assert_int_equal(dataplane_vips_publish(&test_dp), 0);
		}
		inet_pton(family == 6 ? AF_INET6 : AF_INET, c->addr, vip_addr[v]);

		for (int i = 0; i < BACKENDS_PER_VIP; i++) {
			char addr[64];
			__u32 id = backend_id_of(v, i);

			if (family == 4)
				snprintf(addr, sizeof(addr), "10.1.%d.%d", v, i + 1);
			else
				snprintf(addr, sizeof(addr), "2001:db8:1:%d::%d", v, i + 1);
			backend_add(&vips[v], id, addr, 1 + (__u32)i * 2);
			if (i == 1) { /* on another interface: redirect, not tx */
				struct siobpf_backend b;

				assert_int_equal(dataplane_backend_get(&test_dp, id, &b), 0);
				b.ifindex = egress_ifindex;
				assert_int_equal(dataplane_backend_put(&test_dp, id, &b), 0);
			}
		}
		/* The ring is built with every backend up, then they leave
		 * service: a stale ring, or (rebuilt below) a previous ring that
		 * names backends drain, down and removed. */
		if (c->kind == VK_STALE_RING || prev_kind[v] != PR_NONE)
			ring_rebuild(&vips[v]);
		/* 0, 1 up; 2 drain; 3 down; 4 removed (in_use 0). */
		put_backend_state(backend_id_of(v, 2), SIOBPF_BACKEND_DRAIN, 1);
		put_backend_state(backend_id_of(v, 3), SIOBPF_BACKEND_DOWN, 1);
		put_backend_state(backend_id_of(v, 4), SIOBPF_BACKEND_UP, 0);
		if (c->kind == VK_NONE_UP) {
			put_backend_state(backend_id_of(v, 0), SIOBPF_BACKEND_DRAIN, 1);
			put_backend_state(backend_id_of(v, 1), SIOBPF_BACKEND_DOWN, 1);
		}
		if (c->kind == VK_STALE_RING)
			put_backend_state(backend_id_of(v, 1), SIOBPF_BACKEND_DOWN, 1);
		else
			ring_rebuild(&vips[v]);
		{
			struct siobpf_vip_admit admit;

			assert_int_equal(dataplane_vip_admit_get(&test_dp, vips[v].id, &admit), 0);
			if (prev_kind[v] != PR_NONE) /* the rebuild kept the ring before it */
				assert_int_not_equal(admit.ring_changed, 0);
			admit.admit_gap_ms = gap_ms[v];
			if (prev_kind[v] == PR_IN)
				admit.prev_ring_ms = 3600 * 1000;
			else if (prev_kind[v] == PR_OUT)
				admit.ring_changed -= 1000 * SEC; /* the default 5 s window long over */
			else if (prev_kind[v] == PR_NEVER)
				admit.ring_changed = 0;
			assert_int_equal(dataplane_vip_admit_put(&test_dp, vips[v].id, &admit), 0);
		}
	}
}

static void setup_clients(void)
{
	for (int i = 0; i < N_CLIENTS; i++) {
		char a[64];

		snprintf(a, sizeof(a), "%s.%d", i < 32 ? "192.0.2" : i < 48 ? "198.51.100" : "203.0.113",
			 1 + i % 32);
		inet_pton(AF_INET, a, clients4[i]);
		snprintf(a, sizeof(a), "2001:db8:c:%x:%x::%x", i % 4, i / 32, 1 + i % 16);
		inet_pton(AF_INET6, a, clients6[i]);
	}
}

static void sticky_key_of(int v, const __u8 *src, __u16 port_be, struct siobpf_sticky_key *key)
{
	const struct siobpf_vip *vip = &vips[v];

	memset(key, 0, sizeof(*key));
	key->vip_id = vip->id;
	memcpy(key->addr, src, strchr(cases[v].addr, ':') ? 16 : 4);
	for (int w = 0; w < 4; w++)
		key->addr[w] &= vip->mask[w];
	if (vip->sticky == SIOBPF_STICKY_IP_PORT)
		key->port = port_be;
}

/* A slot for key as user space writes it (sticky_table_put): backend id,
 * generation and kind, last seen at last_seen (its deadline: that plus the
 * VIP's persistence, in time units). 1 when written, 0 when the key's
 * buckets had no room (the table is small: the run fills it). */
static int plant_slot(int v, const struct siobpf_sticky_key *key, __u32 backend, __u32 gen, __u32 kind,
		      __u64 last_seen)
{
	static struct siobpf_backend table[SIOBPF_MAX_BACKENDS];
	static int have;
	int err;

	if (!have) {
		assert_int_equal(dataplane_backends_read(&test_dp, table), 0);
		have = 1;
	}
	err = sticky_table_put(&test_dp.sticky, &vips[v], dataplane_vip_epoch(&test_dp, vips[v].id), table, key,
			       backend, gen, kind,
			       siobpf_time_units(last_seen) + siobpf_persist_units(vips[v].persist_sec),
			       siobpf_time_units(now_ns()), 0);
	assert_true(err == 0 || err == -ENOSPC || err == -EEXIST);
	return err == 0;
}

/* Entries for about 70% of the clients (and client ports), of every kind the
 * program must honour or ignore. Live ones are 10 to 300 s old, expired
 * ones 1000 s past their persistence, and some have a deadline beyond
 * their persistence (as after a persistence lowered): no age nears a limit
 * during the run. */
static int plant_entries(void)
{
	__u64 now = now_ns();
	int planted = 0;

	for (int v = 0; v < N_VIPS; v++) {
		int family = strchr(cases[v].addr, ':') ? 6 : 4;
		int ports = vips[v].sticky == SIOBPF_STICKY_IP_PORT ? 8 : 1;

		if (!cases[v].persist)
			continue;
		for (int c = 0; c < N_CLIENTS; c++)
			for (int p = 0; p < ports; p++) {
				struct siobpf_sticky_key key;
				__u32 pick = rnd(10), backend, gen = 1;
				__u64 last_seen;

				if (chance(30))
					continue;
				sticky_key_of(v, family == 4 ? clients4[c] : clients6[c], htons(client_ports[p]), &key);
				backend = pick < 5 ? backend_id_of(v, (int)pick)
					  : pick == 5 ? backend_id_of((v + 1) % N_VIPS, 0) /* another VIP's */
					  : pick == 6 ? 4000 /* no record */
					  : pick == 7 ? SIOBPF_MAX_BACKENDS - 1 /* the last id, no record */
					  : backend_id_of(v, (int)rnd(3));
				if (chance(15))
					gen = 2; /* made for an earlier holder of the id */
				last_seen = now - (10 + rnd(290)) * SEC;
				if (chance(25))
					last_seen = now - (cases[v].persist + 1000ull) * SEC;
				else if (chance(4)) /* a deadline 1000 s beyond its persistence */
					last_seen = now + 1000 * SEC;
				planted += plant_slot(v, &key, backend, gen, SIOBPF_SLOT_PROTECTED, last_seen);
			}
	}
	return planted;
}

/* Probation entries for about 40% of the clients, beside the sticky ones
 * or not: young (under the admission gap: deferred), due (promoted by the
 * client's next packet), expired, from the future, and for every kind of
 * backend the sticky entries have. With a 1 s gap, young ones come due in
 * the first second; the long-gap VIP's stay young. */
static int plant_probation(void)
{
	__u64 now = now_ns();
	int planted = 0;

	for (int v = 0; v < N_VIPS; v++) {
		int family = strchr(cases[v].addr, ':') ? 6 : 4;
		int ports = vips[v].sticky == SIOBPF_STICKY_IP_PORT ? 8 : 1;
		__u64 gap = gap_ns_of(v), persist = (__u64)cases[v].persist * SEC;

		if (cases[v].persist < 600)
			continue;
		for (int c = 0; c < N_CLIENTS; c++)
			for (int p = 0; p < ports; p++) {
				struct siobpf_sticky_key key;
				__u32 pick = rnd(10), age = rnd(100), backend, gen = 1;
				__u64 last_seen;

				if (!chance(40))
					continue;
				sticky_key_of(v, family == 4 ? clients4[c] : clients6[c], htons(client_ports[p]), &key);
				backend = pick < 5 ? backend_id_of(v, (int)pick)
					  : pick == 5 ? backend_id_of((v + 1) % N_VIPS, 0)
					  : pick == 6 ? 4000
					  : backend_id_of(v, (int)rnd(2));
				if (chance(10))
					gen = 2;
				if (age < 30) /* young */
					last_seen = now - (gap >= 60 * SEC ? SEC + rnd((__u32)(gap / SEC - 30)) * SEC
									   : gap / 4);
				else if (age < 75) /* due */
					last_seen = now - gap - 10 * SEC -
						    rnd((__u32)((persist - gap) / SEC - 20)) * SEC;
				else if (age < 95) /* expired */
					last_seen = now - persist - 1000 * SEC;
				else /* a deadline beyond its persistence: age 0, young */
					last_seen = now + 1000 * SEC;
				planted += plant_slot(v, &key, backend, gen, SIOBPF_SLOT_PROBATION, last_seen);
			}
	}
	return planted;
}

/* ---- the oracle's world, read from the maps ---- */

static struct oracle_world world;
static struct oracle_backend obackends[SIOBPF_MAX_BACKENDS];
static __u32 rings[N_VIPS][SIOBPF_RING_SIZE], prev_rings[N_VIPS][SIOBPF_RING_SIZE];

/* The frame's pre-run reads of the sticky table's buckets, replayed to the
 * second decision. */
struct bucket_read {
	__u32 bucket;
	__u64 slot[ORACLE_BUCKET_SLOTS];
};
static struct bucket_read reads[4];
static int n_reads, replaying;

static void bucket_get(void *ctx, uint32_t bucket, uint64_t out[ORACLE_BUCKET_SLOTS])
{
	(void)ctx;
	if (replaying) {
		for (int i = 0; i < n_reads; i++)
			if (reads[i].bucket == bucket) {
				memcpy(out, reads[i].slot, sizeof(reads[i].slot));
				return;
			}
		fail_msg("the oracle read a sticky bucket after the run that it had not read before");
	}
	assert_true(n_reads < 4);
	assert_true(bucket < test_dp.sticky.nbuckets);
	reads[n_reads].bucket = bucket;
	for (int i = 0; i < ORACLE_BUCKET_SLOTS; i++)
		reads[n_reads].slot[i] = __atomic_load_n(&test_dp.sticky.buckets[bucket].slot[i], __ATOMIC_ACQUIRE);
	memcpy(out, reads[n_reads].slot, sizeof(reads[n_reads].slot));
	n_reads++;
}

/* The oracle's view of sio_egress: its keys. */
static void egress_read(void)
{
	__u32 key, next, *prev = NULL;

	world.n_egress = 0;
	while (!bpf_map_get_next_key(test_dp.egress_fd, prev, &next)) {
		assert_true(world.n_egress < 16);
		world.egress[world.n_egress++] = next;
		key = next;
		prev = &key;
	}
}

static void world_load(void)
{
	static struct siobpf_backend table[SIOBPF_MAX_BACKENDS];
	__u8 key[ORACLE_VIP_KEY_BYTES], next[ORACLE_VIP_KEY_BYTES], val[ORACLE_VIP_BYTES];
	void *prev = NULL;

	_Static_assert(sizeof(struct siobpf_vip_key) == ORACLE_VIP_KEY_BYTES, "VIP key bytes");
	_Static_assert(sizeof(struct siobpf_vip) == ORACLE_VIP_BYTES, "VIP bytes");
	_Static_assert(sizeof(struct siobpf_backend) == ORACLE_BACKEND_BYTES, "backend bytes");
	_Static_assert(sizeof(struct siobpf_bucket) == 8 * ORACLE_BUCKET_SLOTS, "sticky bucket bytes");
	_Static_assert(sizeof(struct siobpf_vip_admit) == ORACLE_ADMIT_BYTES, "admission record bytes");
	_Static_assert(sizeof(struct siobpf_admit_stats) == ORACLE_ADMIT_STATS_BYTES, "admission counter bytes");

	world.n_vips = 0;
	while (!bpf_map_get_next_key(test_dp.vips_fd, prev, next)) {
		memcpy(key, next, sizeof(key));
		prev = key;
		assert_int_equal(bpf_map_lookup_elem(test_dp.vips_fd, key, val), 0);
		assert_true(world.n_vips < ORACLE_MAX_VIPS);
		oracle_vip_read(&world.vips[world.n_vips], key, val);
		if (!(world.vips[world.n_vips].flags & 1)) /* an alias is not a VIP */
			world.n_vips++;
	}
	assert_int_equal(world.n_vips, N_VIPS);

	assert_int_equal(dataplane_backends_read(&test_dp, table), 0);
	for (int i = 0; i < SIOBPF_MAX_BACKENDS; i++)
		oracle_backend_read(&obackends[i], (const __u8 *)&table[i]);
	world.backends = obackends;
	world.n_backends = SIOBPF_MAX_BACKENDS;
	for (int v = 0; v < N_VIPS; v++) {
		assert_int_equal(dataplane_ring_read(&test_dp, vips[v].id, rings[v]), 0);
		world.rings[vips[v].id] = rings[v];
		/* The previous ring and the admission record, as bytes. */
		{
			__u8 admit[ORACLE_ADMIT_BYTES];
			__u32 id = vips[v].id;
			int err = dataplane_prev_ring_read(&test_dp, id, prev_rings[v]);

			assert_true(err == 0 || err == -ENOENT);
			world.prev_rings[id] = err ? NULL : prev_rings[v];
			assert_int_equal(bpf_map_lookup_elem(test_dp.vip_admit_fd, &id, admit), 0);
			oracle_admit_read(&world.admit[id], admit);
		}
	}
	world.ring_size = SIOBPF_RING_SIZE;
	world.ingress_ifindex = 1; /* a test run's ingress is lo */
	egress_read();
	world.sticky_mask = test_dp.sticky.mask;
	world.bucket_get = bucket_get;
	world.frag_live_ns = 1 * SEC;
	world.frag_gone_ns = 60 * SEC;
	world.frags = calloc(ORACLE_FRAG_BUCKETS * ORACLE_FRAG_WAYS, sizeof(*world.frags));
	world.frag_lossy = calloc(ORACLE_FRAG_BUCKETS, sizeof(*world.frag_lossy));
	assert_non_null(world.frags);
	assert_non_null(world.frag_lossy);
}

/* ---- frames ---- */

struct frame {
	__u8 b[FRAME_MAX];
	__u32 len;
	const char *origin;
};

static void put16(__u8 *p, __u16 v)
{
	p[0] = (__u8)(v >> 8);
	p[1] = (__u8)v;
}

static __u16 get16(const __u8 *p)
{
	return (__u16)(p[0] << 8 | p[1]);
}

static void ipv4_checksum_set(__u8 *ip, __u32 hlen)
{
	__u16 sum;

	ip[10] = ip[11] = 0;
	sum = (__u16)~oracle_ones_sum(ip, hlen);
	put16(ip + 10, sum);
}

/* Where the IP header of a frame starts, if its L2 says IP: 0 otherwise. */
static __u32 l3_of(const struct frame *f, int *family)
{
	__u32 off = 14;
	__u16 type;

	if (f->len < 14)
		return 0;
	type = get16(f->b + 12);
	if (type == 0x8100 || type == 0x88a8) {
		if (f->len < 18)
			return 0;
		type = get16(f->b + 16);
		off = 18;
	}
	*family = type == 0x0800 ? 4 : type == 0x86dd ? 6 : 0;
	return *family ? off : 0;
}

static void fix_ipv4_checksum(struct frame *f)
{
	int family = 0;
	__u32 l3 = l3_of(f, &family), hlen;

	if (!l3 || family != 4 || l3 + 20 > f->len)
		return;
	hlen = (f->b[l3] & 15u) * 4;
	if (hlen >= 20 && l3 + hlen <= f->len)
		ipv4_checksum_set(f->b + l3, hlen);
}

static __u32 put_eth(__u8 *b, __u16 type, int tags)
{
	static const __u8 dst[6] = {0x02, 0x1b, 0, 0, 0, 1}, src[6] = {0x02, 0xc1, 0, 0, 0, 1};
	__u32 off = 12;

	memcpy(b, dst, 6);
	memcpy(b + 6, src, 6);
	for (int t = 0; t < tags; t++) {
		put16(b + off, t == 0 && chance(70) ? 0x8100 : 0x88a8);
		put16(b + off + 2, (__u16)rnd(4096));
		off += 4;
	}
	put16(b + off, type);
	return off + 2;
}

/* A TCP or UDP header and payload at b; returns their length. */
static __u32 put_l4(__u8 *b, __u8 proto, __u16 sport, __u16 dport, __u32 payload)
{
	__u32 hl = 8;

	if (proto == IPPROTO_TCP) {
		__u32 opt_words = chance(20) ? rnd(11) : 0;

		hl = 20 + 4 * opt_words;
		memset(b, 0, hl);
		put16(b, sport);
		put16(b + 2, dport);
		b[12] = (__u8)((hl / 4) << 4);
		{ /* SYN (a connection start), ACK, SYN-ACK, or any flags */
			__u32 r = rnd(100);

			b[13] = r < 40 ? 0x02 : r < 70 ? 0x10 : r < 80 ? 0x12 : (__u8)rnd(256);
		}
		put16(b + 14, 65535);
		for (__u32 i = 20; i < hl; i++)
			b[i] = 1; /* NOP */
	} else {
		put16(b, sport);
		put16(b + 2, dport);
		put16(b + 4, (__u16)(8 + payload));
		b[6] = b[7] = 0;
	}
	for (__u32 i = 0; i < payload; i++)
		b[hl + i] = (__u8)rnd(256);
	return hl + payload;
}

/* The IPv6 extension headers a frame may carry before its upper header. */
static __u32 put_ipv6_exts(__u8 *b, __u8 *first_next, __u8 upper, int n)
{
	static const __u8 kinds[] = {0, 60, 60, 44, 43, 51};
	__u8 *prev_next = first_next;
	__u32 off = 0;

	for (int i = 0; i < n; i++) {
		__u8 kind = i == 0 && chance(50) ? 0 : kinds[rnd(chance(90) ? 4 : 6)];
		__u32 hl = kind == 44 ? 8 : (rnd(3) + 1) * 8;

		*prev_next = kind;
		memset(b + off, 0, hl);
		if (kind == 44) { /* an atomic fragment: offset 0, no more */
			put16(b + off + 2, 0);
			memcpy(b + off + 4, &(__u32){(__u32)rnd64()}, 4);
		} else {
			b[off + 1] = (__u8)(hl / 8 - 1);
			b[off + 2] = 1; /* PadN */
			b[off + 3] = (__u8)(hl - 4);
		}
		prev_next = b + off;
		off += hl;
	}
	*prev_next = upper;
	return off;
}

struct flow {
	int family;
	__u8 src[16], dst[16];
	__u8 proto;
	__u16 sport, dport;
};

static void random_flow(struct flow *fl)
{
	int v = (int)rnd(N_VIPS);
	int c = (int)rnd(N_CLIENTS);

	memset(fl, 0, sizeof(*fl));
	fl->family = strchr(cases[v].addr, ':') ? 6 : 4;
	if (chance(5)) /* the other family's VIP address under this header */
		fl->family = 10 - fl->family;
	memcpy(fl->src, fl->family == 4 ? clients4[c] : clients6[c], 16);
	if (chance(8))
		for (int i = 0; i < 16; i++)
			fl->src[i] = (__u8)rnd(256);
	memcpy(fl->dst, vip_addr[v], 16);
	if (chance(10)) { /* near a VIP: the last byte changed */
		fl->dst[fl->family == 4 ? 3 : 15] ^= (__u8)(1 + rnd(255));
	}
	fl->proto = chance(90) ? cases[v].proto : cases[v].proto == IPPROTO_TCP ? IPPROTO_UDP : IPPROTO_TCP;
	fl->sport = client_ports[rnd(8)];
	if (chance(5))
		fl->sport = (__u16)rnd(65536);
	fl->dport = cases[v].port;
	if (chance(20)) {
		__u32 r = rnd(4);

		fl->dport = r == 0 ? 0 : r == 1 ? cases[rnd(N_VIPS)].port : (__u16)rnd(65536);
	}
}

/* An IP datagram of a flow, from its IP header on, into b; returns its
 * length and sets *l4 to its L4 header's offset. No fragment bits. */
static __u32 put_datagram(__u8 *b, const struct flow *fl, __u32 payload, int v4_opts, int v6_exts,
			  __u32 *l4)
{
	__u32 hl, l4len;

	if (fl->family == 4) {
		hl = 20 + 4 * (__u32)v4_opts;
		memset(b, 0, hl);
		b[0] = (__u8)(0x40 | (hl / 4));
		put16(b + 4, (__u16)rnd(65536));
		b[8] = 64;
		b[9] = fl->proto;
		memcpy(b + 12, fl->src, 4);
		memcpy(b + 16, fl->dst, 4);
		for (__u32 i = 20; i < hl; i++)
			b[i] = chance(90) ? 1 : (__u8)rnd(256);
		l4len = put_l4(b + hl, fl->proto, fl->sport, fl->dport, payload);
		put16(b + 2, (__u16)(hl + l4len));
		ipv4_checksum_set(b, hl);
	} else {
		memset(b, 0, 40);
		b[0] = 0x60;
		b[7] = 64;
		memcpy(b + 8, fl->src, 16);
		memcpy(b + 24, fl->dst, 16);
		hl = 40 + put_ipv6_exts(b + 40, b + 6, fl->proto, v6_exts);
		l4len = put_l4(b + hl, fl->proto, fl->sport, fl->dport, payload);
		put16(b + 4, (__u16)(hl - 40 + l4len));
	}
	*l4 = hl;
	return hl + l4len;
}

static void fixture_frame(struct frame *f)
{
	struct flow fl;
	__u32 l3, l4;
	int v4_opts = chance(15) ? (int)rnd(11) : 0;
	int v6_exts = chance(15) ? 1 + (int)rnd(5) : 0;

	random_flow(&fl);
	l3 = put_eth(f->b, fl.family == 4 ? 0x0800 : 0x86dd, chance(20));
	f->len = l3 + put_datagram(f->b + l3, &fl, chance(50) ? rnd(16) : rnd(200), v4_opts, v6_exts, &l4);
	f->origin = v6_exts ? "fixture, IPv6 extension headers" : v4_opts ? "fixture, IPv4 options" : "fixture";
}

/* ICMP errors: the quoted packet is a backend's reply (VIP -> client). */
static void icmp_frame(struct frame *f)
{
	struct flow fl, reply;
	__u8 quote[600];
	__u32 l3, ql4, qlen, hl, msg, ext;
	__u8 *ip, *icmp;

	random_flow(&fl);
	reply = fl;
	memcpy(reply.src, fl.dst, 16);
	memcpy(reply.dst, fl.src, 16);
	reply.sport = fl.dport;
	reply.dport = fl.sport;
	qlen = put_datagram(quote, &reply, rnd(40), chance(10) ? (int)rnd(4) : 0, 0, &ql4);
	if (fl.family == 4 && chance(10)) { /* the reply was a fragment */
		put16(quote + 6, (__u16)(chance(50) ? 0x2000 : rnd(0x2000)));
		ipv4_checksum_set(quote, ql4);
	}
	if (chance(40))
		qlen = rnd(qlen + 1);
	for (int n = chance(20) ? 1 + (int)rnd(3) : 0; n > 0 && qlen; n--)
		quote[rnd(qlen)] ^= (__u8)(1u << rnd(8));

	l3 = put_eth(f->b, fl.family == 4 ? 0x0800 : 0x86dd, chance(15));
	ip = f->b + l3;
	/* IPv6: now and then a Destination Options header before the ICMPv6. */
	ext = fl.family == 6 && chance(10) ? 8 : 0;
	hl = fl.family == 4 ? 20 : 40 + ext;
	msg = 8 + qlen;
	memset(ip, 0, hl + 8);
	icmp = ip + hl;
	if (fl.family == 4) {
		static const __u8 router[4] = {198, 18, 0, 1};

		ip[0] = 0x45;
		put16(ip + 2, (__u16)(hl + msg));
		ip[8] = 64;
		ip[9] = chance(97) ? IPPROTO_ICMP : IPPROTO_ICMPV6;
		memcpy(ip + 12, router, 4);
		memcpy(ip + 16, fl.dst, 4);
		icmp[0] = chance(80) ? 3 : (__u8)rnd(20);
		icmp[1] = chance(80) ? 4 : (__u8)rnd(16);
		put16(icmp + 6, 1400);
		if (chance(5))
			put16(ip + 6, (__u16)(chance(50) ? 0x2000 : 1 + rnd(0x1fff)));
		ipv4_checksum_set(ip, hl);
	} else {
		ip[0] = 0x60;
		put16(ip + 4, (__u16)(ext + msg));
		ip[6] = chance(97) ? IPPROTO_ICMPV6 : IPPROTO_ICMP;
		if (ext) {
			ip[40] = ip[6];
			ip[6] = 60;
			ip[42] = 1; /* PadN */
			ip[43] = 4;
		}
		ip[7] = 64;
		ip[8] = 0x20;
		ip[9] = 0x01;
		ip[23] = 1;
		memcpy(ip + 24, fl.dst, 16);
		icmp[0] = chance(80) ? 2 : (__u8)rnd(160);
		put16(icmp + 6, 1280);
	}
	memcpy(icmp + 8, quote, qlen);
	put16(icmp + 2, (__u16)~oracle_ones_sum(icmp, msg));
	f->len = l3 + hl + msg;
	f->origin = "ICMP error";
}

static void random_frame(struct frame *f)
{
	f->len = rnd(chance(10) ? 14 : 200);
	for (__u32 i = 0; i < f->len; i++)
		f->b[i] = (__u8)rnd(256);
	if (f->len >= 15 && chance(60)) {
		int v6 = chance(50);

		put16(f->b + 12, v6 ? 0x86dd : 0x0800);
		f->b[14] = (__u8)((v6 ? 0x60 : 0x45) | (f->b[14] & (v6 ? 0x0f : 0)));
	}
	f->origin = "random bytes";
}

/* Fragment trains: a datagram cut into fragments, sent in order, reversed
 * or shuffled, with some lost or repeated. Each train's datagram id is new,
 * so its fragments meet no older table entry. */
#define TRAIN_MAX 24
static struct frame train[TRAIN_MAX];
static int train_len, train_next;
static __u32 datagram_ids;

static void fragment_train(void)
{
	struct flow fl;
	__u8 dg[700];
	__u32 l4, len, hl, l2, pos, n = 0;
	int v6;

	random_flow(&fl);
	v6 = fl.family == 6;
	len = put_datagram(dg, &fl, 16 + rnd(300), !v6 && chance(10) ? (int)rnd(4) : 0,
			   v6 && chance(20) ? 1 : 0, &l4);
	hl = l4; /* the unfragmentable part (IPv6: header and its extensions) */
	datagram_ids++;
	pos = hl;
	while (pos < len && n < TRAIN_MAX) {
		struct frame *f = &train[n++];
		__u32 chunk = 8 * (1 + rnd(chance(20) ? 2 : 10));
		int last;
		__u8 *ip;

		if (pos == hl && chance(85)) /* the first holds the L4 header */
			while (chunk < (fl.proto == IPPROTO_TCP ? 20u : 8u))
				chunk += 8;
		last = pos + chunk >= len;
		if (last)
			chunk = len - pos;
		l2 = put_eth(f->b, v6 ? 0x86dd : 0x0800, chance(10));
		ip = f->b + l2;
		memcpy(ip, dg, hl);
		if (!v6) {
			__u16 fo = (__u16)((pos - hl) / 8);

			memcpy(ip + hl, dg + pos, chunk);
			put16(ip + 2, (__u16)(hl + chunk));
			put16(ip + 4, (__u16)(datagram_ids * 7919u));
			put16(ip + 6, (__u16)(fo | (last ? 0 : 0x2000)));
			ipv4_checksum_set(ip, hl);
			f->len = l2 + hl + chunk;
		} else {
			/* The Fragment header goes after the extension headers
			 * and before the upper header: the last next-header
			 * field of the unfragmentable part points to it. */
			__u8 *fh = ip + hl, *nextp = ip + 6;
			__u32 at = 40;

			while (at < hl) {
				nextp = ip + at;
				at += ip[at] == 44 ? 8 : (ip[at + 1] + 1u) * 8;
				if (at > hl)
					break;
			}
			fh[0] = *nextp;
			fh[1] = 0;
			*nextp = 44;
			put16(fh + 2, (__u16)(((pos - hl) / 8) << 3 | (last ? 0 : 1)));
			fh[4] = (__u8)(datagram_ids >> 24);
			fh[5] = (__u8)(datagram_ids >> 16);
			fh[6] = (__u8)(datagram_ids >> 8);
			fh[7] = (__u8)datagram_ids;
			memcpy(fh + 8, dg + pos, chunk);
			put16(ip + 4, (__u16)(hl - 40 + 8 + chunk));
			f->len = l2 + hl + 8 + chunk;
		}
		f->origin = pos == hl ? "fragment train, first" : "fragment train, later";
		pos += chunk;
	}
	train_len = (int)n;
	if (chance(20)) { /* reversed: later ones before the first */
		for (int i = 0; i < train_len / 2; i++) {
			struct frame t = train[i];

			train[i] = train[train_len - 1 - i];
			train[train_len - 1 - i] = t;
		}
	} else if (chance(25)) {
		for (int i = train_len - 1; i > 0; i--) {
			int j = (int)rnd((__u32)i + 1);
			struct frame t = train[i];

			train[i] = train[j];
			train[j] = t;
		}
	}
	if (train_len > 2 && chance(10)) /* one lost */
		train[rnd((__u32)train_len)].len = 0;
	if (train_len < TRAIN_MAX && chance(10)) { /* one repeated */
		train[train_len] = train[rnd((__u32)train_len)];
		train_len++;
	}
	train_next = 0;
}

/* Mutations of a well-formed frame. */
static void mutate(struct frame *f)
{
	int family = 0;
	__u32 l3 = l3_of(f, &family), r = rnd(100);

	if (r < 45)
		return;
	if (r < 57) {
		f->len = rnd(f->len + 1);
		f->origin = "truncated";
	} else if (r < 72) {
		for (int n = 1 + (int)rnd(4); n > 0 && f->len; n--)
			f->b[rnd(f->len)] ^= (__u8)(1u << rnd(8));
		f->origin = "bit flips";
		if (chance(50)) {
			fix_ipv4_checksum(f);
			f->origin = "bit flips, checksum fixed";
		}
	} else if (r < 82 && l3) {
		__u8 *ip = f->b + l3;
		__u16 val = chance(50) ? (__u16)rnd(65536) : (__u16)(rnd(80));

		if (family == 4 && l3 + 20 <= f->len) {
			__u32 hl = (ip[0] & 15u) * 4;

			if (chance(40) && l3 + hl + 6 <= f->len && ip[9] == IPPROTO_UDP)
				put16(ip + hl + 4, val);
			else if (chance(30))
				ip[0] = (__u8)(0x40 | rnd(16));
			else
				put16(ip + 2, val);
			if (chance(80))
				fix_ipv4_checksum(f);
		} else if (family == 6 && l3 + 40 <= f->len) {
			if (chance(40) && l3 + 46 <= f->len && ip[6] == IPPROTO_UDP)
				put16(ip + 44, val);
			else if (chance(20) && l3 + 53 <= f->len && ip[6] == IPPROTO_TCP)
				ip[52] = (__u8)(rnd(16) << 4);
			else
				put16(ip + 4, chance(15) ? 0 : val);
		}
		f->origin = "length field";
	} else if (r < 90) {
		__u32 pad = 1 + rnd(40);

		if (f->len + pad <= FRAME_MAX) {
			for (__u32 i = 0; i < pad; i++)
				f->b[f->len + i] = chance(50) ? 0 : (__u8)rnd(256);
			f->len += pad;
		}
		f->origin = "trailing padding";
	} else if (r < 93 && f->len + 8 <= FRAME_MAX && f->len >= 14) {
		__u32 tags = 1 + rnd(2);

		memmove(f->b + 12 + 4 * tags, f->b + 12, f->len - 12);
		for (__u32 t = 0; t < tags; t++) {
			put16(f->b + 12 + 4 * t, chance(50) ? 0x8100 : 0x88a8);
			put16(f->b + 14 + 4 * t, (__u16)rnd(4096));
		}
		f->len += 4 * tags;
		f->origin = "VLAN tags added";
	} else if (r < 97 && l3 && family == 4 && l3 + 20 <= f->len) {
		/* A fragment out of nowhere: offset and MF made up. */
		put16(f->b + l3 + 6, (__u16)(chance(50) ? 0x2000 : rnd(0x4000)));
		fix_ipv4_checksum(f);
		f->origin = "fragment bits";
	} else if (f->len) {
		for (int n = 1 + (int)rnd(6); n > 0; n--)
			f->b[rnd(f->len)] = (__u8)rnd(256);
		f->origin = "random bytes written";
		if (chance(50))
			fix_ipv4_checksum(f);
	}
}

/* A truncation sweep: one frame cut at every length from 0 to its own. */
static struct frame sweep;
static __u32 sweep_next, sweep_end;

static void next_frame(struct frame *f)
{
	__u32 r;

	if (sweep_next < sweep_end) {
		*f = sweep;
		f->len = sweep_next++;
		f->origin = "truncation sweep";
		return;
	}
	while (train_next < train_len) {
		*f = train[train_next++];
		if (f->len) {
			if (chance(5))
				mutate(f);
			return;
		}
	}
	r = rnd(100);
	if (r < 60)
		fixture_frame(f);
	else if (r < 75) {
		fragment_train();
		next_frame(f);
		return;
	} else if (r < 92)
		icmp_frame(f);
	else {
		random_frame(f);
		return;
	}
	if (rnd(2000) == 0) {
		sweep = *f;
		sweep_next = 0;
		sweep_end = f->len; /* the whole frame comes now, the cuts next */
		return;
	}
	mutate(f);
}

/* ---- the program's side ---- */

static int ncpus;

/* Every reason counter, summed over CPUs, in one system call. */
static void reasons_read(__u64 *sum)
{
	static __u64 values[SIOBPF_R_MAX * 512];
	__u32 keys[SIOBPF_R_MAX], count = SIOBPF_R_MAX, out;
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	int err;

	err = bpf_map_lookup_batch(test_dp.reasons_fd, NULL, &out, keys, values, &count, &opts);
	if (err && errno != ENOENT)
		fail_msg("reading sio_reasons: %s", strerror(errno));
	assert_int_equal(count, SIOBPF_R_MAX);
	for (int r = 0; r < SIOBPF_R_MAX; r++) {
		sum[keys[r]] = 0;
		for (int c = 0; c < ncpus; c++)
			sum[keys[r]] += values[r * ncpus + c];
	}
}

static struct siobpf_traffic traffic_read(int fd, __u32 id)
{
	struct siobpf_traffic per[512], t = {0};

	if (bpf_map_lookup_elem(fd, &id, per))
		return t;
	for (int c = 0; c < ncpus; c++) {
		t.packets += per[c].packets;
		t.bytes += per[c].bytes;
		t.new_sticky += per[c].new_sticky;
	}
	return t;
}

static int backend_of_mac(const __u8 *mac)
{
	return mac[0] == 0x02 && mac[1] == 0xbe ? mac[4] << 8 | mac[5] : -2;
}

/* ---- comparing ---- */

enum cls { C_CHECKSUM, C_FRAGMENT, C_V6EXT, C_L4LEN, C_TRANSIT, C_OTHER, C_INVARIANT, C_N };
static const char *const cls_names[C_N] = {"checksum", "fragment", "ipv6-ext", "l4-length",
					   "l4-transit", "other", "invariant"};

struct tally {
	__u64 frames, forwarded, not_runnable, on_edge;
	__u64 hits, refreshes, creates, icmp_forwarded, by_fragment_entry;
	__u64 promotions, deferred, refused, prev_ring, full, evicted;
	__u64 by_reason[OR_REASONS];
	__u64 disagree[C_N];
	__u64 disagree_reason[C_N][OR_REASONS];
	const char *what[16]; /* what differed: a verdict, a sticky entry, a counter */
	__u64 fragment_kinds[2][3]; /* fragment disagreements by family, kind */
	__u64 disagree_what[C_N][16];
};

static __u64 seed;

static const char *action_name(int a)
{
	static const char *const n[] = {"ABORTED", "DROP", "PASS", "TX", "REDIRECT"};

	return a >= 0 && a <= 4 ? n[a] : "?";
}

static void print_hex(const __u8 *b, __u32 len)
{
	for (__u32 i = 0; i < len; i++)
		fprintf(stderr, "%02x%s", b[i], (i + 1) % 32 == 0 || i + 1 == len ? "\n" : (i + 1) % 4 == 0 ? " " : "");
	if (!len)
		fprintf(stderr, "(empty)\n");
}

static void report(struct tally *t, int cls, __u64 index, const struct frame *f,
		   const struct oracle_out *o, int action, int reason, int backend, const char *what)
{
	__u64 n = ++t->disagree[cls];

	t->disagree_reason[cls][o->reason]++;
	if (cls == C_FRAGMENT)
		t->fragment_kinds[o->family == 6][o->fragment]++;
	for (int i = 0; i < 16; i++)
		if (!t->what[i] || t->what[i] == what) {
			t->what[i] = what;
			t->disagree_what[cls][i]++;
			break;
		}
	if (n > 5)
		return;
	fprintf(stderr,
		"disagreement [%s] seed %llu frame %llu (%s), %u bytes: %s\n"
		"  oracle:  %s %s vip %lld backend %lld\n"
		"  program: %s %s backend %d\n",
		cls_names[cls], (unsigned long long)seed, (unsigned long long)index, f->origin, f->len, what,
		action_name(o->action), oracle_reason_name(o->reason), (long long)o->vip_id,
		(long long)o->backend_id, action_name(action), reason >= 0 ? oracle_reason_name(reason) : "(none)",
		backend);
	print_hex(f->b, f->len);
}

static int class_of(const struct oracle_out *o)
{
	if (o->flags & OF_CSUM)
		return C_CHECKSUM;
	if (o->flags & OF_FRAG)
		return C_FRAGMENT;
	if (o->flags & OF_V6EXT)
		return C_V6EXT;
	if (o->flags & OF_L4LEN)
		return C_L4LEN;
	if (o->flags & OF_TRANSIT)
		return C_TRANSIT;
	return C_OTHER;
}

static __u64 reasons_before[SIOBPF_R_MAX], reasons_after[SIOBPF_R_MAX];

/* The rules that hold whatever the oracle says. */
static const char *invariant_broken(const struct oracle_out *o, int action, int backend,
				    const struct frame *f, const __u8 *out, __u32 out_len)
{
	const struct oracle_backend *b;
	int vip_ok = 0;

	if (action == XDP_ABORTED)
		return "XDP_ABORTED";
	if (action == XDP_DROP) /* what a dropped frame's bytes became is nobody's */
		return NULL;
	if (out_len != f->len)
		return "output length differs from the input";
	if (memcmp(out + 12, f->b + 12, f->len > 12 ? f->len - 12 : 0))
		return "bytes after the MACs changed";
	if (action == XDP_PASS)
		return memcmp(out, f->b, f->len < 12 ? f->len : 12) ? "a frame passed to the stack was changed" : NULL;
	if (action != XDP_TX && action != XDP_REDIRECT)
		return "an action that is neither drop, pass, tx nor redirect";
	if (!o->for_vip)
		return "forwarded a frame that is not for a VIP";
	if (backend < 0 || backend >= SIOBPF_MAX_BACKENDS)
		return "forwarded to a MAC that is no backend's";
	b = &obackends[backend];
	if (!b->in_use || (b->state == SIOBPF_BACKEND_DOWN && !o->frag_exception))
		return "forwarded to a backend that is removed or down";
	if (memcmp(out, b->mac, 6) || memcmp(out + 6, b->src_mac, 6))
		return "MACs are not the backend's";
	if ((action == XDP_TX) != (b->ifindex == 1))
		return "tx/redirect does not follow the backend's interface";
	for (int v = 0; v < world.n_vips; v++)
		if (world.vips[v].id == b->vip_id && world.vips[v].family == o->family &&
		    !memcmp(world.vips[v].addr, o->dst, o->family == 4 ? 4 : 16))
			vip_ok = 1;
	return vip_ok ? NULL : "the backend serves no VIP of the frame's address";
}

/* What the program wrote to the key's two buckets, against the oracle:
 * the one slot it says, with the value it says, and nothing else. */
static const char *sticky_wrong(const struct oracle_out *o)
{
	if (o->sticky == OS_NONE)
		return NULL;
	for (int i = 0; i < 2 * ORACLE_BUCKET_SLOTS; i++) {
		__u64 now = __atomic_load_n(&test_dp.sticky.buckets[o->bucket[i / 8]].slot[i % 8], __ATOMIC_ACQUIRE);

		if (i == o->write_at) {
			if (now == o->written)
				continue;
			if (now == o->seen[i])
				return o->sticky == OS_CREATE ? "no probation slot created"
				       : o->sticky == OS_PROMOTE ? "not promoted"
								 : "the protected slot was not renewed";
			return o->sticky == OS_CREATE ? "the created slot differs" : "the renewed slot differs";
		}
		if (now != o->seen[i])
			return o->sticky == OS_HIT ? "a slot changed on a hit (renewed too early?)"
			       : o->sticky == OS_CREATE ? "the new slot is not where the victim rule puts it"
			       : o->sticky == OS_FULL ? "a slot was taken in a full pair of buckets"
						      : "a slot changed, and should not have";
	}
	return NULL;
}

/* A VIP's admission counters, summed over CPUs. */
static void admit_read(__u32 id, __u64 sum[OC_N])
{
	static struct siobpf_admit_stats per[512];

	memset(sum, 0, OC_N * sizeof(*sum));
	assert_int_equal(bpf_map_lookup_elem(test_dp.admit_stats_fd, &id, per), 0);
	for (int c = 0; c < ncpus; c++) {
		const __u64 *f = (const __u64 *)&per[c];

		for (int i = 0; i < OC_N; i++)
			sum[i] += f[i];
	}
}

/* The admission counters' moves seen frame by frame, to hold the totals to. */
static __u64 admit_watched[OC_N];

static void check_frame(struct tally *t, __u64 index, const struct frame *f)
{
	__u8 out[FRAME_MAX];
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = f->b, .data_size_in = f->len, .data_out = out,
		    .data_size_out = sizeof(out), .repeat = 1);
	struct siobpf_traffic vb = {0}, bb = {0}, va, ba;
	__u64 ab[OC_N], aa[OC_N];
	struct oracle_out o;
	__u64 t0, t1;
	int action, reason = -1, backend = -1, err, cls;
	const char *why;

	/* First decision: does the sticky reads, before the run. */
	n_reads = 0;
	replaying = 0;
	t0 = now_ns();
	oracle_decide(&world, f->b, f->len, t0, t0, &o);
	if (o.action == OA_TX || o.action == OA_REDIRECT) {
		vb = traffic_read(test_dp.vip_stats_fd, (__u32)o.vip_id);
		bb = traffic_read(test_dp.be_stats_fd, (__u32)o.backend_id);
	}
	if (o.admit_vip >= 0)
		admit_read((__u32)o.admit_vip, ab);
	t0 = now_ns();
	err = bpf_prog_test_run_opts(test_dp.prog_fd, &opts);
	t1 = now_ns();
	if (err) {
		t->not_runnable++; /* the kernel refuses frames shorter than Ethernet */
		if (f->len >= 14)
			fail_msg("BPF_PROG_TEST_RUN failed on a %u-byte frame: %s", f->len, strerror(errno));
		return;
	}
	t->frames++;
	action = (int)opts.retval;
	replaying = 1;
	{
		int64_t watched = o.admit_vip;

		oracle_decide(&world, f->b, f->len, t0, t1, &o);
		if (watched >= 0) {
			admit_read((__u32)watched, aa);
			for (int i = 0; i < OC_N; i++)
				admit_watched[i] += aa[i] - ab[i];
		}
		if (watched != o.admit_vip)
			o.ambiguous = 1; /* the clock reads chose different paths */
	}
	t->by_reason[o.reason]++;

	reasons_read(reasons_after);
	for (int r = 0; r < SIOBPF_R_MAX; r++) {
		__u64 d = reasons_after[r] - reasons_before[r];

		if (d == 1 && reason == -1)
			reason = r;
		else if (d)
			reason = -2; /* more than one counter, or one twice */
	}
	memcpy(reasons_before, reasons_after, sizeof(reasons_before));
	if (action == XDP_TX || action == XDP_REDIRECT) {
		backend = backend_of_mac(out);
		t->forwarded++;
	}

	why = invariant_broken(&o, action, backend, f, out, opts.data_size_out);
	if (why) {
		report(t, C_INVARIANT, index, f, &o, action, reason, backend, why);
		goto commit;
	}
	if (o.ambiguous) {
		t->on_edge++;
		goto commit;
	}
	cls = class_of(&o);
	t->hits += o.sticky == OS_HIT;
	t->refreshes += o.sticky == OS_HIT && o.refresh == 1;
	t->creates += o.sticky == OS_CREATE;
	t->promotions += o.sticky == OS_PROMOTE;
	t->full += o.sticky == OS_FULL;
	t->evicted += o.admit[OC_EVICTED];
	t->deferred += o.admit[OC_DEFERRED];
	t->refused += o.admit[OC_REFUSED];
	t->prev_ring += o.prev_ring;
	t->icmp_forwarded += (o.flags & OF_ICMP) && o.backend_id >= 0;
	t->by_fragment_entry += o.frag_exception;
	if (action != o.action || reason != o.reason ||
	    ((action == XDP_TX || action == XDP_REDIRECT) && backend != o.backend_id)) {
		report(t, cls, index, f, &o, action, reason, backend, "verdict");
		goto commit;
	}
	why = sticky_wrong(&o);
	if (why) {
		report(t, cls, index, f, &o, action, reason, backend, why);
		goto commit;
	}
	if (o.admit_vip >= 0)
		for (int i = 0; i < OC_N; i++)
			if (aa[i] - ab[i] != o.admit[i]) {
				report(t, cls, index, f, &o, action, reason, backend, "admission counters");
				goto commit;
			}
	if (o.action == OA_TX || o.action == OA_REDIRECT) {
		va = traffic_read(test_dp.vip_stats_fd, (__u32)o.vip_id);
		ba = traffic_read(test_dp.be_stats_fd, (__u32)o.backend_id);
		if (va.packets - vb.packets != 1 || va.bytes - vb.bytes != f->len ||
		    va.new_sticky - vb.new_sticky != (__u64)o.new_sticky || ba.packets - bb.packets != 1 ||
		    ba.bytes - bb.bytes != f->len || ba.new_sticky - bb.new_sticky != (__u64)o.new_sticky)
			report(t, cls, index, f, &o, action, reason, backend, "VIP or backend counters");
	}
commit:
	oracle_commit(&world, &o);
}

static __u64 env_u64(const char *name, __u64 dflt)
{
	const char *s = getenv(name);

	return s && *s ? strtoull(s, NULL, 0) : dflt;
}

static int fuzz_setup(void **state)
{
	struct dataplane_opts opts = {.clients = FUZZ_TABLE_CLIENTS};

	(void)state;
	/* A small table: the run's clients (about 1600 keys) fill it, so
	 * that inserts displace newcomers and find no room, and the oracle
	 * must place every slot where the program does. */
	dataplane_init(&test_dp);
	if (dataplane_load(&test_dp, &opts)) {
		fprintf(stderr, "loading the BPF object failed (run as root?)\n");
		return -1;
	}
	return 0;
}

static void oracle_hash_and_checksum_match_reference_values(void **state)
{
	const __u8 hdr[20] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
			      0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};

	(void)state;
	/* MurmurHash3_x86_32's published values. */
	assert_int_equal(oracle_murmur3_32((const __u8 *)"", 0, 0), 0);
	assert_int_equal(oracle_murmur3_32((const __u8 *)"", 0, 1), 0x514e28b7);
	assert_int_equal(oracle_murmur3_32((const __u8 *)"", 0, 0xffffffff), 0x81f16f39);
	assert_int_equal(oracle_murmur3_32((const __u8 *)"\xff\xff\xff\xff", 4, 0), 0x76293b50);
	assert_int_equal(oracle_murmur3_32((const __u8 *)"\x21\x43\x65\x87", 4, 0), 0xf55b516b);
	assert_int_equal(oracle_murmur3_32((const __u8 *)"\x21\x43\x65", 3, 0), 0x7e4a8634);
	assert_int_equal(oracle_murmur3_32((const __u8 *)"\x21\x43", 2, 0), 0xa0f7b07a);
	assert_int_equal(oracle_murmur3_32((const __u8 *)"\x21", 1, 0), 0x72661cf4);
	assert_int_equal(oracle_murmur3_32((const __u8 *)"hello", 5, 0), 0x248bfa47);
	/* A real IPv4 header whose checksum (0xb861) is right. */
	assert_int_equal(oracle_ones_sum(hdr, 20), 0xffff);
}

static void frames_agree_with_the_oracle(void **state)
{
	struct tally t = {0};
	struct frame f;
	__u64 frames, fails = 0;
	struct timespec a, b;
	double secs;
	int planted, planted_probation;

	(void)state;
	ncpus = libbpf_num_possible_cpus();
	assert_true(ncpus > 0 && ncpus <= 512);
	seed = env_u64("SIOBPF_FUZZ_SEED", 0);
	if (!seed) {
		clock_gettime(CLOCK_REALTIME, &a);
		seed = ((__u64)a.tv_sec * SEC + (__u64)a.tv_nsec) | 1;
	}
	frames = env_u64("SIOBPF_FUZZ_FRAMES", DEFAULT_FRAMES);
	printf("frame fuzz: seed %llu (replay: SIOBPF_FUZZ_SEED=%llu), %llu frames\n",
	       (unsigned long long)seed, (unsigned long long)seed, (unsigned long long)frames);
	fflush(stdout);
	rng_state = seed;

	egress_ifindex = harness_egress_ifindex();
	setup_clients();
	setup_vips();
	/* Probation first: a protected slot planted for the same key then
	 * replaces it, and the protected ones fill some bucket pairs whole. */
	planted_probation = plant_probation();
	planted = plant_entries();
	world_load();
	reasons_read(reasons_before);

	clock_gettime(CLOCK_MONOTONIC, &a);
	/* Frames shorter than Ethernet are refused by the kernel before the
	 * program runs: they are tried but not counted as run. */
	bool egress_gone = false;

	for (__u64 i = 0; t.frames < frames; i++) {
		/* The second half without the redirect backends' interface in
		 * sio_egress: their frames are dropped, not passed as redirects. */
		if (t.frames == frames / 2 && !egress_gone) {
			assert_int_equal(bpf_map_delete_elem(test_dp.egress_fd, &egress_ifindex), 0);
			egress_read();
			for (int e = 0; e < world.n_egress; e++)
				assert_int_not_equal(world.egress[e], egress_ifindex);
			egress_gone = true;
		}
		next_frame(&f);
		check_frame(&t, i, &f);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	secs = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;

	/* Nothing the oracle did not forward was counted for a VIP or backend. */
	{
		__u64 vip_packets = 0, be_packets = 0;

		for (__u32 id = 0; id < SIOBPF_MAX_VIPS; id++)
			vip_packets += traffic_read(test_dp.vip_stats_fd, id).packets;
		for (__u32 id = 0; id < SIOBPF_MAX_BACKENDS; id++)
			be_packets += traffic_read(test_dp.be_stats_fd, id).packets;
		printf("counters: %llu frames forwarded, VIP counters %llu, backend counters %llu\n",
		       (unsigned long long)t.forwarded, (unsigned long long)vip_packets,
		       (unsigned long long)be_packets);
		if (vip_packets != t.forwarded || be_packets != t.forwarded) {
			fprintf(stderr, "VIP or backend counters count frames that were not forwarded\n");
			fails++;
		}
	}

	/* The admission counters moved only in frames the oracle sent to a
	 * VIP's decision. */
	{
		static const char *const names[OC_N] = {"created", "admitted", "deferred", "refused", "misses",
							"prev_ring", "full", "evicted", "raced"};
		__u64 total[OC_N] = {0}, one[OC_N];

		for (int v = 0; v < N_VIPS; v++) {
			admit_read(vips[v].id, one);
			for (int i = 0; i < OC_N; i++)
				total[i] += one[i];
			/* Only a previous ring inside its window is followed; and a
			 * run of some size follows every such one (the fixture
			 * exercises the rule). */
			if (prev_kind[v] != PR_IN && one[OC_PREV_RING]) {
				fprintf(stderr, "VIP %u followed a previous ring outside its window %llu times\n",
					vips[v].id, (unsigned long long)one[OC_PREV_RING]);
				fails++;
			}
			if (prev_kind[v] == PR_IN && !one[OC_PREV_RING] && frames >= 200000) {
				fprintf(stderr, "VIP %u never followed its previous ring\n", vips[v].id);
				fails++;
			}
		}
		/* One CPU runs every frame: no write can lose a race. */
		if (total[OC_RACED]) {
			fprintf(stderr, "admission counter raced moved with one CPU\n");
			fails++;
		}
		for (int i = 0; i < OC_N && frames >= 200000; i++)
			if (!total[i] && i != OC_RACED) {
				fprintf(stderr, "no frame moved the admission counter %s: a path not exercised\n",
					names[i]);
				fails++;
			}
		printf("admission counters:");
		for (int i = 0; i < OC_N; i++) {
			printf(" %s %llu", names[i], (unsigned long long)total[i]);
			if (total[i] != admit_watched[i]) {
				fprintf(stderr, "admission counter %s: %llu, of which frames the oracle "
					"decided for a VIP moved it %llu\n", names[i],
					(unsigned long long)total[i], (unsigned long long)admit_watched[i]);
				fails++;
			}
		}
		printf("\n");
	}

	printf("%llu frames run in %.1f s (%.0f/s), %llu refused as shorter than Ethernet, "
	       "%d sticky and %d probation entries planted, %llu on a time limit (not compared)\n",
	       (unsigned long long)t.frames, secs, (double)t.frames / secs,
	       (unsigned long long)t.not_runnable, planted, planted_probation, (unsigned long long)t.on_edge);
	printf("compared: %llu sticky hits (%llu refreshing), %llu probation entries created, %llu "
	       "promoted, %llu probation hits deferred, %llu misses refused an entry, %llu decided by "
	       "a previous ring, %llu ICMP errors forwarded, %llu later fragments forwarded by the "
	       "fragment table\n",
	       (unsigned long long)t.hits, (unsigned long long)t.refreshes, (unsigned long long)t.creates,
	       (unsigned long long)t.promotions, (unsigned long long)t.deferred,
	       (unsigned long long)t.refused, (unsigned long long)t.prev_ring,
	       (unsigned long long)t.icmp_forwarded, (unsigned long long)t.by_fragment_entry);
	printf("compared: %llu new entries without room (full), %llu displacing a newcomer (evicted)\n",
	       (unsigned long long)t.full, (unsigned long long)t.evicted);
	printf("oracle verdicts:");
	for (int r = 0; r < OR_REASONS; r++)
		if (t.by_reason[r])
			printf(" %s %llu", oracle_reason_name(r), (unsigned long long)t.by_reason[r]);
	printf("\n");
	for (int c = 0; c < C_N; c++) {
		printf("disagreements %-10s %llu", cls_names[c], (unsigned long long)t.disagree[c]);
		for (int r = 0, first = 1; r < OR_REASONS; r++)
			if (t.disagree_reason[c][r]) {
				printf("%s oracle %s %llu", first ? " by" : ",", oracle_reason_name(r),
				       (unsigned long long)t.disagree_reason[c][r]);
				first = 0;
			}
		for (int i = 0; i < 16; i++)
			if (t.disagree_what[c][i])
				printf("; %s %llu", t.what[i], (unsigned long long)t.disagree_what[c][i]);
		printf("\n");
		fails += t.disagree[c];
	}
	if (t.disagree[C_FRAGMENT])
		printf("fragment disagreements: IPv4 first %llu, later %llu; IPv6 first %llu, later %llu, "
		       "atomic %llu\n",
		       (unsigned long long)t.fragment_kinds[0][1], (unsigned long long)t.fragment_kinds[0][2],
		       (unsigned long long)t.fragment_kinds[1][1], (unsigned long long)t.fragment_kinds[1][2],
		       (unsigned long long)t.fragment_kinds[1][0]);
	printf("seed %llu: %llu disagreements\n", (unsigned long long)seed, (unsigned long long)fails);
	assert_int_equal(fails, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(oracle_hash_and_checksum_match_reference_values),
		cmocka_unit_test(frames_agree_with_the_oracle),
	};

	return cmocka_run_group_tests_name("frame_fuzz", tests, fuzz_setup, harness_teardown);
}

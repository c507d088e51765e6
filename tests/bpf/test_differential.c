// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Differential test: random clients through the kernel program and through
 * the user-space model (user/core/model.c, what `siobpf lookup` answers) must
 * choose the same backend, every one. The state includes weights, drained
 * and down backends, and planted sticky entries that are live, expired,
 * of an old generation, or for a down backend, in the protected table or
 * on probation (young, due for promotion, expired); SYNs and ACKs, so that
 * after the ring change ACKs without an entry follow the previous ring; the
 * VIPs' persistences are long (300 s) and short (1 s), so both refresh and
 * both admission-gap rules are compared, and so are the entries the kernel
 * made, promoted or left: slot by slot in the key's two buckets (where the
 * victim rule, siobpf_table_victim, says a new slot goes), and counter by
 * counter (misses, created, refused, full, evicted, admitted, deferred).
 * A second run does the same on a table of two buckets, where every insert
 * meets the same sixteen slots.
 *
 * The model includes siobpf/decide.h and siobpf/hash.h, the very rule code
 * the program is built from, so this test proves that `siobpf lookup`
 * answers what the kernel does, not that the rules are right: a bug in those
 * headers is on both sides. The independent check of the rules is
 * test_frame_fuzz.c, whose oracle (oracle.c) shares no code with the
 * program and is written from docs/data-path.md. */

#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/bpf.h>
#include <linux/in.h>

#include <cmocka.h>
#include <bpf/bpf.h>

#include "siobpf/decide.h"
#include "harness.h"
#include "model.h"

#define CLIENTS_PER_VIP 3000 /* x 4 VIPs x 2 rounds = 24,000 decisions */
#define BACKENDS_PER_VIP 8
#define SEC 1000000000ull

struct vip_case {
	const char *addr;
	__u8 sticky;
	__u8 prefix;
	__u32 id;
	int family;
	__u32 persist_sec; /* 1 s: refreshed at half the persistence, not each second */
};

static const struct vip_case cases[] = {
	{"10.0.0.100", SIOBPF_STICKY_IP, 32, 1, 4, 300},
	{"10.0.0.101", SIOBPF_STICKY_IP_PORT, 0, 2, 4, 1},
	{"2001:db8::100", SIOBPF_STICKY_IP, 64, 3, 6, 300},
	{"2001:db8::101", SIOBPF_STICKY_IP_PORT, 0, 4, 6, 1},
};

static struct siobpf_vip vips[4];
static struct siobpf_backend table[SIOBPF_MAX_BACKENDS];
static __u32 rings[4][SIOBPF_RING_SIZE], prev_rings[4][SIOBPF_RING_SIZE];
static bool has_prevs[4];
static struct siobpf_vip_admit admits[4];
/* The VIP being compared: its snapshot. */
static __u32 *ring, *prev_ring;
static bool has_prev;
static struct siobpf_vip_admit admit;

static __u32 rnd(void)
{
	return (__u32)random();
}

static void random_client(int family, char *buf, size_t len)
{
	if (family == 4)
		snprintf(buf, len, "%u.%u.%u.%u", 1 + rnd() % 223, rnd() % 256, rnd() % 256, 1 + rnd() % 254);
	else /* a few /64s, many hosts: prefix masking matters */
		snprintf(buf, len, "2001:db8:%x:%x::%x:%x", rnd() % 4, rnd() % 4, rnd() % 65536,
			 rnd() % 65536);
}

static __u32 backend_id(int v, int i)
{
	return (__u32)(v * BACKENDS_PER_VIP + i + 1);
}

static void setup_world(void)
{
	for (int v = 0; v < 4; v++) {
		const struct vip_case *c = &cases[v];

		vip_add(&(struct vip_spec){.addr = c->addr, .port = 80, .id = c->id, .sticky = c->sticky,
					   .prefix = c->prefix, .persist_sec = c->persist_sec, .seed = 1000u + (__u32)v},
			&vips[v]);
		for (int i = 0; i < BACKENDS_PER_VIP; i++) {
			char addr[64];

			if (c->family == 4)
				snprintf(addr, sizeof(addr), "10.1.%d.%d", v, i + 1);
			else
				snprintf(addr, sizeof(addr), "2001:db8:1:%d::%d", v, i + 1);
			backend_add(&vips[v], backend_id(v, i), addr, 1 + (__u32)i % 3);
		}
		backend_set_state(&vips[v], backend_id(v, 6), SIOBPF_BACKEND_DRAIN);
		ring_rebuild(&vips[v]);
	}
}

/* Writes a slot for key as user space does (sticky_table_put): kind, a
 * backend of the VIP and a generation, last seen at last_seen (its
 * deadline: that plus the VIP's persistence, in time units). */
static void plant(const struct siobpf_vip *vip, const struct siobpf_sticky_key *key, __u32 backend,
		  __u32 generation, __u32 kind, __u64 last_seen)
{
	__u32 now_u = siobpf_time_units(dataplane_now());
	int err = sticky_table_put(&test_dp.sticky, vip, admit.table_epoch, table, key, backend, generation, kind,
				   siobpf_time_units(last_seen) + siobpf_persist_units(vip->persist_sec), now_u, 0);

	/* A tiny table may have no room: the key then goes without. */
	assert_true(err == 0 || err == -ENOSPC || err == -EEXIST);
}

/* Entries the program must honour or ignore, planted for some clients. */
static void plant_random_entry(const struct siobpf_vip *vip, int v, const struct siobpf_sticky_key *key)
{
	__u32 backend = backend_id(v, (int)(rnd() % BACKENDS_PER_VIP)), gen = 1;
	__u64 last_seen = dataplane_now();

	switch (rnd() % 5) {
	case 0: /* live */
		break;
	case 1: /* expired */
		last_seen -= (vip->persist_sec + 5) * SEC;
		break;
	case 2: /* made for an older generation */
		gen = 0;
		break;
	case 3: /* old but alive, due for a refresh */
		last_seen -= vip->persist_sec * (SEC / 4) * 3;
		break;
	case 4: /* alive, a refresh due only with a long persistence */
		last_seen -= vip->persist_sec * (SEC / 4);
		break;
	}
	plant(vip, key, backend, gen, SIOBPF_SLOT_PROTECTED, last_seen);
}

/* Probation entries: young (deferred), due for promotion, or expired. */
static void plant_random_probation(const struct siobpf_vip *vip, int v, const struct siobpf_sticky_key *key)
{
	__u64 gap = siobpf_admit_gap_ns(vip, NULL);
	__u32 backend = backend_id(v, (int)(rnd() % BACKENDS_PER_VIP)), gen = 1;
	__u64 last_seen = dataplane_now();

	switch (rnd() % 4) {
	case 0: /* young: a SYN's entry seen again at once */
		last_seen -= gap / 4;
		break;
	case 1: /* due: seen again later */
		last_seen -= gap + (vip->persist_sec * SEC - gap) / 2;
		break;
	case 2: /* expired on probation */
		last_seen -= (vip->persist_sec + 5) * SEC;
		break;
	case 3: /* an older generation */
		gen = 0;
		break;
	}
	plant(vip, key, backend, gen, SIOBPF_SLOT_PROBATION, last_seen);
}

/* Every VIP's ring, previous ring and admission record, and the backend
 * table, as the maps hold them (a ring read is slow: once a round). */
static void snapshot_all(void)
{
	assert_int_equal(dataplane_backends_read(&test_dp, table), 0);
	for (int v = 0; v < 4; v++) {
		assert_int_equal(dataplane_ring_read(&test_dp, vips[v].id, rings[v]), 0);
		has_prevs[v] = dataplane_prev_ring_read(&test_dp, vips[v].id, prev_rings[v]) == 0;
		memset(&admits[v], 0, sizeof(admits[v]));
		dataplane_vip_admit_get(&test_dp, vips[v].id, &admits[v]);
	}
}

/* VIP v's snapshot as the one compared. */
static void snapshot(int v)
{
	ring = rings[v];
	prev_ring = prev_rings[v];
	has_prev = has_prevs[v];
	admit = admits[v];
}

struct tally {
	int decisions, sticky_hits, refreshes, mismatches;
	int probation_hits, promotions, created, prev_ring;
	int full, evicted; /* no room; a newcomer's slot displaced */
	int on_edge; /* an age crossed a limit while the packet ran: not compared */
};

static int same_choice(const struct model_choice *a, const struct model_choice *b)
{
	return a->source == b->source && a->backend_id == b->backend_id &&
	       (a->source != MODEL_STICKY || a->refresh == b->refresh) &&
	       a->promote == b->promote && a->create == b->create;
}

/* The key's two buckets, home first, as a lookup reads them. */
struct pair {
	struct sticky_place at;
	__u64 s[2 * SIOBPF_BUCKET_SLOTS];
};

static void pair_read(const struct siobpf_sticky_key *key, struct pair *p)
{
	sticky_table_place(&test_dp.sticky, key, admit.table_epoch, &p->at);
	for (int i = 0; i < 2 * SIOBPF_BUCKET_SLOTS; i++)
		p->s[i] = __atomic_load_n(&test_dp.sticky.buckets[i < 8 ? p->at.home : p->at.other].slot[i & 7],
					  __ATOMIC_ACQUIRE);
}

/* The slot an insert for the key takes, from its buckets as read before
 * the packet: the key's own dead slot (its fingerprint, not live, not
 * another VIP's live client: home bucket first), else
 * siobpf_table_victim's pick. */
static int expected_victim(const struct siobpf_vip *vip, const struct pair *p, __u32 now_u, int *own_out)
{
	int own = -1;

	for (int i = 0; i < 2 * SIOBPF_BUCKET_SLOTS && own < 0; i++) {
		__u64 s = p->s[i];
		const struct siobpf_backend *b = &table[siobpf_slot_backend(s)];

		if (siobpf_slot_kind(s) == SIOBPF_SLOT_EMPTY || siobpf_slot_fp(s) != p->at.fp)
			continue;
		if (siobpf_slot_live(vip, s, b, now_u))
			continue;
		if (siobpf_slot_held(s, now_u) && b->in_use && b->state != SIOBPF_BACKEND_DOWN &&
		    b->vip_id != vip->id && (b->generation & SIOBPF_GEN_MASK) == siobpf_slot_gen(s))
			continue; /* another VIP's live client */
		own = i;
	}
	if (own_out)
		*own_out = own;
	return siobpf_table_victim(p->s, p->s + SIOBPF_BUCKET_SLOTS, now_u, own);
}

/* What the kernel left in the key's buckets agrees with the model's
 * choice, slot by slot: a hit renewed (or not) its slot's deadline, a
 * promotion made the slot protected in place, a creation wrote a probation
 * slot for the backend in the victim's place, and nothing else moved. */
static const char *buckets_agree(int v, const struct model_choice *want, const struct pair *before,
				 const struct pair *after, int hit, int victim, __u32 now_u)
{
	__u32 persist_u = siobpf_persist_units(vips[v].persist_sec);
	int changed = -1;

	for (int i = 0; i < 2 * SIOBPF_BUCKET_SLOTS; i++) {
		if (before->s[i] == after->s[i])
			continue;
		if (changed >= 0)
			return "two slots changed";
		changed = i;
	}
	if (want->source == MODEL_STICKY || want->source == MODEL_PROBATION) {
		__u64 n = changed >= 0 ? after->s[changed] : 0;
		int renews = want->source == MODEL_STICKY ? want->refresh : want->promote;

		if (!renews)
			return changed < 0 ? NULL : "a slot changed on a hit that renews nothing";
		if (changed != hit)
			return "the hit's slot was not renewed";
		if (siobpf_slot_kind(n) != SIOBPF_SLOT_PROTECTED || siobpf_slot_backend(n) != want->backend_id ||
		    siobpf_slot_gen(n) != siobpf_slot_gen(before->s[hit]) ||
		    siobpf_slot_fp(n) != siobpf_slot_fp(before->s[hit]) ||
		    siobpf_slot_alt(n) != siobpf_slot_alt(before->s[hit]) ||
		    siobpf_slot_remaining(n, now_u) + 1 < persist_u)
			return "the renewed slot differs";
		return NULL;
	}
	if (!want->create)
		return changed < 0 ? NULL : "a slot changed on a miss that makes none";
	if (victim < 0)
		return changed < 0 ? NULL : "a slot was taken in a full table";
	if (changed != victim)
		return "the new slot is not where the victim rule puts it";
	{
		__u64 n = after->s[changed];

		if (siobpf_slot_kind(n) != SIOBPF_SLOT_PROBATION || siobpf_slot_backend(n) != want->backend_id ||
		    siobpf_slot_gen(n) != (table[want->backend_id].generation & SIOBPF_GEN_MASK) ||
		    siobpf_slot_fp(n) != before->at.fp || siobpf_slot_alt(n) != (victim >= 8) ||
		    siobpf_slot_remaining(n, now_u) + 1 < persist_u)
			return "the new probation slot differs";
	}
	return NULL;
}

static struct siobpf_admit_stats admit_stats_of(int v)
{
	struct siobpf_admit_stats s;

	assert_int_equal(dataplane_admit_stats(&test_dp, vips[v].id, &s), 0);
	return s;
}

/* The counters one decision moved, as the model's choice says. */
static const char *counters_agree(const struct model_choice *want, const struct siobpf_admit_stats *a,
				  const struct siobpf_admit_stats *b, int victim, int evicts)
{
	__u64 misses = b->misses - a->misses, created = b->created - a->created,
	      refused = b->refused - a->refused, full = b->full - a->full, evicted = b->evicted - a->evicted,
	      admitted = b->admitted - a->admitted, deferred = b->deferred - a->deferred,
	      prev = b->prev_ring - a->prev_ring, raced = b->raced - a->raced;

	if (raced)
		return "raced with one CPU";
	if (want->source == MODEL_STICKY)
		return misses || created || admitted || deferred || full ? "counters moved on a hit" : NULL;
	if (want->source == MODEL_PROBATION)
		return misses || created || admitted != (__u64)want->promote ||
				       deferred != (__u64)!want->promote
			       ? "admitted/deferred wrong"
			       : NULL;
	if (want->source == MODEL_NO_BACKEND)
		return misses != 1 || created || refused || full ? "counters wrong for a drop" : NULL;
	if (misses != 1 || prev != (__u64)(want->source == MODEL_PREV_RING))
		return "misses/prev_ring wrong";
	if (!want->create)
		return refused != 1 || created || full ? "refused wrong" : NULL;
	if (victim < 0)
		return full != 1 || created || refused ? "full wrong" : NULL;
	if (created != 1 || full || refused || evicted != (__u64)evicts)
		return "created/evicted wrong";
	return NULL;
}

/* One client: model first (from the maps as they are), then the kernel,
 * then the model again at the later time. The kernel's clock read lies
 * between the two; when they disagree an age sat on a limit, and either
 * answer is right. Otherwise the backend must match, and what the kernel
 * wrote into the key's two buckets and its counters must be what the model
 * and the victim rule say. */
static void compare_one(int v, const char *client, __u16 sport, struct tally *t)
{
	const struct vip_case *c = &cases[v];
	struct pkt_spec spec = {.family = c->family, .src = client, .dst = c->addr, .sport = sport, .dport = 80,
				.tcp_ack = rnd() % 3 == 0};
	struct siobpf_sticky_key key;
	struct sticky_found_slot found;
	struct model_choice want, later;
	struct siobpf_admit_stats s0, s1;
	struct model_state at;
	struct run_result res;
	struct pair before, after;
	__u32 src[4] = {0}, now_u, later_u;
	struct pkt p;
	int got, has_slot, hit = -1, victim, own, evicts = 0;
	const char *wrong;

	assert_int_equal(inet_pton(c->family == 6 ? AF_INET6 : AF_INET, client, src), 1);
	siobpf_sticky_key_make(&vips[v], src, htons(sport), &key);
	if (rnd() % 5 == 0)
		plant_random_entry(&vips[v], v, &key);
	if (rnd() % 5 == 0)
		plant_random_probation(&vips[v], v, &key);
	at = (struct model_state){.vip = &vips[v], .backends = table, .ring = ring, .now = dataplane_now(),
				  .admit = &admit, .prev_ring = has_prev ? prev_ring : NULL,
				  .proto = IPPROTO_TCP, .not_start = spec.tcp_ack};
	now_u = siobpf_time_units(at.now);
	pair_read(&key, &before);
	has_slot = sticky_table_find(&test_dp.sticky, &vips[v], admit.table_epoch, table, &key, now_u, &found);
	at.slot = has_slot ? &found.slot : NULL;
	if (has_slot)
		hit = (found.bucket == before.at.home ? 0 : 8) + found.index;
	want = model_decide(&at, &key);
	victim = expected_victim(&vips[v], &before, now_u, &own);
	s0 = admit_stats_of(v);

	pkt_build(&p, &spec);
	assert_int_equal(run_prog(&test_dp, &p, &res), 0);
	got = chosen_backend(&res);
	t->decisions++;
	at.now = dataplane_now();
	later_u = siobpf_time_units(at.now);
	later = model_decide(&at, &key);
	if (!same_choice(&want, &later) || later_u != now_u ||
	    victim != expected_victim(&vips[v], &before, later_u, NULL)) {
		t->on_edge++;
		return;
	}
	pair_read(&key, &after);
	s1 = admit_stats_of(v);
	/* A held newcomer's slot displaced by another key's entry. */
	if (victim >= 0 && victim != own && siobpf_slot_kind(before.s[victim]) == SIOBPF_SLOT_PROBATION &&
	    siobpf_slot_held(before.s[victim], now_u))
		evicts = 1;
	wrong = (want.source == MODEL_NO_BACKEND ? got != -1 : got != (int)want.backend_id)
			? "backend"
			: buckets_agree(v, &want, &before, &after, hit, victim, now_u);
	if (!wrong)
		wrong = counters_agree(&want, &s0, &s1, victim, evicts);
	if (wrong && ++t->mismatches <= 5)
		fprintf(stderr, "mismatch (%s): vip %s client %s:%u model %u (%d, refresh %d promote %d create %d) "
			"kernel %d, victim %d\n",
			wrong, c->addr, client, sport, want.backend_id, want.source, want.refresh, want.promote,
			want.create, got, victim);
	t->sticky_hits += want.source == MODEL_STICKY;
	t->refreshes += want.source == MODEL_STICKY && want.refresh;
	t->probation_hits += want.source == MODEL_PROBATION;
	t->promotions += want.source == MODEL_PROBATION && want.promote;
	t->created += want.create && victim >= 0;
	t->full += want.create && victim < 0;
	t->evicted += want.create && evicts;
	t->prev_ring += want.source == MODEL_PREV_RING;
}

/* Clients whose keys share one fingerprint, found by brute force with the
 * table hash: for VIP 0 (ip mode) and VIP 1 (ip-port), each sharing the
 * fingerprint of VIP 0's first one. On the tiny table every key has the
 * same two buckets, so these meet: a client of the same VIP takes another's
 * live slot for its own (and shares its backend), a client of the other
 * VIP must pass over it; the model and the kernel must agree on each. */
#define POOL 12
static char pool_addr[2][POOL][32];
static int pool_ready, pooled;

static void pool_build(void)
{
	__u32 fp0 = 0;

	for (int v = 0; v < 2; v++) {
		__u32 epoch = dataplane_vip_epoch(&test_dp, vips[v].id);
		int have = 0;

		for (__u32 n = 0; have < POOL; n++) {
			__u32 src[4] = {htonl(0x0a090000u + n), 0, 0, 0};
			struct siobpf_sticky_key key;
			__u32 fp;

			siobpf_sticky_key_make(&vips[v], src, htons(4242), &key);
			fp = siobpf_table_fp(siobpf_table_hash(&key, epoch));
			if (v == 0 && n == 0)
				fp0 = fp;
			if (fp != fp0)
				continue;
			{
				__u32 a = 0x0a090000u + n;

				snprintf(pool_addr[v][have], sizeof(pool_addr[v][have]), "%u.%u.%u.%u", a >> 24,
					 (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff);
			}
			have++;
			assert_true(n < (1u << 24));
		}
	}
	pool_ready = 1;
}

static void one_client(int v, int i, struct tally *t)
{
	char client[64];

	/* A tiny table fills with long-lived protected slots within a few
	 * dozen clients: emptied now and then, so that every state of a
	 * bucket pair comes round again. */
	if (test_dp.sticky.nbuckets == 2 && i % 400 == 399)
		memset(test_dp.sticky.buckets, 0, test_dp.sticky.bytes);
	if (test_dp.sticky.nbuckets == 2 && v < 2 && rnd() % 3 == 0) {
		if (!pool_ready)
			pool_build();
		pooled++;
		compare_one(v, pool_addr[v][rnd() % POOL], 4242, t);
		return;
	}
	random_client(cases[v].family, client, sizeof(client));
	compare_one(v, client, (__u16)(1024 + rnd() % 60000), t);
}

static void round_of_clients(unsigned seed, int clients, struct tally *t)
{
	srandom(seed);
	snapshot_all();
	if (test_dp.sticky.nbuckets == 2) {
		/* The VIPs' clients interleaved, so that they meet in the
		 * buckets. */
		for (int i = 0; i < 4 * clients; i++) {
			int v = (int)(rnd() % 4);

			snapshot(v);
			one_client(v, i, t);
		}
		return;
	}
	for (int v = 0; v < 4; v++) {
		snapshot(v);
		for (int i = 0; i < clients; i++)
			one_client(v, i, t);
	}
}

/* Three rounds of clients: random ones, then the world changes (one
 * backend down per VIP, a weight changed, so the ring moves), then the
 * same clients again (sticky hits) and new ones. */
static void three_rounds(int clients, struct tally *t)
{
	setup_world();
	round_of_clients(1, clients, t);
	for (int v = 0; v < 4; v++) {
		backend_set_state(&vips[v], backend_id(v, 2), SIOBPF_BACKEND_DOWN);
		struct siobpf_backend b;

		assert_int_equal(dataplane_backend_get(&test_dp, backend_id(v, 0), &b), 0);
		b.weight = 5;
		assert_int_equal(dataplane_backend_put(&test_dp, backend_id(v, 0), &b), 0);
		ring_rebuild(&vips[v]);
	}
	round_of_clients(1, clients, t);
	round_of_clients(2, clients, t);
}

static void report(const char *what, const struct tally *t)
{
	printf("differential (%s): %d decisions, %d by sticky entry (%d refreshing it), %d by probation entry "
	       "(%d promoting it), %d entries made (%d displacing a newcomer), %d without room, "
	       "%d by the previous ring, %d on a time limit, %d mismatches\n",
	       what, t->decisions, t->sticky_hits, t->refreshes, t->probation_hits, t->promotions, t->created,
	       t->evicted, t->full, t->prev_ring, t->on_edge, t->mismatches);
}

static void kernel_and_model_choose_the_same_backend(void **state)
{
	struct tally t = {0};

	assert_int_equal(harness_reset(state), 0);
	three_rounds(CLIENTS_PER_VIP, &t);
	report("table of 65536 clients", &t);
	assert_true(t.decisions >= 10000);
	assert_true(t.sticky_hits > t.decisions / 10); /* the sticky path was exercised */
	assert_true(t.refreshes > 0 && t.refreshes < t.sticky_hits); /* both refresh answers seen */
	assert_true(t.promotions > 0 && t.promotions < t.probation_hits); /* promoted and deferred */
	assert_true(t.created > 0 && t.prev_ring > 0);
	assert_true(t.on_edge < t.decisions / 100);
	assert_int_equal(t.mismatches, 0);
}

/* The same on a table of two buckets (16 slots) shared by four VIPs: every
 * key's buckets are the same two, so inserts meet full buckets, displace
 * newcomers, find no room, reuse their own dead slots, and pass over other
 * VIPs' live slots; the kernel must do exactly what the model and the
 * victim rule (siobpf_table_victim) say, slot by slot and counter by
 * counter. */
static void kernel_and_model_agree_on_a_tiny_table(void **state)
{
	struct tally t = {0};

	(void)state;
	assert_int_equal(harness_load_clients(8), 0);
	assert_int_equal(test_dp.sticky.nbuckets, 2);
	three_rounds(400, &t);
	report("table of 2 buckets", &t);
	printf("differential (table of 2 buckets): %d decisions for clients of one fingerprint\n", pooled);
	assert_true(pooled > 500);
	assert_true(t.decisions >= 4000);
	assert_true(t.sticky_hits > 0 && t.probation_hits > 0 && t.promotions > 0);
	assert_true(t.created > 0 && t.evicted > 0 && t.full > 0);
	assert_true(t.on_edge < t.decisions / 50);
	assert_int_equal(t.mismatches, 0);
	assert_int_equal(harness_load_clients(TEST_CLIENTS), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(kernel_and_model_choose_the_same_backend),
		cmocka_unit_test(kernel_and_model_agree_on_a_tiny_table),
	};

	return cmocka_run_group_tests_name("differential", tests, harness_setup, harness_teardown);
}

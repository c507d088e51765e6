// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* The reference model of docs/data-path.md, written from that document and
 * nothing else of the program's: see oracle.h. Every rule below carries the
 * section of the document it implements. */
#include <string.h>

#include "oracle.h"
#include "siobpf/table.h" /* placement only: key hash, buckets, victim (oracle.h) */

static const char *const reason_names[OR_REASONS] = {
	"tx", "redirect", "pass_not_ip", "pass_vlan_stacked", "pass_ipv6_ext", "pass_icmp",
	"pass_other_proto", "pass_not_vip", "drop_bad_l2", "drop_bad_ipv4", "drop_bad_ipv6",
	"drop_bad_l4", "drop_fragment", "drop_no_backend", "drop_bad_csum", "drop_frag_unknown",
	"pass_frag_stack", "drop_no_egress", "redirect_failed",
};

const char *oracle_reason_name(int reason)
{
	return reason >= 0 && reason < OR_REASONS ? reason_names[reason] : "?";
}

/* §9: which reasons pass and which drop; an explicit list, not a range. */
int oracle_reason_action(int reason)
{
	switch (reason) {
	case OR_TX:
		return OA_TX;
	case OR_REDIRECT:
		return OA_REDIRECT;
	case OR_PASS_NOT_IP:
	case OR_PASS_VLAN_STACKED:
	case OR_PASS_IPV6_EXT:
	case OR_PASS_ICMP:
	case OR_PASS_OTHER_PROTO:
	case OR_PASS_NOT_VIP:
	case OR_PASS_FRAG_STACK:
		return OA_PASS;
	default:
		return OA_DROP;
	}
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Map values are host order (this machine: little-endian), except the
 * addresses and ports, which are kept as they sit in a packet. */
static uint32_t host32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static uint64_t host64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

void oracle_vip_read(struct oracle_vip *v, const uint8_t *key, const uint8_t *val)
{
	memset(v, 0, sizeof(*v));
	memcpy(v->addr, key, 16);
	v->port = be16(key + 16);
	v->proto = key[18];
	v->family = key[19];
	v->id = host32(val);
	v->persist_sec = host32(val + 4);
	v->seed = host32(val + 8);
	memcpy(v->mask, val + 12, 16);
	v->sticky = val[28];
	v->flags = val[31];
}

void oracle_admit_read(struct oracle_admit *a, const uint8_t *val)
{
	a->ring_changed = host64(val);
	a->gap_ms = host32(val + 8);
	a->prev_ms = host32(val + 12);
	a->epoch = host32(val + 16);
}

void oracle_backend_read(struct oracle_backend *b, const uint8_t *val)
{
	memset(b, 0, sizeof(*b));
	memcpy(b->addr, val, 16);
	memcpy(b->mac, val + 16, 6);
	memcpy(b->src_mac, val + 22, 6);
	b->ifindex = host32(val + 28);
	b->weight = host32(val + 32);
	b->generation = host32(val + 36);
	b->vip_id = host32(val + 40);
	b->state = val[44];
	b->family = val[45];
	b->in_use = val[46];
}


/* §5: MurmurHash3_x86_32. Blocks are 4 bytes read little-endian; the 1 to 3
 * bytes left over are mixed like a block without the rotate-multiply-add
 * step on h; the length goes into the finaliser. */
static uint32_t rot(uint32_t x, unsigned r)
{
	return x << r | x >> (32 - r);
}

static uint32_t scramble(uint32_t k)
{
	return rot(k * 0xcc9e2d51u, 15) * 0x1b873593u;
}

uint32_t oracle_murmur3_32(const uint8_t *data, uint32_t len, uint32_t seed)
{
	uint32_t h = seed, i = 0, tail = 0;

	for (; i + 4 <= len; i += 4) {
		uint32_t k = data[i] | (uint32_t)data[i + 1] << 8 | (uint32_t)data[i + 2] << 16 |
			     (uint32_t)data[i + 3] << 24;

		h = rot(h ^ scramble(k), 13) * 5 + 0xe6546b64u;
	}
	for (uint32_t s = 0; i < len; i++, s += 8)
		tail |= (uint32_t)data[i] << s;
	if (len & 3)
		h ^= scramble(tail);
	h ^= len;
	h = (h ^ (h >> 16)) * 0x85ebca6bu;
	h = (h ^ (h >> 13)) * 0xc2b2ae35u;
	return h ^ (h >> 16);
}

/* §2.3: RFC 1071's sum: big-endian 16-bit words, carries folded back. */
uint16_t oracle_ones_sum(const uint8_t *data, uint32_t len)
{
	uint64_t sum = 0;

	for (uint32_t i = 0; i < len; i += 2)
		sum += (uint32_t)data[i] << 8 | (i + 1 < len ? data[i + 1] : 0);
	while (sum > 0xffff)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

enum frag_kind { FK_NONE, FK_FIRST, FK_LATER };

/* What the parse found (§2). */
struct parsed {
	const uint8_t *f;
	uint32_t len;
	int family; /* 4 or 6 */
	uint8_t proto;
	uint32_t l3, l4, dend; /* IP header, L4 header, end of the datagram */
	uint8_t src[16], dst[16];
	int frag;
	uint32_t frag_id;
	int csum_ok;
	int jumbo;
	int ext_walked;
};

static void verdict(struct oracle_out *o, int reason)
{
	o->reason = reason;
	o->action = oracle_reason_action(reason);
}

static const struct oracle_backend *backend_at(const struct oracle_world *w, uint32_t id)
{
	return id < w->n_backends ? &w->backends[id] : NULL;
}

static int egress_has(const struct oracle_world *w, uint32_t ifindex)
{
	for (int i = 0; i < w->n_egress; i++)
		if (w->egress[i] == ifindex)
			return 1;
	return 0;
}

/* §8: out of the ingress interface, or redirected to one in sio_egress;
 * a backend behind any other interface is a drop (no counters but the
 * reason's). */
static void forward(const struct oracle_world *w, struct oracle_out *o, uint32_t vip_id,
		    uint32_t backend_id)
{
	const struct oracle_backend *b = backend_at(w, backend_id);

	if (b->ifindex == w->ingress_ifindex)
		verdict(o, OR_TX);
	else
		verdict(o, egress_has(w, b->ifindex) ? OR_REDIRECT : OR_DROP_NO_EGRESS);
	o->vip_id = vip_id;
	o->backend_id = backend_id;
}

/* §4: the VIPs of an address and protocol (the alias), and the one VIP of
 * a port. */
static int alias_count(const struct oracle_world *w, int family, const uint8_t *dst, uint8_t proto,
		       const struct oracle_vip **only)
{
	int n = 0;

	for (int i = 0; i < w->n_vips; i++) {
		const struct oracle_vip *v = &w->vips[i];

		if (v->family == family && v->proto == proto &&
		    !memcmp(v->addr, dst, family == 4 ? 4 : 16)) {
			n++;
			*only = v;
		}
	}
	return n;
}

static const struct oracle_vip *vip_of(const struct oracle_world *w, int family, const uint8_t *dst,
				       uint8_t proto, uint16_t port)
{
	for (int i = 0; i < w->n_vips; i++) {
		const struct oracle_vip *v = &w->vips[i];

		if (v->family == family && v->proto == proto && v->port == port && port != 0 &&
		    !memcmp(v->addr, dst, family == 4 ? 4 : 16))
			return v;
	}
	return NULL;
}

/* §6.1: the sticky table's slot, a u64, low bit first: fingerprint 18
 * bits, backend id 12, generation 6 (the backend's, low bits), alt 1,
 * kind 2 (0 empty, 1 probation, 2 protected), deadline 25 bits of time
 * units (CLOCK_MONOTONIC_COARSE ns >> 26, modulo 2^25). */
static uint32_t sl_fp(uint64_t s) { return (uint32_t)(s & 0x3ffff); }
static uint32_t sl_backend(uint64_t s) { return (uint32_t)(s >> 18) & 0xfff; }
static uint32_t sl_gen(uint64_t s) { return (uint32_t)(s >> 30) & 0x3f; }
static uint32_t sl_kind(uint64_t s) { return (uint32_t)(s >> 37) & 3; }
static uint32_t sl_deadline(uint64_t s) { return (uint32_t)(s >> 39); }

static uint64_t sl_make(uint32_t fp, uint32_t backend, uint32_t gen, uint32_t alt, uint32_t kind,
			uint32_t deadline)
{
	return (uint64_t)(fp & 0x3ffff) | (uint64_t)(backend & 0xfff) << 18 | (uint64_t)(gen & 0x3f) << 30 |
	       (uint64_t)(alt & 1) << 36 | (uint64_t)(kind & 3) << 37 | (uint64_t)(deadline & 0x1ffffff) << 39;
}

static uint32_t units(uint64_t ns)
{
	return (uint32_t)(ns >> 26) & 0x1ffffff;
}

/* Units until the deadline: 1 .. 2^24 while it has not passed, else 0. */
static uint32_t sl_left(uint64_t s, uint32_t now_u)
{
	uint32_t r = (sl_deadline(s) - now_u) & 0x1ffffff;

	return r >= 1 && r <= (1u << 24) ? r : 0;
}

static int sl_held(uint64_t s, uint32_t now_u)
{
	return sl_kind(s) != 0 && sl_left(s, now_u) != 0;
}

/* A persistence in units, rounded down (a slot made in unit u with
 * deadline u + p is held while the clock's unit is before u + p: never
 * longer than the persistence); capped at 1,000,000 s. */
static uint32_t persist_units(uint32_t sec)
{
	uint64_t ns = (uint64_t)(sec < 1000000u ? sec : 1000000u) * 1000000000ull;

	return (uint32_t)(ns >> 26);
}

/* §6.1: a slot counts for a client of v while held and its backend record
 * is in use, not down, of the slot's generation and serves v. */
static int sl_live(const struct oracle_vip *v, uint64_t s, const struct oracle_backend *b, uint32_t now_u)
{
	return sl_held(s, now_u) && b && b->in_use && b->state != 2 && (b->generation & 0x3f) == sl_gen(s) &&
	       b->vip_id == v->id;
}

/* Another VIP's live client: never the key's own slot. */
static int sl_foreign(const struct oracle_vip *v, uint64_t s, const struct oracle_backend *b, uint32_t now_u)
{
	return sl_held(s, now_u) && b && b->in_use && b->state != 2 && (b->generation & 0x3f) == sl_gen(s) &&
	       b->vip_id != v->id;
}

/* A protected hit renews the deadline once the slot is a refresh period
 * old (1 s, or half the persistence if shorter), or at once when its
 * deadline lies beyond the persistence. */
static int refresh_due(const struct oracle_vip *v, uint64_t s, uint32_t now_u)
{
	uint32_t p = persist_units(v->persist_sec), period = 1000000000u >> 26, r = sl_left(s, now_u);

	if (p / 2 < period)
		period = p / 2;
	return r > p || p - r >= period;
}

/* §6.3: the admission gap, and whether the previous ring is followed. */
static uint64_t admit_gap(const struct oracle_vip *v, const struct oracle_admit *a)
{
	uint64_t gap = (uint64_t)(a->gap_ms ? a->gap_ms : 1000u) * 1000000ull;
	uint64_t half = (uint64_t)v->persist_sec * 500000000ull;

	return gap < half ? gap : half;
}

static int prev_ring_on(const struct oracle_admit *a, uint64_t now)
{
	uint64_t window = (uint64_t)(a->prev_ms ? a->prev_ms : 5000u) * 1000000ull;

	return a->ring_changed && now - a->ring_changed < window;
}

/* Both clock reads must give the same answer, or the frame is on a limit. */
static int at_both(struct oracle_out *o, int a0, int a1)
{
	if (a0 != a1)
		o->ambiguous = 1;
	return a1;
}

/* §7: the backend id in a ring's slot, if it is a record. */
static const struct oracle_backend *ring_at(const struct oracle_world *w, const uint32_t *ring,
					    uint32_t slot, uint32_t *id)
{
	if (!ring)
		return NULL;
	*id = ring[slot];
	if (*id == 0xffffffffu)
		return NULL;
	return backend_at(w, *id);
}

/* §6 and §7: the backend for a client of a VIP, -1 for none. client_only:
 * an ICMP error, which looks at the tables but never writes them, and
 * takes the current ring only. tcp_flags: the TCP flags byte (0 for UDP
 * and later fragments). */
static int64_t choose(const struct oracle_world *w, const struct oracle_vip *v, const uint8_t *src,
		      const uint8_t *sport, uint8_t proto, uint8_t tcp_flags, uint64_t t0, uint64_t t1,
		      int client_only, struct oracle_out *o)
{
	uint8_t *k = o->key;
	const struct oracle_backend *b;
	const struct oracle_admit *a = &w->admit[v->id];
	const uint32_t *ring, *prev;
	uint32_t id = 0, slot;
	int start;

	memset(k, 0, ORACLE_STICKY_KEY_BYTES);
	memcpy(k, &v->id, 4);
	for (int i = 0; i < (v->family == 4 ? 4 : 16); i++)
		k[4 + i] = src[i] & v->mask[i];
	if (v->sticky == 1) {
		k[20] = sport[0];
		k[21] = sport[1];
	}

	if (v->persist_sec) {
		uint64_t h;
		struct siobpf_sticky_key sk;
		uint32_t fp, now_u = units(t1);

		/* §6.1: the key's home bucket, then its alternative one; the first
		 * slot with its fingerprint that is live decides. Both buckets are
		 * read whatever is found (the program reads the second only when
		 * needed; nothing tells the two apart). A frame whose clock reads
		 * fall in two time units is on a limit. */
		if (units(t0) != now_u)
			o->ambiguous = 1;
		memcpy(&sk, k, sizeof(sk));
		h = siobpf_table_hash(&sk, w->admit[v->id].epoch);
		fp = siobpf_table_fp(h);
		o->bucket[0] = siobpf_table_home(h, w->sticky_mask);
		o->bucket[1] = siobpf_table_other(o->bucket[0], fp, w->sticky_mask);
		w->bucket_get(w->ctx, o->bucket[0], o->seen);
		w->bucket_get(w->ctx, o->bucket[1], o->seen + ORACLE_BUCKET_SLOTS);
		o->sticky = OS_LOOK;
		o->hit = o->write_at = -1;
		for (int i = 0; i < 2 * ORACLE_BUCKET_SLOTS && o->hit < 0; i++)
			if (sl_kind(o->seen[i]) && sl_fp(o->seen[i]) == fp &&
			    sl_live(v, o->seen[i], backend_at(w, sl_backend(o->seen[i])), now_u))
				o->hit = i;
		if (o->hit >= 0) {
			uint64_t e = o->seen[o->hit];
			uint32_t p = persist_units(v->persist_sec);

			if (client_only)
				return sl_backend(e);
			o->admit_vip = v->id;
			if (sl_kind(e) == 2) {
				o->sticky = OS_HIT;
				o->refresh = refresh_due(v, e, now_u);
			} else {
				/* §6.3: promoted once the admission gap old (in units,
				 * rounded down; the age: the persistence less the units
				 * left). */
				uint32_t gap_u = (uint32_t)(admit_gap(v, a) >> 26), r = sl_left(e, now_u);
				uint32_t age = r < p ? p - r : 0;

				if (age >= gap_u) {
					o->sticky = OS_PROMOTE;
					o->admit[OC_ADMITTED] = 1;
				} else {
					o->sticky = OS_PROBATION;
					o->admit[OC_DEFERRED] = 1;
				}
			}
			if (o->sticky == OS_PROMOTE || (o->sticky == OS_HIT && o->refresh)) {
				o->write_at = o->hit;
				o->written = (e & ((1ull << 37) - 1)) | 2ull << 37 |
					     (uint64_t)((now_u + p) & 0x1ffffff) << 39;
			}
			return sl_backend(e);
		}
	}

	ring = v->id < ORACLE_MAX_VIP_IDS ? w->rings[v->id] : NULL;
	slot = oracle_murmur3_32(k + 4, 20, v->seed) % w->ring_size;
	if (client_only) {
		b = ring_at(w, ring, slot, &id);
		if (!b || !b->in_use || b->state != 0 || b->vip_id != v->id)
			return -1;
		return id;
	}

	/* §6.4: a miss. A connection start is a TCP SYN without ACK. */
	o->admit_vip = v->id;
	o->admit[OC_MISSES] = 1;
	start = proto == 6 && (tcp_flags & 0x12) == 0x02;
	b = NULL;
	prev = v->id < ORACLE_MAX_VIP_IDS ? w->prev_rings[v->id] : NULL;
	if (!start && at_both(o, prev_ring_on(a, t0), prev_ring_on(a, t1))) {
		b = ring_at(w, prev, slot, &id);
		if (b && (!b->in_use || b->state == 2 || b->vip_id != v->id))
			b = NULL;
		if (b) {
			o->admit[OC_PREV_RING] = 1;
			o->prev_ring = 1;
		}
	}
	if (!b) {
		b = ring_at(w, ring, slot, &id);
		if (!b || !b->in_use || b->state != 0 || b->vip_id != v->id)
			return -1;
	}
	if (!v->persist_sec)
		return id;
	if (!start && proto != 17) {
		o->admit[OC_REFUSED] = 1;
		return id;
	}
	/* §6.4: a probation slot in the key's own dead slot (its fingerprint,
	 * not live, not another VIP's live client), else where
	 * siobpf_table_victim says; no slot (both buckets held protected):
	 * "full". Taking a held probation slot of another key: "evicted". */
	{
		struct siobpf_sticky_key sk;
		uint32_t now_u = units(t1), fp;
		int own = -1, victim;

		memcpy(&sk, k, sizeof(sk));
		fp = sl_fp(siobpf_table_hash(&sk, w->admit[v->id].epoch));

		for (int i = 0; i < 2 * ORACLE_BUCKET_SLOTS && own < 0; i++) {
			uint64_t e = o->seen[i];
			const struct oracle_backend *eb = backend_at(w, sl_backend(e));

			if (sl_kind(e) && sl_fp(e) == fp && !sl_live(v, e, eb, now_u) && !sl_foreign(v, e, eb, now_u))
				own = i;
		}
		{
			__u64 both[2 * ORACLE_BUCKET_SLOTS];

			for (int i = 0; i < 2 * ORACLE_BUCKET_SLOTS; i++)
				both[i] = o->seen[i];
			victim = siobpf_table_victim(both, both + ORACLE_BUCKET_SLOTS, now_u, own);
		}
		if (victim < 0) {
			o->sticky = OS_FULL;
			o->admit[OC_FULL] = 1;
			return id;
		}
		o->sticky = OS_CREATE;
		o->admit[OC_CREATED] = 1;
		o->new_sticky = 1;
		if (victim != own && sl_kind(o->seen[victim]) == 1 && sl_held(o->seen[victim], now_u))
			o->admit[OC_EVICTED] = 1;
		o->write_at = victim;
		o->written = sl_make(fp, id, b->generation, victim >= ORACLE_BUCKET_SLOTS, 1,
				     now_u + persist_units(v->persist_sec));
	}
	return id;
}

/* §8: the fragment table. */
static uint32_t frag_bucket(const struct oracle_frag_key *key)
{
	const uint8_t *p = (const uint8_t *)key;
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < sizeof(*key); i++)
		h = (h ^ p[i]) * 16777619u;
	return h & (ORACLE_FRAG_BUCKETS - 1);
}

static void frag_key_make(const struct parsed *p, struct oracle_frag_key *key)
{
	memset(key, 0, sizeof(*key));
	key->family = (uint8_t)p->family;
	key->proto = p->proto;
	key->id = p->frag_id;
	memcpy(key->src, p->src, 16);
	memcpy(key->dst, p->dst, 16);
}

/* 1 present (*e set), 0 missing, -1 cannot tell (an age near the limit,
 * or an entry the model had no room to keep). */
static int frag_find(const struct oracle_world *w, const struct oracle_frag_key *key, uint64_t t0,
		     uint64_t t1, const struct oracle_frag **e)
{
	uint32_t b = frag_bucket(key);
	const struct oracle_frag *way = &w->frags[b * ORACLE_FRAG_WAYS];

	for (int i = 0; i < ORACLE_FRAG_WAYS; i++) {
		if (!way[i].used || memcmp(&way[i].key, key, sizeof(*key)))
			continue;
		*e = &way[i];
		if (t1 - way[i].t0 < w->frag_live_ns)
			return 1;
		if (t0 - way[i].t1 > w->frag_gone_ns)
			return 0;
		return -1;
	}
	if (w->frag_lossy[b] && t1 - w->frag_lossy[b] < w->frag_gone_ns)
		return -1;
	return 0;
}

void oracle_commit(struct oracle_world *w, const struct oracle_out *o)
{
	uint32_t b;
	struct oracle_frag *way, *slot = NULL;

	if (!o->frag_write)
		return;
	b = frag_bucket(&o->frag.key);
	way = &w->frags[b * ORACLE_FRAG_WAYS];
	for (int i = 0; i < ORACLE_FRAG_WAYS && !slot; i++)
		if (way[i].used && !memcmp(&way[i].key, &o->frag.key, sizeof(o->frag.key)))
			slot = &way[i];
	for (int i = 0; i < ORACLE_FRAG_WAYS && !slot; i++)
		if (!way[i].used || o->frag.t0 - way[i].t1 > w->frag_gone_ns)
			slot = &way[i];
	if (!slot) {
		slot = &way[0];
		for (int i = 1; i < ORACLE_FRAG_WAYS; i++)
			if (way[i].t1 < slot->t1)
				slot = &way[i];
		w->frag_lossy[b] = o->frag.t1;
	}
	*slot = o->frag;
	slot->used = 1;
}

/* §2.1, §2.2: L2 and L3. Returns 0 to go on, or a reason. */
static int parse(const uint8_t *f, uint32_t len, struct parsed *p, struct oracle_out *o)
{
	uint32_t off = 14;
	uint16_t type;

	memset(p, 0, sizeof(*p));
	p->f = f;
	p->len = len;
	if (len < 14)
		return OR_DROP_BAD_L2;
	type = be16(f + 12);
	if (type == 0x8100 || type == 0x88a8) {
		if (len < 18)
			return OR_DROP_BAD_L2;
		type = be16(f + 16);
		off = 18;
		if (type == 0x8100 || type == 0x88a8)
			return OR_PASS_VLAN_STACKED;
	}
	p->l3 = off;

	if (type == 0x0800) {
		uint32_t hlen, tot;
		uint16_t fo;

		if (off + 20 > len)
			return OR_DROP_BAD_IPV4;
		hlen = (f[off] & 15u) * 4;
		if (f[off] >> 4 != 4 || hlen < 20 || off + hlen > len)
			return OR_DROP_BAD_IPV4;
		tot = be16(f + off + 2);
		if (tot < hlen || off + tot > len)
			return OR_DROP_BAD_IPV4;
		p->family = 4;
		p->proto = f[off + 9];
		memcpy(p->src, f + off + 12, 4);
		memcpy(p->dst, f + off + 16, 4);
		fo = be16(f + off + 6);
		p->frag = (fo & 0x1fff) ? FK_LATER : (fo & 0x2000) ? FK_FIRST : FK_NONE;
		p->frag_id = be16(f + off + 4);
		p->csum_ok = oracle_ones_sum(f + off, hlen) == 0xffff;
		p->l4 = off + hlen;
		p->dend = off + tot;
		return 0;
	}
	if (type == 0x86dd) {
		uint32_t plen, at;
		uint8_t next;

		if (off + 40 > len)
			return OR_DROP_BAD_IPV6;
		plen = be16(f + off + 4);
		if (f[off] >> 4 != 6 || off + 40 + plen > len)
			return OR_DROP_BAD_IPV6;
		p->family = 6;
		p->csum_ok = 1;
		memcpy(p->src, f + off + 8, 16);
		memcpy(p->dst, f + off + 24, 16);
		/* A jumbogram (payload length 0) is its fixed header alone: no
		 * extension header and no L4 header lies inside it (§2.2). */
		p->jumbo = plen == 0;
		p->dend = off + 40 + plen;
		next = f[off + 6];
		at = off + 40;
		while (next == 0 || next == 60 || next == 44) {
			if (p->ext_walked == 4) {
				o->flags |= OF_V6EXT;
				return OR_PASS_IPV6_EXT;
			}
			p->ext_walked++;
			o->flags |= OF_V6EXT;
			if (next == 44) {
				uint16_t fo;

				if (at + 8 > p->dend)
					return OR_DROP_BAD_IPV6;
				fo = be16(f + at + 2);
				p->frag = (fo >> 3) ? FK_LATER : (fo & 1) ? FK_FIRST : FK_NONE;
				p->frag_id = be32(f + at + 4);
				next = f[at];
				at += 8;
				if (p->frag == FK_LATER) /* what follows is not a header */
					break;
			} else {
				uint32_t hl;

				if (at + 2 > p->dend)
					return OR_DROP_BAD_IPV6;
				hl = (f[at + 1] + 1u) * 8;
				if (at + hl > p->dend)
					return OR_DROP_BAD_IPV6;
				next = f[at];
				at += hl;
			}
		}
		p->proto = next;
		p->l4 = at;
		return 0;
	}
	return OR_PASS_NOT_IP;
}

/* §3: ICMP errors about a VIP flow, bounded by the frame. */
static void icmp_error(const struct oracle_world *w, const struct parsed *p, uint64_t t0,
		       uint64_t t1, struct oracle_out *o)
{
	const uint8_t *f = p->f;
	const struct oracle_vip *v;
	uint32_t q, ql4;
	uint8_t qproto, client[16] = {0};
	int64_t id;

	verdict(o, OR_PASS_ICMP);
	if (p->frag != FK_NONE || p->l4 + 8 > p->len)
		return;
	q = p->l4 + 8;
	if (p->family == 4) {
		if (p->proto != 1 || f[p->l4] != 3 || f[p->l4 + 1] != 4)
			return;
		if (q + 20 > p->len || f[q] >> 4 != 4 || (f[q] & 15) < 5 || memcmp(f + q + 12, p->dst, 4))
			return;
		if (be16(f + q + 6) & 0x1fff)
			return;
		qproto = f[q + 9];
		memcpy(client, f + q + 16, 4);
		ql4 = q + (f[q] & 15u) * 4;
	} else {
		if (p->proto != 58 || f[p->l4] != 2)
			return;
		if (q + 40 > p->len || f[q] >> 4 != 6 || memcmp(f + q + 8, p->dst, 16))
			return;
		qproto = f[q + 6];
		memcpy(client, f + q + 24, 16);
		ql4 = q + 40;
	}
	if ((qproto != 6 && qproto != 17) || ql4 + 8 > p->len)
		return;
	v = vip_of(w, p->family, p->dst, qproto, be16(f + ql4));
	if (!v)
		return;
	o->for_vip = 1;
	id = choose(w, v, client, f + ql4 + 2, qproto, 0, t0, t1, 1, o);
	if (id < 0) {
		verdict(o, OR_DROP_NO_BACKEND);
		return;
	}
	forward(w, o, v->id, (uint32_t)id);
}

/* §2.4: whether the TCP or UDP header lies inside the datagram; *frame_ok
 * gets the same question asked of the frame instead (the rule before the
 * datagram bound), to name the class of a disagreement. */
static int l4_intact(const struct parsed *p, int *frame_ok)
{
	const uint8_t *f = p->f;
	uint32_t at = p->l4;
	int ok, fok;

	if (p->proto == 6) {
		uint32_t doff = at + 13 <= p->len ? (f[at + 12] >> 4) * 4u : 0;

		ok = at + 20 <= p->dend && doff >= 20 && at + doff <= p->dend;
		fok = at + 20 <= p->len && doff >= 20 && at + doff <= p->len;
	} else {
		uint32_t ulen = at + 8 <= p->len ? be16(f + at + 4) : 0;

		ok = at + 8 <= p->dend && ulen >= 8 && (p->frag == FK_FIRST || ulen <= p->dend - at);
		fok = at + 8 <= p->len && ulen >= 8;
	}
	if (p->jumbo)
		ok = 0;
	*frame_ok = fok;
	return ok;
}

void oracle_decide(const struct oracle_world *w, const uint8_t *f, uint32_t len, uint64_t t0,
		   uint64_t t1, struct oracle_out *o)
{
	const struct oracle_vip *v, *only = NULL;
	struct parsed p;
	int reason, n, ok, frame_ok;
	int64_t id;

	memset(o, 0, sizeof(*o));
	o->vip_id = o->backend_id = o->admit_vip = -1;
	reason = parse(f, len, &p, o);
	if (reason) {
		verdict(o, reason);
		return;
	}
	o->family = p.family;
	o->fragment = p.frag;
	memcpy(o->dst, p.dst, 16);

	switch (p.proto) {
	case 6:
	case 17:
		break;
	case 1:
	case 58:
		o->flags |= OF_ICMP;
		icmp_error(w, &p, t0, t1, o);
		return;
	case 0: case 43: case 44: case 51: case 60: case 135:
		verdict(o, p.family == 6 ? OR_PASS_IPV6_EXT : OR_PASS_OTHER_PROTO);
		return;
	default:
		verdict(o, OR_PASS_OTHER_PROTO);
		return;
	}

	/* §4: transit traffic is never dropped. */
	n = alias_count(w, p.family, p.dst, p.proto, &only);
	if (!n) {
		if (p.frag != FK_LATER && (!l4_intact(&p, &frame_ok) || !frame_ok))
			o->flags |= OF_TRANSIT;
		verdict(o, OR_PASS_NOT_VIP);
		return;
	}
	o->for_vip = 1;
	if (p.frag != FK_NONE)
		o->flags |= OF_FRAG;

	if (p.frag == FK_LATER) {
		struct oracle_frag_key key;
		const struct oracle_frag *e = NULL;
		int found;

		if (!p.csum_ok) {
			o->flags |= OF_CSUM;
			verdict(o, OR_DROP_BAD_CSUM);
			return;
		}
		frag_key_make(&p, &key);
		found = frag_find(w, &key, t0, t1, &e);
		if (found < 0)
			o->ambiguous = 1;
		if (found > 0 && e->stack) {
			verdict(o, OR_PASS_FRAG_STACK);
			return;
		}
		if (found > 0) {
			const struct oracle_backend *b = backend_at(w, e->backend_id);

			if (b && b->in_use && b->vip_id == e->vip_id) {
				o->frag_exception = 1;
				forward(w, o, e->vip_id, e->backend_id);
			} else {
				verdict(o, OR_DROP_FRAG_UNKNOWN);
			}
			return;
		}
		if (n != 1 || only->sticky != 0) {
			verdict(o, OR_DROP_FRAG_UNKNOWN);
			return;
		}
		/* A later fragment carries no TCP flags: never a connection start. */
		id = choose(w, only, p.src, (const uint8_t *)"\0\0", p.proto, 0, t0, t1, 0, o);
		if (id < 0)
			verdict(o, OR_DROP_NO_BACKEND);
		else
			forward(w, o, only->id, (uint32_t)id);
		return;
	}

	ok = l4_intact(&p, &frame_ok);
	if (ok != frame_ok)
		o->flags |= OF_L4LEN;
	if (!ok) {
		if (!p.csum_ok)
			o->flags |= OF_CSUM;
		verdict(o, p.csum_ok ? OR_DROP_BAD_L4 : OR_DROP_BAD_CSUM);
		return;
	}
	frag_key_make(&p, &o->frag.key);
	o->frag.t0 = t0;
	o->frag.t1 = t1;
	v = vip_of(w, p.family, p.dst, p.proto, be16(f + p.l4 + 2));
	if (!v) {
		verdict(o, OR_PASS_NOT_VIP);
		if (p.frag == FK_FIRST) {
			o->frag_write = 1;
			o->frag.stack = 1;
		}
		return;
	}
	if (!p.csum_ok) {
		o->flags |= OF_CSUM;
		verdict(o, OR_DROP_BAD_CSUM);
		return;
	}
	id = choose(w, v, p.src, f + p.l4, p.proto, p.proto == 6 ? f[p.l4 + 13] : 0, t0, t1, 0, o);
	if (id < 0) {
		verdict(o, OR_DROP_NO_BACKEND);
		return;
	}
	forward(w, o, v->id, (uint32_t)id);
	if (p.frag == FK_FIRST) {
		o->frag_write = 1;
		o->frag.vip_id = v->id;
		o->frag.backend_id = (uint32_t)id;
	}
}

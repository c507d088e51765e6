// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* siobench: the measurements that drive XDP programs directly. Per-packet
 * cost and scale under BPF_PROG_TEST_RUN, live-frame packet rates through
 * the namespace topology, and the trivial forwarder used as a baseline.
 * Each measuring command prints one JSON object on stdout; bench/run.sh
 * drives them and bench/report.py reads what they print.
 *
 *   siobench testrun  [--repeat N] [--rounds K]
 *   siobench scale    [--repeat N] [--rounds K]
 *   siobench table    [--repeat N] [--rounds K] [--entries N]
 *                     (with the new-entry events' cost per new client)
 *   siobench live-lb  --peer-ns NS --peer-dev DEV [--dev DEV] [--repeat N] [--rounds K]
 *   siobench gen      --peer-ns NS --peer-dev DEV --sink-ns NS[,NS...] --src ADDR
 *                     --vip ADDR --dst-mac MAC [--dev DEV] [--seconds S]
 *   siobench fwd-attach --dev DEV --mode native|generic --vip ADDR --backend-mac MAC...
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_link.h>
#include <linux/in.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "siobpf/hash.h"
#include "dataplane.h"
#include "events.h"
#include "vip_table.h"
#include "maglev.h"
#include "bench.h"
#include "pkt.h"
#include "floor.skel.h"
#include "driver.skel.h"
#include "live.skel.h"
#include "cost.skel.h"
#include "bound.skel.h"
#include "siobpf.skel.h"
#include "siobpf_prev.skel.h"

static const __u8 client_mac[6] = {0x02, 0xc1, 0x00, 0x00, 0x00, 0x01};
static const __u8 lb_mac[6] = {0x02, 0x1b, 0x00, 0x00, 0x00, 0x01};

#define VIP4 "10.77.100.1"
#define VIP4_RING "10.77.100.2"   /* persist 0: every packet asks the ring */
#define VIP4_PORT "10.77.100.3"   /* ip-port stickiness */
#define VIP6 "fd77::100"
#define CLIENT4 "10.77.2.1"
#define CLIENT6 "fd77::2:1"
#define BACKENDS_PER_VIP 10

static __attribute__((noreturn)) void die(const char *what, int err)
{
	fprintf(stderr, "siobench: %s: %s\n", what, strerror(err < 0 ? -err : err));
	exit(1);
}

static void check(int err, const char *what)
{
	if (err)
		die(what, err);
}

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list args)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, args) : 0;
}

/* ---- JSON on stdout: just enough for flat objects and nested ones ---- */

static int json_depth;
static bool json_first[16] = {true};

static void json_sep(const char *key)
{
	if (!json_first[json_depth])
		printf(",");
	json_first[json_depth] = false;
	printf("\n%*s", 2 * json_depth, "");
	if (key)
		printf("\"%s\": ", key);
}

static void json_open(const char *key)
{
	if (json_depth == 0 && !key && json_first[0]) {
		printf("{");
	} else {
		json_sep(key);
		printf("{");
	}
	json_first[++json_depth] = true;
}

static void json_close(void)
{
	json_depth--;
	printf("\n%*s}", 2 * json_depth, "");
	if (json_depth == 0)
		printf("\n");
}

static void json_num(const char *key, double v)
{
	json_sep(key);
	if (isfinite(v))
		printf("%.10g", v);
	else
		printf("null");
}

static void json_str(const char *key, const char *v)
{
	json_sep(key);
	printf("\"%s\"", v);
}

static void json_bool(const char *key, bool v)
{
	json_sep(key);
	printf(v ? "true" : "false");
}

/* ---- timing ---- */

static double clock_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(const double *v, int n)
{
	double s[64];

	if (n <= 0 || n > 64)
		return NAN;
	memcpy(s, v, (size_t)n * sizeof(*s));
	qsort(s, (size_t)n, sizeof(*s), cmp_double);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static double minimum(const double *v, int n)
{
	double m = INFINITY;

	for (int i = 0; i < n; i++)
		m = v[i] < m ? v[i] : m;
	return m;
}

/* One BPF_PROG_TEST_RUN of `repeat` repetitions. ns is this thread's CPU
 * time per repetition (fractional, and blind to time other tasks took the
 * CPU); kernel_ns is the kernel's own figure, whole nanoseconds. */
struct sample {
	double ns;
	double kernel_ns;
	int action;
};

static int test_run(int prog_fd, const struct bench_pkt *p, __u32 repeat, struct sample *s)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = p->data, .data_size_in = p->len,
		    .repeat = repeat);
	double t0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);

	if (bpf_prog_test_run_opts(prog_fd, &opts))
		return -errno;
	s->ns = (clock_ns(CLOCK_THREAD_CPUTIME_ID) - t0) / repeat;
	s->kernel_ns = opts.duration;
	s->action = (int)opts.retval;
	return 0;
}

/* ---- the siobpf program, set up the way the CLI does it ---- */

struct rig {
	struct dataplane dp;
	struct floor_bpf *floor;
	struct driver_bpf *drv;
	struct siobpf_prev_bpf *prev; /* the previous table's program, when loaded */
	__u32 clients;        /* the sticky table's size; 0: the product's default */
	__u32 ifindex;        /* backends' egress: 1 (lo) for TEST_RUN, XDP_TX */
};

static void put_addr(const char *text, __u32 addr[4], __u8 *family)
{
	int v6 = strchr(text, ':') != NULL;

	memset(addr, 0, 16);
	if (inet_pton(v6 ? AF_INET6 : AF_INET, text, addr) != 1)
		die(text, EINVAL);
	if (family)
		*family = v6 ? SIOBPF_FAMILY_IPV6 : SIOBPF_FAMILY_IPV4;
}

/* A VIP with n backends (ids first..first+n-1) and its ring, published. */
static struct siobpf_vip vip_setup(struct rig *r, const char *addr, __u16 port, __u8 proto,
				   __u32 id, __u8 sticky, __u32 persist, __u32 first, __u32 n)
{
	struct siobpf_vip_key key = {0};
	struct siobpf_vip vip = {0};
	int bits;

	put_addr(addr, key.addr, &key.family);
	key.port = htons(port);
	key.proto = proto;
	bits = key.family == SIOBPF_FAMILY_IPV6 ? 128 : 32;
	vip.id = id;
	vip.persist_sec = persist;
	vip.sticky = sticky;
	vip.prefix = (__u8)bits;
	for (int w = 0; w < bits / 32; w++)
		vip.mask[w] = 0xffffffffu;
	check(dataplane_vip_put(&r->dp, &key, &vip), "vip put");
	check(dataplane_vips_publish(&r->dp), "vip publish"); /* as `siobpf vip add` does */

	for (__u32 i = 0; i < n; i++) {
		struct siobpf_backend b = {0};
		__u32 bid = first + i;
		char text[64];

		if (key.family == SIOBPF_FAMILY_IPV6)
			snprintf(text, sizeof(text), "fd00:be::%x:%x", id, i + 1);
		else
			snprintf(text, sizeof(text), "10.%u.%u.%u", 100 + id / 256, id % 256, i + 1);
		put_addr(text, b.addr, &b.family);
		b.mac[0] = 0x02;
		b.mac[1] = 0xbe;
		b.mac[4] = (__u8)(bid >> 8);
		b.mac[5] = (__u8)bid;
		memcpy(b.src_mac, lb_mac, 6);
		b.ifindex = r->ifindex;
		b.weight = 1;
		b.generation = 1;
		b.vip_id = id;
		b.state = SIOBPF_BACKEND_UP;
		b.in_use = 1;
		check(dataplane_backend_put(&r->dp, bid, &b), "backend put");
	}
	check(dataplane_ring_rebuild(&r->dp, &vip), "ring rebuild");
	return vip;
}

static void sio_load(struct rig *r)
{
	struct dataplane_opts opts = {.clients = r->clients};

	check(dataplane_load(&r->dp, &opts), "loading siobpf (run as root)");
}

/* The previous table's program (bench/sticky_prev.h in siobpf's program),
 * loaded beside the real one once that is set up: every map the two have
 * in common (all but the previous table's two LRU hashes; sio_sticky too,
 * which it does not use) is the real program's, so both see the same VIPs,
 * backends, rings and counters, and only their sticky tables differ. */
static void prev_load(struct rig *r)
{
	struct siobpf_prev_bpf *p = siobpf_prev_bpf__open();
	struct bpf_program *prog;
	struct bpf_map *m;

	if (!p)
		die("opening siobpf_prev.bpf.o", errno);
	bpf_object__for_each_map(m, p->obj) {
		struct bpf_map *real;

		if (bpf_map__is_internal(m))
			continue;
		real = bpf_object__find_map_by_name(r->dp.skel->obj, bpf_map__name(m));
		if (real)
			check(bpf_map__reuse_fd(m, bpf_map__fd(real)), bpf_map__name(m));
		else if (strcmp(bpf_map__name(m), "sio_sticky_lru") && strcmp(bpf_map__name(m), "sio_probation"))
			die(bpf_map__name(m), ENOENT); /* a map the real program lacks: not the same program */
	}
	/* The tracing programs stay the real program's alone. */
	bpf_object__for_each_program(prog, p->obj)
		if (bpf_program__type(prog) != BPF_PROG_TYPE_XDP)
			bpf_program__set_autoload(prog, false);
	p->rodata->egress_netns_ino = r->dp.skel->rodata->egress_netns_ino;
	check(siobpf_prev_bpf__load(p), "loading siobpf_prev.bpf.o");
	r->prev = p;
}

static int prev_fd(struct rig *r)
{
	return bpf_program__fd(r->prev->progs.siobpf_xdp);
}

/* The real program's maps, and the previous one's if loaded. */
static void rig_close(struct rig *r)
{
	if (r->prev)
		siobpf_prev_bpf__destroy(r->prev);
	r->prev = NULL;
	dataplane_close(&r->dp);
}

static void bench_objs_load(struct rig *r)
{
	r->floor = floor_bpf__open_and_load();
	if (!r->floor)
		die("loading floor.bpf.o", errno);
	r->drv = driver_bpf__open_and_load();
	if (!r->drv)
		die("loading driver.bpf.o", errno);
}

/* The driver's next target and where its clients start. */
static void drv_set(struct rig *r, int target_fd, const struct drv_config *cfg)
{
	__u32 zero = 0;

	check(bpf_map_update_elem(bpf_map__fd(r->drv->maps.drv_target), &zero, &target_fd, 0) ? -errno : 0,
	      "driver target");
	check(bpf_map_update_elem(bpf_map__fd(r->drv->maps.drv_cfg), &zero, cfg, 0) ? -errno : 0,
	      "driver config");
}

static int drv_fd(struct rig *r)
{
	return bpf_program__fd(r->drv->progs.drv_next_client);
}

static __u32 ip4(const char *text)
{
	struct in_addr a;

	if (inet_pton(AF_INET, text, &a) != 1)
		die(text, EINVAL);
	return ntohl(a.s_addr);
}

static struct bench_pkt frame(const char *src, const char *dst, __u16 sport, __u16 dport, __u8 proto)
{
	struct bench_flow f = {.src = src, .dst = dst, .sport = sport, .dport = dport,
			       .proto = proto, .smac = client_mac, .dmac = lb_mac};
	struct bench_pkt p;

	check(bench_pkt_build(&p, &f), "building a frame");
	return p;
}

/* frame()'s TCP frame as an ACK: a packet of an established connection,
 * what most of a known client's packets are. */
static struct bench_pkt ack_frame(const char *src, const char *dst, __u16 sport, __u16 dport)
{
	struct bench_flow f = {.src = src, .dst = dst, .sport = sport, .dport = dport,
			       .proto = IPPROTO_TCP, .ack = 1, .smac = client_mac, .dmac = lb_mac};
	struct bench_pkt p;

	check(bench_pkt_build(&p, &f), "building a frame");
	return p;
}

static __u64 new_sticky(struct rig *r, __u32 vip_id)
{
	struct siobpf_traffic t;

	check(dataplane_traffic(&r->dp, false, vip_id, &t), "vip counters");
	return t.new_sticky;
}

static __u64 vip_packets(struct rig *r, __u32 vip_id)
{
	struct siobpf_traffic t;

	check(dataplane_traffic(&r->dp, false, vip_id, &t), "vip counters");
	return t.packets;
}

/* Every slot on probation promoted in place, as if each client had come
 * back a second later (the program's promotion: kind protected, same
 * deadline). */
static void promote_all(struct rig *r)
{
	__u32 now_u = siobpf_time_units(dataplane_now());

	for (__u32 b = 0; b < r->dp.sticky.nbuckets; b++)
		for (int i = 0; i < SIOBPF_BUCKET_SLOTS; i++) {
			__u64 *slot = &r->dp.sticky.buckets[b].slot[i], s = *(volatile __u64 *)slot;

			if (siobpf_slot_kind(s) == SIOBPF_SLOT_PROBATION && siobpf_slot_held(s, now_u))
				__sync_val_compare_and_swap(slot, s,
							    siobpf_slot_renew(s, SIOBPF_SLOT_PROTECTED,
									      siobpf_slot_deadline(s)));
		}
}

/* ---- testrun: per-packet cost of each path against the floor ---- */

enum tcase {
	T_FLOOR, T_NOT_VIP, T_HIT4, T_HIT6, T_HIT_PORT, T_RING_SAME,
	T_DRV_FLOOR, T_RING_NEW, T_NEW4, T_NEW6, T_NEW_PORT,
	T_FLOOD_SYN, T_FLOOD_ACK, T_FLOOD_PAIR, T_COUNT,
};

static const struct {
	const char *name;
	const char *what;
	int action;    /* the verdict every repetition must get */
	int driver;    /* 1: a new client each repetition (driver tail call) */
	int inserts;   /* 1: each repetition must create a sticky entry */
} tcases[T_COUNT] = {
	[T_FLOOR] = {"floor", "floor.bpf.c: swap MACs, XDP_TX", XDP_TX, 0, 0},
	[T_NOT_VIP] = {"not_vip", "siobpf: TCP SYN to an address that is no VIP: XDP_PASS", XDP_PASS, 0, 0},
	[T_HIT4] = {"sticky_hit_v4", "siobpf: IPv4 client with a live sticky entry", XDP_TX, 0, 0},
	[T_HIT6] = {"sticky_hit_v6", "siobpf: IPv6 client with a live sticky entry", XDP_TX, 0, 0},
	[T_HIT_PORT] = {"sticky_hit_ip_port", "siobpf: ip-port VIP, connection with a live entry", XDP_TX, 0, 0},
	[T_RING_SAME] = {"ring_same_client", "siobpf: persist 0 VIP (no entries): sticky miss + ring, one client over and over", XDP_TX, 0, 0},
	[T_DRV_FLOOR] = {"driver_floor", "driver.bpf.c -> floor: the cost of making each repetition a new client", XDP_TX, 1, 0},
	[T_RING_NEW] = {"new_client_ring", "siobpf: persist 0 VIP, a new client each repetition: sticky miss + ring slot, no insert", XDP_TX, 1, 0},
	[T_NEW4] = {"new_client_v4", "siobpf: a new IPv4 client each repetition: sticky miss + ring + insert", XDP_TX, 1, 1},
	[T_NEW6] = {"new_client_v6", "siobpf: a new IPv6 client each repetition: sticky miss + ring + insert", XDP_TX, 1, 1},
	[T_NEW_PORT] = {"new_connection_ip_port", "siobpf: ip-port VIP, a new connection each repetition: miss + ring + insert", XDP_TX, 1, 1},
	/* Floods of spoofed sources against admission: the key's two buckets missed. */
	[T_FLOOD_SYN] = {"flood_syn", "siobpf: SYN flood, a new source each frame: both buckets missed + ring + probation slot", XDP_TX, 1, 1},
	[T_FLOOD_ACK] = {"flood_ack", "siobpf: ACK flood, a new source each frame: both buckets missed + ring, no insert", XDP_TX, 1, 0},
	[T_FLOOD_PAIR] = {"flood_syn_then_ack", "siobpf: SYN-then-ACK pairs, a new source each pair: per frame, half a SYN's cost and half a probation hit", XDP_TX, 1, 0},
};

/* VIP ids of the testrun setup. */
enum { V_HIT4, V_HIT6, V_RING, V_PORT };

static void testrun_setup(struct rig *r)
{
	sio_load(r);
	vip_setup(r, VIP4, 80, IPPROTO_TCP, V_HIT4, SIOBPF_STICKY_IP, 600, 0, BACKENDS_PER_VIP);
	vip_setup(r, VIP6, 80, IPPROTO_TCP, V_HIT6, SIOBPF_STICKY_IP, 600, 10, BACKENDS_PER_VIP);
	vip_setup(r, VIP4_RING, 80, IPPROTO_TCP, V_RING, SIOBPF_STICKY_IP, 0, 20, BACKENDS_PER_VIP);
	vip_setup(r, VIP4_PORT, 8080, IPPROTO_TCP, V_PORT, SIOBPF_STICKY_IP_PORT, 600, 30,
		  BACKENDS_PER_VIP);
}

/* Runs one case once; returns the sample and, for driver cases, checks
 * through the counters that every repetition was what it claims. */
static struct sample testrun_case(struct rig *r, enum tcase t, __u32 repeat, int round,
				  double *new_share)
{
	struct bench_pkt p;
	struct drv_config cfg = {.src_count = repeat};
	int prog = r->dp.prog_fd, vip = -1;
	struct sample s, warm;
	__u64 before = 0, pkts = 0;

	switch (t) {
	case T_FLOOR:
		p = frame(CLIENT4, VIP4, 40000, 80, IPPROTO_TCP);
		prog = bpf_program__fd(r->floor->progs.floor_swap);
		break;
	case T_NOT_VIP:
		p = frame(CLIENT4, "10.77.1.1", 40000, 80, IPPROTO_TCP);
		break;
	case T_HIT4:
		p = frame(CLIENT4, VIP4, 40000, 80, IPPROTO_TCP);
		vip = V_HIT4;
		break;
	case T_HIT6:
		p = frame(CLIENT6, VIP6, 40000, 80, IPPROTO_TCP);
		vip = V_HIT6;
		break;
	case T_HIT_PORT:
		p = frame(CLIENT4, VIP4_PORT, 40000, 8080, IPPROTO_TCP);
		vip = V_PORT;
		break;
	case T_RING_SAME:
		p = frame(CLIENT4, VIP4_RING, 40000, 80, IPPROTO_TCP);
		vip = V_RING;
		break;
	case T_DRV_FLOOR:
		p = frame(CLIENT4, VIP4, 40000, 80, IPPROTO_TCP);
		cfg.src_base = ip4("10.64.0.0");
		drv_set(r, bpf_program__fd(r->floor->progs.floor_swap), &cfg);
		prog = drv_fd(r);
		break;
	case T_RING_NEW:
		p = frame(CLIENT4, VIP4_RING, 40000, 80, IPPROTO_TCP);
		cfg.src_base = ip4("10.64.0.0") + (__u32)round * repeat;
		drv_set(r, r->dp.prog_fd, &cfg);
		prog = drv_fd(r);
		vip = V_RING;
		break;
	case T_NEW4:
	case T_NEW6:
	case T_NEW_PORT:
	case T_FLOOD_SYN:
	case T_FLOOD_ACK:
	case T_FLOOD_PAIR:
		/* A fresh, empty table for each: every repetition inserts. */
		rig_close(r);
		testrun_setup(r);
		if (t >= T_FLOOD_SYN) {
			p = frame(CLIENT4, VIP4, 40000, 80, IPPROTO_TCP);
			cfg.src_base = ip4("10.128.0.0");
			cfg.tcp_style = t == T_FLOOD_ACK ? DRV_TCP_ACK : t == T_FLOOD_PAIR ? DRV_TCP_PAIR : DRV_TCP_KEEP;
			vip = V_HIT4;
		} else if (t == T_NEW4) {
			p = frame(CLIENT4, VIP4, 40000, 80, IPPROTO_TCP);
			cfg.src_base = ip4("10.64.0.0");
			vip = V_HIT4;
		} else if (t == T_NEW6) {
			p = frame(CLIENT6, VIP6, 40000, 80, IPPROTO_TCP);
			cfg.src_base = 0x10000;
			vip = V_HIT6;
		} else {
			p = frame(CLIENT4, VIP4_PORT, 40000, 8080, IPPROTO_TCP);
			cfg.src_base = ip4("10.64.0.0");
			cfg.vary_port = 1;
			vip = V_PORT;
		}
		drv_set(r, r->dp.prog_fd, &cfg);
		prog = drv_fd(r);
		break;
	default:
		die("unknown case", EINVAL);
	}

	/* Sticky hits need their entry first, and a protected one: the first
	 * packet puts it on probation, and a client seen again a second later
	 * would have it promoted. The rest start cold anyway. */
	if (!tcases[t].driver) {
		check(test_run(prog, &p, 1, &warm), tcases[t].name);
		promote_all(r);
	}
	if (vip >= 0) {
		before = new_sticky(r, (__u32)vip);
		pkts = vip_packets(r, (__u32)vip);
	}
	check(test_run(prog, &p, repeat, &s), tcases[t].name);
	if (s.action != tcases[t].action) {
		fprintf(stderr, "siobench: %s: verdict %d, expected %d\n", tcases[t].name, s.action,
			tcases[t].action);
		exit(1);
	}
	*new_share = NAN;
	if (vip >= 0) {
		__u64 made = new_sticky(r, (__u32)vip) - before;
		__u64 seen = vip_packets(r, (__u32)vip) - pkts;

		if (seen != repeat) {
			fprintf(stderr, "siobench: %s: the VIP saw %llu of %u packets\n", tcases[t].name,
				(unsigned long long)seen, repeat);
			exit(1);
		}
		*new_share = (double)made / repeat;
	}
	return s;
}

/* The steps of a sticky hit, each alone on top of the floor (cost.bpf.c). */
static const struct {
	const char *name, *what;
} steps[] = {
	{"vip_lookup", "VIP index probe (outer array of maps, inner array slot, key compare)"},
	{"sticky_lookup", "sticky table lookup: the key's hash, its home bucket (one 64-byte line of "
			  "2^18) read and its eight slots compared with the fingerprint"},
	{"counters", "three per-CPU counter updates (VIP, backend, reason)"},
	{"clock", "bpf_ktime_get_coarse_ns"},
};
#define STEP_COUNT (sizeof(steps) / sizeof(steps[0]))

static void step_costs(int rounds, __u32 repeat, double out[][64], double *floor_ns)
{
	struct bench_pkt p = frame(CLIENT4, VIP4, 40000, 80, IPPROTO_TCP);
	struct siobpf_bucket bucket = {0};
	struct siobpf_vip vip = {0};
	struct cost_bpf *cost = cost_bpf__open_and_load();
	struct floor_bpf *floor = floor_bpf__open_and_load();
	int fds[STEP_COUNT];

	if (!cost || !floor)
		die("loading cost.bpf.o", errno);
	put_addr(VIP4, (__u32 *)cost->bss->vip_key.addr, (__u8 *)&cost->bss->vip_key.family);
	cost->bss->vip_key.port = htons(80);
	cost->bss->vip_key.proto = IPPROTO_TCP;
	put_addr(CLIENT4, (__u32 *)cost->bss->sticky_key.addr, NULL);
	{
		struct siobpf_vip_slot slot = {.key = *(struct siobpf_vip_key *)&cost->bss->vip_key, .vip = vip};
		__u32 home = siobpf_vip_index_home(&slot.key);

		check(bpf_map_update_elem(bpf_map__fd(cost->maps.cost_vip_slots), &home, &slot, 0) ? -errno : 0,
		      "cost vip");
	}
	{
		struct siobpf_sticky_key key;
		__u64 h;
		__u32 home;

		memcpy(&key, (const void *)&cost->bss->sticky_key, sizeof(key));
		h = siobpf_table_hash(&key, 0);
		home = siobpf_table_home(h, SIOBPF_CLIENTS / 4 - 1);
		/* The key's slot last of the eight: every slot is compared. */
		bucket.slot[SIOBPF_BUCKET_SLOTS - 1] =
			siobpf_slot_make(siobpf_table_fp(h), 1, 1, 0, SIOBPF_SLOT_PROTECTED, 1);
		check(bpf_map_update_elem(bpf_map__fd(cost->maps.cost_buckets), &home, &bucket, 0) ? -errno : 0,
		      "cost sticky");
	}
	fds[0] = bpf_program__fd(cost->progs.cost_vip_lookup);
	fds[1] = bpf_program__fd(cost->progs.cost_bucket_lookup);
	fds[2] = bpf_program__fd(cost->progs.cost_counters);
	fds[3] = bpf_program__fd(cost->progs.cost_clock);
	for (int r = 0; r < rounds; r++) {
		struct sample fl, s;

		check(test_run(bpf_program__fd(floor->progs.floor_swap), &p, repeat, &fl), "floor");
		floor_ns[r] = fl.ns;
		for (size_t i = 0; i < STEP_COUNT; i++) {
			check(test_run(fds[i], &p, repeat, &s), steps[i].name);
			if (s.action != XDP_TX)
				die(steps[i].name, EINVAL);
			out[i][r] = s.ns;
		}
	}
	cost_bpf__destroy(cost);
	floor_bpf__destroy(floor);
}

/* The least each path can cost here (bound.bpf.c), measured in the same
 * rounds as the cases. They take their own floor, right beside them: a
 * bound is a few ns above it, and the cases' floor, measured up to seconds
 * earlier, may have met different interference. */
enum bcase {
	B_FLOOR, B_LRU_HIT, B_DESIGN_HIT, B_ARRAY_HIT, B_COUNTER, B_COLD_READ, B_LRU_INSERT, B_COUNT
};

static const struct {
	const char *name, *what;
	int net;   /* 1: bound_counter's cost over the floor is taken off */
} bcases[B_COUNT] = {
	[B_FLOOR] = {"floor", "floor.bpf.c: swap MACs, XDP_TX, measured beside the bounds: their reference", 0},
	[B_LRU_HIT] = {"lru_hit", "bound.bpf.c: least sticky hit with the design's table: parse, VIP in "
				  "one array probe, LRU hash lookup (2^20 entries), backend, MACs", 0},
	[B_DESIGN_HIT] = {"design_hit", "bound.bpf.c: lru_hit plus the rest of a hit's job in the design: "
					"the age check (a clock read) and the VIP, backend and reason counters", 0},
	[B_ARRAY_HIT] = {"array_hit", "bound.bpf.c: the same with the entry in one slot of a plain array "
				      "(2^20 slots): the least any sticky table costs", 0},
	[B_COUNTER] = {"counter", "bound.bpf.c: a per-CPU counter, swap MACs, XDP_TX: the reference "
				  "for cold_read and lru_insert", 0},
	[B_COLD_READ] = {"cold_read", "bound.bpf.c: the counter plus one read of a random line of 64 MB; "
				      "net of the counter: the floor plus one cold cache line", 1},
	[B_LRU_INSERT] = {"lru_insert", "bound.bpf.c: least new client with the design's table: parse, VIP, "
					"one insert into an empty 2^20-entry LRU hash, backend, MACs; "
					"net of the counter", 1},
};

/* One round of the bounds on freshly loaded maps, so that bound_new starts
 * empty like the new-client cases' sticky table. */
static void bounds_round(int floor_fd, __u32 repeat, double ns[B_COUNT])
{
	struct bench_pkt p = frame(CLIENT4, VIP4, 40000, 80, IPPROTO_TCP);
	struct bound_bpf *b = bound_bpf__open_and_load();
	struct bound_vip v = {0};
	struct bound_slot slot = {0};
	int ncpu = libbpf_num_possible_cpus(), fds[B_COUNT];
	__u64 inserts = 0, *per_cpu = calloc((size_t)ncpu, sizeof(*per_cpu));
	__u32 at, key = BOUND_COUNT_INSERT;

	if (!b || !per_cpu)
		die("loading bound.bpf.o", errno);
	put_addr(VIP4, v.key.addr, &v.key.family);
	v.key.port = htons(80);
	v.key.proto = IPPROTO_TCP;
	v.vip.id = 7;
	v.vip.persist_sec = 600;
	at = bound_vip_slot(v.key.addr[0], v.key.port, v.key.proto);
	check(bpf_map_update_elem(bpf_map__fd(b->maps.bound_vips), &at, &v, 0) ? -errno : 0, "bound vip");
	for (__u32 i = 0; i < BOUND_BACKENDS; i++) {
		struct siobpf_backend be = {.mac = {0x02, 0xbe, 0, 0, 0, (__u8)i}, .in_use = 1};

		memcpy(be.src_mac, lb_mac, 6);
		check(bpf_map_update_elem(bpf_map__fd(b->maps.bound_backends), &i, &be, 0) ? -errno : 0,
		      "bound backend");
	}
	slot.key.vip_id = v.vip.id;
	put_addr(CLIENT4, slot.key.addr, NULL);
	slot.sticky = (struct prev_sticky){.backend_id = 3, .generation = 1, .last_seen = dataplane_now()};
	check(bpf_map_update_elem(bpf_map__fd(b->maps.bound_sticky), &slot.key, &slot.sticky, 0) ? -errno : 0,
	      "bound sticky");
	at = bound_hash(slot.key.addr[0], BOUND_SLOT_BITS);
	check(bpf_map_update_elem(bpf_map__fd(b->maps.bound_slots), &at, &slot, 0) ? -errno : 0, "bound slot");

	fds[B_FLOOR] = floor_fd;
	fds[B_LRU_HIT] = bpf_program__fd(b->progs.bound_lru_hit);
	fds[B_DESIGN_HIT] = bpf_program__fd(b->progs.bound_design_hit);
	fds[B_ARRAY_HIT] = bpf_program__fd(b->progs.bound_array_hit);
	fds[B_COUNTER] = bpf_program__fd(b->progs.bound_counter);
	fds[B_COLD_READ] = bpf_program__fd(b->progs.bound_cold_read);
	fds[B_LRU_INSERT] = bpf_program__fd(b->progs.bound_lru_insert);
	for (int i = 0; i < B_COUNT; i++) {
		struct sample s;

		/* The hits' entries were written from user space: one packet
		 * first, as for siobpf's hits. The insert must start empty. */
		if (i == B_LRU_HIT || i == B_DESIGN_HIT || i == B_ARRAY_HIT)
			check(test_run(fds[i], &p, 1, &s), bcases[i].name);
		check(test_run(fds[i], &p, repeat, &s), bcases[i].name);
		if (s.action != XDP_TX) {
			fprintf(stderr, "siobench: bound %s: verdict %d, expected %d\n", bcases[i].name,
				s.action, XDP_TX);
			exit(1);
		}
		ns[i] = s.ns;
	}
	/* The verdict is the last repetition's; the count is every one's. */
	check(bpf_map_lookup_elem(bpf_map__fd(b->maps.bound_count), &key, per_cpu) ? -errno : 0,
	      "bound inserts");
	for (int c = 0; c < ncpu; c++)
		inserts += per_cpu[c];
	if (inserts != repeat) {
		fprintf(stderr, "siobench: bound lru_insert: %llu inserts in %u repetitions\n",
			(unsigned long long)inserts, repeat);
		exit(1);
	}
	free(per_cpu);
	bound_bpf__destroy(b);
}

struct opts {
	__u32 repeat;
	int rounds;
	__u32 entries;
	double seconds;
	const char *dev, *peer_ns, *peer_dev, *sink_ns, *src, *vip, *dst_mac, *mode;
	const char *backend_macs[FWD_MAX_BACKENDS];
	int backends;
};

#define TIMING_CPU                                                                                 \
	"ns: CPU time of the measuring thread per repetition (CLOCK_THREAD_CPUTIME_ID); "          \
	"kernel_ns: BPF_PROG_TEST_RUN's own duration (whole ns)"

static void meta(const struct opts *o, const char *timing)
{
	json_num("repeat", o->repeat);
	json_num("rounds", o->rounds);
	json_num("cpus", libbpf_num_possible_cpus());
	json_str("timing", timing);
	json_str("estimate", "the best (lowest) of the rounds: interference only adds time; medians kept beside");
}

static int cmd_testrun(const struct opts *o)
{
	static double ns[T_COUNT][64], kns[T_COUNT][64], share[T_COUNT][64], step_ns[STEP_COUNT][64];
	static double step_floor[64], bound_ns[64][B_COUNT];
	int step_rounds;
	double bfloor, bcounter;
	struct rig r = {.ifindex = 1};

	bench_objs_load(&r);
	for (int round = 0; round < o->rounds; round++) {
		testrun_setup(&r);
		for (int t = 0; t < T_COUNT; t++) {
			struct sample s = testrun_case(&r, t, o->repeat, round, &share[t][round]);

			ns[t][round] = s.ns;
			kns[t][round] = s.kernel_ns;
		}
		rig_close(&r);
		bounds_round(bpf_program__fd(r.floor->progs.floor_swap), o->repeat, bound_ns[round]);
	}
	/* The steps are a few ns each: more rounds to find their best. */
	step_rounds = o->rounds * 3 > 64 ? 64 : o->rounds * 3;
	step_costs(step_rounds, o->repeat, step_ns, step_floor);

	json_open(NULL);
	json_str("what", "per-packet cost under BPF_PROG_TEST_RUN with repeat");
	meta(o, TIMING_CPU);
	json_open("cases");
	for (int t = 0; t < T_COUNT; t++) {
		/* Interference (other tasks, interrupts charged to this thread)
		 * only ever adds time: the best round is the estimate, the
		 * median is kept beside it. The driver's own cost, measured
		 * against the floor, is taken off the cases it drives. */
		double floor = minimum(ns[T_FLOOR], o->rounds);
		double overhead = minimum(ns[T_DRV_FLOOR], o->rounds) - floor;
		double best = minimum(ns[t], o->rounds);
		double net = tcases[t].driver && t != T_DRV_FLOOR ? best - overhead : best;

		json_open(tcases[t].name);
		json_str("what", tcases[t].what);
		json_num("ns", best);
		json_num("ns_median", median(ns[t], o->rounds));
		json_num("kernel_ns", minimum(kns[t], o->rounds));
		json_bool("new_client_each_run", tcases[t].driver);
		if (tcases[t].driver && t != T_DRV_FLOOR) {
			json_num("net_ns", net);
			json_num("raw_ratio_to_floor", best / floor);
		}
		json_num("ratio_to_floor", net / floor);
		if (t >= T_FLOOD_SYN) /* a flood frame against a hot hit, same run */
			json_num("ratio_to_sticky_hit", net / minimum(ns[T_HIT4], o->rounds));
		if (isfinite(share[t][0]))
			json_num("new_entries_per_packet", median(share[t], o->rounds));
		json_open("rounds_ns");
		for (int i = 0; i < o->rounds; i++) {
			char k[16];

			snprintf(k, sizeof(k), "%d", i + 1);
			json_num(k, ns[t][i]);
		}
		json_close();
		json_close();
	}
	json_close();
	json_open("steps");
	for (size_t i = 0; i < STEP_COUNT; i++) {
		double over = minimum(step_ns[i], step_rounds) - minimum(step_floor, step_rounds);

		json_open(steps[i].name);
		json_str("what", steps[i].what);
		json_num("ns_over_floor", over);
		json_num("share_of_sticky_hit",
			 over / (minimum(ns[T_HIT4], o->rounds) - minimum(ns[T_FLOOR], o->rounds)));
		json_close();
	}
	json_close();
	json_open("bounds");
	bfloor = bcounter = INFINITY;
	for (int i = 0; i < o->rounds; i++) {
		bfloor = fmin(bfloor, bound_ns[i][B_FLOOR]);
		bcounter = fmin(bcounter, bound_ns[i][B_COUNTER]);
	}
	for (int b = 0; b < B_COUNT; b++) {
		double v[64], best, net;

		for (int i = 0; i < o->rounds; i++)
			v[i] = bound_ns[i][b];
		best = minimum(v, o->rounds);
		/* As with the driver: the counter's own cost over the floor. */
		net = bcases[b].net ? best - (bcounter - bfloor) : best;
		json_open(bcases[b].name);
		json_str("what", bcases[b].what);
		json_num("ns", best);
		json_num("ns_median", median(v, o->rounds));
		if (bcases[b].net) {
			json_num("net_ns", net);
			json_num("raw_ratio_to_floor", best / bfloor);
		}
		json_num("ratio_to_floor", net / bfloor);
		json_num("ns_over_floor", net - bfloor);
		json_open("rounds_ns");
		for (int i = 0; i < o->rounds; i++) {
			char k[16];

			snprintf(k, sizeof(k), "%d", i + 1);
			json_num(k, v[i]);
		}
		json_close();
		json_close();
	}
	json_close();
	json_close();
	return 0;
}

/* ---- scale: the sticky table at 1M entries, ring builds, 64 VIPs ---- */

/* memlock of a map, as bpftool shows it (from fdinfo). */
static long long map_memlock(int fd)
{
	char path[64], line[256];
	long long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "memlock: %lld", &v) == 1)
			break;
	fclose(f);
	return v;
}

static void maglev_members(struct maglev_backend *m, __u32 n)
{
	for (__u32 i = 0; i < n; i++) {
		char text[32];

		memset(&m[i], 0, sizeof(m[i]));
		m[i].id = i;
		snprintf(text, sizeof(text), "10.%u.%u.%u", 1 + i / 62500, i / 250 % 250, i % 250 + 1);
		put_addr(text, m[i].addr, &m[i].family);
		m[i].state = SIOBPF_BACKEND_UP;
		m[i].weight = 1;
	}
}

static double ring_build_ms(__u32 n, int runs, __u32 *ring)
{
	struct maglev_backend *m = calloc(n, sizeof(*m));
	double t[64];

	if (!m)
		die("ring build", ENOMEM);
	maglev_members(m, n);
	for (int i = 0; i < runs; i++) {
		double t0 = clock_ns(CLOCK_MONOTONIC);

		check(maglev_build(m, n, 0, ring), "maglev_build");
		t[i] = (clock_ns(CLOCK_MONOTONIC) - t0) / 1e6;
	}
	free(m);
	return minimum(t, runs);
}

static int cmd_scale(const struct opts *o)
{
	struct rig r = {.ifindex = 1};
	long long ring_mem = -1;
	int runs = o->rounds * 4 > 64 ? 64 : o->rounds * 4;
	__u32 *ring = malloc(SIOBPF_RING_SIZE * sizeof(*ring));

	if (!ring)
		die("ring", ENOMEM);
	bench_objs_load(&r);

	json_open(NULL);
	json_str("what", "scale: ring build and swap, 64 VIPs (the sticky table at scale: siobench table)");
	meta(o, TIMING_CPU);
	/* Ring build: 1,000 backends at M = SIOBPF_RING_SIZE, against 3. */
	{
		double big = ring_build_ms(1000, runs, ring);
		double small = ring_build_ms(3, runs, ring);

		json_open("ring_build");
		json_num("ring_size", SIOBPF_RING_SIZE);
		json_num("runs", runs);
		json_num("backends_1000_ms", big);
		json_num("backends_3_ms", small);
		json_num("ratio_1000_to_3", big / small);
		json_num("maglev_paper_ms", 1.8);
		json_num("ratio_to_paper", big / 1.8);
		json_close();
	}

	/* Ring swap: a new inner map, filled, put in the outer slot; against
	 * writing the same slots in place (what an atomic swap avoids). */
	{
		double swap[64], inplace[64];
		int inner;
		__u32 *keys = malloc(SIOBPF_RING_SIZE * sizeof(*keys));

		if (!keys)
			die("ring swap", ENOMEM);
		r.clients = 65536;
		sio_load(&r);
		inner = bpf_map_create(BPF_MAP_TYPE_ARRAY, "bench_ring", 4, 4, SIOBPF_RING_SIZE, NULL);
		if (inner < 0)
			die("ring map", errno);
		ring_mem = map_memlock(inner);
		for (__u32 i = 0; i < SIOBPF_RING_SIZE; i++)
			keys[i] = i;
		for (int i = 0; i < runs; i++) {
			__u32 n = SIOBPF_RING_SIZE;
			double t0 = clock_ns(CLOCK_MONOTONIC);

			check(dataplane_ring_install(&r.dp, 0, ring), "ring install");
			swap[i] = (clock_ns(CLOCK_MONOTONIC) - t0) / 1e3;
			t0 = clock_ns(CLOCK_MONOTONIC);
			check(bpf_map_update_batch(inner, keys, ring, &n, NULL) ? -errno : 0, "in place");
			inplace[i] = (clock_ns(CLOCK_MONOTONIC) - t0) / 1e3;
		}
		close(inner);
		free(keys);
		rig_close(&r);
		json_open("ring_swap");
		json_num("install_us", minimum(swap, runs));
		json_num("install_us_median", median(swap, runs));
		json_num("in_place_write_us", minimum(inplace, runs));
		json_num("ratio_to_in_place", minimum(swap, runs) / minimum(inplace, runs));
		json_num("ring_memlock_bytes", (double)ring_mem);
		json_close();
	}

	/* 64 VIPs, 3 backends each: configuring them, their rings' memory, and
	 * the per-packet cost against one VIP. */
	{
		double setup_ms[2], hit[2][64], ringnew[2][64];
		__u32 nvips[2] = {1, 64};

		for (int k = 0; k < 2; k++) {
			double t0;

			r.clients = 65536;
			sio_load(&r);
			t0 = clock_ns(CLOCK_MONOTONIC);
			for (__u32 v = 0; v < nvips[k]; v++) {
				char addr[32];

				snprintf(addr, sizeof(addr), "10.78.0.%u", v + 1);
				vip_setup(&r, addr, 80, IPPROTO_TCP, v, SIOBPF_STICKY_IP, v == nvips[k] - 1 ? 600 : 0,
					  3 * v, 3);
			}
			setup_ms[k] = (clock_ns(CLOCK_MONOTONIC) - t0) / 1e6;
			/* With one VIP, that VIP keeps entries: the ring case needs
			 * a second one that keeps none. */
			if (nvips[k] == 1)
				vip_setup(&r, "10.78.1.1", 80, IPPROTO_TCP, 200, SIOBPF_STICKY_IP, 0, 600, 3);
			for (int i = 0; i < o->rounds; i++) {
				char last[32];
				struct bench_pkt p;
				struct sample s;
				struct drv_config cfg = {
					.src_base = ip4("10.64.0.0") + (__u32)i * o->repeat,
					.src_count = o->repeat,
					.dst_base = ip4("10.78.0.1"),
					/* all but the last VIP keep no entries: ring cost */
					.dst_count = nvips[k] > 1 ? nvips[k] - 1 : 1,
				};

				snprintf(last, sizeof(last), "10.78.0.%u", nvips[k]);
				p = frame(CLIENT4, last, 40000, 80, IPPROTO_TCP);
				check(test_run(r.dp.prog_fd, &p, 1, &s), "64 VIPs prime");
				check(test_run(r.dp.prog_fd, &p, o->repeat, &s), "64 VIPs hit");
				hit[k][i] = s.ns;
				if (nvips[k] == 1)
					cfg.dst_base = ip4("10.78.1.1");
				p = frame(CLIENT4, "10.78.0.1", 40000, 80, IPPROTO_TCP);
				drv_set(&r, r.dp.prog_fd, &cfg);
				check(test_run(drv_fd(&r), &p, o->repeat, &s), "64 VIPs ring");
				if (s.action != XDP_TX)
					die("64 VIPs ring: not forwarded", EINVAL);
				ringnew[k][i] = s.ns;
			}
			rig_close(&r);
		}
		json_open("vips_64");
		json_num("setup_ms_64", setup_ms[1]);
		json_num("setup_ms_1", setup_ms[0]);
		json_num("setup_ratio_64_to_1", setup_ms[1] / setup_ms[0]);
		json_num("rings_memlock_bytes_64", (double)ring_mem * 64);
		json_num("sticky_hit_ns_64", minimum(hit[1], o->rounds));
		json_num("sticky_hit_ns_1", minimum(hit[0], o->rounds));
		json_num("sticky_hit_ratio_64_to_1", minimum(hit[1], o->rounds) / minimum(hit[0], o->rounds));
		json_num("new_client_ring_ns_63_vips", minimum(ringnew[1], o->rounds));
		json_num("new_client_ring_ns_1_vip", minimum(ringnew[0], o->rounds));
		json_num("new_client_ring_ratio_63_to_1",
			 minimum(ringnew[1], o->rounds) / minimum(ringnew[0], o->rounds));
		json_close();
	}
	json_close();
	free(ring);
	return 0;
}

/* ---- table: the sticky table against the previous one and the bounds ---- */

/* Client i of a fill or a cycle: 10.64.0.0 + i under VIP 0 (ip stickiness),
 * as the driver makes them from src_base 10.64.0.0. */
static struct siobpf_sticky_key client_key(__u32 base, __u32 i)
{
	struct siobpf_sticky_key k;

	memset(&k, 0, sizeof(k));
	k.vip_id = 0;
	k.addr[0] = htonl(base + i);
	return k;
}

/* What sticky_table_put needs of the VIP and the backends, read once: a
 * fill of a million slots goes straight to the mapped table. */
struct table_ctx {
	struct siobpf_vip vip;
	__u32 epoch;
	struct siobpf_backend *backends;
};

static void table_ctx_read(struct rig *r, const struct siobpf_vip *vip, struct table_ctx *c)
{
	c->vip = *vip;
	c->epoch = dataplane_vip_epoch(&r->dp, vip->id);
	c->backends = calloc(SIOBPF_MAX_BACKENDS, sizeof(*c->backends));
	if (!c->backends)
		die("backends", ENOMEM);
	check(dataplane_backends_read(&r->dp, c->backends), "reading backends");
}

/* n protected slots for clients base + i (backend i % backends of the
 * VIP's first), seen now. Returns how many found room. */
static __u32 table_fill(struct rig *r, const struct table_ctx *c, __u32 base, __u32 n, __u32 first,
			__u32 backends)
{
	__u32 now_u = siobpf_time_units(dataplane_now()), ok = 0;

	for (__u32 i = 0; i < n; i++) {
		struct siobpf_sticky_key k = client_key(base, i);
		__u32 id = first + i % backends;
		int err = sticky_table_put(&r->dp.sticky, &c->vip, c->epoch, c->backends, &k, id,
					   c->backends[id].generation, SIOBPF_SLOT_PROTECTED,
					   now_u + siobpf_persist_units(c->vip.persist_sec), now_u, 0);

		/* -EEXIST: a fingerprint collision, the client served by the
		 * slot of another with its fingerprint, as the program would. */
		if (err && err != -ENOSPC && err != -EEXIST)
			die("filling the sticky table", err);
		ok += !err;
	}
	return ok;
}

/* The same clients in the previous table's protected LRU, in batches. */
static void prev_fill(struct rig *r, __u32 base, __u32 n, __u32 first, __u32 backends)
{
	enum { BATCH = 8192 };
	static struct siobpf_sticky_key keys[BATCH];
	static struct prev_sticky vals[BATCH];
	__u64 now = dataplane_now();
	int fd = bpf_map__fd(r->prev->maps.sio_sticky_lru);

	for (__u32 i = 0; i < n; i += BATCH) {
		__u32 count = n - i < BATCH ? n - i : BATCH;

		for (__u32 j = 0; j < count; j++) {
			keys[j] = client_key(base, i + j);
			vals[j] = (struct prev_sticky){
				.backend_id = first + (i + j) % backends, .generation = 1, .last_seen = now};
		}
		check(bpf_map_update_batch(fd, keys, vals, &count, NULL) ? -errno : 0,
		      "filling the previous sticky table");
	}
}

static __u64 prev_count(struct rig *r)
{
	struct siobpf_sticky_key key, next, *prev = NULL;
	int fd = bpf_map__fd(r->prev->maps.sio_sticky_lru);
	__u64 n = 0;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		n++;
	}
	return n;
}

static void admit_read(struct rig *r, __u32 vip_id, struct siobpf_admit_stats *s)
{
	check(dataplane_admit_stats(&r->dp, vip_id, s), "admission counters");
}

/* What one measured run did, from the VIP's admission counters: shares of
 * its repetitions. */
struct run_result {
	double ns;
	double misses, created, evicted, full;
};

static void run_counts(struct rig *r, const struct siobpf_admit_stats *a, __u32 repeat,
		       struct run_result *out)
{
	struct siobpf_admit_stats b;

	admit_read(r, 0, &b);
	out->misses = (double)(b.misses - a->misses) / repeat;
	out->created = (double)(b.created - a->created) / repeat;
	out->evicted = (double)(b.evicted - a->evicted) / repeat;
	out->full = (double)(b.full - a->full) / repeat;
}

/* One client, over and over (no driver): the hot hit. */
static struct run_result hot_hit(struct rig *r, int prog, __u32 repeat)
{
	struct bench_pkt p = ack_frame(CLIENT4, VIP4, 40000, 80);
	struct siobpf_admit_stats a;
	struct run_result res;
	struct sample s;

	check(test_run(prog, &p, 1, &s), "hot hit warm-up");
	admit_read(r, 0, &a);
	check(test_run(prog, &p, repeat, &s), "hot hit");
	if (s.action != XDP_TX)
		die("hot hit: not forwarded", EINVAL);
	res.ns = s.ns;
	run_counts(r, &a, repeat, &res);
	return res;
}

/* Hits cycling through the n clients from 10.64.0.0. A warm-up pass
 * first, so that the once-a-second refresh does not land in the measured
 * pass. */
static struct run_result cycle_hits(struct rig *r, int prog, __u32 n, __u32 repeat)
{
	struct bench_pkt p = ack_frame(CLIENT4, VIP4, 40000, 80);
	struct drv_config cfg = {.src_base = ip4("10.64.0.0"), .src_count = n};
	struct siobpf_admit_stats a;
	struct run_result res;
	struct sample s;

	drv_set(r, prog, &cfg);
	check(test_run(drv_fd(r), &p, n, &s), "warm-up");
	drv_set(r, prog, &cfg); /* the counter back to 0 */
	admit_read(r, 0, &a);
	check(test_run(drv_fd(r), &p, repeat, &s), "sticky cycle");
	if (s.action != XDP_TX)
		die("sticky cycle: not forwarded", EINVAL);
	res.ns = s.ns;
	run_counts(r, &a, repeat, &res);
	return res;
}

/* count never-seen clients from base, each one SYN: a miss, the ring, and
 * the probation entry each first packet makes. */
static struct run_result new_clients(struct rig *r, int prog, __u32 base, __u32 count)
{
	struct bench_pkt p = frame(CLIENT4, VIP4, 40000, 80, IPPROTO_TCP);
	struct drv_config cfg = {.src_base = base, .src_count = count};
	struct siobpf_admit_stats a;
	struct run_result res;
	struct sample s;

	drv_set(r, prog, &cfg);
	admit_read(r, 0, &a);
	check(test_run(drv_fd(r), &p, count, &s), "new clients");
	if (s.action != XDP_TX)
		die("new clients: not forwarded", EINVAL);
	res.ns = s.ns;
	run_counts(r, &a, count, &res);
	return res;
}

/* The new-entry events' reader for the events case: a thread that drains
 * the ring while the measured run writes it, as a consumer would. */
struct drainer {
	struct events_reader rd;
	volatile int stop;
	__u64 got;
};

static int event_count(const struct siobpf_entry_event *ev, void *ctx)
{
	(void)ev;
	*(__u64 *)ctx += 1;
	return 0;
}

static void *drain_loop(void *arg)
{
	struct drainer *d = arg;

	while (!d->stop)
		events_poll(&d->rd, 10);
	while (events_poll(&d->rd, 0) > 0)
		;
	return NULL;
}

/* What one events run saw, per new client. */
struct events_run {
	double ns;
	double written, lost, received; /* per packet */
};

/* count never-seen clients from base into a freshly loaded table (as
 * new_client_fresh), the events switch off, or on with a reader draining
 * the ring on another thread. */
static struct events_run new_clients_events(struct rig *r, __u32 base, __u32 count, bool on)
{
	struct siobpf_event_stats ev;
	struct drainer d = {0};
	struct events_run out;
	struct run_result res;
	pthread_t th;

	sio_load(r);
	vip_setup(r, VIP4, 80, IPPROTO_TCP, 0, SIOBPF_STICKY_IP, 600, 0, BACKENDS_PER_VIP);
	if (on) {
		check(events_open(&d.rd, &r->dp, event_count, &d.got), "opening the events ring");
		check(-pthread_create(&th, NULL, drain_loop, &d), "starting the events reader");
		check(events_switch_set(&r->dp, true), "events switch");
	}
	res = new_clients(r, r->dp.prog_fd, base, count);
	if (on) {
		d.stop = 1;
		pthread_join(th, NULL);
		events_close(&d.rd);
	}
	check(events_counters(&r->dp, &ev), "events counters");
	out = (struct events_run){.ns = res.ns, .written = (double)ev.written / count,
				  .lost = (double)ev.lost / count, .received = (double)d.got / count};
	rig_close(r);
	return out;
}

enum impl { I_NEW, I_PREV, I_COUNT };
static const char *const impl_name[I_COUNT] = {"new", "prev"};

enum tbl_case { TB_HOT, TB_HITS_1K, TB_HITS_1M, TB_NEW_FRESH, TB_NEW_REUSED, TB_COUNT };
static const struct {
	const char *name, *what;
	int driver; /* 1: a client per repetition, net of the driver's cost */
} tbl_cases[TB_COUNT] = {
	[TB_HOT] = {"hot_hit", "one client's ACK over and over (its entry protected): the hot hit", 0},
	[TB_HITS_1K] = {"hits_1k", "hits (ACKs) cycling over 1,000 clients, each with a protected entry", 1},
	[TB_HITS_1M] = {"hits_1m", "hits (ACKs) cycling over 1,000,000 clients, each with a protected entry", 1},
	[TB_NEW_FRESH] = {"new_client_fresh", "a never-seen client's first packet (a SYN: miss, ring, "
					      "probation insert), 1,000,000 of them into an empty table", 1},
	[TB_NEW_REUSED] = {"new_client_reused", "the same into a reused table: after the fresh run "
						"2,000,000 more new clients came and went (the table has "
						"evicted over a million newcomers), then 1,000,000 measured", 1},
};

/* The bytes of a map's memory (memlock, from fdinfo) and its entries. */
static void map_size(int fd, long long *memlock, __u32 *max_entries)
{
	struct bpf_map_info info = {0};
	__u32 len = sizeof(info);

	*memlock = map_memlock(fd);
	*max_entries = bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.max_entries;
}

static __u64 splitmix64(__u64 *x)
{
	__u64 z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* The rated size, measured: distinct random clients written as protected
 * (sticky_table_put: the slot siobpf_table_victim picks, as the program's
 * insert) into a table of the default size until the first finds no room
 * (both its buckets full of held protected slots: the program counts such
 * a miss as `full`). */
struct rated {
	__u32 buckets;
	__u64 rated_clients;    /* what the table is rated for: buckets x 4 */
	__u64 first_full_at;    /* clients written when the first found no room */
	__u64 refused_at_rated; /* of the first rated_clients, how many found none */
	__u64 held;             /* protected slots held at the first refusal */
	long long memlock;
	double ms;
};

static struct rated measure_rated(struct rig *r, const struct siobpf_vip *vip)
{
	struct rated out = {0};
	struct table_ctx c;
	__u64 seed = 0x5eed5eedull, n = 0;
	__u32 now_u = siobpf_time_units(dataplane_now()), entries;
	double t0 = clock_ns(CLOCK_MONOTONIC);

	table_ctx_read(r, vip, &c);
	out.buckets = r->dp.sticky.nbuckets;
	out.rated_clients = sticky_table_rated(out.buckets);
	map_size(r->dp.sticky_fd, &out.memlock, &entries);
	for (;;) {
		struct siobpf_sticky_key k = {.vip_id = vip->id};
		__u64 w0 = splitmix64(&seed), w1 = splitmix64(&seed);
		__u32 id = n % BACKENDS_PER_VIP;
		int err;

		/* An IPv6-sized random address: distinct clients, in effect. */
		memcpy(k.addr, &w0, 8);
		memcpy(&k.addr[2], &w1, 8);
		err = sticky_table_put(&r->dp.sticky, &c.vip, c.epoch, c.backends, &k, id,
				       c.backends[id].generation, SIOBPF_SLOT_PROTECTED,
				       now_u + siobpf_persist_units(c.vip.persist_sec), now_u, 0);
		if (err == -EEXIST) { /* a fingerprint collision: served, not refused */
			n++;
			continue;
		}
		if (err && err != -ENOSPC)
			die("rated size", err);
		n++;
		if (err && !out.first_full_at) {
			out.first_full_at = n - 1;
			sticky_table_sizes(&r->dp.sticky, now_u, &out.held, NULL);
		}
		if (err && n <= out.rated_clients)
			out.refused_at_rated++;
		if (out.first_full_at && n >= out.rated_clients)
			break;
		if (n >= (__u64)out.buckets * SIOBPF_BUCKET_SLOTS) /* never: every slot taken */
			break;
	}
	out.ms = (clock_ns(CLOCK_MONOTONIC) - t0) / 1e6;
	free(c.backends);
	return out;
}

static void json_rounds(const double *v, int n)
{
	json_open("rounds_ns");
	for (int i = 0; i < n; i++) {
		char k[16];

		snprintf(k, sizeof(k), "%d", i + 1);
		json_num(k, v[i]);
	}
	json_close();
}

/* bound_bucket_hit set up on a copy of the rig's sticky table as it is
 * now, for the VIP of c (bound.bpf.c). Returns the program's fd. */
static int bucket_bound_setup(struct bound_bpf *b, struct rig *r, const struct table_ctx *c)
{
	int fd = bpf_map__fd(b->maps.bound_buckets);
	struct bound_vip v = {0};
	size_t bytes = (size_t)BOUND_BUCKETS * sizeof(struct siobpf_bucket);
	void *mem;
	__u32 at;

	if (r->dp.sticky.nbuckets != BOUND_BUCKETS)
		die("bound_bucket_hit: the sticky table is not of the default size", EINVAL);
	mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (mem == MAP_FAILED)
		die("mapping bound_buckets", errno);
	memcpy(mem, r->dp.sticky.buckets, bytes);
	munmap(mem, bytes);
	b->bss->bound_epoch = c->epoch;
	put_addr(VIP4, v.key.addr, &v.key.family);
	v.key.port = htons(80);
	v.key.proto = IPPROTO_TCP;
	v.vip = c->vip;
	at = bound_vip_slot(v.key.addr[0], v.key.port, v.key.proto);
	check(bpf_map_update_elem(bpf_map__fd(b->maps.bound_vips), &at, &v, 0) ? -errno : 0, "bound vip");
	for (__u32 i = 0; i < SIOBPF_MAX_BACKENDS; i++)
		if (c->backends[i].in_use)
			check(bpf_map_update_elem(bpf_map__fd(b->maps.bound_backends), &i, &c->backends[i], 0)
				      ? -errno
				      : 0,
			      "bound backend");
	return bpf_program__fd(b->progs.bound_bucket_hit);
}

static int cmd_table(const struct opts *o)
{
	static double ns[TB_COUNT][I_COUNT][64], share[TB_COUNT][I_COUNT][4][64];
	static struct events_run evr[2][64]; /* [0] switch off, [1] on and drained, by round */
	double fl[64], dfl[64], cnt[64], cold[64], fenced[64], two[64], twocas[64], bucket_hit[64];
	__u64 present[I_COUNT] = {0};
	long long mem_new = -1, mem_prev = -1, mem_prob = -1;
	__u32 ent_new = 0, ent_prev = 0, ent_prob = 0, buckets = 0;
	struct bench_pkt p = frame(CLIENT4, VIP4, 40000, 80, IPPROTO_TCP);
	struct rig r = {.ifindex = 1};
	struct bound_bpf *b;
	struct rated rated;
	__u32 n1m = o->entries, churn = 2 * o->entries;
	__u32 fresh_base = ip4("10.64.0.0"), churn_base, reused_base;

	/* Three disjoint ranges of never-seen clients: fresh, churn, reused. */
	churn_base = fresh_base + n1m;
	reused_base = churn_base + churn;
	bench_objs_load(&r);
	b = bound_bpf__open_and_load();
	if (!b)
		die("loading bound.bpf.o", errno);
	for (int round = 0; round < o->rounds; round++) {
		struct siobpf_vip vip;
		struct table_ctx c;
		struct sample s;

		/* Hits: both tables filled with the same protected clients. */
		sio_load(&r);
		vip = vip_setup(&r, VIP4, 80, IPPROTO_TCP, 0, SIOBPF_STICKY_IP, 600, 0, BACKENDS_PER_VIP);
		prev_load(&r);
		if (round == 0) {
			map_size(r.dp.sticky_fd, &mem_new, &ent_new);
			map_size(bpf_map__fd(r.prev->maps.sio_sticky_lru), &mem_prev, &ent_prev);
			map_size(bpf_map__fd(r.prev->maps.sio_probation), &mem_prob, &ent_prob);
			buckets = r.dp.sticky.nbuckets;
		}
		table_ctx_read(&r, &vip, &c);
		check(test_run(bpf_program__fd(r.floor->progs.floor_swap), &p, o->repeat, &s), "floor");
		fl[round] = s.ns;
		{
			struct drv_config cfg = {.src_base = fresh_base, .src_count = o->repeat};

			drv_set(&r, bpf_program__fd(r.floor->progs.floor_swap), &cfg);
			check(test_run(drv_fd(&r), &p, o->repeat, &s), "driver floor");
			dfl[round] = s.ns;
		}
		check(test_run(bpf_program__fd(b->progs.bound_counter), &p, o->repeat, &s), "counter");
		cnt[round] = s.ns;
		check(test_run(bpf_program__fd(b->progs.bound_cold_read), &p, o->repeat, &s), "cold_read");
		if (s.action != XDP_TX)
			die("cold_read: not forwarded", EINVAL);
		cold[round] = s.ns;
		check(test_run(bpf_program__fd(b->progs.bound_cold_read_fenced), &p, o->repeat, &s),
		      "cold_read_fenced");
		if (s.action != XDP_TX)
			die("cold_read_fenced: not forwarded", EINVAL);
		fenced[round] = s.ns;
		check(test_run(bpf_program__fd(b->progs.bound_two_lines), &p, o->repeat, &s), "two_lines");
		if (s.action != XDP_TX)
			die("two_lines: not forwarded", EINVAL);
		two[round] = s.ns;
		check(test_run(bpf_program__fd(b->progs.bound_two_lines_cas), &p, o->repeat, &s), "two_lines_cas");
		if (s.action != XDP_TX)
			die("two_lines_cas: not forwarded", EINVAL);
		twocas[round] = s.ns;

		/* The hot client is the first of the 1k, and of the 1M. */
		{
			struct siobpf_sticky_key hot = client_key(ip4(CLIENT4), 0);

			check(dataplane_sticky_put(&r.dp, &hot, 0, SIOBPF_SLOT_PROTECTED, dataplane_now()),
			      "hot client");
			prev_fill(&r, ip4(CLIENT4), 1, 0, 1);
		}
		for (int k = 0; k < 2; k++) {
			__u32 n = k == 0 ? 1000 : n1m;
			enum tbl_case tc = k == 0 ? TB_HITS_1K : TB_HITS_1M;

			if (table_fill(&r, &c, fresh_base, n, 0, BACKENDS_PER_VIP) != n && k == 1 && round == 0)
				fprintf(stderr, "siobench: table: some of %u clients found no room or share a fingerprint\n", n);
			prev_fill(&r, fresh_base, n, 0, BACKENDS_PER_VIP);
			if (k == 1 && round == 0) {
				sticky_table_sizes(&r.dp.sticky, siobpf_time_units(dataplane_now()), &present[I_NEW],
						   NULL);
				present[I_PREV] = prev_count(&r);
			}
			/* Alternate which table goes first, round by round. */
			for (int j = 0; j < I_COUNT; j++) {
				int im = (j + round) % I_COUNT;
				int prog = im == I_NEW ? r.dp.prog_fd : prev_fd(&r);
				struct run_result res;

				if (k == 0) {
					res = hot_hit(&r, prog, o->repeat);
					ns[TB_HOT][im][round] = res.ns;
					share[TB_HOT][im][0][round] = res.misses;
				}
				res = cycle_hits(&r, prog, n, o->repeat);
				ns[tc][im][round] = res.ns;
				share[tc][im][0][round] = res.misses;
			}
			/* The stripped program on the very table the 1M hits read. */
			if (k == 1)
				bucket_hit[round] = cycle_hits(&r, bucket_bound_setup(b, &r, &c), n, o->repeat).ns;
		}
		free(c.backends);
		rig_close(&r);

		/* New clients: fresh tables, then the same tables reused. */
		sio_load(&r);
		vip_setup(&r, VIP4, 80, IPPROTO_TCP, 0, SIOBPF_STICKY_IP, 600, 0, BACKENDS_PER_VIP);
		prev_load(&r);
		for (int j = 0; j < I_COUNT; j++) {
			int im = (j + round) % I_COUNT;
			int prog = im == I_NEW ? r.dp.prog_fd : prev_fd(&r);
			struct run_result res;

			res = new_clients(&r, prog, fresh_base, n1m);
			ns[TB_NEW_FRESH][im][round] = res.ns;
			share[TB_NEW_FRESH][im][0][round] = res.misses;
			share[TB_NEW_FRESH][im][1][round] = res.created;
			share[TB_NEW_FRESH][im][2][round] = res.evicted;
			share[TB_NEW_FRESH][im][3][round] = res.full;
			new_clients(&r, prog, churn_base, churn);
			res = new_clients(&r, prog, reused_base, n1m);
			ns[TB_NEW_REUSED][im][round] = res.ns;
			share[TB_NEW_REUSED][im][0][round] = res.misses;
			share[TB_NEW_REUSED][im][1][round] = res.created;
			share[TB_NEW_REUSED][im][2][round] = res.evicted;
			share[TB_NEW_REUSED][im][3][round] = res.full;
		}
		rig_close(&r);
	}
	bound_bpf__destroy(b);

	/* The events' cost: the same new clients into fresh tables, the
	 * switch off and on (a reader draining), the order alternating by
	 * round. */
	for (int round = 0; round < o->rounds; round++)
		for (int j = 0; j < 2; j++) {
			int on = (j + round) % 2;

			evr[on][round] = new_clients_events(&r, fresh_base, n1m, on);
		}

	/* The rated size, on a table of the default size of its own. */
	{
		struct siobpf_vip vip;

		sio_load(&r);
		vip = vip_setup(&r, VIP4, 80, IPPROTO_TCP, 0, SIOBPF_STICKY_IP, 600, 0, BACKENDS_PER_VIP);
		rated = measure_rated(&r, &vip);
		rig_close(&r);
	}

	json_open(NULL);
	json_str("what", "the sticky table (bucket table) against the previous one (two LRU hashes), "
			 "the floor and one cold cache line, same frames, same rounds");
	meta(o, TIMING_CPU);
	{
		double floor = minimum(fl, o->rounds), overhead = minimum(dfl, o->rounds) - floor;
		double line = minimum(cold, o->rounds) - minimum(cnt, o->rounds);
		double base = floor + line;
		double net[TB_COUNT][I_COUNT];

		json_num("clients", n1m);
		json_num("floor_ns", floor);
		json_num("floor_ns_median", median(fl, o->rounds));
		json_num("driver_overhead_ns", overhead);
		json_num("counter_ns", minimum(cnt, o->rounds));
		json_num("cold_read_ns", minimum(cold, o->rounds));
		json_num("cold_line_ns", line);
		json_num("floor_plus_cold_line_ns", base);
		/* What a miss and an insert of the table touch at least, on top
		 * of the floor (net of the counter, as cold_read). */
		json_open("bounds");
		json_str("what", "bound.bpf.c, net of its counter, on top of the floor: cold_line one random "
				 "line of 64 MB read; cold_line_fenced the same followed by a locked add (a "
				 "full barrier, as a compare-and-exchange is: no overlap of one repetition's "
				 "miss with the next, the latency a lone packet pays); two_lines two such lines (a miss reads the key's two "
				 "buckets); two_lines_cas the two read and a compare-and-exchange in one (the "
				 "least a new client's insert touches); bucket_hit_1m bound_bucket_hit, the "
				 "least a hit doing its whole job with this table costs (parse, VIP, hash, the "
				 "key's bucket, its fingerprint, its deadline against the clock, backend, MACs, "
				 "the three counters), on a copy of the table the 1M hits read, the same "
				 "clients in the same slots, net of the driver like them");
		json_num("floor_plus_cold_line_ns", base);
		json_num("floor_plus_cold_line_fenced_ns", floor + minimum(fenced, o->rounds) - minimum(cnt, o->rounds));
		json_num("floor_plus_two_lines_ns", floor + minimum(two, o->rounds) - minimum(cnt, o->rounds));
		json_num("floor_plus_two_lines_cas_ns", floor + minimum(twocas, o->rounds) - minimum(cnt, o->rounds));
		json_num("bucket_hit_1m_ns", minimum(bucket_hit, o->rounds) - overhead);
		json_close();
		json_open("cases");
		for (int t = 0; t < TB_COUNT; t++) {
			json_open(tbl_cases[t].name);
			json_str("what", tbl_cases[t].what);
			for (int im = 0; im < I_COUNT; im++) {
				double best = minimum(ns[t][im], o->rounds);

				net[t][im] = tbl_cases[t].driver ? best - overhead : best;
				json_open(impl_name[im]);
				json_num("ns", best);
				json_num("ns_median", median(ns[t][im], o->rounds));
				if (tbl_cases[t].driver)
					json_num("net_ns", net[t][im]);
				json_num("ratio_to_floor", net[t][im] / floor);
				json_num("ratio_to_floor_plus_cold_line", net[t][im] / base);
				json_num("miss_share", median(share[t][im][0], o->rounds));
				if (t >= TB_NEW_FRESH) {
					json_num("new_entries_per_packet", median(share[t][im][1], o->rounds));
					if (im == I_NEW) {
						json_num("evicted_per_packet", median(share[t][im][2], o->rounds));
						json_num("full_per_packet", median(share[t][im][3], o->rounds));
					}
				}
				json_rounds(ns[t][im], o->rounds);
				json_close();
			}
			json_num("ratio_new_to_prev", net[t][I_NEW] / net[t][I_PREV]);
			json_close();
		}
		json_close();
		json_open("reused_to_fresh");
		for (int im = 0; im < I_COUNT; im++)
			json_num(impl_name[im], net[TB_NEW_REUSED][im] / net[TB_NEW_FRESH][im]);
		json_close();
		json_open("entry_events");
		json_str("what", "a never-seen client's first packet into a fresh table (as new_client_fresh), "
				 "the new-entry events switch off, and on with a reader draining the ring on "
				 "another thread; same frames, same rounds, the order alternating");
		{
			double off[64], on[64], off_net, on_net;

			for (int k = 0; k < o->rounds; k++) {
				off[k] = evr[0][k].ns;
				on[k] = evr[1][k].ns;
			}
			off_net = minimum(off, o->rounds) - overhead;
			on_net = minimum(on, o->rounds) - overhead;
			json_open("off");
			json_num("ns", minimum(off, o->rounds));
			json_num("net_ns", off_net);
			json_num("events_per_packet", evr[0][0].written);
			json_rounds(off, o->rounds);
			json_close();
			json_open("on");
			json_num("ns", minimum(on, o->rounds));
			json_num("net_ns", on_net);
			json_num("written_per_packet", evr[1][0].written);
			json_num("lost_per_packet", evr[1][0].lost);
			json_num("received_per_packet", evr[1][0].received);
			json_rounds(on, o->rounds);
			json_close();
			json_num("added_ns", on_net - off_net);
			json_num("ratio_on_to_off", on_net / off_net);
		}
		json_close();
	}
	json_open("memory");
	json_open("new");
	json_num("buckets", buckets);
	json_num("table_bytes", (double)buckets * sizeof(struct siobpf_bucket));
	json_num("memlock_bytes", (double)mem_new);
	json_num("rated_clients", (double)sticky_table_rated(buckets));
	json_num("bytes_per_rated_client", (double)mem_new / (double)sticky_table_rated(buckets));
	json_num("clients_written", n1m + 1.0); /* the hot client and the cycle's */
	json_num("protected_present", (double)present[I_NEW]);
	json_close();
	json_open("prev");
	json_num("max_entries", ent_prev);
	json_num("memlock_bytes", (double)mem_prev);
	json_num("bytes_per_entry", (double)mem_prev / ent_prev);
	json_num("probation_max_entries", ent_prob);
	json_num("probation_memlock_bytes", (double)mem_prob);
	json_num("bytes_per_entry_with_probation", (double)(mem_prev + mem_prob) / ent_prev);
	json_num("payload_bytes_per_entry", sizeof(struct siobpf_sticky_key) + sizeof(struct prev_sticky));
	json_num("clients_written", n1m + 1.0);
	json_num("protected_present", (double)present[I_PREV]);
	json_close();
	json_close();
	json_open("rated");
	json_str("how", "distinct random clients written as protected slots (sticky_table_put, the "
			"insert rule the program uses) into a default-size table until the first finds "
			"no room (both its buckets full of held protected slots)");
	json_num("buckets", rated.buckets);
	json_num("rated_clients", (double)rated.rated_clients);
	json_num("first_full_at", (double)rated.first_full_at);
	json_num("held_at_first_full", (double)rated.held);
	json_num("refused_within_rated", (double)rated.refused_at_rated);
	json_num("memlock_bytes", (double)rated.memlock);
	json_num("bytes_per_client_at_first_full", (double)rated.memlock / (double)rated.first_full_at);
	json_num("bytes_per_client_at_rated", (double)rated.memlock / (double)rated.rated_clients);
	json_num("fill_ms", rated.ms);
	json_close();
	json_close();
	return 0;
}

/* ---- namespaces and attachments for the live rigs ---- */

static int ns_fd(const char *name)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die(path, errno);
	return fd;
}

static void ns_enter(int fd, const char *what)
{
	if (setns(fd, CLONE_NEWNET))
		die(what, errno);
}

/* An XDP attachment this process made, and what was there before it. */
struct attachment {
	int ns;        /* its namespace */
	int ifindex;
	__u32 flags;   /* XDP_FLAGS_*_MODE */
	int old_fd;    /* the program it replaced, held open; -1 for none */
};

static struct attachment attach_in(int ns, int home, const char *dev, int prog_fd, __u32 flags)
{
	struct attachment a = {.ns = ns, .flags = flags, .old_fd = -1};
	__u32 old_id = 0;

	ns_enter(ns, dev);
	a.ifindex = (int)if_nametoindex(dev);
	if (!a.ifindex)
		die(dev, errno);
	/* Hold the old program: once replaced, nothing else keeps it alive. */
	if (!bpf_xdp_query_id(a.ifindex, (int)flags, &old_id) && old_id)
		a.old_fd = bpf_prog_get_fd_by_id(old_id);
	check(bpf_xdp_attach(a.ifindex, prog_fd, flags, NULL), "attaching XDP");
	ns_enter(home, "home namespace");
	return a;
}

/* Puts back what the attachment replaced. */
static void attach_undo(const struct attachment *a, int home)
{
	ns_enter(a->ns, "restoring XDP");
	if (a->old_fd >= 0) {
		bpf_xdp_attach(a->ifindex, a->old_fd, a->flags, NULL);
		close(a->old_fd);
	} else {
		bpf_xdp_detach(a->ifindex, a->flags, NULL);
	}
	ns_enter(home, "home namespace");
}

static __u64 sink_count(struct live_bpf *live)
{
	int n = libbpf_num_possible_cpus();
	__u64 *v = calloc((size_t)n, sizeof(*v)), sum = 0;
	__u32 zero = 0;

	if (!v)
		die("sink", ENOMEM);
	if (!bpf_map_lookup_elem(bpf_map__fd(live->maps.live_count), &zero, v))
		for (int i = 0; i < n; i++)
			sum += v[i];
	free(v);
	return sum;
}

/* The sinks count only frames whose source MAC is the balancer's; with
 * NULL, every frame of the bench. */
static void sink_from(struct live_bpf *live, const __u8 *mac)
{
	struct fwd_mac m = {0};
	__u32 zero = 0;

	if (mac) {
		memcpy(m.mac, mac, 6);
		m.pad[0] = 1;
	}
	check(bpf_map_update_elem(bpf_map__fd(live->maps.live_from), &zero, &m, 0) ? -errno : 0,
	      "sink filter");
}

static int live_run(int prog_fd, const struct bench_pkt *p, int ifindex, __u32 repeat,
		    struct sample *s)
{
	struct xdp_md ctx = {.data_end = p->len, .ingress_ifindex = (__u32)ifindex};
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = p->data, .data_size_in = p->len,
		    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx), .repeat = repeat,
		    .flags = BPF_F_TEST_XDP_LIVE_FRAMES);
	double t0 = clock_ns(CLOCK_MONOTONIC);

	if (bpf_prog_test_run_opts(prog_fd, &opts))
		return -errno;
	s->ns = (clock_ns(CLOCK_MONOTONIC) - t0) / repeat; /* wall clock here */
	s->kernel_ns = opts.duration;
	s->action = (int)opts.retval;
	return 0;
}

static int if_mac(const char *dev, __u8 mac[6])
{
	struct ifreq ifr = {0};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), err = 0;

	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", dev);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr))
		err = -errno;
	else
		memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	close(fd);
	return err;
}

/* siobpf and the floor in live-frames mode on the balancer's interface:
 * real XDP_TX over the veth, whose peer counts and drops with XDP. */
static int cmd_live_lb(const struct opts *o)
{
	double sio[64], fl[64], sio_k[64], fl_k[64], lost = 0;
	struct rig r = {.clients = 65536};
	struct live_bpf *live;
	struct attachment peer;
	int home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	int ifindex = (int)if_nametoindex(o->dev);
	struct bench_pkt p;

	if (home < 0 || !ifindex)
		die(o->dev, errno);
	r.ifindex = (__u32)ifindex;
	bench_objs_load(&r);
	sio_load(&r);
	vip_setup(&r, VIP4, LIVE_PORT, IPPROTO_UDP, 0, SIOBPF_STICKY_IP, 600, 0, 3);
	live = live_bpf__open_and_load();
	if (!live)
		die("loading live.bpf.o", errno);
	p = frame(CLIENT4, VIP4, 40000, LIVE_PORT, IPPROTO_UDP);
	/* floor_swap flips the MACs of a recycled page each time: count all. */
	sink_from(live, NULL);
	peer = attach_in(ns_fd(o->peer_ns), home, o->peer_dev,
			 bpf_program__fd(live->progs.live_sink), XDP_FLAGS_DRV_MODE);

	for (int i = 0; i < o->rounds; i++) {
		struct sample s;
		__u64 c0 = sink_count(live);

		check(live_run(bpf_program__fd(r.floor->progs.floor_swap), &p, ifindex, o->repeat, &s),
		      "live floor");
		fl[i] = s.ns;
		fl_k[i] = s.kernel_ns;
		check(live_run(r.dp.prog_fd, &p, ifindex, o->repeat, &s), "live siobpf");
		sio[i] = s.ns;
		sio_k[i] = s.kernel_ns;
		lost += 2.0 * o->repeat - (double)(sink_count(live) - c0);
	}
	attach_undo(&peer, home);

	json_open(NULL);
	json_str("what", "live frames (BPF_F_TEST_XDP_LIVE_FRAMES) on the balancer's veth: "
			 "real XDP_TX, the peer counts and drops with XDP");
	meta(o, "kernel_ns: BPF_PROG_TEST_RUN's duration per frame; wall_ns: wall clock per frame");
	json_open("floor");
	json_num("kernel_ns", minimum(fl_k, o->rounds));
	json_num("wall_ns", minimum(fl, o->rounds));
	json_num("mpps", 1e3 / minimum(fl_k, o->rounds));
	json_close();
	json_open("siobpf");
	json_num("kernel_ns", minimum(sio_k, o->rounds));
	json_num("wall_ns", minimum(sio, o->rounds));
	json_num("mpps", 1e3 / minimum(sio_k, o->rounds));
	json_num("ratio_to_floor", minimum(sio_k, o->rounds) / minimum(fl_k, o->rounds));
	json_close();
	json_num("frames_lost", lost);
	json_close();
	return 0;
}

/* The generator: frames from the client's veth through the bridge to the
 * balancer (whatever is attached there) and on to the backends' sinks. */
static int cmd_gen(const struct opts *o)
{
	int home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	int ifindex = (int)if_nametoindex(o->dev);
	struct attachment att[FWD_MAX_BACKENDS + 1];
	char sinks[512], *tok, *save = NULL;
	__u8 smac[6], dmac[6];
	struct live_bpf *live;
	struct bench_flow f;
	struct bench_pkt p;
	__u64 sent = 0, c0;
	double t0, wall, kns = 0;
	int natt = 0;

	if (home < 0 || !ifindex)
		die(o->dev, errno);
	check(if_mac(o->dev, smac), "client MAC");
	check(bench_parse_mac(o->dst_mac, dmac), "--dst-mac");
	f = (struct bench_flow){.src = o->src, .dst = o->vip, .sport = 40000, .dport = LIVE_PORT,
				.proto = IPPROTO_UDP, .payload = 22, .smac = smac, .dmac = dmac};
	check(bench_pkt_build(&p, &f), "frame");
	live = live_bpf__open_and_load();
	if (!live)
		die("loading live.bpf.o", errno);
	sink_from(live, dmac);

	att[natt++] = attach_in(ns_fd(o->peer_ns), home, o->peer_dev,
				bpf_program__fd(live->progs.live_pass), XDP_FLAGS_DRV_MODE);
	snprintf(sinks, sizeof(sinks), "%s", o->sink_ns);
	for (tok = strtok_r(sinks, ",", &save); tok && natt <= FWD_MAX_BACKENDS;
	     tok = strtok_r(NULL, ",", &save))
		att[natt++] = attach_in(ns_fd(tok), home, "eth0",
					bpf_program__fd(live->progs.live_sink), XDP_FLAGS_DRV_MODE);

	c0 = sink_count(live);
	t0 = clock_ns(CLOCK_MONOTONIC);
	do {
		struct sample s;
		__u32 chunk = 65536;

		check(live_run(bpf_program__fd(live->progs.live_gen), &p, ifindex, chunk, &s), "generator");
		sent += chunk;
		kns += s.kernel_ns * chunk;
		wall = (clock_ns(CLOCK_MONOTONIC) - t0) / 1e9;
	} while (wall < o->seconds);
	usleep(100000); /* let the last frames drain */

	json_open(NULL);
	json_str("what", "live-frames generator at the client's veth, through bridge and balancer to "
			 "XDP sinks on the backends");
	json_num("seconds", wall);
	json_num("sent", (double)sent);
	json_num("delivered", (double)(sink_count(live) - c0));
	json_num("delivered_pps", (double)(sink_count(live) - c0) / wall);
	json_num("sent_pps", (double)sent / wall);
	json_num("generator_kernel_ns", kns / (double)sent);
	json_close();

	for (int i = natt - 1; i >= 0; i--)
		attach_undo(&att[i], home);
	return 0;
}

/* Attaches floor_fwd and leaves it attached (the interface holds it). */
static int cmd_fwd_attach(const struct opts *o)
{
	struct fwd_config cfg = {0};
	struct floor_bpf *floor;
	struct in_addr vip;
	int ifindex = (int)if_nametoindex(o->dev);
	__u32 zero = 0, flags;

	if (!ifindex)
		die(o->dev, errno);
	if (inet_pton(AF_INET, o->vip, &vip) != 1)
		die("--vip", EINVAL);
	flags = o->mode && !strcmp(o->mode, "generic") ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE;
	floor = floor_bpf__open_and_load();
	if (!floor)
		die("loading floor.bpf.o", errno);
	cfg.vip = vip.s_addr;
	cfg.backends = (__u32)o->backends;
	check(if_mac(o->dev, cfg.src_mac), "interface MAC");
	for (__u32 i = 0; i < (__u32)o->backends; i++) {
		struct fwd_mac m = {0};

		check(bench_parse_mac(o->backend_macs[i], m.mac), "--backend-mac");
		check(bpf_map_update_elem(bpf_map__fd(floor->maps.fwd_macs), &i, &m, 0) ? -errno : 0,
		      "fwd_macs");
	}
	check(bpf_map_update_elem(bpf_map__fd(floor->maps.fwd_cfg), &zero, &cfg, 0) ? -errno : 0,
	      "fwd_cfg");
	check(bpf_xdp_attach(ifindex, bpf_program__fd(floor->progs.floor_fwd), flags, NULL),
	      "attaching floor_fwd");
	floor_bpf__destroy(floor);
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: siobench testrun|scale|table [--repeat N] [--rounds K] [--entries N]\n"
		"       siobench live-lb --peer-ns NS --peer-dev DEV [--dev DEV] [--repeat N] [--rounds K]\n"
		"       siobench gen --peer-ns NS --peer-dev DEV --sink-ns NS,... --src ADDR --vip ADDR\n"
		"                    --dst-mac MAC [--dev DEV] [--seconds S]\n"
		"       siobench fwd-attach --dev DEV --mode native|generic --vip ADDR --backend-mac MAC...\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"repeat", required_argument, NULL, 'r'},  {"rounds", required_argument, NULL, 'k'},
		{"entries", required_argument, NULL, 'e'}, {"seconds", required_argument, NULL, 's'},
		{"dev", required_argument, NULL, 'd'},     {"peer-ns", required_argument, NULL, 'P'},
		{"peer-dev", required_argument, NULL, 'D'}, {"sink-ns", required_argument, NULL, 'S'},
		{"src", required_argument, NULL, 'c'},     {"vip", required_argument, NULL, 'v'},
		{"dst-mac", required_argument, NULL, 'm'}, {"mode", required_argument, NULL, 'M'},
		{"backend-mac", required_argument, NULL, 'b'}, {NULL, 0, NULL, 0},
	};
	struct opts o = {.repeat = 1000000, .rounds = 5, .entries = 1000000, .seconds = 2, .dev = "eth0"};
	const char *cmd;
	int c;

	if (argc < 2)
		usage();
	cmd = argv[1];
	optind = 2;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'r': o.repeat = (__u32)strtoul(optarg, NULL, 0); break;
		case 'k': o.rounds = atoi(optarg); break;
		case 'e': o.entries = (__u32)strtoul(optarg, NULL, 0); break;
		case 's': o.seconds = atof(optarg); break;
		case 'd': o.dev = optarg; break;
		case 'P': o.peer_ns = optarg; break;
		case 'D': o.peer_dev = optarg; break;
		case 'S': o.sink_ns = optarg; break;
		case 'c': o.src = optarg; break;
		case 'v': o.vip = optarg; break;
		case 'm': o.dst_mac = optarg; break;
		case 'M': o.mode = optarg; break;
		case 'b':
			if (o.backends == FWD_MAX_BACKENDS)
				usage();
			o.backend_macs[o.backends++] = optarg;
			break;
		default: usage();
		}
	}
	if (o.rounds < 1 || o.rounds > 64 || o.repeat < 1)
		usage();
	libbpf_set_print(libbpf_quiet);
	if (!strcmp(cmd, "testrun"))
		return cmd_testrun(&o);
	if (!strcmp(cmd, "scale"))
		return cmd_scale(&o);
	if (!strcmp(cmd, "table"))
		return cmd_table(&o);
	if (!strcmp(cmd, "live-lb") && o.peer_ns && o.peer_dev)
		return cmd_live_lb(&o);
	if (!strcmp(cmd, "gen") && o.peer_ns && o.peer_dev && o.sink_ns && o.src && o.vip && o.dst_mac)
		return cmd_gen(&o);
	if (!strcmp(cmd, "fwd-attach") && o.vip && o.backends)
		return cmd_fwd_attach(&o);
	usage();
}

// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* siobpf stats: traffic per VIP and backend, and why packets were passed
 * or dropped; with --watch, rates between samples. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <net/if.h>

#include <bpf/bpf.h>

#include "at.h"
#include "cli.h"
#include "output.h"
#include "pins.h"
#include "cmd_show.h"
#include "events.h"

#define EGRESS_LIST_MAX (SIOBPF_MAX_EGRESS * 4)

struct sample {
	struct show_state s;
	struct siobpf_traffic *vip;     /* by index in s.vips */
	struct siobpf_traffic *backend; /* by index in s.backends */
	struct siobpf_admit_stats *admit; /* by index in s.vips; [nvips]: their sum */
	__u64 *ring_changed;              /* by index in s.vips: CLOCK_MONOTONIC_COARSE ns, 0: never */
	double mono_to_unix;              /* seconds to add to a CLOCK_MONOTONIC(_COARSE) time */
	struct table_info table;          /* the sticky table's size and held slots */
	__u64 reasons[SIOBPF_R_MAX];
	struct egress_errors egress[EGRESS_LIST_MAX]; /* every egress interface, by ifindex */
	size_t negress;
	struct siobpf_event_stats events; /* new-entry events written and lost */
	bool events_on;                   /* the events switch (sio_node) */
	double at;                      /* seconds, monotonic */
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static double monotonic_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double timespec_seconds(const struct timespec *ts)
{
	return (double)ts->tv_sec + (double)ts->tv_nsec / 1e9;
}

/* CLOCK_REALTIME - CLOCK_MONOTONIC, the two read together: it turns a ring
 * swap's time into wall-clock time, comparable across nodes. The swap's
 * time is CLOCK_MONOTONIC_COARSE, the fine clock as of its last tick, so
 * the result is up to one tick (a few ms) early; the fine clock makes the
 * offset itself steady from one reading to the next. */
static double mono_to_unix_offset(void)
{
	struct timespec before, mono, after;

	clock_gettime(CLOCK_REALTIME, &before);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	clock_gettime(CLOCK_REALTIME, &after);
	return (timespec_seconds(&before) + timespec_seconds(&after)) / 2 - timespec_seconds(&mono);
}

static void sample_free(struct sample *x)
{
	show_free(&x->s);
	free(x->vip);
	free(x->backend);
	free(x->admit);
	free(x->ring_changed);
	memset(x, 0, sizeof(*x));
}

/* The interfaces with redirect failures, and those the program redirects
 * to (sio_egress) with none. */
static int egress_take(struct dataplane *dp, struct sample *x)
{
	__u32 key, next;
	bool have = false;
	int err = dataplane_egress_errors(dp, x->egress, EGRESS_LIST_MAX, &x->negress);

	while (!err && x->negress < EGRESS_LIST_MAX &&
	       !bpf_map_get_next_key(dp->egress_fd, have ? &key : NULL, &next)) {
		bool listed = false;

		key = next;
		have = true;
		for (size_t i = 0; i < x->negress && !listed; i++)
			listed = x->egress[i].ifindex == key;
		if (!listed)
			x->egress[x->negress++] = (struct egress_errors){.ifindex = key};
	}
	return err;
}

static int sample_take(struct dataplane *dp, struct sample *x)
{
	int err = show_load(dp, &x->s);

	x->vip = calloc(x->s.nvips + 1, sizeof(*x->vip));
	x->backend = calloc(x->s.nbackends + 1, sizeof(*x->backend));
	x->admit = calloc(x->s.nvips + 1, sizeof(*x->admit));
	x->ring_changed = calloc(x->s.nvips + 1, sizeof(*x->ring_changed));
	if (!err && (!x->vip || !x->backend || !x->admit || !x->ring_changed))
		err = -ENOMEM;
	x->mono_to_unix = mono_to_unix_offset();
	for (size_t v = 0; !err && v < x->s.nvips; v++) {
		struct siobpf_vip_admit admit;

		/* No record: the VIP's ring never changed since it was made. */
		err = dataplane_vip_admit_get(dp, x->s.vips[v].vip.id, &admit);
		if (!err)
			x->ring_changed[v] = admit.ring_changed;
		else if (err == -ENOENT)
			err = 0;
	}
	for (size_t v = 0; !err && v < x->s.nvips; v++)
		err = dataplane_traffic(dp, false, x->s.vips[v].vip.id, &x->vip[v]);
	for (size_t v = 0; !err && v < x->s.nvips; v++) {
		__u64 *one = (__u64 *)(void *)&x->admit[v], *sum = (__u64 *)(void *)&x->admit[x->s.nvips];

		err = dataplane_admit_stats(dp, x->s.vips[v].vip.id, &x->admit[v]);
		for (size_t w = 0; !err && w < sizeof(*x->admit) / sizeof(__u64); w++)
			sum[w] += one[w];
	}
	if (!err)
		err = table_info_read(dp, &x->table);
	for (size_t b = 0; !err && b < x->s.nbackends; b++)
		err = dataplane_traffic(dp, true, x->s.backends[b].id, &x->backend[b]);
	if (!err)
		err = dataplane_reasons(dp, x->reasons);
	if (!err)
		err = egress_take(dp, x);
	if (!err)
		err = events_counters(dp, &x->events);
	if (!err)
		err = events_switch_get(dp, &x->events_on);
	x->at = monotonic_seconds();
	return err;
}

/* A counter's rate since the previous sample, when there is one whose
 * layout matches (same VIPs and backends). */
static double rate(__u64 now, const __u64 *before, double seconds)
{
	return before && seconds > 0 && now >= *before ? (double)(now - *before) / seconds : 0;
}

static void traffic_json(json_object *o, const struct siobpf_traffic *t, const struct siobpf_traffic *p,
			 double dt)
{
	json_object_object_add(o, "packets", json_object_new_int64((long long)t->packets));
	json_object_object_add(o, "bytes", json_object_new_int64((long long)t->bytes));
	json_object_object_add(o, "new_sticky", json_object_new_int64((long long)t->new_sticky));
	if (p) {
		json_object_object_add(o, "packets_per_sec", json_object_new_double(rate(t->packets, &p->packets, dt)));
		json_object_object_add(o, "bytes_per_sec", json_object_new_double(rate(t->bytes, &p->bytes, dt)));
		json_object_object_add(o, "new_sticky_per_sec",
				       json_object_new_double(rate(t->new_sticky, &p->new_sticky, dt)));
	}
}

static json_object *admit_json(const struct siobpf_admit_stats *a)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "created", json_object_new_int64((long long)a->created));
	json_object_object_add(o, "admitted", json_object_new_int64((long long)a->admitted));
	json_object_object_add(o, "deferred", json_object_new_int64((long long)a->deferred));
	json_object_object_add(o, "refused", json_object_new_int64((long long)a->refused));
	json_object_object_add(o, "misses", json_object_new_int64((long long)a->misses));
	json_object_object_add(o, "prev_ring", json_object_new_int64((long long)a->prev_ring));
	json_object_object_add(o, "full", json_object_new_int64((long long)a->full));
	json_object_object_add(o, "evicted", json_object_new_int64((long long)a->evicted));
	json_object_object_add(o, "raced", json_object_new_int64((long long)a->raced));
	return o;
}

/* A ring swap's CLOCK_MONOTONIC_COARSE time as Unix seconds; 0 when never. */
static double ring_changed_unix(const struct sample *x, size_t v)
{
	return x->ring_changed[v] ? (double)x->ring_changed[v] / 1e9 + x->mono_to_unix : 0;
}

static bool same_layout(const struct sample *a, const struct sample *b)
{
	if (!b || a->s.nvips != b->s.nvips || a->s.nbackends != b->s.nbackends)
		return false;
	for (size_t v = 0; v < a->s.nvips; v++)
		if (a->s.vips[v].vip.id != b->s.vips[v].vip.id)
			return false;
	for (size_t i = 0; i < a->s.nbackends; i++)
		if (a->s.backends[i].id != b->s.backends[i].id)
			return false;
	return true;
}

static json_object *egress_json(const struct sample *x)
{
	json_object *list = json_object_new_array();

	for (size_t i = 0; i < x->negress; i++) {
		const struct egress_errors *e = &x->egress[i];
		json_object *j = json_object_new_object();
		char name[IF_NAMESIZE];

		ifname_of(e->ifindex, name);
		json_object_object_add(j, "ifindex", json_object_new_int64(e->ifindex));
		json_object_object_add(j, "ifname", json_object_new_string(name));
		json_object_object_add(j, "redirect_errors", json_object_new_int64((long long)e->redirect_err));
		json_object_object_add(j, "xmit_drops", json_object_new_int64((long long)e->xmit_drop));
		json_object_object_add(j, "last_error",
				       e->last_err ? json_object_new_string(strerror(-e->last_err)) : NULL);
		json_object_array_add(list, j);
	}
	return list;
}

static void print_json_sample(const struct sample *x, const struct sample *prev)
{
	json_object *root = json_object_new_object(), *vips = json_object_new_array();
	json_object *counters = json_object_new_object();
	bool rates = same_layout(x, prev);
	double dt = rates ? x->at - prev->at : 0;

	for (size_t v = 0; v < x->s.nvips; v++) {
		json_object *o = json_object_new_object(), *list = json_object_new_array();
		char text[ADDR_TEXT_MAX];

		vip_format(&x->s.vips[v].key, text, sizeof(text));
		json_object_object_add(o, "vip", json_object_new_string(text));
		traffic_json(o, &x->vip[v], rates ? &prev->vip[v] : NULL, dt);
		json_object_object_add(o, "admission", admit_json(&x->admit[v]));
		json_object_object_add(o, "ring_changed_unix",
				       x->ring_changed[v] ? json_object_new_double(ring_changed_unix(x, v)) : NULL);
		for (size_t b = x->s.first[v]; b < x->s.first[v + 1]; b++) {
			json_object *j = json_object_new_object();
			const struct siobpf_backend *be = &x->s.backends[b].b;

			addr_format(be->family, be->addr, text, sizeof(text));
			json_object_object_add(j, "address", json_object_new_string(text));
			traffic_json(j, &x->backend[b], rates ? &prev->backend[b] : NULL, dt);
			json_object_array_add(list, j);
		}
		json_object_object_add(o, "backends", list);
		json_object_array_add(vips, o);
	}
	for (int r = 0; r < SIOBPF_R_MAX; r++)
		json_object_object_add(counters, siobpf_reason_name(r),
				       json_object_new_int64((long long)x->reasons[r]));
	json_object_object_add(root, "vips", vips);
	json_object_object_add(root, "counters", counters);
	json_object_object_add(root, "egress", egress_json(x));
	{
		json_object *e = json_object_new_object();

		json_object_object_add(e, "on", json_object_new_boolean(x->events_on));
		json_object_object_add(e, "written", json_object_new_int64((long long)x->events.written));
		json_object_object_add(e, "lost", json_object_new_int64((long long)x->events.lost));
		json_object_object_add(root, "entry_events", e);
	}
	{
		json_object *a = admit_json(&x->admit[x->s.nvips]);

		/* Held slots by kind; probation_evicted: the evicted counter. */
		json_object_object_add(a, "protected_entries", json_object_new_int64((long long)x->table.protected_n));
		json_object_object_add(a, "probation_entries", json_object_new_int64((long long)x->table.probation_n));
		json_object_object_add(a, "probation_evicted",
				       json_object_new_int64((long long)x->admit[x->s.nvips].evicted));
		json_object_object_add(root, "admission", a);
		json_object_object_add(root, "sticky_table", table_info_json(&x->table));
	}
	if (rates)
		json_object_object_add(root, "interval", json_object_new_double(dt));
	print_json(root);
}

static void print_text_line(const char *what, const struct siobpf_traffic *t,
			    const struct siobpf_traffic *p, double dt)
{
	printf("%-34s %12llu pkts %14llu bytes %10llu new sticky", what, (unsigned long long)t->packets,
	       (unsigned long long)t->bytes, (unsigned long long)t->new_sticky);
	if (p)
		printf("  %10.1f pkt/s %12.1f B/s", rate(t->packets, &p->packets, dt),
		       rate(t->bytes, &p->bytes, dt));
	printf("\n");
}

static void print_admit_line(const char *what, const struct siobpf_admit_stats *a)
{
	printf("%s: %llu created, %llu admitted, %llu deferred, %llu refused, %llu full, "
	       "%llu raced; %llu misses (%llu by the previous ring); %llu evicted from probation\n",
	       what, (unsigned long long)a->created, (unsigned long long)a->admitted,
	       (unsigned long long)a->deferred, (unsigned long long)a->refused,
	       (unsigned long long)a->full, (unsigned long long)a->raced,
	       (unsigned long long)a->misses, (unsigned long long)a->prev_ring,
	       (unsigned long long)a->evicted);
}

static void print_ring_changed_line(const struct sample *x, size_t v)
{
	double unix_s = ring_changed_unix(x, v);
	struct timespec ts;
	char moment[40];

	if (!unix_s) {
		printf("  ring changed: never\n");
		return;
	}
	ts.tv_sec = (time_t)unix_s;
	ts.tv_nsec = (long)((unix_s - (double)ts.tv_sec) * 1e9);
	at_format(&ts, moment, sizeof(moment));
	printf("  ring changed: %s (@%.3f)\n", moment, unix_s);
}

static void print_text_sample(const struct sample *x, const struct sample *prev)
{
	bool rates = same_layout(x, prev);
	double dt = rates ? x->at - prev->at : 0;

	for (size_t v = 0; v < x->s.nvips; v++) {
		char text[ADDR_TEXT_MAX], line[ADDR_TEXT_MAX + 16];

		vip_format(&x->s.vips[v].key, text, sizeof(text));
		snprintf(line, sizeof(line), "vip %s", text);
		print_text_line(line, &x->vip[v], rates ? &prev->vip[v] : NULL, dt);
		print_admit_line("  admission", &x->admit[v]);
		print_ring_changed_line(x, v);
		for (size_t b = x->s.first[v]; b < x->s.first[v + 1]; b++) {
			const struct siobpf_backend *be = &x->s.backends[b].b;

			addr_format(be->family, be->addr, text, sizeof(text));
			snprintf(line, sizeof(line), "  backend %s", text);
			print_text_line(line, &x->backend[b], rates ? &prev->backend[b] : NULL, dt);
		}
	}
	table_info_print(&x->table);
	if (x->s.nvips > 1)
		print_admit_line("admission of all VIPs", &x->admit[x->s.nvips]);
	/* Counters still at zero are left out here; --json lists them all. */
	printf("packets by verdict:");
	for (int r = 0; r < SIOBPF_R_MAX; r++) {
		if (!x->reasons[r])
			continue;
		printf(" %s=%llu", siobpf_reason_name(r), (unsigned long long)x->reasons[r]);
		if (rates)
			printf("(%.0f/s)", rate(x->reasons[r], &prev->reasons[r], dt));
	}
	printf("\n");
	/* lost: events the ring had no room for (its reader behind). */
	printf("entry events: %s, %llu written, %llu lost\n", x->events_on ? "on" : "off",
	       (unsigned long long)x->events.written, (unsigned long long)x->events.lost);
	/* Frames redirected that the kernel did not send, by egress interface. */
	for (size_t i = 0; i < x->negress; i++) {
		const struct egress_errors *e = &x->egress[i];
		char name[IF_NAMESIZE];

		ifname_of(e->ifindex, name);
		printf("egress %s: redirect errors %llu, xmit drops %llu", name,
		       (unsigned long long)e->redirect_err, (unsigned long long)e->xmit_drop);
		if (e->last_err)
			printf(" (last: %s)", strerror(-e->last_err));
		printf("\n");
	}
}

int cmd_stats(struct cli_args *args)
{
	const char *watch = cli_opt(args, "watch");
	bool json = cli_flag(args, "json");
	struct sample cur = {0}, prev = {0};
	struct dataplane dp;
	long interval = 0;
	int lock_fd, err, rc = EXIT_FAIL;
	bool have_prev = false;

	if (watch && number_parse(watch, 1, 3600, &interval)) {
		pr_err("--watch must be a number of seconds from 1 to 3600, not '%s'", watch);
		return EXIT_FAIL;
	}
	if (pins_open(&dp, false, &lock_fd))
		return EXIT_FAIL;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	for (;;) {
		err = sample_take(&dp, &cur);
		if (err) {
			pr_err("reading the counters failed: %s", strerror(-err));
			break;
		}
		if (json)
			print_json_sample(&cur, have_prev ? &prev : NULL);
		else
			print_text_sample(&cur, have_prev ? &prev : NULL);
		fflush(stdout);
		if (!interval) {
			rc = EXIT_OK;
			break;
		}
		sample_free(&prev);
		prev = cur;
		memset(&cur, 0, sizeof(cur));
		have_prev = true;
		for (long i = 0; i < interval * 10 && !stop; i++)
			usleep(100000);
		if (stop) {
			rc = EXIT_OK;
			break;
		}
		if (!json)
			printf("\n");
	}
	sample_free(&cur);
	sample_free(&prev);
	pins_release(&dp, lock_fd);
	return rc;
}

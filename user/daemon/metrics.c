// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Prometheus text exposition of the daemon's view and the maps' counters; see metrics.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>

#include <microhttpd.h>

#include "cli.h"
#include "metrics.h"

/* Anyone who reaches the port can send bad requests: they are counted, and
 * logged at most once per this interval (a line names the latest and how
 * many came since the line before). */
#define REFUSAL_LOG_NS (60ull * 1000000000ull)

/* Why a request got no metrics; the label values of
 * siobpf_metrics_requests_rejected_total. */
enum refusal {
	REFUSED_METHOD,    /* neither GET nor HEAD: answered 405 */
	REFUSED_MALFORMED, /* the HTTP parser answered it (400, 413, 505...) */
	REFUSALS,
};
static const char *const refusal_names[REFUSALS] = {"method", "malformed"};

struct metrics_server {
	struct MHD_Daemon *mhd;
	struct daemon *d;
	/* Atomics, not d->lock: MHD's callbacks may run on any of its threads. */
	atomic_ullong refused[REFUSALS];
	atomic_ullong log_due_ns;  /* the next refusal logged, CLOCK_MONOTONIC */
	atomic_ullong unlogged;    /* refusals since the last line */
};

static unsigned long long mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
}

/* Counts a refusal (why >= 0) and logs what at most once an interval; MHD's
 * other messages (why -1) share the limit. */
static void refusal_note(struct metrics_server *ms, int why, const char *what)
{
	unsigned long long now = mono_ns(), due = atomic_load(&ms->log_due_ns), missed;

	if (why >= 0 && why < REFUSALS)
		atomic_fetch_add(&ms->refused[why], 1);
	/* One thread wins the interval; the others only count. */
	if (now < due || !atomic_compare_exchange_strong(&ms->log_due_ns, &due, now + REFUSAL_LOG_NS)) {
		if (why >= 0)
			atomic_fetch_add(&ms->unlogged, 1);
		return;
	}
	missed = atomic_exchange(&ms->unlogged, 0);
	if (missed)
		pr_warn("metrics: %s; %llu more refused since the last such line "
			"(siobpf_metrics_requests_rejected_total counts them all)", what, missed);
	else
		pr_warn("metrics: %s; further refusals are counted in "
			"siobpf_metrics_requests_rejected_total and logged at most once a minute", what);
}

/* MHD's own messages, through the same limit: it logs every request it
 * refuses, which would let anyone flood the daemon's log. */
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct metrics_server *ms = cls;
	unsigned int status;
	char text[256];
	size_t n;

	vsnprintf(text, sizeof(text), fmt, ap);
	n = strcspn(text, "\r\n");
	text[n] = 0;
	/* MHD's wording for a request it answered itself with an error. */
	if (sscanf(text, "Error processing request (HTTP response code is %u", &status) == 1) {
		snprintf(text, sizeof(text), "refused a malformed request with %u", status);
		refusal_note(ms, REFUSED_MALFORMED, text);
		return;
	}
	refusal_note(ms, -1, text);
}


static void help_type(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Label values here are addresses, but escape as the format says anyway. */
static void label_value(FILE *f, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			fprintf(f, "\\%c", *v);
		else if (*v == '\n')
			fputs("\\n", f);
		else
			fputc(*v, f);
	}
}

static void vip_labels(FILE *f, const char *vip)
{
	fputs("{vip=\"", f);
	label_value(f, vip);
	fputs("\"", f);
}

static void backend_labels(FILE *f, const struct target *t)
{
	vip_labels(f, t->vip_text);
	fputs(",backend=\"", f);
	label_value(f, t->addr_text);
	fputs("\"", f);
}

/* One counter family over every VIP: which = 0 packets, 1 bytes, 2 new sticky. */
static void vip_traffic(FILE *f, struct daemon *d, const struct siobpf_traffic *by_vip, int which)
{
	static const char *const names[] = {"siobpf_vip_packets_total", "siobpf_vip_bytes_total",
					    "siobpf_vip_new_sticky_total"};
	static const char *const helps[] = {"Packets forwarded to the VIP's backends.",
					    "Bytes forwarded to the VIP's backends.",
					    "Sticky entries the VIP's clients created."};

	help_type(f, names[which], "counter", helps[which]);
	for (__u32 v = 0; v < SIOBPF_MAX_VIPS; v++) {
		const struct siobpf_traffic *t = &by_vip[v];

		if (!d->vip_present[v])
			continue;
		fputs(names[which], f);
		vip_labels(f, d->vip_text[v]);
		fprintf(f, "} %llu\n",
			(unsigned long long)(which == 0 ? t->packets : which == 1 ? t->bytes : t->new_sticky));
	}
}

static void backend_traffic(FILE *f, struct daemon *d, const struct siobpf_traffic *by_id, int which)
{
	static const char *const names[] = {"siobpf_backend_packets_total", "siobpf_backend_bytes_total",
					    "siobpf_backend_new_sticky_total"};
	static const char *const helps[] = {"Packets forwarded to the backend.",
					    "Bytes forwarded to the backend.",
					    "Sticky entries created for the backend."};

	help_type(f, names[which], "counter", helps[which]);
	for (size_t i = 0; i < d->nids; i++) {
		const struct target *t = &d->targets[d->ids[i]];
		const struct siobpf_traffic *c = &by_id[i];

		fputs(names[which], f);
		backend_labels(f, t);
		fprintf(f, "} %llu\n",
			(unsigned long long)(which == 0 ? c->packets : which == 1 ? c->bytes : c->new_sticky));
	}
}

/* Admission per VIP, one family with the event as a label. */
static void vip_admission(FILE *f, struct daemon *d, const struct siobpf_admit_stats *by_vip)
{
	/* In the order of struct siobpf_admit_stats's fields. */
	static const char *const events[] = {"created", "admitted", "deferred", "refused", "miss",
					     "prev_ring", "full", "evicted", "raced"};
	_Static_assert(sizeof(events) / sizeof(events[0]) == sizeof(struct siobpf_admit_stats) / sizeof(__u64),
		       "an event for every admission counter");

	help_type(f, "siobpf_vip_admission_total", "counter",
		  "Sticky admission by event: created (a probation entry made), admitted (promoted to "
		  "protected), deferred (a probation hit too young to promote), refused (no "
		  "entry and not a connection start), miss (no live entry: the ring decided), prev_ring "
		  "(of the misses, decided by the previous ring), full (no slot to take: the client's "
		  "two buckets held by protected entries), evicted (a probation entry displaced by a "
		  "newer client's), raced (a slot write lost to another CPU's).");
	for (__u32 v = 0; v < SIOBPF_MAX_VIPS; v++) {
		const __u64 *w = (const __u64 *)(const void *)&by_vip[v];

		if (!d->vip_present[v])
			continue;
		for (size_t e = 0; e < sizeof(events) / sizeof(events[0]); e++) {
			fputs("siobpf_vip_admission_total", f);
			vip_labels(f, d->vip_text[v]);
			fprintf(f, ",event=\"%s\"} %llu\n", events[e], (unsigned long long)w[e]);
		}
	}
}

/* The sticky table: its size, and its held slots (in use, deadline not
 * passed) by kind. */
static void render_table(FILE *f, const struct sticky_table *t, __u64 protected_n, __u64 probation_n,
			 __u64 evicted)
{
	help_type(f, "siobpf_sticky_table_buckets", "gauge", "Buckets of the sticky table (eight slots each).");
	fprintf(f, "siobpf_sticky_table_buckets %u\n", t->nbuckets);
	help_type(f, "siobpf_sticky_table_bytes", "gauge", "Memory of the sticky table.");
	fprintf(f, "siobpf_sticky_table_bytes %llu\n", (unsigned long long)t->bytes);
	help_type(f, "siobpf_sticky_table_rated_clients", "gauge",
		  "Clients the sticky table is rated for (two slots each; siobpf load --clients).");
	fprintf(f, "siobpf_sticky_table_rated_clients %llu\n", (unsigned long long)sticky_table_rated(t->nbuckets));
	help_type(f, "siobpf_sticky_protected_entries", "gauge", "Held slots of the sticky table, protected.");
	fprintf(f, "siobpf_sticky_protected_entries %llu\n", (unsigned long long)protected_n);
	help_type(f, "siobpf_sticky_probation_entries", "gauge", "Held slots of the sticky table, on probation.");
	fprintf(f, "siobpf_sticky_probation_entries %llu\n", (unsigned long long)probation_n);
	help_type(f, "siobpf_sticky_probation_evicted_total", "counter",
		  "Probation entries displaced by a newer client's, over every VIP (the sum of "
		  "siobpf_vip_admission_total{event=\"evicted\"}).");
	fprintf(f, "siobpf_sticky_probation_evicted_total %llu\n", (unsigned long long)evicted);
}

static void render_backends(FILE *f, struct daemon *d)
{
	help_type(f, "siobpf_backend_state", "gauge",
		  "1 for the backend's state (up, drain or down), 0 for the others.");
	for (size_t i = 0; i < d->nids; i++) {
		const struct target *t = &d->targets[d->ids[i]];

		for (int s = 0; s < STATE_NAMES; s++) {
			fputs("siobpf_backend_state", f);
			backend_labels(f, t);
			fprintf(f, ",state=\"%s\"} %d\n", state_names[s], t->b.state == s);
		}
	}
	help_type(f, "siobpf_backend_probe_down", "gauge",
		  "1 when the health probe, not the operator, took the backend down.");
	for (size_t i = 0; i < d->nids; i++) {
		const struct target *t = &d->targets[d->ids[i]];

		fputs("siobpf_backend_probe_down", f);
		backend_labels(f, t);
		fprintf(f, "} %d\n", !!(t->b.flags & SIOBPF_BACKEND_F_PROBE_DOWN));
	}
	help_type(f, "siobpf_backend_probe_success", "gauge", "1 when the last probe passed, 0 when it failed.");
	for (size_t i = 0; i < d->nids; i++) {
		const struct target *t = &d->targets[d->ids[i]];

		if (!t->probed)
			continue;
		fputs("siobpf_backend_probe_success", f);
		backend_labels(f, t);
		fprintf(f, "} %d\n", t->last_ok);
	}
	help_type(f, "siobpf_backend_probe_latency_seconds", "gauge",
		  "How long the last probe took, from its start to its verdict.");
	for (size_t i = 0; i < d->nids; i++) {
		const struct target *t = &d->targets[d->ids[i]];

		if (!t->probed)
			continue;
		fputs("siobpf_backend_probe_latency_seconds", f);
		backend_labels(f, t);
		fprintf(f, "} %.6f\n", t->last_seconds);
	}
	help_type(f, "siobpf_backend_probes_total", "counter", "Probes of the backend, by result.");
	for (size_t i = 0; i < d->nids; i++) {
		const struct target *t = &d->targets[d->ids[i]];

		fputs("siobpf_backend_probes_total", f);
		backend_labels(f, t);
		fprintf(f, ",result=\"pass\"} %llu\n", (unsigned long long)t->probes_ok);
		fputs("siobpf_backend_probes_total", f);
		backend_labels(f, t);
		fprintf(f, ",result=\"fail\"} %llu\n", (unsigned long long)t->probes_failed);
	}
	help_type(f, "siobpf_backend_transitions_total", "counter",
		  "State changes of the backend seen by this daemon (probe or operator), by the state entered.");
	for (size_t i = 0; i < d->nids; i++) {
		const struct target *t = &d->targets[d->ids[i]];

		for (int s = 0; s < STATE_NAMES; s++) {
			fputs("siobpf_backend_transitions_total", f);
			backend_labels(f, t);
			fprintf(f, ",to=\"%s\"} %llu\n", state_names[s], (unsigned long long)t->transitions[s]);
		}
	}
	help_type(f, "siobpf_backend_last_transition_timestamp_seconds", "gauge",
		  "When this daemon last made or saw a state change of the backend (Unix time).");
	for (size_t i = 0; i < d->nids; i++) {
		const struct target *t = &d->targets[d->ids[i]];

		if (!t->last_transition)
			continue;
		fputs("siobpf_backend_last_transition_timestamp_seconds", f);
		backend_labels(f, t);
		fprintf(f, "} %.3f\n", t->last_transition);
	}
	help_type(f, "siobpf_backend_mac_changes_total", "counter",
		  "Times the daemon followed a new MAC of the backend in the neighbour table.");
	for (size_t i = 0; i < d->nids; i++) {
		const struct target *t = &d->targets[d->ids[i]];

		fputs("siobpf_backend_mac_changes_total", f);
		backend_labels(f, t);
		fprintf(f, "} %llu\n", (unsigned long long)t->mac_changes);
	}
}

static void render_daemon(FILE *f, struct daemon *d)
{
	__u64 lag_max = d->lag_max_ns[0] > d->lag_max_ns[1] ? d->lag_max_ns[0] : d->lag_max_ns[1];

	help_type(f, "siobpf_loaded", "gauge", "1 when the daemon has the pinned maps open.");
	fprintf(f, "siobpf_loaded %d\n", d->loaded);
	help_type(f, "siobpf_probes_started_total", "counter", "Probes started by the daemon.");
	fprintf(f, "siobpf_probes_started_total %llu\n", (unsigned long long)d->probes_started);
	help_type(f, "siobpf_probe_lag_seconds_total", "counter",
		  "Sum of how late probes started after their deadlines.");
	fprintf(f, "siobpf_probe_lag_seconds_total %.6f\n", (double)d->lag_sum_ns / 1e9);
	help_type(f, "siobpf_probe_lag_max_seconds", "gauge",
		  "The latest start of a probe after its deadline in the last 10 to 20 seconds.");
	fprintf(f, "siobpf_probe_lag_max_seconds %.6f\n", (double)lag_max / 1e9);
	help_type(f, "siobpf_probe_deadlines_missed_total", "counter",
		  "Probe deadlines skipped because the daemon was a whole interval late.");
	fprintf(f, "siobpf_probe_deadlines_missed_total %llu\n", (unsigned long long)d->deadlines_missed);
	help_type(f, "siobpf_config_reloads_total", "counter",
		  "Configuration applications (start and SIGHUP), by result.");
	fprintf(f, "siobpf_config_reloads_total{result=\"ok\"} %llu\n", (unsigned long long)d->config_ok);
	fprintf(f, "siobpf_config_reloads_total{result=\"error\"} %llu\n",
		(unsigned long long)d->config_failed);
}

/* siobpf run --announce: which VIPs' addresses are on its interface. */
static void render_announce(FILE *f, struct daemon *d)
{
	const struct announce_view *a = &d->announce;

	if (!a->on)
		return;
	help_type(f, "siobpf_announce_ready", "gauge",
		  "1 when the node may announce VIPs (the program attached, the maps open).");
	fprintf(f, "siobpf_announce_ready %d\n", a->ready);
	help_type(f, "siobpf_announce_withdrawn", "gauge", "1 after `siobpf announce withdraw`, until resume.");
	fprintf(f, "siobpf_announce_withdrawn %d\n", a->withdrawn);
	help_type(f, "siobpf_announced", "gauge",
		  "1 when the VIP's address is on the --announce interface for it: the node is ready, "
		  "not withdrawn, and the VIP has a backend up.");
	for (__u32 v = 0; v < SIOBPF_MAX_VIPS; v++) {
		if (!d->vip_present[v])
			continue;
		fputs("siobpf_announced", f);
		vip_labels(f, d->vip_text[v]);
		fprintf(f, "} %d\n", a->vip[v]);
	}
	help_type(f, "siobpf_announce_errors_total", "counter",
		  "Failures to read or change the --announce interface's addresses or the announce state.");
	fprintf(f, "siobpf_announce_errors_total %llu\n", (unsigned long long)a->errors);
}

/* The server's own counters; atomics, read without d->lock. */
static void render_server(FILE *f, struct metrics_server *ms)
{
	help_type(f, "siobpf_metrics_requests_rejected_total", "counter",
		  "Requests this endpoint refused, by reason (method: neither GET nor HEAD, answered 405; "
		  "malformed: answered by the HTTP parser with 400, 413 or 505).");
	for (int r = 0; r < REFUSALS; r++)
		fprintf(f, "siobpf_metrics_requests_rejected_total{reason=\"%s\"} %llu\n", refusal_names[r],
			(unsigned long long)atomic_load(&ms->refused[r]));
}

/* Redirect failures by egress interface (only interfaces that had one). */
/* The new-entry events (sio_ev_stats): lost ones are those the ring had
 * no room for, its reader behind. */
static void render_events(FILE *f, const struct siobpf_event_stats *e)
{
	help_type(f, "siobpf_entry_events_total", "counter",
		  "New-entry events the data path wrote to its ring (only while a reader asked for them).");
	fprintf(f, "siobpf_entry_events_total %llu\n", (unsigned long long)e->written);
	help_type(f, "siobpf_entry_events_lost_total", "counter",
		  "New-entry events the data path could not write: the ring was full (its reader behind); "
		  "the packets were forwarded all the same.");
	fprintf(f, "siobpf_entry_events_lost_total %llu\n", (unsigned long long)e->lost);
}

static void render_egress(FILE *f, const struct egress_errors *e, size_t n)
{
	static const char *const names[2] = {"siobpf_egress_redirect_errors_total",
					     "siobpf_egress_xmit_drops_total"};
	static const char *const helps[2] = {
		"Frames redirected to this egress interface that the kernel refused at once "
		"(xdp:xdp_redirect_err: no ndo_xdp_xmit, down, over its MTU); not counted as forwarded.",
		"Frames redirected to this egress interface that its driver dropped when the queue "
		"was flushed (xdp:xdp_devmap_xmit)."};

	for (int which = 0; which < 2; which++) {
		help_type(f, names[which], "counter", helps[which]);
		for (size_t i = 0; i < n; i++) {
			char name[IF_NAMESIZE];

			if (!if_indextoname(e[i].ifindex, name))
				snprintf(name, sizeof(name), "if%u", e[i].ifindex);
			fprintf(f, "%s{interface=\"%s\",ifindex=\"%u\"} %llu\n", names[which], name,
				e[i].ifindex,
				(unsigned long long)(which ? e[i].xmit_drop : e[i].redirect_err));
		}
	}
}

char *metrics_render(struct daemon *d, struct metrics_server *ms, size_t *len)
{
	static struct siobpf_traffic by_vip[SIOBPF_MAX_VIPS];
	static struct siobpf_admit_stats admit[SIOBPF_MAX_VIPS];
	__u64 evicted = 0, protected_n = 0, probation_n = 0;
	bool have_table = false;
	struct siobpf_traffic *by_id;
	__u64 reasons[SIOBPF_R_MAX] = {0};
	static struct egress_errors egress[SIOBPF_MAX_EGRESS * 4];
	size_t negress = 0;
	struct siobpf_event_stats events = {0};
	bool have_reasons = false, have_events = false;
	char *buf = NULL;
	FILE *f;

	pthread_mutex_lock(&d->lock);
	by_id = calloc(d->nids + 1, sizeof(*by_id));
	f = open_memstream(&buf, len);
	if (!f || !by_id) {
		pthread_mutex_unlock(&d->lock);
		if (f)
			fclose(f);
		free(buf);
		free(by_id);
		return NULL;
	}
	/* Counters are read at scrape time; a map that cannot be read counts 0. */
	memset(by_vip, 0, sizeof(by_vip));
	memset(admit, 0, sizeof(admit));
	if (d->loaded) {
		for (__u32 v = 0; v < SIOBPF_MAX_VIPS; v++)
			if (d->vip_present[v] && dataplane_traffic(&d->dp, false, v, &by_vip[v]))
				memset(&by_vip[v], 0, sizeof(by_vip[v]));
		for (__u32 v = 0; v < SIOBPF_MAX_VIPS; v++) {
			if (d->vip_present[v] && dataplane_admit_stats(&d->dp, v, &admit[v]))
				memset(&admit[v], 0, sizeof(admit[v]));
			evicted += admit[v].evicted;
		}
		/* One pass over the mapped table: 2 M slots in a few ms. */
		have_table = dataplane_sticky_sizes(&d->dp, dataplane_now(), &protected_n, &probation_n) == 0;
		for (size_t i = 0; i < d->nids; i++)
			if (dataplane_traffic(&d->dp, true, d->ids[i], &by_id[i]))
				memset(&by_id[i], 0, sizeof(by_id[i]));
		have_reasons = dataplane_reasons(&d->dp, reasons) == 0;
		if (dataplane_egress_errors(&d->dp, egress, sizeof(egress) / sizeof(egress[0]), &negress))
			negress = 0;
		have_events = dataplane_event_stats(&d->dp, &events) == 0;
	}
	fprintf(f, "# siobpf %s\n", SIOBPF_VERSION);
	render_daemon(f, d);
	render_announce(f, d);
	if (ms)
		render_server(f, ms);
	for (int which = 0; which < 3; which++)
		vip_traffic(f, d, by_vip, which);
	for (int which = 0; which < 3; which++)
		backend_traffic(f, d, by_id, which);
	vip_admission(f, d, admit);
	if (have_table)
		render_table(f, &d->dp.sticky, protected_n, probation_n, evicted);
	render_backends(f, d);
	help_type(f, "siobpf_packets_total", "counter",
		  "Packets by the reason for their verdict (tx and redirect: forwarded; pass_*: "
		  "to the stack; drop_*: dropped).");
	for (int r = 0; have_reasons && r < SIOBPF_R_MAX; r++)
		fprintf(f, "siobpf_packets_total{reason=\"%s\"} %llu\n", siobpf_reason_name(r),
			(unsigned long long)reasons[r]);
	render_egress(f, egress, negress);
	if (have_events)
		render_events(f, &events);
	pthread_mutex_unlock(&d->lock);
	free(by_id);
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version, const char *upload_data,
			      size_t *upload_data_size, void **con_cls)
{
	static const char not_found[] = "siobpf serves its metrics on /metrics\n";
	static const char not_allowed[] = "siobpf serves its metrics to GET and HEAD only\n";
	struct metrics_server *ms = cls;
	struct MHD_Response *resp;
	enum MHD_Result ret;
	unsigned int status = MHD_HTTP_OK;
	size_t len = 0;
	char *text;

	(void)version;
	(void)upload_data;
	(void)upload_data_size;
	(void)con_cls;
	if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
		char what[96];
		size_t i;

		/* The method as sent may hold anything: shown up to a few safe characters. */
		for (i = 0; method[i] && i < 16 && method[i] > 0x20 && method[i] < 0x7f; i++)
			;
		snprintf(what, sizeof(what), "refused a %.*s%s request with 405", (int)i, method,
			 method[i] ? "..." : "");
		refusal_note(ms, REFUSED_METHOD, what);
		/* Answered before any body is read: MHD then closes the connection. */
		resp = MHD_create_response_from_buffer(sizeof(not_allowed) - 1, (void *)not_allowed,
						       MHD_RESPMEM_PERSISTENT);
		if (!resp)
			return MHD_NO;
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain");
		ret = MHD_queue_response(conn, MHD_HTTP_METHOD_NOT_ALLOWED, resp);
		MHD_destroy_response(resp);
		return ret;
	}
	if (strcmp(url, "/metrics")) {
		resp = MHD_create_response_from_buffer(sizeof(not_found) - 1, (void *)not_found,
						       MHD_RESPMEM_PERSISTENT);
		status = MHD_HTTP_NOT_FOUND;
	} else {
		text = metrics_render(ms->d, ms, &len);
		if (!text)
			return MHD_NO;
		resp = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
	}
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
				status == MHD_HTTP_OK ? "text/plain; version=0.0.4; charset=utf-8" : "text/plain");
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* "PORT", "ADDR:PORT", "[ADDR6]:PORT" into a socket address. */
static int listen_parse(const char *text, struct sockaddr_storage *ss, socklen_t *sslen)
{
	char buf[ADDR_TEXT_MAX + 16];
	struct addr a;
	const char *why;
	__u16 port = 0;
	long v;

	if (number_parse(text, 1, 65535, &v) == 0) {
		snprintf(buf, sizeof(buf), "%s:%ld", METRICS_DEFAULT_ADDR, v);
		text = buf;
	}
	if (endpoint_parse(text, &a, &port, &why) || !port)
		return -EINVAL;
	memset(ss, 0, sizeof(*ss));
	if (a.family == SIOBPF_FAMILY_IPV4) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		memcpy(&sin->sin_addr, a.a, 4);
		*sslen = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		memcpy(&sin6->sin6_addr, a.a, 16);
		*sslen = sizeof(*sin6);
	}
	return 0;
}

int metrics_start(struct metrics_server **out, const char *listen_text, struct daemon *d, char *why,
		  size_t len)
{
	struct sockaddr_storage ss;
	struct metrics_server *ms;
	socklen_t sslen;
	int fd, one = 1, err;

	if (listen_parse(listen_text, &ss, &sslen)) {
		snprintf(why, len, "--metrics must be PORT, ADDR:PORT or [ADDR6]:PORT, not '%s'", listen_text);
		return -EINVAL;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err = -errno;
		snprintf(why, len, "cannot open the metrics socket: %s", strerror(-err));
		return err;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sslen) || listen(fd, 64)) {
		err = -errno;
		close(fd);
		snprintf(why, len, "cannot serve metrics on %s: %s (is another daemon using it? choose another --metrics)",
			 listen_text, strerror(-err));
		return err;
	}
	ms = calloc(1, sizeof(*ms));
	if (!ms) {
		close(fd);
		return -ENOMEM;
	}
	ms->d = d;
	/* Never MHD's select loop: it refuses descriptors past FD_SETSIZE,
	 * and the daemon holds one per probe in flight. */
	ms->mhd = MHD_start_daemon((MHD_is_feature_supported(MHD_FEATURE_EPOLL) == MHD_YES
					    ? MHD_USE_EPOLL_INTERNAL_THREAD
					    : MHD_USE_POLL_INTERNAL_THREAD) |
					   MHD_USE_ERROR_LOG | (ss.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0),
				   0, NULL, NULL, answer, ms, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, ms,
				   MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_CONNECTION_TIMEOUT, 10u,
				   MHD_OPTION_END);
	if (!ms->mhd) {
		close(fd);
		free(ms);
		snprintf(why, len, "cannot start the metrics server on %s", listen_text);
		return -EIO;
	}
	*out = ms;
	return 0;
}

void metrics_stop(struct metrics_server *ms)
{
	if (!ms)
		return;
	MHD_stop_daemon(ms->mhd); /* closes the listening socket too */
	if (atomic_load(&ms->unlogged))
		pr_warn("metrics: %llu more requests refused since the last such line",
			(unsigned long long)atomic_load(&ms->unlogged));
	free(ms);
}

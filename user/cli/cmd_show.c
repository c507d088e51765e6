// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* siobpf status and lookup: what is configured, and what a client gets. */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>
#include <json-c/json.h>

#include "siobpf/decide.h"
#include "announce_state.h"
#include "cli.h"
#include "egress.h"
#include "model.h"
#include "output.h"
#include "pins.h"
#include "probe_settings.h"
#include "cmd_show.h"
#include "state.h"

static json_object *jstr(const char *s)
{
	return json_object_new_string(s);
}

static json_object *jint(long long v)
{
	return json_object_new_int64(v);
}

/* Whether a probe's timeout was derived from its interval (nobody set one). */
static json_object *jderived(const struct probe_settings *s)
{
	return json_object_new_boolean(s->timeout_from == PROBE_FROM_INTERVAL);
}

void print_json(json_object *root)
{
	printf("%s\n", json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN));
	json_object_put(root);
}

/* Why a backend's frames do not leave now, checked live (the kernel's
 * state, not the state when it was added): "" when they do. */
static void egress_problem(struct dataplane *dp, const struct siobpf_backend *b, char *out)
{
	out[0] = 0;
	if (egress_check(dp, b->ifindex, out, EGRESS_PROBLEM_MAX))
		return;
	out[0] = 0;
	if (b->ifindex && !dataplane_egress_present(dp, b->ifindex))
		snprintf(out, EGRESS_PROBLEM_MAX,
			 "egress interface %u is not in sio_egress: its frames are dropped (drop_no_egress); "
			 "`siobpf check --repair` puts it back", b->ifindex);
}

/* egress_problem once per interface (a netlink question or two each), not
 * once per backend. */
static void egress_problems(struct dataplane *dp, struct show_state *s)
{
	struct {
		__u32 ifindex;
		size_t first;
	} seen[SIOBPF_MAX_EGRESS];
	size_t nseen = 0;

	for (size_t i = 0; i < s->nbackends; i++) {
		__u32 ifindex = s->backends[i].b.ifindex;
		size_t k = 0;

		while (k < nseen && seen[k].ifindex != ifindex)
			k++;
		if (k < nseen) {
			memcpy(s->egress[i], s->egress[seen[k].first], EGRESS_PROBLEM_MAX);
			continue;
		}
		egress_problem(dp, &s->backends[i].b, s->egress[i]);
		if (nseen < SIOBPF_MAX_EGRESS)
			seen[nseen++] = (typeof(seen[0])){ifindex, i};
	}
}

int show_load(struct dataplane *dp, struct show_state *s)
{
	int err;

	s->vips = calloc(SIOBPF_MAX_VIPS, sizeof(*s->vips));
	s->backends = calloc(SIOBPF_MAX_BACKENDS, sizeof(*s->backends));
	if (!s->vips || !s->backends)
		return -ENOMEM;
	err = state_vip_list(dp, s->vips, SIOBPF_MAX_VIPS, &s->nvips);
	if (err)
		return err;
	s->first = calloc(s->nvips + 1, sizeof(*s->first));
	if (!s->first)
		return -ENOMEM;
	s->nbackends = 0;
	for (size_t v = 0; v < s->nvips; v++) {
		size_t n;

		s->first[v] = s->nbackends;
		err = state_backend_list(dp, s->vips[v].vip.id, s->backends + s->nbackends,
					 SIOBPF_MAX_BACKENDS - s->nbackends, &n);
		if (err)
			return err;
		s->nbackends += n;
	}
	s->first[s->nvips] = s->nbackends;
	s->own = calloc(s->nbackends + 1, sizeof(*s->own));
	s->clients = calloc(s->nbackends + 1, sizeof(*s->clients));
	s->deadline = calloc(s->nbackends + 1, sizeof(*s->deadline));
	s->egress = calloc(s->nbackends + 1, sizeof(*s->egress));
	if (!s->own || !s->clients || !s->deadline || !s->egress)
		return -ENOMEM;
	for (size_t i = 0; i < s->nbackends; i++) {
		if (backend_config_get(dp, s->backends[i].id, &s->own[i]))
			memset(&s->own[i], 0, sizeof(s->own[i]));
		s->deadline[i] = backend_drain_deadline(&s->own[i], &s->backends[i].b);
		if (!backend_config_applies(&s->own[i], s->backends[i].b.generation))
			memset(&s->own[i], 0, sizeof(s->own[i]));
	}
	egress_problems(dp, s);
	return 0;
}

int show_count(struct dataplane *dp, struct show_state *s)
{
	struct siobpf_backend *table = calloc(SIOBPF_MAX_BACKENDS, sizeof(*table));
	__u32 *counts = calloc(SIOBPF_MAX_BACKENDS, sizeof(*counts));
	int err = -ENOMEM;

	if (!table || !counts)
		goto out;
	err = dataplane_backends_read(dp, table);
	if (!err)
		err = dataplane_sticky_count_by_backend(dp, table, dataplane_now(), counts);
	for (size_t i = 0; !err && i < s->nbackends; i++)
		s->clients[i] = counts[s->backends[i].id];
out:
	free(table);
	free(counts);
	return err;
}

void show_free(struct show_state *s)
{
	free(s->vips);
	free(s->backends);
	free(s->own);
	free(s->clients);
	free(s->deadline);
	free(s->egress);
	free(s->first);
	memset(s, 0, sizeof(*s));
}

int table_info_read(struct dataplane *dp, struct table_info *t)
{
	memset(t, 0, sizeof(*t));
	t->buckets = dp->sticky.nbuckets;
	t->bytes = dp->sticky.bytes;
	t->rated = sticky_table_rated(dp->sticky.nbuckets);
	return dataplane_sticky_sizes(dp, dataplane_now(), &t->protected_n, &t->probation_n);
}

json_object *table_info_json(const struct table_info *t)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "buckets", json_object_new_int64(t->buckets));
	json_object_object_add(o, "bytes", json_object_new_int64((long long)t->bytes));
	json_object_object_add(o, "rated_clients", json_object_new_int64((long long)t->rated));
	json_object_object_add(o, "protected", json_object_new_int64((long long)t->protected_n));
	json_object_object_add(o, "probation", json_object_new_int64((long long)t->probation_n));
	return o;
}

void table_info_print(const struct table_info *t)
{
	char size[32];

	bytes_format(t->bytes, size, sizeof(size));
	printf("sticky table: %u buckets (%s, rated for %llu clients); held slots: %llu protected, "
	       "%llu on probation\n",
	       t->buckets, size, (unsigned long long)t->rated, (unsigned long long)t->protected_n,
	       (unsigned long long)t->probation_n);
}

void ifname_of(__u32 ifindex, char *buf)
{
	if (!if_indextoname(ifindex, buf))
		snprintf(buf, IF_NAMESIZE, "if%u", ifindex);
}

/* The probe a backend gets, as JSON. */
static json_object *probe_json(const struct probe_settings *s)
{
	json_object *probe = json_object_new_object();

	json_object_object_add(probe, "type", jstr(name_of(probe_names, PROBE_NAMES, s->kind)));
	json_object_object_add(probe, "port", jint(s->port));
	json_object_object_add(probe, "path", jstr(s->path));
	json_object_object_add(probe, "method", jstr(name_of(method_names, METHOD_NAMES, s->method)));
	json_object_object_add(probe, "status", jint(s->status));
	json_object_object_add(probe, "interval", jint(s->interval_ms));
	json_object_object_add(probe, "timeout", jint(s->timeout_ms));
	json_object_object_add(probe, "timeout_derived", jderived(s));
	json_object_object_add(probe, "rise", jint(s->rise));
	json_object_object_add(probe, "fall", jint(s->fall));
	return probe;
}

/* A drained backend: in drain with no live sticky client left. */
static bool drained(const struct backend_entry *b, __u32 clients)
{
	return b->b.state == SIOBPF_BACKEND_DRAIN && clients == 0;
}

static long long wall_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec;
}

static json_object *vip_json(const char (*egress)[EGRESS_PROBLEM_MAX], const struct vip_entry *e,
			     const struct backend_entry *b,
			     const struct siobpf_backend_config *own, const __u32 *clients,
			     const __u64 *deadline, size_t nb)
{
	json_object *o = json_object_new_object(), *list = json_object_new_array(), *probe;
	char text[ADDR_TEXT_MAX], addr[ADDR_TEXT_MAX];
	struct probe_settings vs;

	probe_settings_resolve(e, NULL, &vs); /* the timeout in force, when derived */
	vip_format(&e->key, text, sizeof(text));
	addr_format(e->key.family, e->key.addr, addr, sizeof(addr));
	json_object_object_add(o, "vip", jstr(text));
	json_object_object_add(o, "address", jstr(addr));
	json_object_object_add(o, "port", jint(ntohs(e->key.port)));
	json_object_object_add(o, "proto", jstr(proto_name(e->key.proto)));
	json_object_object_add(o, "sticky", jstr(name_of(sticky_names, STICKY_NAMES, e->vip.sticky)));
	json_object_object_add(o, "prefix", jint(e->vip.prefix));
	json_object_object_add(o, "persist", jint(e->vip.persist_sec));
	json_object_object_add(o, "forward", jstr(name_of(forward_names, FORWARD_NAMES, e->vip.forward)));
	json_object_object_add(o, "seed", jint(e->vip.hash_seed));
	json_object_object_add(o, "id", jint(e->vip.id));
	probe = json_object_new_object();
	json_object_object_add(probe, "type", jstr(name_of(probe_names, PROBE_NAMES, e->cfg.probe)));
	json_object_object_add(probe, "port", jint(e->cfg.probe_port ? e->cfg.probe_port : ntohs(e->key.port)));
	json_object_object_add(probe, "path", json_object_new_string_len(e->cfg.probe_path, (int)strnlen(e->cfg.probe_path, SIOBPF_PROBE_PATH_MAX)));
	json_object_object_add(probe, "status", jint(e->cfg.http_status));
	json_object_object_add(probe, "method",
			       jstr(name_of(method_names, METHOD_NAMES, e->cfg.probe_method)));
	json_object_object_add(probe, "interval", jint(e->cfg.interval_ms));
	json_object_object_add(probe, "timeout", jint(vs.timeout_ms));
	json_object_object_add(probe, "timeout_derived", jderived(&vs));
	json_object_object_add(probe, "rise", jint(e->cfg.rise));
	json_object_object_add(probe, "fall", jint(e->cfg.fall));
	json_object_object_add(o, "probe", probe);
	for (size_t i = 0; i < nb; i++) {
		json_object *j = json_object_new_object();
		char mac[18], ifname[IF_NAMESIZE];
		struct probe_settings ps;

		addr_format(b[i].b.family, b[i].b.addr, addr, sizeof(addr));
		mac_format(b[i].b.mac, mac, sizeof(mac));
		ifname_of(b[i].b.ifindex, ifname);
		json_object_object_add(j, "address", jstr(addr));
		json_object_object_add(j, "state", jstr(name_of(state_names, STATE_NAMES, b[i].b.state)));
		json_object_object_add(j, "weight", jint(b[i].b.weight));
		json_object_object_add(j, "mac", jstr(mac));
		json_object_object_add(j, "ifname", jstr(ifname));
		/* Whether its egress interface takes its frames now, and if not why. */
		json_object_object_add(j, "egress_ok", json_object_new_boolean(!egress[i][0]));
		json_object_object_add(j, "egress_problem", egress[i][0] ? jstr(egress[i]) : NULL);
		json_object_object_add(j, "id", jint(b[i].id));
		json_object_object_add(j, "generation", jint(b[i].b.generation));
		json_object_object_add(j, "probe_down",
				       json_object_new_boolean(!!(b[i].b.flags & SIOBPF_BACKEND_F_PROBE_DOWN)));
		/* Where the probe brings it back: up, or drain when it was draining. */
		json_object_object_add(j, "recovers_to",
				       (b[i].b.flags & SIOBPF_BACKEND_F_PROBE_DOWN)
					       ? jstr((b[i].b.flags & SIOBPF_BACKEND_F_DRAINED) ? "drain" : "up")
					       : NULL);
		json_object_object_add(j, "clients", jint(clients[i]));
		json_object_object_add(j, "drained", json_object_new_boolean(drained(&b[i], clients[i])));
		json_object_object_add(j, "drain_deadline", deadline[i] ? jint((long long)deadline[i]) : NULL);
		probe_settings_resolve(e, own[i].in_use ? &own[i] : NULL, &ps);
		json_object_object_add(j, "probe", probe_json(&ps));
		json_object_object_add(j, "probe_own", json_object_new_boolean(own[i].in_use));
		json_object_array_add(list, j);
	}
	json_object_object_add(o, "backends", list);
	return o;
}

static void vip_text(const char (*egress)[EGRESS_PROBLEM_MAX], const struct vip_entry *e,
		     const struct backend_entry *b,
		     const struct siobpf_backend_config *own, const __u32 *clients, const __u64 *deadline,
		     size_t nb)
{
	char text[ADDR_TEXT_MAX], addr[ADDR_TEXT_MAX];
	struct probe_settings vs;

	probe_settings_resolve(e, NULL, &vs);
	vip_format(&e->key, text, sizeof(text));
	printf("vip %s  sticky %s/%u  persist %us  forward %s  seed %u\n", text,
	       name_of(sticky_names, STICKY_NAMES, e->vip.sticky), e->vip.prefix, e->vip.persist_sec,
	       name_of(forward_names, FORWARD_NAMES, e->vip.forward), e->vip.hash_seed);
	printf("    probe %s port %u every %ums timeout %ums%s rise %u fall %u",
	       name_of(probe_names, PROBE_NAMES, e->cfg.probe),
	       e->cfg.probe_port ? e->cfg.probe_port : ntohs(e->key.port), e->cfg.interval_ms,
	       vs.timeout_ms, vs.timeout_from == PROBE_FROM_INTERVAL ? " (derived)" : "", e->cfg.rise,
	       e->cfg.fall);
	if (e->cfg.probe == SIOBPF_PROBE_HTTP)
		printf(" %s %.*s expect %u", name_of(method_names, METHOD_NAMES, e->cfg.probe_method),
		       SIOBPF_PROBE_PATH_MAX, e->cfg.probe_path, e->cfg.http_status);
	printf("\n");
	if (!nb)
		printf("    no backends: traffic to this VIP is dropped\n");
	for (size_t i = 0; i < nb; i++) {
		char mac[18], ifname[IF_NAMESIZE];

		addr_format(b[i].b.family, b[i].b.addr, addr, sizeof(addr));
		mac_format(b[i].b.mac, mac, sizeof(mac));
		ifname_of(b[i].b.ifindex, ifname);
		__u8 flags = b[i].b.flags;
		char state[32];

		snprintf(state, sizeof(state), "%s%s", name_of(state_names, STATE_NAMES, b[i].b.state),
			 drained(&b[i], clients[i]) ? " (drained)" : "");
		printf("    backend %-24s %-5s weight %-4u mac %s dev %s clients %u%s\n", addr, state,
		       b[i].b.weight, mac, ifname, clients[i],
		       !(flags & SIOBPF_BACKEND_F_PROBE_DOWN) ? ""
		       : (flags & SIOBPF_BACKEND_F_DRAINED)  ? "  (down by its probe; it recovers to drain)"
							      : "  (down by its probe)");
		if (egress[i][0])
			printf("        EGRESS PROBLEM: %s\n", egress[i]);
		if (deadline[i]) {
			long long left = (long long)deadline[i] - wall_now();

			if (left > 0)
				printf("        drain deadline in %lld s\n", left);
			else
				printf("        drain deadline passed %lld s ago; `siobpf run` takes it down\n", -left);
		}
		if (own[i].in_use) {
			struct probe_settings ps;
			char desc[256];

			probe_settings_resolve(e, &own[i], &ps);
			probe_settings_format(&ps, desc, sizeof(desc));
			printf("        its own probe: %s\n", desc);
		}
	}
}

static json_object *ifaces_json(struct dataplane *dp)
{
	json_object *list = json_object_new_array();
	__u32 key, next, *prev = NULL;

	while (!bpf_map_get_next_key(dp->ifaces_fd, prev, &next)) {
		struct siobpf_iface iface;
		char ifname[IF_NAMESIZE];

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(dp->ifaces_fd, &key, &iface))
			continue;
		json_object *j = json_object_new_object();

		ifname_of(key, ifname);
		json_object_object_add(j, "ifname", jstr(ifname));
		json_object_object_add(j, "mode", jstr(iface.mode == 2 ? "generic" : "native"));
		json_object_array_add(list, j);
	}
	return list;
}

/* Settings the rules of this siobpf refuse, from maps an older one wrote:
 * a warning each, naming the VIP or backend and the way out. */
static void warn_stored_problems(const struct show_state *s)
{
	char why[200], text[ADDR_TEXT_MAX], addr[ADDR_TEXT_MAX];

	for (size_t v = 0; v < s->nvips; v++) {
		const struct vip_entry *e = &s->vips[v];

		vip_format(&e->key, text, sizeof(text));
		/* An older siobpf took persistences up to a year. */
		if (e->vip.persist_sec > SIOBPF_PERSIST_MAX_SEC)
			pr_warn("VIP %s: persistence %u s is above the maximum, %u s, which its entries get; "
				"set it with `siobpf vip set %s --persist SECONDS`", text, e->vip.persist_sec,
				SIOBPF_PERSIST_MAX_SEC, text);
		if (probe_path_stored_check(e, NULL, why, sizeof(why)))
			pr_warn("VIP %s: probe path %s; set one with `siobpf vip set %s --probe-path PATH`",
				text, why, text);
		for (size_t i = s->first[v]; i < s->first[v + 1]; i++) {
			const struct backend_entry *b = &s->backends[i];

			if (!s->own[i].in_use || !probe_path_stored_check(e, &s->own[i], why, sizeof(why)))
				continue;
			addr_format(b->b.family, b->b.addr, addr, sizeof(addr));
			pr_warn("backend %s of VIP %s: probe path %s; set one with `siobpf backend set %s "
				"%s --probe-path PATH`", addr, text, why, text, addr);
		}
	}
}

/* The announce state: the withdrawal recorded for the pin directory and
 * the VIP addresses siobpf holds in this network namespace. */
static json_object *announce_json(void)
{
	json_object *o = json_object_new_object(), *list = json_object_new_array();
	char text[ADDR_TEXT_MAX], ifname[IF_NAMESIZE];
	struct nl_addr *held = NULL;
	bool withdrawn = false;
	size_t n = 0;
	int err;

	err = announce_state_read(globals.pin_dir, &withdrawn);
	json_object_object_add(o, "withdrawn", err ? NULL : json_object_new_boolean(withdrawn));
	if (err)
		json_object_object_add(o, "state_error", jstr(strerror(-err)));
	err = announce_held(&held, &n);
	if (err)
		json_object_object_add(o, "addresses_error", jstr(strerror(-err)));
	for (size_t i = 0; i < n; i++) {
		json_object *a = json_object_new_object();

		addr_format((__u8)held[i].family, held[i].addr, text, sizeof(text));
		ifname_of((__u32)held[i].ifindex, ifname);
		json_object_object_add(a, "address", jstr(text));
		json_object_object_add(a, "interface", jstr(ifname));
		json_object_array_add(list, a);
	}
	free(held);
	json_object_object_add(o, "addresses", list);
	return o;
}

static bool announce_holds(json_object *announce, const struct siobpf_vip_key *key)
{
	json_object *list = json_object_object_get(announce, "addresses");
	char text[ADDR_TEXT_MAX];

	addr_format(key->family, key->addr, text, sizeof(text));
	for (size_t i = 0; i < json_object_array_length(list); i++)
		if (!strcmp(json_object_get_string(json_object_object_get(json_object_array_get_idx(list, i),
									    "address")), text))
			return true;
	return false;
}

static void announce_print(json_object *announce)
{
	json_object *w = json_object_object_get(announce, "withdrawn"),
		    *list = json_object_object_get(announce, "addresses");
	size_t n = json_object_array_length(list);

	printf("announce: ");
	if (!w)
		printf("state unreadable (%s); ", json_object_get_string(json_object_object_get(announce, "state_error")));
	else if (json_object_get_boolean(w))
		printf("withdrawn by `siobpf announce withdraw` (resume undoes it); ");
	if (!n)
		printf("no VIP address held");
	for (size_t i = 0; i < n; i++) {
		json_object *a = json_object_array_get_idx(list, i);

		printf("%s%s on %s", i ? ", " : "", json_object_get_string(json_object_object_get(a, "address")),
		       json_object_get_string(json_object_object_get(a, "interface")));
	}
	printf("\n");
}

int cmd_status(struct cli_args *args)
{
	struct show_state s = {0};
	struct table_info table;
	struct dataplane dp;
	json_object *ifaces, *announce;
	int lock_fd, err;

	if (pins_open(&dp, false, &lock_fd))
		return EXIT_FAIL;
	err = show_load(&dp, &s);
	if (!err)
		err = show_count(&dp, &s);
	if (!err)
		err = table_info_read(&dp, &table);
	if (err) {
		pr_err("reading the maps failed: %s", strerror(-err));
		goto out;
	}
	warn_stored_problems(&s);
	ifaces = ifaces_json(&dp);
	announce = announce_json();
	if (cli_flag(args, "json")) {
		json_object *root = json_object_new_object(), *vips = json_object_new_array();

		for (size_t v = 0; v < s.nvips; v++) {
			json_object *j = vip_json(s.egress + s.first[v], &s.vips[v], s.backends + s.first[v],
						  s.own + s.first[v], s.clients + s.first[v],
						  s.deadline + s.first[v], s.first[v + 1] - s.first[v]);

			json_object_object_add(j, "address_announced",
					       json_object_new_boolean(announce_holds(announce, &s.vips[v].key)));
			json_object_array_add(vips, j);
		}
		json_object_object_add(root, "vips", vips);
		json_object_object_add(root, "interfaces", ifaces);
		json_object_object_add(root, "announce", announce);
		json_object_object_add(root, "sticky_table", table_info_json(&table));
		print_json(root);
	} else {
		printf("siobpf on");
		for (size_t i = 0; i < json_object_array_length(ifaces); i++) {
			json_object *j = json_object_array_get_idx(ifaces, i);

			printf(" %s (%s)", json_object_get_string(json_object_object_get(j, "ifname")),
			       json_object_get_string(json_object_object_get(j, "mode")));
		}
		printf("%s, maps in %s\n", json_object_array_length(ifaces) ? "" : " no interface",
		       globals.pin_dir);
		json_object_put(ifaces);
		table_info_print(&table);
		announce_print(announce);
		json_object_put(announce);
		if (!s.nvips)
			printf("no VIPs: add one with `siobpf vip add ADDR:PORT`\n");
		for (size_t v = 0; v < s.nvips; v++)
			vip_text(s.egress + s.first[v], &s.vips[v], s.backends + s.first[v], s.own + s.first[v],
				 s.clients + s.first[v], s.deadline + s.first[v], s.first[v + 1] - s.first[v]);
	}
out:
	show_free(&s);
	pins_release(&dp, lock_fd);
	return err ? EXIT_FAIL : EXIT_OK;
}

/* Reads what the decision needs for one key and asks the model. */
static int lookup_choice(struct dataplane *dp, const struct vip_entry *vip,
			 const struct siobpf_sticky_key *key, struct model_choice *choice,
			 struct sticky_found_slot *found, __u64 *now_out)
{
	struct siobpf_backend *table = calloc(SIOBPF_MAX_BACKENDS, sizeof(*table));
	__u32 *ring = malloc(SIOBPF_RING_SIZE * sizeof(*ring));
	__u32 *prev = malloc(SIOBPF_RING_SIZE * sizeof(*prev));
	struct siobpf_vip_admit admit;
	__u64 now = dataplane_now();
	bool has_slot, has_ring, has_prev, has_admit;
	int err = -ENOMEM;

	if (!table || !ring || !prev)
		goto out;
	err = dataplane_backends_read(dp, table);
	if (err)
		goto out;
	has_ring = dataplane_ring_read(dp, vip->vip.id, ring) == 0;
	has_prev = dataplane_prev_ring_read(dp, vip->vip.id, prev) == 0;
	has_slot = dataplane_sticky_find(dp, key, now, found) == 0;
	*now_out = now;
	has_admit = dataplane_vip_admit_get(dp, vip->vip.id, &admit) == 0;
	/* The answer for a new connection: a SYN (or a UDP datagram). */
	*choice = model_decide(&(struct model_state){.vip = &vip->vip, .backends = table,
						     .ring = has_ring ? ring : NULL,
						     .slot = has_slot ? &found->slot : NULL,
						     .now = now,
						     .admit = has_admit ? &admit : NULL,
						     .prev_ring = has_prev ? prev : NULL,
						     .proto = vip->key.proto},
			       key);
out:
	free(table);
	free(ring);
	free(prev);
	return err;
}

/* Nanoseconds from now until a held slot's deadline: it expires as the
 * clock enters its deadline's time unit. */
static __u64 slot_left_ns(__u64 slot, __u64 now)
{
	__u32 r = siobpf_slot_remaining(slot, siobpf_time_units(now));
	__u64 into = now & ((1ull << SIOBPF_TIME_UNIT_SHIFT) - 1);

	return r ? ((__u64)r << SIOBPF_TIME_UNIT_SHIFT) - into : 0;
}

int cmd_lookup(struct cli_args *args)
{
	struct siobpf_sticky_key key;
	struct siobpf_vip_key vkey;
	struct model_choice choice;
	struct sticky_found_slot found;
	struct vip_entry vip;
	struct dataplane dp;
	struct addr client;
	char vtext[ADDR_TEXT_MAX], ctext[ADDR_TEXT_MAX], btext[ADDR_TEXT_MAX] = "";
	const char *why = NULL;
	__u16 port;
	__u64 now = 0;
	double left = 0;
	int lock_fd, err, rc = EXIT_FAIL;

	if (vip_parse(args->pos[0], &vkey, &why)) {
		pr_err("bad VIP '%s': %s", args->pos[0], why);
		return EXIT_FAIL;
	}
	if (endpoint_parse(args->pos[1], &client, &port, &why)) {
		pr_err("bad client '%s': %s (CLIENT or CLIENT:PORT, [IPv6]:PORT)", args->pos[1], why);
		return EXIT_FAIL;
	}
	vip_format(&vkey, vtext, sizeof(vtext));
	if (client.family != vkey.family) {
		pr_err("client %s and VIP %s are of different address families", args->pos[1], vtext);
		return EXIT_FAIL;
	}
	if (pins_open(&dp, false, &lock_fd))
		return EXIT_FAIL;
	if (state_vip_find(&dp, &vkey, &vip)) {
		pr_err("no VIP %s: `siobpf status` lists them", vtext);
		goto out;
	}
	if (vip.vip.sticky == SIOBPF_STICKY_IP_PORT && !port) {
		pr_err("VIP %s keys on address and port: give the client as CLIENT:PORT", vtext);
		goto out;
	}
	siobpf_sticky_key_make(&vip.vip, client.a, htons(port), &key);
	err = lookup_choice(&dp, &vip, &key, &choice, &found, &now);
	if (err) {
		pr_err("reading the maps failed: %s", strerror(-err));
		goto out;
	}
	if (choice.source == MODEL_STICKY || choice.source == MODEL_PROBATION)
		left = (double)slot_left_ns(found.slot, now) / 1e9;
	addr_format(client.family, client.a, ctext, sizeof(ctext));
	if (choice.source != MODEL_NO_BACKEND) {
		struct siobpf_backend b;

		if (dataplane_backend_get(&dp, choice.backend_id, &b) == 0)
			addr_format(b.family, b.addr, btext, sizeof(btext));
	}
	if (cli_flag(args, "json")) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "vip", jstr(vtext));
		json_object_object_add(o, "client", jstr(ctext));
		if (port)
			json_object_object_add(o, "port", jint(port));
		json_object_object_add(o, "backend", *btext ? jstr(btext) : NULL);
		bool sticky = choice.source == MODEL_STICKY || choice.source == MODEL_PROBATION;

		/* "sticky" for either table: an entry decides; "entry" says which. */
		json_object_object_add(o, "reason", jstr(sticky ? "sticky"
							 : choice.source == MODEL_RING || choice.source == MODEL_PREV_RING
								 ? "ring" : "none"));
		json_object_object_add(o, "slot", jint(choice.slot));
		if (sticky) {
			json_object_object_add(o, "entry", jstr(choice.source == MODEL_STICKY ? "protected"
											 : "probation"));
			json_object_object_add(o, "age", json_object_new_double((double)choice.age_ns / 1e9));
			/* Where the slot is, and when it expires unless renewed. */
			json_object_object_add(o, "bucket", jint(found.bucket));
			json_object_object_add(o, "index", jint(found.index));
			json_object_object_add(o, "alt", json_object_new_boolean(siobpf_slot_alt(found.slot)));
			json_object_object_add(o, "deadline_s", json_object_new_double(left));
		}
		if (choice.source == MODEL_PROBATION)
			json_object_object_add(o, "promote", json_object_new_boolean(choice.promote));
		print_json(o);
	} else if (choice.source == MODEL_STICKY) {
		printf("%s -> %s: sticky entry, last seen %.1f s ago, protected; expires in %.1f s unless "
		       "the client comes back (slot %d of bucket %u, its %s bucket; ring slot %u)\n",
		       ctext, btext, (double)choice.age_ns / 1e9, left, found.index, found.bucket,
		       siobpf_slot_alt(found.slot) ? "alternative" : "home", choice.slot);
	} else if (choice.source == MODEL_PROBATION) {
		/* A probation entry was last seen when it was made. */
		printf("%s -> %s: sticky entry, last seen %.1f s ago, on probation: %s; expires in %.1f s "
		       "(slot %d of bucket %u, its %s bucket; ring slot %u)\n",
		       ctext, btext, (double)choice.age_ns / 1e9,
		       choice.promote ? "the next packet makes it protected"
				      : "protected once the client is seen again later",
		       left, found.index, found.bucket, siobpf_slot_alt(found.slot) ? "alternative" : "home",
		       choice.slot);
	} else if (choice.source == MODEL_RING || choice.source == MODEL_PREV_RING) {
		printf("%s -> %s: ring slot %u (no live sticky entry; %s)\n", ctext, btext, choice.slot,
		       choice.create ? "the first packet makes one, on probation"
				     : "the VIP keeps no sticky entries");
	} else {
		printf("%s -> none: VIP %s has no backend in service, its packets are dropped\n", ctext, vtext);
	}
	rc = EXIT_OK;
out:
	pins_release(&dp, lock_fd);
	return rc;
}

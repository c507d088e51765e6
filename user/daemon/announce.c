// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* siobpf run --announce IFACE: reconciles IFACE's addresses with the VIPs
 * this node may serve, once per tick. The kernel holds the truth: an address
 * carries siobpf's IFA_PROTO mark (announce_state.h) or is an operator's, so
 * a restarted daemon knows its own and never touches the others. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "announce.h"
#include "announce_state.h"
#include "cli.h"
#include "netlink.h"
#include "run.h"

/* One distinct address of the VIPs (several VIPs may share one). */
struct wanted {
	int family;
	__u32 addr[4];
	bool want;
	const char *why_not; /* when !want: the reason, for the log */
};

struct announce {
	char ifname[IF_NAMESIZE];
	int ifindex;
	bool withdraw_on_exit;
	bool withdrawn;
	struct wanted want[SIOBPF_MAX_VIPS];
	size_t nwant;
	/* Operators' addresses equal to a VIP's, logged once while they stay. */
	struct nl_addr foreign[SIOBPF_MAX_VIPS];
	size_t nforeign;
	int logged_err;      /* the failure last logged, so a lasting one is logged once */
	bool state_warned;
};

int announce_new(struct announce **out, const char *ifname, bool withdraw_on_exit, char *why, size_t len)
{
	struct announce *an;
	unsigned int ifindex = if_nametoindex(ifname);

	if (!ifindex || strlen(ifname) >= IF_NAMESIZE) {
		snprintf(why, len, "--announce %s: no such interface here (see `ip link`; lo holds the "
			 "addresses for a routing daemon on this node)", ifname);
		return -ENODEV;
	}
	an = calloc(1, sizeof(*an));
	if (!an) {
		snprintf(why, len, "out of memory");
		return -ENOMEM;
	}
	snprintf(an->ifname, sizeof(an->ifname), "%s", ifname);
	an->ifindex = (int)ifindex;
	an->withdraw_on_exit = withdraw_on_exit;
	*out = an;
	return 0;
}

void announce_free(struct announce *an)
{
	free(an);
}

/* Whether siobpf's program is attached to an interface it was loaded on. */
static bool program_attached(struct dataplane *dp)
{
	__u32 key, next, *prev = NULL;

	while (!bpf_map_get_next_key(dp->ifaces_fd, prev, &next)) {
		LIBBPF_OPTS(bpf_xdp_query_opts, q);

		key = next;
		prev = &key;
		if (!bpf_xdp_query((int)key, 0, &q) && (q.prog_id || q.drv_prog_id || q.skb_prog_id))
			return true;
	}
	return false;
}

/* The node may take traffic: everything an announcement waits for besides
 * a VIP's own backends. */
static bool node_ready(struct run *r)
{
	return r->d.loaded && program_attached(&r->d.dp);
}

static bool vip_has_up_backend(const struct daemon *d, __u32 vip_id)
{
	for (size_t i = 0; i < d->nids; i++) {
		const struct target *t = &d->targets[d->ids[i]];

		if (t->b.vip_id == vip_id && t->b.state == SIOBPF_BACKEND_UP)
			return true;
	}
	return false;
}

static bool same_addr(int family, const __u32 *a, int family_b, const __u32 *b)
{
	return family == family_b && !memcmp(a, b, family == SIOBPF_FAMILY_IPV4 ? 4 : 16);
}

static struct wanted *wanted_find(struct announce *an, int family, const __u32 *addr)
{
	for (size_t i = 0; i < an->nwant; i++)
		if (same_addr(an->want[i].family, an->want[i].addr, family, addr))
			return &an->want[i];
	return NULL;
}

/* The distinct VIP addresses and whether each is wanted: one of its VIPs has
 * a backend up on a ready node that is not withdrawn. */
static void wanted_build(struct run *r, bool ready, bool vip_want[SIOBPF_MAX_VIPS])
{
	struct announce *an = r->an;
	struct daemon *d = &r->d;

	an->nwant = 0;
	for (__u32 v = 0; v < SIOBPF_MAX_VIPS; v++) {
		const struct siobpf_vip_key *k = &d->vips[v].key;
		struct wanted *w;

		vip_want[v] = false;
		if (!d->vip_present[v])
			continue;
		w = wanted_find(an, k->family, k->addr);
		if (!w) {
			w = &an->want[an->nwant++];
			memset(w, 0, sizeof(*w));
			w->family = k->family;
			memcpy(w->addr, k->addr, sizeof(w->addr));
			w->why_not = "no backend of its VIPs is up";
		}
		if (!ready || an->withdrawn)
			continue;
		vip_want[v] = vip_has_up_backend(d, v);
		w->want |= vip_want[v];
	}
	for (size_t i = 0; i < an->nwant; i++) {
		if (!ready)
			an->want[i].why_not = "this node is not ready (program not attached or maps not open)";
		else if (an->withdrawn)
			an->want[i].why_not = "withdrawn by `siobpf announce withdraw`";
	}
}

/* Logs a failure once until it changes or a tick goes without one. */
static void failed(struct run *r, int err, const char *fmt, const char *what)
{
	pthread_mutex_lock(&r->d.lock);
	r->d.announce.errors++;
	pthread_mutex_unlock(&r->d.lock);
	if (r->an->logged_err == err)
		return;
	r->an->logged_err = err;
	pr_warn(fmt, what, r->an->ifname, strerror(-err));
}

static bool foreign_known(struct announce *an, const struct nl_addr *a)
{
	for (size_t i = 0; i < an->nforeign; i++)
		if (same_addr(an->foreign[i].family, an->foreign[i].addr, a->family, a->addr))
			return true;
	return false;
}

/* Operators' addresses equal to a VIP's: logged when first seen, forgotten
 * once gone (logged again if they come back). */
static void foreign_note(struct announce *an, const struct nl_addr *list, size_t n)
{
	struct nl_addr seen[SIOBPF_MAX_VIPS];
	size_t nseen = 0;
	char text[ADDR_TEXT_MAX];

	for (size_t i = 0; i < n && nseen < SIOBPF_MAX_VIPS; i++) {
		if (list[i].proto == ANNOUNCE_ADDR_PROTO || !wanted_find(an, list[i].family, list[i].addr))
			continue;
		if (!foreign_known(an, &list[i])) {
			addr_format((__u8)list[i].family, list[i].addr, text, sizeof(text));
			pr_info("%s/%u on %s is not siobpf's (an operator's): it is left as it is, announced "
				"or not", text, list[i].prefixlen, an->ifname);
		}
		seen[nseen++] = list[i];
	}
	memcpy(an->foreign, seen, nseen * sizeof(seen[0]));
	an->nforeign = nseen;
}

static void state_refresh(struct run *r)
{
	struct announce *an = r->an;
	bool withdrawn = an->withdrawn;
	int err = announce_state_read(globals.pin_dir, &withdrawn);

	if (err) {
		/* The last state read holds: a bad file must not flap the addresses. */
		if (!an->state_warned)
			pr_warn("cannot read the announce state of %s: %s; keeping it %s (`siobpf announce "
				"withdraw` or `resume` writes it anew)", globals.pin_dir, strerror(-err),
				an->withdrawn ? "withdrawn" : "announced");
		an->state_warned = true;
		pthread_mutex_lock(&r->d.lock);
		r->d.announce.errors++;
		pthread_mutex_unlock(&r->d.lock);
		return;
	}
	an->state_warned = false;
	if (withdrawn != an->withdrawn)
		pr_info("announce %s (by `siobpf announce %s`)", withdrawn ? "withdrawn" : "resumed",
			withdrawn ? "withdraw" : "resume");
	an->withdrawn = withdrawn;
}

/* Follows IFACE by name: recreated, it has a new index. */
static int iface_refresh(struct announce *an)
{
	unsigned int ifindex = if_nametoindex(an->ifname);

	if (!ifindex)
		return -ENODEV;
	an->ifindex = (int)ifindex;
	return 0;
}

void announce_reconcile(struct run *r)
{
	struct announce *an = r->an;
	bool vip_want[SIOBPF_MAX_VIPS], present[SIOBPF_MAX_VIPS] = { false };
	struct nl_addr *list = NULL;
	char text[ADDR_TEXT_MAX];
	int errors_before, lock_fd = -1, err;
	bool ready, clean = true;
	size_t n = 0;

	if (!an)
		return;
	errors_before = an->logged_err;
	err = announce_lock(&lock_fd);
	if (err)
		failed(r, err, "cannot lock %s (the announce state of %s): %s; going on without the lock",
		       SIOBPF_RUN_DIR);
	state_refresh(r);
	ready = node_ready(r);
	wanted_build(r, ready, vip_want);
	err = iface_refresh(an);
	if (!err)
		err = nl_addr_list(an->ifindex, &list, &n);
	if (err) {
		failed(r, err, "cannot read the addresses %s%s: %s; trying again next tick",
		       err == -ENODEV ? "of the missing interface " : "of ");
		goto view;
	}
	foreign_note(an, list, n);
	/* siobpf's addresses no longer wanted go; those still wanted are kept. */
	for (size_t i = 0; i < n; i++) {
		struct wanted *w = wanted_find(an, list[i].family, list[i].addr);

		if (w)
			present[w - an->want] = true;
		if (list[i].proto != ANNOUNCE_ADDR_PROTO || (w && w->want))
			continue;
		addr_format((__u8)list[i].family, list[i].addr, text, sizeof(text));
		err = nl_addr_del(an->ifindex, &list[i]);
		if (err && err != -EADDRNOTAVAIL) {
			failed(r, err, "cannot remove %s from %s: %s; trying again next tick", text);
			clean = false;
			continue;
		}
		if (w)
			present[w - an->want] = false;
		pr_info("VIP address %s withdrawn from %s: %s", text, an->ifname,
			w ? w->why_not : "no VIP has it any more");
	}
	for (size_t i = 0; i < an->nwant; i++) {
		struct wanted *w = &an->want[i];

		if (!w->want || present[i])
			continue;
		addr_format((__u8)w->family, w->addr, text, sizeof(text));
		err = nl_addr_add(an->ifindex, w->family, w->addr, ANNOUNCE_ADDR_PROTO);
		if (err && err != -EEXIST) {
			failed(r, err, "cannot add %s to %s: %s; trying again next tick", text);
			clean = false;
			continue;
		}
		present[i] = true;
		pr_info("VIP address %s announced on %s", text, an->ifname);
	}
	if (clean && errors_before == an->logged_err)
		an->logged_err = 0;
view:
	if (lock_fd >= 0)
		close(lock_fd);
	free(list);
	pthread_mutex_lock(&r->d.lock);
	r->d.announce.ready = ready;
	r->d.announce.withdrawn = an->withdrawn;
	for (__u32 v = 0; v < SIOBPF_MAX_VIPS; v++) {
		struct wanted *w = r->d.vip_present[v] ? wanted_find(an, r->d.vips[v].key.family,
								     r->d.vips[v].key.addr) : NULL;

		r->d.announce.vip[v] = vip_want[v] && w && present[w - an->want];
	}
	pthread_mutex_unlock(&r->d.lock);
}

void announce_exit(struct run *r)
{
	struct announce *an = r->an;
	struct nl_addr *list = NULL;
	char text[ADDR_TEXT_MAX];
	size_t n = 0, removed = 0;
	int err;

	if (!an)
		return;
	if (!an->withdraw_on_exit) {
		pr_info("the VIP addresses stay on %s (a restart is invisible to the routers; "
			"--withdraw-on-exit removes them)", an->ifname);
		return;
	}
	err = iface_refresh(an);
	if (!err)
		err = nl_addr_list(an->ifindex, &list, &n);
	if (err) {
		pr_warn("--withdraw-on-exit: cannot read the addresses of %s: %s", an->ifname, strerror(-err));
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (list[i].proto != ANNOUNCE_ADDR_PROTO)
			continue;
		addr_format((__u8)list[i].family, list[i].addr, text, sizeof(text));
		err = nl_addr_del(an->ifindex, &list[i]);
		if (err && err != -EADDRNOTAVAIL)
			pr_warn("--withdraw-on-exit: cannot remove %s from %s: %s", text, an->ifname,
				strerror(-err));
		else
			removed++;
	}
	pr_info("--withdraw-on-exit: %zu VIP address%s withdrawn from %s", removed, removed == 1 ? "" : "es",
		an->ifname);
	free(list);
}

// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* siobpf backend add, set, del. */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "netlink.h"
#include "output.h"
#include "pins.h"
#include "state.h"

/* How long backend add waits for the neighbour table to learn a MAC. */
#define RESOLVE_TIMEOUT_MS 3000

struct backend_cmd {
	struct dataplane dp;
	int lock_fd;
	struct vip_entry vip;
	struct addr addr;
	char vip_text[ADDR_TEXT_MAX];
	char addr_text[ADDR_TEXT_MAX];
};

/* Parses "VIP ADDR", opens the pins and finds the VIP. Prints problems. */
static int backend_cmd_open(struct cli_args *args, struct backend_cmd *c)
{
	struct siobpf_vip_key key;
	const char *why = NULL;

	if (vip_parse(args->pos[0], &key, &why)) {
		pr_err("bad VIP '%s': %s", args->pos[0], why);
		return -EINVAL;
	}
	if (addr_parse(args->pos[1], &c->addr, &why)) {
		pr_err("bad backend address '%s': %s", args->pos[1], why);
		return -EINVAL;
	}
	vip_format(&key, c->vip_text, sizeof(c->vip_text));
	addr_format(c->addr.family, c->addr.a, c->addr_text, sizeof(c->addr_text));
	if (c->addr.family != key.family) {
		pr_err("backend %s is IPv%d but VIP %s is IPv%d: DSR keeps the packet's addresses, so "
		       "they must be of one family",
		       c->addr_text, c->addr.family, c->vip_text, key.family);
		return -EINVAL;
	}
	if (pins_open(&c->dp, true, &c->lock_fd))
		return -ENOENT;
	if (state_vip_find(&c->dp, &key, &c->vip)) {
		pr_err("no VIP %s: create it with `siobpf vip add %s`", c->vip_text, c->vip_text);
		pins_release(&c->dp, c->lock_fd);
		return -ENOENT;
	}
	return 0;
}

/* Options shared by add and set. Returns how many were given, or -EINVAL. */
static int apply_backend_options(const struct cli_args *args, struct siobpf_backend *b)
{
	const char *state = cli_opt(args, "state"), *weight = cli_opt(args, "weight");
	int n = 0;

	if (weight) {
		long v;

		if (number_parse(weight, 1, SIOBPF_MAX_WEIGHT, &v)) {
			pr_err("--weight must be a number from 1 to %d, not '%s'", SIOBPF_MAX_WEIGHT, weight);
			return -EINVAL;
		}
		b->weight = (__u32)v;
		n++;
	}
	if (state) {
		int s = name_index(state_names, STATE_NAMES, state);

		if (s < 0) {
			pr_err("--state must be up, drain or down, not '%s'", state);
			return -EINVAL;
		}
		b->state = (__u8)s;
		n++;
	}
	return n;
}

/* Fills the backend's MACs and egress interface from the kernel's tables. */
static int resolve_backend(struct backend_cmd *c, struct siobpf_backend *b)
{
	struct nl_route_info route;
	char ifname[IF_NAMESIZE] = "?";
	int err;

	err = nl_route_get(c->addr.family, c->addr.a, &route);
	if (err) {
		pr_err("no route to backend %s (%s): it must be on a network directly connected to this host",
		       c->addr_text, strerror(-err));
		return err;
	}
	if (route.is_local) {
		pr_err("backend %s is an address of this host: a backend must be another machine", c->addr_text);
		return -EINVAL;
	}
	if_indextoname((unsigned)route.ifindex, ifname);
	if (route.has_gateway) {
		pr_err("backend %s is reached through a gateway on %s: DSR rewrites only MAC addresses, so "
		       "a backend must be on a directly connected network",
		       c->addr_text, ifname);
		return -EHOSTUNREACH;
	}
	err = nl_neigh_resolve(c->addr.family, c->addr.a, route.ifindex, RESOLVE_TIMEOUT_MS, b->mac);
	if (err) {
		pr_err("cannot learn the MAC of backend %s on %s (%s): is it up and answering ARP/ND?",
		       c->addr_text, ifname, strerror(-err));
		return err;
	}
	err = nl_link_mac(route.ifindex, b->src_mac);
	if (err) {
		pr_err("cannot read the MAC of %s: %s", ifname, strerror(-err));
		return err;
	}
	b->ifindex = (__u32)route.ifindex;
	return 0;
}

int cmd_backend_add(struct cli_args *args)
{
	struct backend_entry e = {0}, existing;
	struct backend_cmd c;
	int err, rc = EXIT_FAIL;

	e.b.weight = 1;
	e.b.state = SIOBPF_BACKEND_UP;
	if (apply_backend_options(args, &e.b) < 0 || backend_cmd_open(args, &c))
		return EXIT_FAIL;
	if (state_backend_find(&c.dp, c.vip.vip.id, &c.addr, &existing) == 0) {
		pr_err("backend %s already serves VIP %s: change it with `siobpf backend set %s %s`",
		       c.addr_text, c.vip_text, c.vip_text, c.addr_text);
		goto out;
	}
	memcpy(e.b.addr, c.addr.a, sizeof(e.b.addr));
	e.b.family = c.addr.family;
	if (resolve_backend(&c, &e.b))
		goto out;
	err = state_backend_add(&c.dp, &c.vip, &e);
	if (err == -ENOSPC)
		pr_err("no room for backend %s: all %d backend slots are in use", c.addr_text,
		       SIOBPF_MAX_BACKENDS);
	else if (err)
		pr_err("adding backend %s to %s failed: %s", c.addr_text, c.vip_text, strerror(-err));
	else {
		printf("backend %s added to VIP %s (%s, weight %u)\n", c.addr_text, c.vip_text,
		       state_names[e.b.state], e.b.weight);
		rc = EXIT_OK;
	}
out:
	pins_release(&c.dp, c.lock_fd);
	return rc;
}

/* Opens the VIP and finds the named backend on it. */
static int backend_open_existing(struct cli_args *args, struct backend_cmd *c, struct backend_entry *e)
{
	if (backend_cmd_open(args, c))
		return -EINVAL;
	if (state_backend_find(&c->dp, c->vip.vip.id, &c->addr, e)) {
		pr_err("backend %s does not serve VIP %s: `siobpf status` lists its backends", c->addr_text,
		       c->vip_text);
		pins_release(&c->dp, c->lock_fd);
		return -ENOENT;
	}
	return 0;
}

int cmd_backend_set(struct cli_args *args)
{
	struct siobpf_backend validated = {0};
	struct backend_entry e;
	struct backend_cmd c;
	int n, err, rc = EXIT_FAIL;

	/* Check the options before touching anything. */
	n = apply_backend_options(args, &validated);
	if (n < 0)
		return EXIT_FAIL;
	if (n == 0)
		return usage_error(args->cmd, "nothing to change: give --state or --weight");
	if (backend_open_existing(args, &c, &e))
		return EXIT_FAIL;
	apply_backend_options(args, &e.b);
	if (cli_opt(args, "state")) /* the operator's state: probes leave it alone */
		e.b.flags &= (__u8)~SIOBPF_BACKEND_F_PROBE_DOWN;
	err = state_backend_update(&c.dp, &c.vip, &e);
	if (err)
		pr_err("changing backend %s failed: %s", c.addr_text, strerror(-err));
	else {
		printf("backend %s of VIP %s is %s, weight %u\n", c.addr_text, c.vip_text,
		       state_names[e.b.state], e.b.weight);
		rc = EXIT_OK;
	}
	pins_release(&c.dp, c.lock_fd);
	return rc;
}

int cmd_backend_del(struct cli_args *args)
{
	struct backend_entry e;
	struct backend_cmd c;
	int err, rc = EXIT_FAIL;

	if (backend_open_existing(args, &c, &e))
		return EXIT_FAIL;
	err = state_backend_del(&c.dp, &c.vip, &e);
	if (err)
		pr_err("removing backend %s failed: %s", c.addr_text, strerror(-err));
	else {
		printf("backend %s removed from VIP %s; its clients move to the others\n", c.addr_text,
		       c.vip_text);
		rc = EXIT_OK;
	}
	pins_release(&c.dp, c.lock_fd);
	return rc;
}

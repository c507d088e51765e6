// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* siobpf backend add, set, del. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "at.h"
#include "cli.h"
#include "egress.h"
#include "output.h"
#include "pins.h"
#include "probe_settings.h"
#include "resolve.h"
#include "settings.h"
#include "state.h"

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
	/* Before the lock: a wait holds up no other command. The VIP and the
	 * backend are looked for as they are at the moment. */
	if (cli_at_wait(args))
		return -EINVAL;
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
	static const char *const names[] = {"weight", "state"};
	char why[128];
	int n = 0;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const char *text = cli_opt(args, names[i]);

		if (!text)
			continue;
		if (backend_setting_parse(b, names[i], text, why, sizeof(why))) {
			pr_err("--%s %s", names[i], why);
			return -EINVAL;
		}
		n++;
	}
	return n;
}

/* The backend's own probe options onto *own. Returns how many were given,
 * or -EINVAL after printing the problem. */
static int apply_probe_options(const struct cli_args *args, struct siobpf_backend_config *own)
{
	char why[160];
	int n = 0;

	for (int i = 0; i < BACKEND_PROBE_SETTINGS; i++) {
		const char *text = cli_opt(args, backend_probe_settings[i]);

		if (!text)
			continue;
		if (backend_probe_setting_parse(own, backend_probe_settings[i], text, why, sizeof(why))) {
			pr_err("--%s %s", backend_probe_settings[i], why);
			return -EINVAL;
		}
		n++;
	}
	return n;
}

/* Checks the probe a backend would get with *own on its VIP, and describes it. */
static int probe_check(const struct backend_cmd *c, const struct siobpf_backend_config *own, char *desc,
		       size_t len)
{
	struct probe_settings s;
	char why[160];

	probe_settings_resolve(&c->vip, own, &s);
	if (probe_settings_check(&s, why, sizeof(why))) {
		pr_err("backend %s of VIP %s: %s; give --timeout or --interval", c->addr_text, c->vip_text,
		       why);
		return -EINVAL;
	}
	if (probe_path_stored_check(&c->vip, own, why, sizeof(why))) {
		pr_err("backend %s: --probe-path %s", c->addr_text, why);
		return -EINVAL;
	}
	probe_settings_format(&s, desc, len);
	return 0;
}

/* Fills the backend's MACs and egress interface from the kernel's tables,
 * and refuses an egress interface that cannot take the program's frames in
 * the mode siobpf is attached in (egress.h). */
static int resolve_backend(struct backend_cmd *c, struct siobpf_backend *b)
{
	char why[512];
	int err = backend_resolve(&c->addr, b, why, sizeof(why));

	if (!err && (err = egress_check(&c->dp, b->ifindex, why, sizeof(why))))
		pr_err("backend %s: %s", c->addr_text, why);
	else if (err)
		pr_err("%s", why);
	return err;
}

int cmd_backend_add(struct cli_args *args)
{
	struct backend_entry e = {0}, existing;
	struct siobpf_backend_config own;
	struct backend_cmd c;
	char desc[256];
	int np, err, rc = EXIT_FAIL;

	e.b.weight = 1;
	e.b.state = SIOBPF_BACKEND_UP;
	backend_config_init(&own, 0);
	np = apply_probe_options(args, &own);
	if (np < 0 || apply_backend_options(args, &e.b) < 0 || backend_cmd_open(args, &c))
		return EXIT_FAIL;
	if (np && probe_check(&c, &own, desc, sizeof(desc)))
		goto out;
	if (state_backend_find(&c.dp, c.vip.vip.id, &c.addr, &existing) == 0) {
		/* Exactly as asked (an add run again after it was killed): done. */
		if (!np && existing.b.weight == e.b.weight && existing.b.state == e.b.state) {
			printf("backend %s already serves VIP %s as given\n", c.addr_text, c.vip_text);
			rc = EXIT_OK;
		} else {
			pr_err("backend %s already serves VIP %s: change it with `siobpf backend set %s %s`",
			       c.addr_text, c.vip_text, c.vip_text, c.addr_text);
		}
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
	if (rc == EXIT_OK && np) {
		own.generation = e.b.generation; /* the override belongs to this backend only */
		err = backend_config_put(&c.dp, e.id, &own);
		if (err) {
			pr_err("backend %s was added, but its probe settings were not stored (%s): give them "
			       "again with `siobpf backend set`", c.addr_text, strerror(-err));
			rc = EXIT_FAIL;
		} else {
			printf("its own probe: %s\n", desc);
		}
	}
out:
	pins_release(&c.dp, c.lock_fd);
	return rc;
}

/* Opens the VIP and finds the named backend on it. -ESRCH when the VIP has
 * no such backend (said on stderr unless missing_ok). */
static int backend_open_existing(struct cli_args *args, struct backend_cmd *c, struct backend_entry *e,
				 bool missing_ok)
{
	if (backend_cmd_open(args, c))
		return -EINVAL;
	if (state_backend_find(&c->dp, c->vip.vip.id, &c->addr, e)) {
		if (!missing_ok)
			pr_err("backend %s does not serve VIP %s: `siobpf status` lists its backends",
			       c->addr_text, c->vip_text);
		pins_release(&c->dp, c->lock_fd);
		return -ESRCH;
	}
	return 0;
}

/* --drain-timeout, checked before anything is touched: *sec is 0 when not
 * given. Returns 0, or the usage error's exit code. */
static int drain_timeout_option(const struct cli_args *args, __u32 *sec)
{
	const char *text = cli_opt(args, "drain-timeout");
	const char *state = cli_opt(args, "state");
	char why[128];

	*sec = 0;
	if (!text)
		return 0;
	if (!state || strcmp(state, "drain"))
		return usage_error(args->cmd, "--drain-timeout needs --state drain: it bounds a drain");
	if (drain_timeout_parse(text, DRAIN_TIMEOUT_MAX_SEC, sec, why, sizeof(why)))
		return usage_error(args->cmd, "--drain-timeout %s (at most 30 days)", why);
	return 0;
}

int cmd_backend_set(struct cli_args *args)
{
	struct siobpf_backend validated = {0};
	struct siobpf_backend_config own, scratch, stored;
	bool inherit = cli_flag(args, "probe-inherit");
	bool state_given = cli_opt(args, "state") != NULL;
	bool cfg_write, stored_ok;
	struct backend_entry e;
	struct backend_cmd c;
	char desc[256];
	__u32 timeout;
	__u64 deadline = 0;
	int n, np, err, rc = EXIT_FAIL;

	/* Check the options before touching anything. */
	n = apply_backend_options(args, &validated);
	if (n < 0)
		return EXIT_FAIL;
	backend_config_init(&scratch, 0);
	np = apply_probe_options(args, &scratch);
	if (np < 0)
		return EXIT_FAIL;
	rc = drain_timeout_option(args, &timeout);
	if (rc)
		return rc;
	rc = EXIT_FAIL;
	if (n == 0 && np == 0 && !inherit)
		return usage_error(args->cmd, "nothing to change: give --state, --weight or probe options");
	if (backend_open_existing(args, &c, &e, false))
		return EXIT_FAIL;
	stored_ok = backend_config_get(&c.dp, e.id, &stored) == 0;
	if (!stored_ok || stored.generation != e.b.generation) {
		/* An earlier owner's entry: neither its override nor its deadline. */
		backend_config_init(&stored, e.b.generation);
		stored.in_use = 0;
	}
	own = stored;
	if (np || inherit) {
		/* Field by field onto the backend's current override, unless dropped. */
		if (inherit || !backend_config_applies(&stored, e.b.generation))
			backend_config_init(&own, e.b.generation);
		apply_probe_options(args, &own);
		if (!np)
			own.in_use = 0;
		if (probe_check(&c, own.in_use ? &own : NULL, desc, sizeof(desc)))
			goto out;
	}
	/* Every --state starts the drain's clock anew, or stops it. */
	if (state_given) {
		struct timespec now;

		clock_gettime(CLOCK_REALTIME, &now);
		/* Whole seconds, rounded up: the drain lasts at least the timeout. */
		deadline = timeout ? (__u64)now.tv_sec + timeout + (now.tv_nsec > 0) : 0;
	}
	own.drain_deadline = state_given ? deadline : stored.drain_deadline;
	cfg_write = np || inherit || own.drain_deadline != stored.drain_deadline;
	/* The deadline before the state: a drain is never seen with the
	 * deadline of the one before. */
	if (cfg_write) {
		err = backend_config_put(&c.dp, e.id, &own);
		if (err) {
			pr_err("storing the %s of backend %s failed: %s", np || inherit ? "probe settings" : "drain deadline",
			       c.addr_text, strerror(-err));
			goto out;
		}
	}
	apply_backend_options(args, &e.b);
	if (n && e.b.state != SIOBPF_BACKEND_DOWN) {
		char why[512];

		/* Into the ring only with an egress that takes the frames; a drain
		 * or a weight is allowed, and said. */
		if (egress_check(&c.dp, e.b.ifindex, why, sizeof(why))) {
			if (e.b.state == SIOBPF_BACKEND_UP) {
				pr_err("backend %s: %s", c.addr_text, why);
				if (cfg_write && stored_ok)
					backend_config_put(&c.dp, e.id, &stored);
				goto out;
			}
			pr_warn("backend %s: %s", c.addr_text, why);
		}
	}
	if (state_given) /* the operator's state: probes leave it alone */
		e.b.flags &= (__u8)~SIOBPF_BACKEND_F_STATE_MARKS;
	err = n ? state_backend_update(&c.dp, &c.vip, &e) : 0;
	if (err) {
		pr_err("changing backend %s failed: %s", c.addr_text, strerror(-err));
		if (cfg_write && stored_ok)
			backend_config_put(&c.dp, e.id, &stored);
		goto out;
	}
	if (n)
		printf("backend %s of VIP %s is %s, weight %u\n", c.addr_text, c.vip_text,
		       state_names[e.b.state], e.b.weight);
	if (timeout)
		printf("its drain ends within %u s: `siobpf run` takes it down then, or once its last "
		       "sticky client is gone\n", timeout);
	if (np || inherit)
		printf("backend %s of VIP %s: probe %s%s\n", c.addr_text, c.vip_text, desc,
		       own.in_use ? " (its own)" : " (its VIP's)");
	rc = EXIT_OK;
out:
	pins_release(&c.dp, c.lock_fd);
	return rc;
}

int cmd_backend_del(struct cli_args *args)
{
	struct backend_entry e;
	struct backend_cmd c;
	int err, rc = EXIT_FAIL;

	err = backend_open_existing(args, &c, &e, true);
	if (err == -ESRCH) {
		/* Gone already (a del run again after it was killed): done. */
		printf("backend %s does not serve VIP %s: nothing to remove\n", c.addr_text, c.vip_text);
		return EXIT_OK;
	}
	if (err)
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

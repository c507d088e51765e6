// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* siobpf vip add, set, del. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "output.h"
#include "pins.h"
#include "probe_settings.h"
#include "settings.h"
#include "state.h"

/* Parses VIP text for a command; prints the problem. */
static int parse_vip_arg(const char *text, struct siobpf_vip_key *key)
{
	const char *why = NULL;

	if (vip_parse(text, key, &why)) {
		pr_err("bad VIP '%s': %s (e.g. 10.0.0.100:80, [2001:db8::100]:443/udp)", text, why);
		return -EINVAL;
	}
	return 0;
}

/* Applies the VIP options to *e (named `text` in messages; `adding`: a new
 * VIP, whose timeout may yet be left out). Returns the number of options
 * applied, or -EINVAL after printing the problem; *e is then unusable. */
static int apply_vip_options(const struct cli_args *args, struct vip_entry *e, const char *text,
			     bool adding)
{
	char why[256];
	int n = 0;

	for (int i = 0; i < VIP_SETTINGS; i++) {
		const char *value = cli_opt(args, vip_settings[i]);

		if (!value)
			continue;
		if (vip_setting_parse(e, vip_settings[i], value, why, sizeof(why))) {
			pr_err("--%s %s", vip_settings[i], why);
			return -EINVAL;
		}
		n++;
	}
	if (vip_settings_check(e, why, sizeof(why))) {
		pr_err("VIP %s: %s; give a --timeout of at most the interval%s, or a longer --interval", text,
		       why, adding ? " (or none: it then follows the interval)" : "");
		return -EINVAL;
	}
	if (probe_path_stored_check(e, NULL, why, sizeof(why))) {
		pr_err("--probe-path %s", why);
		return -EINVAL;
	}
	return n;
}

int cmd_vip_add(struct cli_args *args)
{
	struct vip_entry e, existing;
	struct dataplane dp;
	char text[ADDR_TEXT_MAX];
	int lock_fd, err, rc = EXIT_FAIL;

	if (parse_vip_arg(args->pos[0], &e.key))
		return EXIT_FAIL;
	state_vip_defaults(&e.key, &e.vip, &e.cfg);
	vip_format(&e.key, text, sizeof(text));
	if (apply_vip_options(args, &e, text, true) < 0)
		return EXIT_FAIL;
	if (pins_open(&dp, true, &lock_fd))
		return EXIT_FAIL;
	if (state_vip_find(&dp, &e.key, &existing) == 0) {
		/* Exactly as asked (an add run again after it was killed): done. */
		e.vip.id = existing.vip.id;
		if (!memcmp(&e.vip, &existing.vip, sizeof(e.vip)) && !memcmp(&e.cfg, &existing.cfg, sizeof(e.cfg))) {
			printf("VIP %s already exists as given\n", text);
			rc = EXIT_OK;
		} else {
			pr_err("VIP %s already exists: change it with `siobpf vip set %s`", text, text);
		}
		goto out;
	}
	err = state_vip_add(&dp, &e);
	if (err == -ENOSPC)
		pr_err("no room for VIP %s: all %d VIP slots are in use", text, SIOBPF_MAX_VIPS);
	else if (err)
		pr_err("adding VIP %s failed: %s", text, strerror(-err));
	else {
		printf("VIP %s added; add backends with `siobpf backend add %s ADDR`\n", text, text);
		rc = EXIT_OK;
	}
out:
	pins_release(&dp, lock_fd);
	return rc;
}

/* Opens the pins and finds the VIP named on the command line. -ESRCH when
 * there is no such VIP (said on stderr unless missing_ok). */
static int open_vip(struct cli_args *args, struct dataplane *dp, int *lock_fd, struct vip_entry *e,
		    char *text, size_t len, bool missing_ok)
{
	struct siobpf_vip_key key;

	if (parse_vip_arg(args->pos[0], &key))
		return -EINVAL;
	if (pins_open(dp, true, lock_fd))
		return -ENOENT;
	vip_format(&key, text, len);
	if (state_vip_find(dp, &key, e)) {
		if (!missing_ok)
			pr_err("no VIP %s: `siobpf status` lists them, `siobpf vip add %s` creates it", text,
			       text);
		pins_release(dp, *lock_fd);
		return -ESRCH;
	}
	return 0;
}

/* The probes of the VIP's backends with their own settings, under the VIP's
 * new settings: a backend's own timeout must still fit the interval it
 * inherits, and the VIP's timeout the interval a backend sets. Prints the
 * problem. */
static int backends_check(struct dataplane *dp, const struct vip_entry *next, const char *text)
{
	struct backend_entry bad;
	char why[256], addr[ADDR_TEXT_MAX];
	int err = probe_settings_check_backends(dp, next, &bad, why, sizeof(why));

	if (err == -EINVAL) {
		addr_format(bad.b.family, bad.b.addr, addr, sizeof(addr));
		pr_err("VIP %s: backend %s: %s; change the backend's probe first (`siobpf backend set %s "
		       "%s --timeout MS`, or --probe-inherit)", text, addr, why, text, addr);
	} else if (err) {
		pr_err("reading the backends of VIP %s failed: %s", text, strerror(-err));
	}
	return err;
}

int cmd_vip_set(struct cli_args *args)
{
	struct vip_entry old, next;
	struct dataplane dp;
	char text[ADDR_TEXT_MAX];
	int lock_fd, n, err, rc = EXIT_FAIL;

	if (open_vip(args, &dp, &lock_fd, &old, text, sizeof(text), false))
		return EXIT_FAIL;
	next = old;
	n = apply_vip_options(args, &next, text, false);
	if (n == 0)
		rc = usage_error(args->cmd, "nothing to change: give at least one option");
	if (n <= 0)
		goto out;
	/* Only a change of timing can break a backend's probe: other changes are
	 * not refused for what the backends hold. */
	if ((next.cfg.interval_ms != old.cfg.interval_ms || next.cfg.timeout_ms != old.cfg.timeout_ms) &&
	    backends_check(&dp, &next, text))
		goto out;
	err = state_vip_update(&dp, &old, &next);
	if (err) {
		pr_err("changing VIP %s failed: %s", text, strerror(-err));
		goto out;
	}
	printf("VIP %s changed%s\n", text,
	       old.vip.sticky != next.vip.sticky || old.vip.prefix != next.vip.prefix
		       ? "; its sticky key changed, so its sticky entries were cleared"
		       : "");
	rc = EXIT_OK;
out:
	pins_release(&dp, lock_fd);
	return rc;
}

int cmd_vip_del(struct cli_args *args)
{
	struct vip_entry e;
	struct dataplane dp;
	char text[ADDR_TEXT_MAX];
	int lock_fd, err, rc = EXIT_FAIL;

	err = open_vip(args, &dp, &lock_fd, &e, text, sizeof(text), true);
	if (err == -ESRCH) {
		/* Gone already (a del run again after it was killed): done. */
		printf("no VIP %s: nothing to remove\n", text);
		return EXIT_OK;
	}
	if (err)
		return EXIT_FAIL;
	err = state_vip_del(&dp, &e);
	if (err)
		pr_err("removing VIP %s failed: %s", text, strerror(-err));
	else {
		printf("VIP %s removed with its backends\n", text);
		rc = EXIT_OK;
	}
	pins_release(&dp, lock_fd);
	return rc;
}

// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* siobpf apply and save: the declarative configuration. */
#include <stdio.h>
#include <string.h>

#include "at.h"
#include "cli.h"
#include "config_apply.h"
#include "pins.h"

static unsigned change_count(const struct config_changes *c)
{
	return c->vips_added + c->vips_changed + c->vips_removed + c->backends_added +
	       c->backends_changed + c->backends_removed;
}

int cmd_apply(struct cli_args *args)
{
	const char *path = cli_opt(args, "file"), *name;
	bool dry_run = cli_flag(args, "dry-run");
	struct config_changes changes;
	struct config_error err;
	struct dataplane dp;
	struct config cfg;
	char msg[512];
	int lock_fd, rc = EXIT_FAIL;

	if (!path)
		return usage_error(args->cmd, "apply needs -f FILE (- reads standard input)");
	name = strcmp(path, "-") ? path : "<stdin>";
	if (dry_run && cli_opt(args, "at"))
		return usage_error(args->cmd, "--dry-run prints what would change now: it takes no --at");
	/* The whole file is checked before the maps are even opened, and
	 * before any wait for --at. */
	if (config_load_file(path, &cfg, msg, sizeof(msg))) {
		pr_err("%s; nothing was changed", msg);
		return EXIT_FAIL;
	}
	if (cli_at_wait(args)) {
		config_free(&cfg);
		return EXIT_FAIL;
	}
	if (pins_open(&dp, true, &lock_fd)) {
		config_free(&cfg);
		return EXIT_FAIL;
	}
	if (config_apply(&dp, &cfg, dry_run, stdout, &changes, &err)) {
		if (err.at.line)
			pr_err("%s:%d:%d: %s", name, err.at.line, err.at.column, err.msg);
		else
			pr_err("%s: %s", name, err.msg);
		goto out;
	}
	if (!change_count(&changes))
		printf("%s matches the running state: nothing changed\n", name);
	else
		printf("%s %s: VIPs %u added, %u changed, %u removed; backends %u added, %u changed, "
		       "%u removed\n",
		       dry_run ? "dry run, nothing written for" : "applied", name, changes.vips_added,
		       changes.vips_changed, changes.vips_removed, changes.backends_added,
		       changes.backends_changed, changes.backends_removed);
	rc = EXIT_OK;
out:
	pins_release(&dp, lock_fd);
	config_free(&cfg);
	return rc;
}

static void save_problem(void *ctx, const char *problem)
{
	(void)ctx;
	pr_err("%s", problem);
}

int cmd_save(struct cli_args *args)
{
	struct dataplane dp;
	struct config cfg;
	int lock_fd, err;

	(void)args;
	/* The lock: a snapshot, not a state half-way through someone's apply. */
	if (pins_open(&dp, true, &lock_fd))
		return EXIT_FAIL;
	err = config_read_running(&dp, &cfg);
	pins_release(&dp, lock_fd);
	if (err) {
		pr_err("reading the maps failed: %s", strerror(-err));
		return EXIT_FAIL;
	}
	/* A file apply would refuse is no backup: name what to fix instead. */
	if (config_check(&cfg, save_problem, NULL)) {
		pr_err("nothing saved: fix the settings above, then save again");
		config_free(&cfg);
		return EXIT_FAIL;
	}
	err = config_write(stdout, &cfg);
	config_free(&cfg);
	if (err) {
		pr_err("writing the configuration failed: %s", strerror(-err));
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

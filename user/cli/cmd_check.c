// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* siobpf check: the pinned maps' invariants (user/core/check.h). */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "cli.h"
#include "pins.h"

int cmd_check(struct cli_args *args)
{
	bool repair = cli_flag(args, "repair");
	struct check_result res;
	struct dataplane dp;
	int lock_fd = -1, err;

	/* The lock: no command is half-way through a change while we look. */
	if (pins_open(&dp, true, &lock_fd))
		return EXIT_FAIL;
	err = check_run(&dp, repair, stdout, &res);
	pins_release(&dp, lock_fd);
	if (err) {
		pr_err("checking the maps in %s failed: %s", globals.pin_dir, strerror(-err));
		return EXIT_FAIL;
	}
	if (!res.found) {
		printf("the maps in %s hold every invariant\n", globals.pin_dir);
		return EXIT_OK;
	}
	if (repair && res.repaired == res.found) {
		printf("%u problem%s found and repaired\n", res.found, res.found == 1 ? "" : "s");
		return EXIT_OK;
	}
	printf("%u problem%s found%s\n", res.found, res.found == 1 ? "" : "s",
	       repair ? ", not all repaired" : ": `siobpf check --repair` repairs them");
	return EXIT_FAIL;
}

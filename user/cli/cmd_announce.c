// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* siobpf announce withdraw, resume: a node's drain from the routers and its
 * return, through the state file that `siobpf run --announce` reads every tick. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>

#include "announce_state.h"
#include "cli.h"
#include "state.h"

/* Whether a held address is one of these VIPs'; any, when the maps are not
 * there (nvips 0 and !loaded). */
static bool is_ours_to_withdraw(const struct nl_addr *a, const struct vip_entry *vips, size_t nvips,
				bool loaded)
{
	if (!loaded)
		return true;
	for (size_t i = 0; i < nvips; i++)
		if (announce_addr_is_vip(a, &vips[i].key))
			return true;
	return false;
}

int cmd_announce_withdraw(struct cli_args *args)
{
	struct vip_entry *vips = calloc(SIOBPF_MAX_VIPS, sizeof(*vips));
	struct nl_addr *held = NULL;
	size_t nvips = 0, n = 0, removed = 0;
	char text[ADDR_TEXT_MAX], ifname[IF_NAMESIZE];
	struct dataplane dp;
	int err, lock_fd = -1, rc = EXIT_FAIL;
	bool loaded;

	(void)args;
	if (!vips) {
		pr_err("out of memory");
		return EXIT_FAIL;
	}
	/* First the state, under the lock a daemon's tick takes: its next tick
	 * reads it before it looks at the addresses removed below. */
	err = announce_state_write(globals.pin_dir, true);
	if (!err)
		err = announce_lock(&lock_fd);
	if (err) {
		pr_err("cannot record the withdrawal of %s in %s: %s (run it as root)", globals.pin_dir,
		       SIOBPF_RUN_DIR, strerror(-err));
		goto out;
	}
	dataplane_init(&dp);
	loaded = !dataplane_open_pinned(&dp, globals.pin_dir) &&
		 !state_vip_list(&dp, vips, SIOBPF_MAX_VIPS, &nvips);
	dataplane_close(&dp);
	err = announce_held(&held, &n);
	if (err) {
		pr_err("withdrawn for `siobpf run --announce`, but the addresses cannot be read: %s", strerror(-err));
		goto out;
	}
	rc = EXIT_OK;
	for (size_t i = 0; i < n; i++) {
		if (!is_ours_to_withdraw(&held[i], vips, nvips, loaded))
			continue;
		addr_format((__u8)held[i].family, held[i].addr, text, sizeof(text));
		if (!if_indextoname((unsigned int)held[i].ifindex, ifname))
			snprintf(ifname, sizeof(ifname), "%d", held[i].ifindex);
		err = nl_addr_del(held[i].ifindex, &held[i]);
		if (err && err != -EADDRNOTAVAIL) {
			pr_err("cannot remove %s from %s: %s", text, ifname, strerror(-err));
			rc = EXIT_FAIL;
			continue;
		}
		printf("withdrawn: %s from %s\n", text, ifname);
		removed++;
	}
	if (!removed)
		printf("withdrawn: no VIP address was held\n");
	printf("the VIP addresses stay off until `siobpf announce resume`\n");
out:
	if (lock_fd >= 0)
		close(lock_fd);
	free(held);
	free(vips);
	return rc;
}

int cmd_announce_resume(struct cli_args *args)
{
	int err;

	(void)args;
	err = announce_state_write(globals.pin_dir, false);
	if (err) {
		pr_err("cannot record the resumption of %s in %s: %s (run it as root)", globals.pin_dir,
		       SIOBPF_RUN_DIR, strerror(-err));
		return EXIT_FAIL;
	}
	printf("resumed: `siobpf run --announce` puts the ready VIPs' addresses back within one tick\n");
	return EXIT_OK;
}

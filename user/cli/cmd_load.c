// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* siobpf load, reload, unload: the program on an interface. */
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <xdp/libxdp.h>

#include "addr.h"
#include "cli.h"
#include "map_write.h"
#include "migrate.h"
#include "netlink.h"
#include "output.h"
#include "pins.h"
#include "vip_table.h"

#define PROG_NAME "siobpf_xdp"

/* What is attached to an interface, as far as siobpf cares. */
struct attached {
	struct xdp_multiprog *mp; /* NULL: nothing attached */
	struct xdp_program *ours; /* siobpf's program, or NULL */
	const char *other;        /* name of a foreign program, or NULL */
};

static void attached_query(int ifindex, struct attached *at)
{
	struct xdp_program *p;

	memset(at, 0, sizeof(*at));
	at->mp = xdp_multiprog__get_from_ifindex(ifindex);
	if (libxdp_get_error(at->mp)) {
		at->mp = NULL;
		return;
	}
	if (xdp_multiprog__is_legacy(at->mp)) {
		p = xdp_multiprog__main_prog(at->mp);
		if (p && !strcmp(xdp_program__name(p), PROG_NAME))
			at->ours = p;
		else if (p)
			at->other = xdp_program__name(p);
		return;
	}
	for (p = xdp_multiprog__next_prog(NULL, at->mp); p; p = xdp_multiprog__next_prog(p, at->mp)) {
		if (!strcmp(xdp_program__name(p), PROG_NAME))
			at->ours = p;
		else
			at->other = xdp_program__name(p);
	}
}

static void attached_release(struct attached *at)
{
	if (at->mp)
		xdp_multiprog__close(at->mp);
	memset(at, 0, sizeof(*at));
}

static int iface_index(const char *name)
{
	int ifindex = (int)if_nametoindex(name);

	if (!ifindex)
		pr_err("no interface named %s here: check `ip link`", name);
	return ifindex;
}

static const char *mode_name(enum xdp_attach_mode mode)
{
	return mode == XDP_MODE_SKB ? "generic" : "native";
}

static int swap_for_migration(int ifindex, __u8 mode, int prog_fd, void *ctx);

/* --clients: the number of clients the sticky table is sized for (0 when
 * the option is absent: the pinned table's size is kept). */
static int clients_opt(const struct cli_args *args, __u32 *clients)
{
	const char *text = cli_opt(args, "clients");
	long v;

	*clients = 0;
	if (!text)
		return 0;
	if (number_parse(text, 1, SIOBPF_MAX_CLIENTS, &v)) {
		pr_err("--clients must be a number from 1 to %u, not '%s'", SIOBPF_MAX_CLIENTS, text);
		return -EINVAL;
	}
	*clients = (__u32)v;
	return 0;
}

/* The buckets of the sticky table pinned in the pin directory: 0 when none
 * is pinned or it is not a bucket table (an older layout's LRU hash). */
static __u32 pinned_buckets(void)
{
	struct bpf_map_info info;
	char path[PATH_MAX];
	__u32 buckets = 0;
	int fd;

	if (snprintf(path, sizeof(path), "%s/sio_sticky", globals.pin_dir) >= (int)sizeof(path))
		return 0;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return 0;
	if (!dataplane_map_info(fd, &info) && info.value_size == sizeof(struct siobpf_bucket))
		buckets = info.max_entries;
	close(fd);
	return buckets;
}

/* Maps pinned by an older siobpf become maps of this one's layout, and
 * every interface that uses them gets this program (migrate.h); from this
 * layout (from_buckets set), the same with a sticky table of another size.
 * clients: the new table's size, 0: the old one's. */
static int migrate(struct dataplane *dp, int layout, __u32 clients, __u32 from_buckets)
{
	struct migrate_report rep;
	char size[32];
	__u32 to_buckets;
	int err = migrate_pins(dp, globals.pin_dir, clients, swap_for_migration, NULL, &rep);

	if (err) {
		if (from_buckets)
			pr_err("resizing the sticky table in %s to %u clients failed: %s", globals.pin_dir,
			       clients, strerror(-err));
		else
			pr_err("migrating the maps in %s from layout %d to %d failed: %s", globals.pin_dir,
			       layout, SIOBPF_LAYOUT, strerror(-err));
		return err;
	}
	for (size_t i = 0; i < dataplane_map_count(); i++)
		if (rep.entries[i])
			pr_info("  %s: %zu entries", dataplane_map_name(i), rep.entries[i]);
	to_buckets = dp->sticky.nbuckets;
	bytes_format(dp->sticky.bytes, size, sizeof(size));
	if (from_buckets && to_buckets > from_buckets) {
		/* Each slot went into every bucket of the larger table it may
		 * belong to: spread copies of one entry, the extra ones found by
		 * nobody until they expire. */
		size_t spread = to_buckets / from_buckets, held = (rep.sticky + rep.sticky_lost) / spread;

		printf("sticky table in %s resized from %u to %u buckets (%llu to %llu rated clients, "
		       "%s): %zu entries carried, as %zu copies (each in the %zu buckets it may "
		       "belong to; the extra ones expire), %zu copies found no room; %u interface%s "
		       "given the new program\n",
		       globals.pin_dir, from_buckets, to_buckets,
		       (unsigned long long)sticky_table_rated(from_buckets),
		       (unsigned long long)sticky_table_rated(to_buckets), size, held, rep.sticky, spread, rep.sticky_lost, rep.interfaces,
		       rep.interfaces == 1 ? "" : "s");
	} else if (from_buckets) {
		printf("sticky table in %s resized from %u to %u buckets (%llu to %llu rated clients, "
		       "%s): %zu entries carried, %zu found no room; %u interface%s given the new "
		       "program\n",
		       globals.pin_dir, from_buckets, to_buckets,
		       (unsigned long long)sticky_table_rated(from_buckets),
		       (unsigned long long)sticky_table_rated(to_buckets), size, rep.sticky, rep.sticky_lost, rep.interfaces, rep.interfaces == 1 ? "" : "s");
	} else {
		printf("maps in %s migrated from layout %d to %d: %zu sticky entries carried, %zu found "
		       "no room (sticky table of %u buckets, %llu rated clients); %u interface%s given "
		       "the new program\n",
		       globals.pin_dir, layout, SIOBPF_LAYOUT, rep.sticky, rep.sticky_lost, to_buckets,
		       (unsigned long long)sticky_table_rated(to_buckets), rep.interfaces,
		       rep.interfaces == 1 ? "" : "s");
	}
	return 0;
}

/* Loads this binary's program with the pinned maps: reused as they are
 * when they are of this layout and the sticky table is of the size asked
 * (clients, 0: any), migrated when they are older or the table is of
 * another size. 0, 1 when it migrated (every interface in the pin
 * directory already runs the new program), or -errno. */
static int load_program(struct dataplane *dp, __u32 clients)
{
	int layout = dataplane_pinned_layout(globals.pin_dir), err;
	__u32 buckets;

	if (layout < 0) {
		pr_err("cannot read the layout of the maps in %s: %s", globals.pin_dir, strerror(-layout));
		return layout;
	}
	if (layout > SIOBPF_LAYOUT) {
		pr_err("the maps in %s are of layout %d, from a newer siobpf (this one knows up to %d): "
		       "use that siobpf, or unload it everywhere first",
		       globals.pin_dir, layout, SIOBPF_LAYOUT);
		return -EPROTONOSUPPORT;
	}
	if (layout && layout < SIOBPF_LAYOUT)
		return migrate(dp, layout, clients, 0) ?: 1;
	buckets = layout ? pinned_buckets() : 0;
	if (clients && buckets && buckets != siobpf_table_buckets(clients))
		return migrate(dp, layout, clients, buckets) ?: 1;
	err = dataplane_load(dp, &(struct dataplane_opts){.clients = clients, .pin_dir = globals.pin_dir});
	if (err) {
		pr_err("loading the BPF program failed: %s%s", strerror(-err),
		       err == -EINVAL ? " (maps pinned by an incompatible siobpf version? "
					"unload everywhere first)"
				      : "; run with -vv for the verifier log");
		return err;
	}
	/* Reused maps may hold VIPs that no index has been built for yet. */
	err = dataplane_vips_publish(dp);
	if (err)
		pr_err("building the VIP index failed: %s", strerror(-err));
	return err;
}

static int iface_register(struct dataplane *dp, int ifindex, enum xdp_attach_mode mode)
{
	struct siobpf_iface iface = {.mode = (__u8)mode};
	__u32 key = (__u32)ifindex;

	return sio_map_update(dp->ifaces_fd, &key, &iface, BPF_ANY) ? -errno : 0;
}

/* Why an attach failed, and what to do. The program takes multi-buffer
 * frames (xdp.frags), so a jumbo MTU is no reason by itself; a driver that
 * still refuses it (no multi-buffer XDP) answers ERANGE or EINVAL. */
static void attach_error(const char *ifname, int ifindex, enum xdp_attach_mode mode, int err)
{
	int mtu = nl_link_mtu(ifindex);

	if (mode != XDP_MODE_NATIVE || (err != -EOPNOTSUPP && err != -EINVAL && err != -ERANGE)) {
		pr_err("attaching to %s failed: %s", ifname, strerror(-err));
		return;
	}
	if (err == -EOPNOTSUPP)
		pr_err("%s refused native XDP (%s): its driver has no XDP support; try --mode generic",
		       ifname, strerror(-err));
	else if (mtu > 1500)
		pr_err("%s refused native XDP (%s) at MTU %d: its driver (or a veth's peer) does not take "
		       "multi-buffer XDP programs at this MTU; lower the MTU, or try --mode generic",
		       ifname, strerror(-err), mtu);
	else
		pr_err("%s refused native XDP (%s); run with -vv for the kernel's reason, or try --mode "
		       "generic", ifname, strerror(-err));
}

/* The tracing programs of the program just attached, pinned in place of
 * those of the one before (which stop with their pins). */
static int links_pin(struct dataplane *dp)
{
	int err = dataplane_links_pin(dp, globals.pin_dir);

	if (err)
		pr_err("pinning the redirect-failure tracing in %s failed: %s", globals.pin_dir, strerror(-err));
	return err;
}

int cmd_load(struct cli_args *args)
{
	const char *ifname = args->pos[0], *mode_opt = cli_opt(args, "mode");
	enum xdp_attach_mode mode = XDP_MODE_NATIVE;
	struct dataplane dp;
	struct xdp_program *prog = NULL;
	struct attached at;
	int ifindex, lock_fd = -1, err, migrated, rc = EXIT_FAIL;
	__u32 clients;

	dataplane_init(&dp);
	if (mode_opt && !strcmp(mode_opt, "generic"))
		mode = XDP_MODE_SKB;
	else if (mode_opt && strcmp(mode_opt, "native"))
		return usage_error(args->cmd, "--mode must be native or generic, not '%s'", mode_opt);
	if (clients_opt(args, &clients))
		return EXIT_FAIL;
	if (geteuid() != 0) {
		pr_err("siobpf needs root to load XDP programs: run it with sudo");
		return EXIT_FAIL;
	}
	ifindex = iface_index(ifname);
	if (!ifindex || pins_prepare(globals.pin_dir))
		return EXIT_FAIL;
	err = pins_lock(globals.pin_dir, &lock_fd);
	if (err) {
		pr_err("cannot lock %s: %s", globals.pin_dir, strerror(-err));
		return EXIT_FAIL;
	}

	attached_query(ifindex, &at);
	if (at.ours) {
		pr_err("siobpf is already attached to %s: use `siobpf reload %s` to replace it", ifname, ifname);
		goto out;
	}
	if (at.other) {
		pr_err("%s already has the XDP program '%s': detach it first (ip link set dev %s xdp off)",
		       ifname, at.other, ifname);
		goto out;
	}
	migrated = load_program(&dp, clients);
	if (migrated < 0)
		goto out;
	prog = xdp_program__from_fd(dp.prog_fd);
	err = (int)libxdp_get_error(prog);
	if (!err) {
		map_write_point(); /* attaching is a write of the change too */
		err = xdp_program__attach(prog, ifindex, mode, 0);
	}
	if (err) {
		attach_error(ifname, ifindex, mode, err);
		goto out;
	}
	err = iface_register(&dp, ifindex, mode);
	/* A migration has pinned the new program's tracing links already. */
	if (!err && !migrated && (err = links_pin(&dp))) {
		__u32 key = (__u32)ifindex;

		sio_map_delete(dp.ifaces_fd, &key);
	}
	if (err) {
		xdp_program__detach(prog, ifindex, mode, 0);
		pr_err("recording %s in %s failed: %s; detached again", ifname, globals.pin_dir, strerror(-err));
		goto out;
	}
	printf("siobpf attached to %s (%s mode), maps in %s\n", ifname, mode_name(mode), globals.pin_dir);
	rc = EXIT_OK;
out:
	if (prog && !libxdp_get_error(prog))
		xdp_program__close(prog);
	attached_release(&at);
	pins_release(&dp, lock_fd);
	return rc;
}

static __u32 mode_flags(enum xdp_attach_mode mode)
{
	return mode == XDP_MODE_SKB ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE;
}

/* Swaps the attached program for the new one in one netlink request, so
 * no packet meets an interface without siobpf. */
static int replace_program(int ifindex, struct attached *at, int new_fd)
{
	enum xdp_attach_mode mode = xdp_multiprog__attach_mode(at->mp);
	LIBBPF_OPTS(bpf_xdp_attach_opts, opts, .old_prog_fd = xdp_program__fd(at->ours));

	if (!xdp_multiprog__is_legacy(at->mp)) {
		/* Behind libxdp's dispatcher: detach and attach (not atomic). */
		struct xdp_program *prog = xdp_program__from_fd(new_fd);
		int err = (int)libxdp_get_error(prog);

		pr_warn("siobpf runs behind the libxdp dispatcher: the swap is not atomic");
		if (!err)
			err = xdp_program__detach(at->ours, ifindex, mode, 0);
		if (!err)
			err = xdp_program__attach(prog, ifindex, mode, 0);
		if (!libxdp_get_error(prog))
			xdp_program__close(prog);
		return err;
	}
	map_write_point();
	if (bpf_xdp_attach(ifindex, new_fd, mode_flags(mode) | XDP_FLAGS_REPLACE, &opts))
		return -errno;
	return 0;
}

int cmd_reload(struct cli_args *args)
{
	const char *ifname = args->pos[0];
	struct dataplane dp;
	struct attached at = {0};
	int ifindex, lock_fd = -1, err, rc = EXIT_FAIL;
	__u32 clients;

	if (clients_opt(args, &clients))
		return EXIT_FAIL;
	/* Opening the pins first checks root and that siobpf is loaded. Maps
	 * that an older siobpf did not pin are no error here: loading the
	 * program creates and pins them. */
	if (pins_open_for_reload(&dp, &lock_fd))
		return EXIT_FAIL;
	dataplane_close(&dp);
	ifindex = iface_index(ifname);
	if (!ifindex)
		goto out;
	attached_query(ifindex, &at);
	if (!at.ours) {
		pr_err("siobpf is not attached to %s: use `siobpf load %s`", ifname, ifname);
		goto out;
	}
	err = load_program(&dp, clients);
	if (err < 0)
		goto out;
	/* A migration has already swapped every interface of the pin directory
	 * (and pinned its tracing links). */
	if (!err) {
		err = replace_program(ifindex, &at, dp.prog_fd);
		if (err) {
			pr_err("replacing the program on %s failed: %s; the old one still runs", ifname,
			       strerror(-err));
			goto out;
		}
		if (links_pin(&dp))
			goto out;
	}
	printf("siobpf reloaded on %s; VIPs, backends and sticky entries kept\n", ifname);
	rc = EXIT_OK;
out:
	attached_release(&at);
	pins_release(&dp, lock_fd);
	return rc;
}

static int swap_for_migration(int ifindex, __u8 mode, int prog_fd, void *ctx)
{
	struct attached at;
	int err;

	(void)mode; /* the attached program says which */
	(void)ctx;
	attached_query(ifindex, &at);
	err = at.ours ? replace_program(ifindex, &at, prog_fd) : 1;
	attached_release(&at);
	return err;
}

static bool ifaces_empty(struct dataplane *dp)
{
	__u32 next;

	return bpf_map_get_next_key(dp->ifaces_fd, NULL, &next) != 0;
}

int cmd_unload(struct cli_args *args)
{
	const char *ifname = args->pos[0];
	struct dataplane dp;
	struct attached at = {0};
	int ifindex, lock_fd = -1, err, rc = EXIT_FAIL;
	__u32 key;

	if (pins_open(&dp, true, &lock_fd))
		return EXIT_FAIL;
	ifindex = iface_index(ifname);
	if (!ifindex)
		goto out;
	attached_query(ifindex, &at);
	if (!at.ours) {
		pr_err("siobpf is not attached to %s: nothing to unload", ifname);
		goto out;
	}
	map_write_point();
	if (xdp_multiprog__is_legacy(at.mp))
		err = xdp_multiprog__detach(at.mp);
	else
		err = xdp_program__detach(at.ours, ifindex, xdp_multiprog__attach_mode(at.mp), 0);
	if (err) {
		pr_err("detaching from %s failed: %s", ifname, strerror(-err));
		goto out;
	}
	key = (__u32)ifindex;
	sio_map_delete(dp.ifaces_fd, &key);
	printf("siobpf detached from %s\n", ifname);
	if (ifaces_empty(&dp)) {
		err = dataplane_unpin(globals.pin_dir);
		if (!err && rmdir(globals.pin_dir))
			err = -errno;
		if (err)
			pr_warn("removing the pins in %s: %s", globals.pin_dir, strerror(-err));
		else
			printf("no interface uses siobpf any more: removed %s\n", globals.pin_dir);
	}
	rc = EXIT_OK;
out:
	attached_release(&at);
	pins_release(&dp, lock_fd);
	return rc;
}

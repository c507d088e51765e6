// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* The pin directory; see pins.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <linux/magic.h>

#include "cli.h"
#include "pins.h"

#define BPFFS_ROOT "/sys/fs/bpf"

static bool is_bpffs(const char *path)
{
	struct statfs st;

	return statfs(path, &st) == 0 && st.f_type == BPF_FS_MAGIC;
}

static bool below(const char *dir, const char *root)
{
	size_t n = strlen(root);

	return !strncmp(dir, root, n) && (dir[n] == '/' || dir[n] == 0);
}

int pins_prepare(const char *dir)
{
	char parent[PATH_MAX];
	char *slash;

	if (below(dir, BPFFS_ROOT) && !is_bpffs(BPFFS_ROOT)) {
		if (mount("bpf", BPFFS_ROOT, "bpf", 0, "mode=0700")) {
			int err = -errno;

			pr_err("cannot mount bpffs at %s: %s", BPFFS_ROOT, strerror(-err));
			return err;
		}
		pr_info("mounted bpffs at %s", BPFFS_ROOT);
	}
	snprintf(parent, sizeof(parent), "%s", dir);
	slash = strrchr(parent, '/');
	if (slash && slash != parent)
		*slash = 0;
	if (!is_bpffs(parent)) {
		pr_err("%s is not on a bpffs: mount one (mount -t bpf bpf DIR) or choose a --pin-dir on one",
		       parent);
		return -ENOTSUP;
	}
	if (mkdir(dir, 0700) && errno != EEXIST) {
		int err = -errno;

		pr_err("cannot create pin directory %s: %s", dir, strerror(-err));
		return err;
	}
	return 0;
}

int pins_lock(const char *dir, int *lock_fd)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX)) {
		int err = -errno;

		close(fd);
		return err;
	}
	*lock_fd = fd;
	return 0;
}

static int not_loaded(const char *dir)
{
	pr_err("siobpf is not loaded (no maps in %s): run `siobpf load IFACE` first", dir);
	return -ENOENT;
}

static int open_pins(struct dataplane *dp, bool lock, bool allow_missing, int *lock_fd)
{
	const char *dir = globals.pin_dir;
	int err;

	*lock_fd = -1;
	dataplane_init(dp);
	if (geteuid() != 0) {
		pr_err("siobpf needs root (BPF maps and XDP): run it with sudo");
		return -EPERM;
	}
	if (lock) {
		err = pins_lock(dir, lock_fd);
		if (err == -ENOENT || err == -ENOTDIR)
			return not_loaded(dir);
		if (err) {
			pr_err("cannot lock %s: %s", dir, strerror(-err));
			return err;
		}
	}
	err = dataplane_open_pinned(dp, dir);
	if (err == -ENOMSG && allow_missing)
		return 0; /* dp is closed: the caller loads the program, which adds them */
	if (err) {
		pins_release(NULL, *lock_fd);
		*lock_fd = -1;
		if (err == -ENOENT)
			return not_loaded(dir);
		if (err == -ENOMSG)
			pr_err("the maps in %s were pinned by an older siobpf: run `siobpf reload IFACE` "
			       "to migrate them", dir);
		else if (err == -EPROTONOSUPPORT)
			pr_err("the maps in %s were pinned by a newer siobpf (a layout after %d): use "
			       "that siobpf", dir, SIOBPF_LAYOUT);
		else
			pr_err("cannot open the maps in %s: %s", dir, strerror(-err));
	}
	return err;
}

int pins_open(struct dataplane *dp, bool lock, int *lock_fd)
{
	return open_pins(dp, lock, false, lock_fd);
}

int pins_open_for_reload(struct dataplane *dp, int *lock_fd)
{
	return open_pins(dp, true, true, lock_fd);
}

void pins_release(struct dataplane *dp, int lock_fd)
{
	if (dp)
		dataplane_close(dp);
	if (lock_fd >= 0)
		close(lock_fd); /* releases the flock */
}

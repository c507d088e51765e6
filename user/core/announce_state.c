// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* The withdraw state file and the VIP address mark; see announce_state.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "announce_state.h"

#define STATE_WITHDRAWN "withdrawn\n"
#define STATE_ANNOUNCED "announced\n"

int announce_state_path(const char *pin_dir, char *buf, size_t len)
{
	size_t n = (size_t)snprintf(buf, len, "%s/announce", SIOBPF_RUN_DIR);

	for (const char *p = pin_dir; *p && n + 1 < len; p++)
		buf[n++] = *p == '/' ? '_' : *p;
	if (n + sizeof(".state") > len)
		return -ENAMETOOLONG;
	snprintf(buf + n, len - n, ".state");
	return 0;
}

int announce_state_read(const char *pin_dir, bool *withdrawn)
{
	char path[PATH_MAX], text[32] = "";
	ssize_t len;
	int fd, err = announce_state_path(pin_dir, path, sizeof(path));

	if (err)
		return err;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno != ENOENT)
			return -errno;
		*withdrawn = false;
		return 0;
	}
	len = read(fd, text, sizeof(text) - 1);
	err = len < 0 ? -errno : 0;
	close(fd);
	if (err)
		return err;
	text[len] = 0;
	if (!strcmp(text, STATE_WITHDRAWN))
		*withdrawn = true;
	else if (!strcmp(text, STATE_ANNOUNCED))
		*withdrawn = false;
	else
		return -EINVAL;
	return 0;
}

/* SIOBPF_RUN_DIR, made 0700 when missing; refused unless it is root's alone,
 * or another user could replace the state under the daemon. */
static int run_dir_check(void)
{
	struct stat st;

	if (mkdir(SIOBPF_RUN_DIR, 0700) && errno != EEXIST)
		return -errno;
	if (lstat(SIOBPF_RUN_DIR, &st))
		return -errno;
	if (!S_ISDIR(st.st_mode) || st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH)))
		return -EPERM;
	return 0;
}

int announce_state_write(const char *pin_dir, bool withdrawn)
{
	const char *text = withdrawn ? STATE_WITHDRAWN : STATE_ANNOUNCED;
	char path[PATH_MAX], tmp[PATH_MAX + 16];
	size_t len = strlen(text);
	int fd, err = announce_state_path(pin_dir, path, sizeof(path));

	if (!err)
		err = run_dir_check();
	if (err)
		return err;
	snprintf(tmp, sizeof(tmp), "%s.%d", path, (int)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (write(fd, text, len) != (ssize_t)len || fsync(fd))
		err = errno ? -errno : -EIO;
	close(fd);
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}

int announce_lock(int *fd)
{
	*fd = open(SIOBPF_RUN_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (*fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (flock(*fd, LOCK_EX)) {
		int err = -errno;

		close(*fd);
		*fd = -1;
		return err;
	}
	return 0;
}

bool announce_addr_is_vip(const struct nl_addr *a, const struct siobpf_vip_key *key)
{
	size_t alen = a->family == SIOBPF_FAMILY_IPV4 ? 4 : 16;

	return a->family == key->family && !memcmp(a->addr, key->addr, alen);
}

int announce_held(struct nl_addr **list, size_t *count)
{
	size_t n = 0, kept = 0;
	int err = nl_addr_list(0, list, &n);

	if (err)
		return err;
	for (size_t i = 0; i < n; i++)
		if ((*list)[i].proto == ANNOUNCE_ADDR_PROTO)
			(*list)[kept++] = (*list)[i];
	*count = kept;
	return 0;
}

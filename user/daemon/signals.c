// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* siobpf run: its process set-up (one instance per pin directory, the fd
 * limit) and its signals (TERM, INT, HUP) through a signalfd. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>

#include "cli.h"
#include "refresh.h"
#include "run.h"
#include "signals.h"

/* The lock file's pid record: fixed width, so that rewriting it in place
 * never needs a truncation. */
#define PID_RECORD 12

/* The instance lock's directory, opened without following a symlink and
 * made 0700 when missing. Only root may be able to write in it, or another
 * user could plant a symlink or a file there for root to open. */
static int lock_dir_open(const char *dir)
{
	struct stat st = {0};
	int fd;

	if (mkdir(dir, 0700) && errno != EEXIST) {
		pr_err("cannot create %s for the instance lock: %s", dir, strerror(errno));
		return -errno;
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		int err = -errno;

		if (err == -ELOOP || err == -ENOTDIR)
			pr_err("%s is not a directory (a symlink?): refusing it for the instance lock; "
			       "remove it and start again", dir);
		else
			pr_err("cannot open %s: %s", dir, strerror(-err));
		return err;
	}
	if (fstat(fd, &st) || st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH))) {
		pr_err("%s is not root's alone (owner %u, mode %04o): refusing it for the instance lock; "
		       "remove it and start again", dir, (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
		close(fd);
		return -EPERM;
	}
	return fd;
}

/* The lock file, made now or found from an earlier run; *made says which.
 * A symlink, a hard link or anything but root's regular file is refused. */
static int lock_file_open(int dfd, const char *dir, const char *name, bool *made)
{
	struct stat st;
	int fd = -1;

	for (int tries = 0; fd < 0 && tries < 3; tries++) {
		fd = openat(dfd, name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		*made = fd >= 0;
		if (fd < 0 && errno == EEXIST)
			fd = openat(dfd, name, O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0 && errno != ENOENT) /* ENOENT: removed in between, try again */
			break;
	}
	if (fd < 0) {
		int err = -errno;

		if (err == -ELOOP)
			pr_err("%s/%s is a symlink: refusing to follow it; remove it and start again", dir,
			       name);
		else
			pr_err("cannot open %s/%s: %s", dir, name, strerror(-err));
		return err;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_uid != 0 || st.st_nlink != 1) {
		pr_err("%s/%s is not a lock file of siobpf's (not root's own regular file): "
		       "remove it and start again", dir, name);
		close(fd);
		return -EPERM;
	}
	return fd;
}

int instance_lock_at(const char *dir, const char *name, int *lock_fd, pid_t *holder)
{
	char record[PID_RECORD + 1] = "";
	bool made;
	ssize_t len;
	int dfd, fd;

	*lock_fd = -1;
	*holder = 0;
	dfd = lock_dir_open(dir);
	if (dfd < 0)
		return dfd;
	fd = lock_file_open(dfd, dir, name, &made);
	close(dfd);
	if (fd < 0)
		return fd;
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		int err = errno == EWOULDBLOCK ? -EBUSY : -errno;

		len = pread(fd, record, PID_RECORD, 0);
		record[len > 0 ? len : 0] = 0;
		*holder = (pid_t)atoi(record);
		close(fd);
		return err;
	}
	snprintf(record, sizeof(record), "%-*d\n", PID_RECORD - 1, (int)getpid());
	if (pwrite(fd, record, PID_RECORD, 0) != PID_RECORD)
		pr_warn("cannot write the pid to %s/%s%s", dir, name, made ? "" : " (kept from an earlier run)");
	*lock_fd = fd;
	return 0;
}

/* One daemon per pin directory: two would probe twice and fight over
 * states. The lock is a file in RUN_LOCK_DIR, not in the pin directory: bpffs
 * holds no regular files; the directory itself is what the commands flock
 * for each write, so the daemon cannot hold that; and the daemon may start
 * before `siobpf load` makes the directory and outlive an unload that
 * removes it. The file is never truncated (not even one this run made)
 * and is left behind at exit: unlinking it would let two daemons lock two
 * different files of one name. */
int instance_lock(struct run *r)
{
	char name[NAME_MAX + 1];
	size_t n = (size_t)snprintf(name, sizeof(name), "run");
	pid_t holder;
	int err;

	for (const char *p = globals.pin_dir; *p && n + 6 < sizeof(name); p++)
		name[n++] = *p == '/' ? '_' : *p;
	snprintf(name + n, sizeof(name) - n, ".lock");
	err = instance_lock_at(RUN_LOCK_DIR, name, &r->instance_fd, &holder);
	if (err == -EBUSY) {
		char pid[16] = "?";

		if (holder > 0)
			snprintf(pid, sizeof(pid), "%d", (int)holder);
		pr_err("another `siobpf run` (pid %s) already watches %s: stop it first", pid,
		       globals.pin_dir);
	} else if (err && err != -ELOOP && err != -ENOTDIR && err != -EPERM) {
		pr_err("cannot take the instance lock for %s in %s: %s", globals.pin_dir, RUN_LOCK_DIR,
		       strerror(-err));
	}
	return err;
}

/* Probes of hundreds of backends need as many sockets at once. */
void raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int signals_setup(struct run *r)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	/* Blocked before any thread starts, so that only the signalfd sees them. */
	if (pthread_sigmask(SIG_BLOCK, &set, NULL))
		return -EINVAL;
	signal(SIGPIPE, SIG_IGN);
	r->sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	return r->sfd < 0 ? -errno : 0;
}

void signals_read(struct run *r)
{
	struct signalfd_siginfo si;

	while (read(r->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			if (!r->config) {
				pr_info("SIGHUP: no --config to re-read; re-reading the maps");
				r->refresh_due = 0;
			} else if (!r->d.loaded) {
				pr_info("SIGHUP: %s is applied once siobpf is loaded", r->config);
				r->config_pending = true;
			} else {
				pr_info("SIGHUP: re-reading %s", r->config);
				config_apply_now(r);
			}
		} else {
			pr_info("%s: stopping; the program stays attached and keeps forwarding",
				si.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT");
			r->stop = true;
		}
	}
}

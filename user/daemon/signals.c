// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* siobpf run: its process set-up (one instance per pin directory, the fd
 * limit) and its signals (TERM, INT, HUP) through a signalfd. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/signalfd.h>

#include "cli.h"
#include "refresh.h"
#include "run.h"
#include "signals.h"

/* One daemon per pin directory: two would probe twice and fight over states. */
int instance_lock(struct run *r)
{
	char path[4096], pid[32] = "";
	const char *dir = access("/run/lock", W_OK) == 0 ? "/run/lock" : "/tmp";
	size_t n = (size_t)snprintf(path, sizeof(path), "%s/siobpf-run", dir);
	ssize_t len;

	for (const char *p = globals.pin_dir; *p && n + 2 < sizeof(path); p++)
		path[n++] = *p == '/' ? '_' : *p;
	snprintf(path + n, sizeof(path) - n, ".lock");
	r->instance_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (r->instance_fd < 0) {
		pr_err("cannot open %s: %s", path, strerror(errno));
		return -errno;
	}
	if (flock(r->instance_fd, LOCK_EX | LOCK_NB)) {
		len = read(r->instance_fd, pid, sizeof(pid) - 1);
		pid[len > 0 ? len : 0] = 0;
		pid[strcspn(pid, "\n")] = 0;
		pr_err("another `siobpf run` (pid %s) already watches %s: stop it first",
		       pid[0] ? pid : "?", globals.pin_dir);
		return -EBUSY;
	}
	if (ftruncate(r->instance_fd, 0) == 0)
		dprintf(r->instance_fd, "%d\n", (int)getpid());
	return 0;
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

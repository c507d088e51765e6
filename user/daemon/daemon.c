// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* siobpf run: the command, its main loop, and the allocation and release
 * of its state. The concerns the loop drives live in schedule.c,
 * refresh.c, transitions.c and signals.c. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "announce.h"
#include "cli.h"
#include "metrics.h"
#include "refresh.h"
#include "run.h"
#include "schedule.h"
#include "signals.h"
#include "transitions.h"

/* How often a daemon without maps looks for them again. */
#define REOPEN_MS 1000

static __u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * NS_PER_SEC + (__u64)ts.tv_nsec;
}

static int run_alloc(struct run *r)
{
	struct daemon *d = &r->d;

	r->sfd = -1;
	r->instance_fd = -1;
	dataplane_init(&d->dp);
	pthread_mutex_init(&d->lock, NULL);
	d->targets = calloc(SIOBPF_MAX_BACKENDS, sizeof(*d->targets));
	d->ids = calloc(SIOBPF_MAX_BACKENDS, sizeof(*d->ids));
	r->table = calloc(SIOBPF_MAX_BACKENDS, sizeof(*r->table));
	r->cfgs = calloc(SIOBPF_MAX_BACKENDS, sizeof(*r->cfgs));
	r->vip_list = calloc(SIOBPF_MAX_VIPS, sizeof(*r->vip_list));
	r->clients = calloc(SIOBPF_MAX_BACKENDS, sizeof(*r->clients));
	if (transitions_init(r))
		return -ENOMEM;
	return d->targets && d->ids && r->table && r->cfgs && r->vip_list && r->clients ? 0 : -ENOMEM;
}

static void run_free(struct run *r)
{
	metrics_stop(r->ms); /* first: its thread reads the rest */
	announce_free(r->an);
	if (r->pe) {
		maps_close(r);
		probe_engine_free(r->pe);
	}
	dataplane_close(&r->d.dp);
	if (r->sfd >= 0)
		close(r->sfd);
	if (r->instance_fd >= 0)
		close(r->instance_fd);
	free(r->d.targets);
	free(r->d.ids);
	free(r->table);
	free(r->cfgs);
	free(r->vip_list);
	transitions_free(r);
	free(r->clients);
	pthread_mutex_destroy(&r->d.lock);
	free(r);
}

/* Once the maps are there: the configuration, then the rings' repair. */
static void on_maps_open(struct run *r)
{
	pr_info("maps open in %s", globals.pin_dir);
	if (r->config_pending)
		config_apply_now(r);
	rings_repair(r);
	r->refresh_due = 0;
}

static void loop(struct run *r)
{
	bool warned = false;

	while (!r->stop) {
		__u64 now = mono_ns(), wake;
		bool sig = false;
		int timeout_ms, err;

		if (!r->d.loaded && now >= r->reopen_due) {
			r->reopen_due = now + REOPEN_MS * NS_PER_MS;
			err = maps_open(r);
			if (!err) {
				on_maps_open(r);
				warned = false;
			} else if (!warned && err == -ENOMSG) {
				pr_warn("the maps in %s were pinned by an older siobpf: waiting for `siobpf "
					"reload IFACE` to migrate them", globals.pin_dir);
				warned = true;
			} else if (!warned && err == -EPROTONOSUPPORT) {
				pr_warn("the maps in %s were pinned by a newer siobpf: waiting for them to be "
					"replaced (this siobpf cannot use them)", globals.pin_dir);
				warned = true;
			} else if (!warned) {
				pr_warn("siobpf is not loaded (no maps in %s): waiting for `siobpf load IFACE`",
					globals.pin_dir);
				warned = true;
			}
			if (r->stop)
				break;
			if (!r->d.loaded)
				announce_reconcile(r); /* not ready: nothing is announced */
		}
		if (r->d.loaded && now >= r->refresh_due) {
			refresh(r, now);
			/* Not when the maps were just found replaced (a reload that migrated
			 * them): they reopen at once, and an upgrade must not flap the routes. */
			if (r->d.loaded)
				announce_reconcile(r);
			r->refresh_due = r->refresh_due ? sched_next(r->refresh_due, r->refresh_ns, now, NULL)
							 : now + r->refresh_ns;
		}
		wake = r->d.loaded ? schedule_scan(r, now) : r->reopen_due;
		if (r->d.loaded && r->refresh_due < wake)
			wake = r->refresh_due;
		now = mono_ns();
		timeout_ms = wake > now ? (int)((wake - now + NS_PER_MS - 1) / NS_PER_MS) : 0;
		if (r->npending)
			timeout_ms = 0; /* the scan's changes are not to wait for the next deadline */
		err = probe_engine_run(r->pe, timeout_ms, r->sfd, &sig);
		if (err) {
			pr_err("waiting for probes failed: %s", strerror(-err));
			usleep(10000);
		}
		/* The pass's changes, the scan's and the probes' that ended, at once. */
		transitions_apply(r);
		if (sig)
			signals_read(r);
	}
}

int cmd_run(struct cli_args *args)
{
	const char *metrics = cli_opt(args, "metrics"), *announce = cli_opt(args, "announce");
	bool withdraw_on_exit = cli_flag(args, "withdraw-on-exit");
	struct run *r = calloc(1, sizeof(*r));
	char why[256];
	int err, rc = EXIT_FAIL;

	if (!r)
		return EXIT_FAIL;
	if (withdraw_on_exit && !announce) {
		free(r);
		return usage_error(args->cmd, "--withdraw-on-exit needs --announce IFACE");
	}
	r->config = cli_opt(args, "config");
	if (run_alloc(r)) {
		pr_err("out of memory");
		goto out;
	}
	if (geteuid() != 0) {
		pr_err("siobpf run needs root (BPF maps, netlink): run it with sudo or from systemd");
		goto out;
	}
	if (announce) {
		err = announce_new(&r->an, announce, withdraw_on_exit, why, sizeof(why));
		if (err) {
			pr_err("%s", why);
			goto out;
		}
		r->d.announce.on = true;
	}
	if (r->config && access(r->config, R_OK)) {
		pr_err("cannot read --config %s: %s", r->config, strerror(errno));
		goto out;
	}
	if (instance_lock(r))
		goto out;
	raise_fd_limit();
	if (curl_global_init(CURL_GLOBAL_DEFAULT)) {
		pr_err("libcurl would not initialise");
		goto out;
	}
	err = signals_setup(r);
	if (err) {
		pr_err("cannot set up signal handling: %s", strerror(-err));
		goto out_curl;
	}
	err = probe_engine_new(&r->pe, on_probe_done, r);
	if (err) {
		pr_err("cannot start the probe engine: %s", strerror(-err));
		goto out_curl;
	}
	if (metrics) {
		err = metrics_start(&r->ms, metrics, &r->d, why, sizeof(why));
		if (err) {
			pr_err("%s", why);
			goto out_curl;
		}
		pr_info("metrics on http://%s%s/metrics", strchr(metrics, ':') ? "" : METRICS_DEFAULT_ADDR ":",
			metrics);
	}
	r->config_pending = r->config != NULL;
	pr_info("running (pid %d): probes, neighbours%s%s%s%s; SIGHUP re-reads, SIGTERM stops", (int)getpid(),
		r->config ? ", configuration " : "", r->config ? r->config : "",
		announce ? ", VIP addresses on " : "", announce ? announce : "");
	loop(r);
	announce_exit(r);
	rc = r->failed ? EXIT_FAIL : EXIT_OK;
out_curl:
	run_free(r);
	curl_global_cleanup();
	return rc;
out:
	run_free(r);
	return rc;
}

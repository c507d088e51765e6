/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* The running state and the declarative configuration (config.h): read one
 * into the other (save), and reconcile the running state to a configuration
 * with the smallest change (apply). Functions return 0 or -errno. None takes
 * the pin directory's lock: callers that change the maps hold it. */
#ifndef SIOBPF_CONFIG_APPLY_H
#define SIOBPF_CONFIG_APPLY_H

#include <stdbool.h>
#include <stdio.h>

#include "config.h"

/* The running VIPs and backends as a configuration (siobpf save). */
int config_read_running(struct dataplane *dp, struct config *cfg);

struct config_changes {
	unsigned vips_added, vips_changed, vips_removed;
	unsigned backends_added, backends_changed, backends_removed;
};

/* Makes the running state match cfg, writing only what differs: resolves
 * every new backend first, so that nothing is written unless everything
 * can be; then removes, changes and adds. With dry_run, only says what it
 * would do. Each change is described on log (NULL: quiet). If a write fails
 * midway, err says which and that the changes before it were made. */
int config_apply(struct dataplane *dp, const struct config *cfg, bool dry_run, FILE *log,
		 struct config_changes *changes, struct config_error *err);

/* Loads path and applies it (the daemon, on start and on SIGHUP). 0, or
 * -errno with errbuf holding a message that names the file, and the line
 * and column when the problem has one. */
int config_apply_file(struct dataplane *dp, const char *path, char *errbuf, size_t errlen);

#endif /* SIOBPF_CONFIG_APPLY_H */

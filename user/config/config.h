/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* The declarative configuration: a YAML file of VIPs and their backends.
 * config.c parses and validates it (no kernel needed) and writes it back;
 * config_apply.h reads the running state into it and reconciles the
 * running state to it. Functions return 0 or -errno. */
#ifndef SIOBPF_CONFIG_H
#define SIOBPF_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "addr.h"
#include "state.h"

/* A place in the file, 1-based; 0:0 when not from a file. */
struct config_mark {
	int line, column;
};

/* A backend's state that the file leaves to whoever set it (the probe). */
#define CONFIG_STATE_KEEP (-1)

struct config_backend {
	struct addr addr;
	__u32 weight;
	int state;       /* enum siobpf_backend_state, or CONFIG_STATE_KEEP */
	bool probe_down; /* read from the maps: its probe took it down */
	bool drained;    /* read from the maps: ... while it was draining (it recovers to drain) */
	bool has_probe;  /* its own probe settings (a `probe:` block) */
	struct siobpf_backend_config probe; /* fields it overrides; generation unset */
	struct config_mark at, probe_at;
};

struct config_vip {
	struct vip_entry e; /* key and settings; e.vip.id is not the file's */
	struct config_backend *backends;
	size_t nbackends;
	struct config_mark at;
};

struct config {
	struct config_vip *vips;
	size_t nvips;
};

struct config_error {
	struct config_mark at; /* where the problem is; 0:0 for none */
	char msg[512];
};

/* Parses and validates a whole file's text with the CLI's defaults and
 * rules. -EINVAL with err set on the first problem; *cfg is then empty. */
int config_parse(const char *text, size_t len, struct config *cfg, struct config_error *err);
/* Writes cfg as YAML that config_parse reads back to the same cfg;
 * -EILSEQ (the rest written) when a string in it is not UTF-8. */
int config_write(FILE *out, const struct config *cfg);
void config_free(struct config *cfg);

/* Checks what config_parse checks but maps written by an older siobpf may
 * break (the probe path rule): calls fn with each problem, a sentence that
 * names the VIP or backend. Returns the number of problems. */
typedef void (*config_problem_fn)(void *ctx, const char *problem);
int config_check(const struct config *cfg, config_problem_fn fn, void *ctx);

/* Reads and parses a file ("-": standard input). On failure errbuf holds
 * "PATH:LINE:COLUMN: problem" (or "PATH: problem"). */
int config_load_file(const char *path, struct config *cfg, char *errbuf, size_t errlen);

#endif /* SIOBPF_CONFIG_H */

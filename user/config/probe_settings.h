/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* A backend's probe: its own settings (the sio_be_cfg map), parsed from the
 * CLI or the configuration file, and the settings in force once merged with
 * its VIP's. Functions return 0 or -errno and print nothing; on -EINVAL, why
 * holds what is wrong, worded to follow the setting's name. */
#ifndef SIOBPF_PROBE_SETTINGS_H
#define SIOBPF_PROBE_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>

#include "state.h"

/* The path a socketio probe asks when its VIP says "/" (the default). */
#define PROBE_SOCKETIO_PATH "/socket.io/"

#define METHOD_NAMES 3
extern const char *const method_names[METHOD_NAMES];

/* Backend probe settings by their `backend add` option names. */
#define BACKEND_PROBE_SETTINGS 9
extern const char *const backend_probe_settings[BACKEND_PROBE_SETTINGS];

/* A timeout nobody set is derived from the interval in force: the
 * interval, at most this. HAProxy likewise uses `inter` as the check
 * timeout when `timeout check` is unset. */
#define PROBE_TIMEOUT_DERIVED_MAX_MS 1000

/* Where a resolved interval or timeout comes from. */
enum probe_origin {
	PROBE_FROM_VIP = 0,      /* the VIP's setting (for the interval, maybe its default) */
	PROBE_FROM_BACKEND = 1,  /* the backend's own */
	PROBE_FROM_INTERVAL = 2, /* a timeout nobody set, derived from the interval */
};

/* What a probe does, every field resolved (port and path included). */
struct probe_settings {
	__u8 kind;   /* enum siobpf_probe_kind */
	__u8 method; /* enum siobpf_probe_method */
	__u8 rise;
	__u8 fall;
	__u16 port;
	__u16 status;
	__u32 interval_ms;
	__u32 timeout_ms;
	__u8 interval_from; /* enum probe_origin */
	__u8 timeout_from;  /* enum probe_origin */
	char path[SIOBPF_PROBE_PATH_MAX];
};

/* The timeout of a probe whose timeout nobody set. */
__u32 probe_timeout_derived(__u32 interval_ms);

/* An override that inherits every field (in_use set, nothing else). */
void backend_config_init(struct siobpf_backend_config *c, __u32 generation);
/* Whether c is the override of a backend of that generation. */
bool backend_config_applies(const struct siobpf_backend_config *c, __u32 generation);

/* Sets one field of an override from its text. -ENOENT: no such setting. */
int backend_probe_setting_parse(struct siobpf_backend_config *c, const char *name, const char *text,
				char *why, size_t len);

/* The settings in force for a backend of vip: the VIP's, field by field
 * replaced by the backend's own when `own` applies (NULL: none, or the
 * VIP's own probe). A timeout set at neither level is derived from the
 * interval in force (probe_timeout_derived). */
void probe_settings_resolve(const struct vip_entry *vip, const struct siobpf_backend_config *own,
			    struct probe_settings *out);
/* Checks what depends on both levels: a timeout that was set must not
 * exceed the interval in force (a derived one never does). A sentence that
 * says whose each value is when they come from different levels. */
int probe_settings_check(const struct probe_settings *s, char *why, size_t len);
/* "http GET /health port 8080 expect 200 every 200ms timeout 100ms rise 2 fall 3",
 * with "timeout 200ms (derived)" for a timeout nobody set. */
void probe_settings_format(const struct probe_settings *s, char *buf, size_t len);
/* The probe of every backend of vip that has its own settings, checked
 * against vip as given (a change not yet written). -EINVAL: *bad is the
 * first that fails and why says how; another -errno: the maps were not read. */
int probe_settings_check_backends(struct dataplane *dp, const struct vip_entry *vip,
				  struct backend_entry *bad, char *why, size_t len);

/* Checks the probe path in force by the URL rule (settings.h), for the VIP
 * (own NULL) or one of its backends: what the CLI and the file refuse may
 * still be in maps an older siobpf wrote. why: "\"/a b\": character ...". */
int probe_path_stored_check(const struct vip_entry *vip, const struct siobpf_backend_config *own,
			    char *why, size_t len);

/* The override stored for backend id; *c is zeroed (in_use 0) when none. */
/* The longest --drain-timeout: 30 days. */
#define DRAIN_TIMEOUT_MAX_SEC (30u * 24 * 3600)

/* Whether a backend drains: in drain, or down by its probe while draining
 * (it recovers to drain). */
bool backend_draining(__u8 state, __u8 flags);
/* A backend's drain deadline (CLOCK_REALTIME seconds) as abi.h's rule has
 * it: the stored one while it is not 0, made for this generation and the
 * backend drains; else 0. c may be NULL. */
__u64 backend_drain_deadline(const struct siobpf_backend_config *c, const struct siobpf_backend *b);
/* Stores a backend's drain deadline (0: none), keeping its probe override
 * when that is the backend's own; an entry left by an earlier owner of the
 * id is replaced by one without override. Writes nothing when there is
 * nothing to change. */
int backend_drain_deadline_put(struct dataplane *dp, __u32 id, __u32 generation, __u64 deadline);

int backend_config_get(struct dataplane *dp, __u32 id, struct siobpf_backend_config *c);
int backend_config_put(struct dataplane *dp, __u32 id, const struct siobpf_backend_config *c);
/* Copies every override (SIOBPF_MAX_BACKENDS entries). */
int backend_config_read_all(struct dataplane *dp, struct siobpf_backend_config *all);

#endif /* SIOBPF_PROBE_SETTINGS_H */

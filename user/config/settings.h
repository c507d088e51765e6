/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* The rules of every VIP and backend setting, in one place for the CLI's
 * options and the configuration file. Functions return 0 or -errno and
 * print nothing: on -EINVAL, why holds what is wrong, worded to follow the
 * setting's name ("must be a number from 0 to 32, not '33'"). */
#ifndef SIOBPF_SETTINGS_H
#define SIOBPF_SETTINGS_H

#include <stddef.h>

#include "state.h"

/* VIP settings by their `vip add` option names, in the table's order. */
#define VIP_SETTINGS 14
extern const char *const vip_settings[VIP_SETTINGS];

/* Sets one VIP setting from its text. The VIP's key must be set (the prefix
 * range depends on the family). -ENOENT: no such setting. */
int vip_setting_parse(struct vip_entry *e, const char *name, const char *text, char *why,
		      size_t len);
/* A VIP setting's value as text, as vip_setting_parse reads it ("default"
 * for a probe port that follows the VIP's, "derived" for a timeout left
 * unset). */
void vip_setting_format(const struct vip_entry *e, const char *name, char *buf, size_t len);
/* Checks the settings that depend on each other (a timeout the user set
 * must not exceed the interval). The message is a whole sentence. */
int vip_settings_check(const struct vip_entry *e, char *why, size_t len);

/* Checks a probe path: an absolute URL path (RFC 3986 path-absolute:
 * unreserved, sub-delims, ':', '@', %HH and '/'), then an optional "?query"
 * unless kind is SIOBPF_PROBE_SOCKETIO, whose probe adds its own; never '#'.
 * kind -1: not known yet (a query is allowed). why names the character and
 * its 1-based position: "\"/a b\": character ' ' at position 3 is not ...". */
int probe_path_check(const char *path, int kind, char *why, size_t len);

/* A --drain-timeout: whole seconds, 1 to max_sec. */
int drain_timeout_parse(const char *text, __u32 max_sec, __u32 *sec, char *why, size_t len);

/* Backend settings "weight" and "state". -ENOENT: no such setting. */
int backend_setting_parse(struct siobpf_backend *b, const char *name, const char *text, char *why,
			  size_t len);

#endif /* SIOBPF_SETTINGS_H */

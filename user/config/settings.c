// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* The rules of VIP and backend settings; see settings.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "siobpf/table.h"
#include "output.h"
#include "probe_settings.h"
#include "settings.h"

enum vip_field {
	F_STICKY, F_PREFIX, F_PERSIST, F_FORWARD, F_SEED, F_PROBE, F_PROBE_PATH, F_PROBE_PORT,
	F_PROBE_STATUS, F_PROBE_METHOD, F_INTERVAL, F_TIMEOUT, F_RISE, F_FALL,
};

const char *const vip_settings[VIP_SETTINGS] = {
	[F_STICKY] = "sticky", [F_PREFIX] = "prefix", [F_PERSIST] = "persist",
	[F_FORWARD] = "forward", [F_SEED] = "seed", [F_PROBE] = "probe",
	[F_PROBE_PATH] = "probe-path", [F_PROBE_PORT] = "probe-port",
	[F_PROBE_STATUS] = "probe-status", [F_PROBE_METHOD] = "probe-method",
	[F_INTERVAL] = "interval", [F_TIMEOUT] = "timeout",
	[F_RISE] = "rise", [F_FALL] = "fall",
};

/* A number's range or a choice's names, by field. The prefix's maximum is
 * the family's address length. */
static const struct vip_rule {
	long min, max;
	const char *const *names;
	int count;
} vip_rules[VIP_SETTINGS] = {
	[F_STICKY] = {0, 0, sticky_names, STICKY_NAMES},
	[F_PREFIX] = {0, 0, NULL, 0},
	[F_PERSIST] = {0, SIOBPF_PERSIST_MAX_SEC, NULL, 0}, /* the sticky table's time (siobpf/table.h) */
	[F_FORWARD] = {0, 0, forward_names, FORWARD_NAMES},
	[F_SEED] = {0, 0xffffffffL, NULL, 0},
	[F_PROBE] = {0, 0, probe_names, PROBE_NAMES},
	[F_PROBE_PATH] = {0, 0, NULL, 0},
	[F_PROBE_PORT] = {1, 65535, NULL, 0},
	[F_PROBE_STATUS] = {100, 599, NULL, 0},
	[F_PROBE_METHOD] = {0, 0, method_names, METHOD_NAMES},
	[F_INTERVAL] = {50, 3600000, NULL, 0},
	[F_TIMEOUT] = {10, 3600000, NULL, 0},
	[F_RISE] = {1, 100, NULL, 0},
	[F_FALL] = {1, 100, NULL, 0},
};

/* "ip or ip-port", "up, drain or down". */
static void choices(const char *const *names, int count, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = 0;
	for (int i = 0; i < count && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s",
					 i == 0 ? "" : i == count - 1 ? " or " : ", ", names[i]);
}

static int choice_parse(const char *text, const char *const *names, int count, int *out, char *why,
			size_t len)
{
	char list[128];

	*out = name_index(names, count, text);
	if (*out >= 0)
		return 0;
	choices(names, count, list, sizeof(list));
	snprintf(why, len, "must be %s, not '%s'", list, text);
	return -EINVAL;
}

static int range_parse(const char *text, long min, long max, long *out, char *why, size_t len)
{
	if (number_parse(text, min, max, out) == 0)
		return 0;
	snprintf(why, len, "must be a number from %ld to %ld, not '%s'", min, max, text);
	return -EINVAL;
}

/* A path as a message shows it: printable ASCII, the rest as \xNN. */
static void path_show(const char *path, char *buf, size_t len)
{
	size_t used = 0;

	for (const unsigned char *c = (const unsigned char *)path; *c && used + 5 < len; c++) {
		if (used >= 48) {
			used += (size_t)snprintf(buf + used, len - used, "...");
			break;
		}
		if (*c > 0x20 && *c < 0x7f && *c != '"' && *c != '\\')
			buf[used++] = (char)*c;
		else if (*c == ' ')
			buf[used++] = ' ';
		else
			used += (size_t)snprintf(buf + used, len - used, "\\x%02x", *c);
	}
	buf[used < len ? used : len - 1] = 0;
}

static bool is_pchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("-._~!$&'()*+,;=:@", c));
}

static bool is_hex(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* RFC 3986: path-absolute, then for http an optional "?" query. */
int probe_path_check(const char *path, int kind, char *why, size_t len)
{
	const unsigned char *s = (const unsigned char *)path;
	const char *problem = "is not allowed in a URL path";
	char shown[64], ch[8];
	bool query = false;
	size_t i, n = strlen(path);

	path_show(path, shown, sizeof(shown));
	if (n >= SIOBPF_PROBE_PATH_MAX) {
		snprintf(why, len, "\"%s\" is %zu bytes: it must be shorter than %d", shown, n,
			 SIOBPF_PROBE_PATH_MAX);
		return -EINVAL;
	}
	if (s[0] != '/') {
		snprintf(why, len, "\"%s\" must start with '/'", shown);
		return -EINVAL;
	}
	for (i = 0; i < n; i++) {
		if (s[i] == '%') {
			if (is_hex(s[i + 1]) && is_hex(s[i + 2])) {
				i += 2;
				continue;
			}
			problem = "is not followed by two hex digits (%HH)";
			break;
		}
		if (is_pchar(s[i]) || s[i] == '/') {
			if (i == 1 && s[i] == '/' && !query) {
				problem = "is not allowed here: a path starting with \"//\" would name a host";
				break;
			}
			continue;
		}
		if (s[i] == '?' && query)
			continue;
		if (s[i] == '?' && kind != SIOBPF_PROBE_SOCKETIO) {
			query = true;
			continue;
		}
		if (s[i] == '?')
			problem = "is not allowed in a socketio probe path (the probe adds its own query)";
		break;
	}
	if (i == n)
		return 0;
	if (s[i] > 0x20 && s[i] < 0x7f)
		snprintf(ch, sizeof(ch), "'%c'", s[i]);
	else if (s[i] == ' ')
		snprintf(ch, sizeof(ch), "' '");
	else
		snprintf(ch, sizeof(ch), "\\x%02x", s[i]);
	snprintf(why, len, "\"%s\": character %s at position %zu %s", shown, ch, i + 1, problem);
	return -EINVAL;
}

int vip_setting_parse(struct vip_entry *e, const char *name, const char *text, char *why,
		      size_t len)
{
	const struct vip_rule *rule;
	int field, choice = 0;
	long v = 0;

	for (field = 0; field < VIP_SETTINGS && strcmp(vip_settings[field], name); field++)
		;
	if (field == VIP_SETTINGS) {
		snprintf(why, len, "is not a VIP setting");
		return -ENOENT;
	}
	rule = &vip_rules[field];
	if (rule->names) {
		if (choice_parse(text, rule->names, rule->count, &choice, why, len))
			return -EINVAL;
	} else if (field == F_PROBE_PATH) {
		/* The probe's kind may come later: its own rule is checked with the others. */
		if (probe_path_check(text, -1, why, len))
			return -EINVAL;
	} else {
		long max = field == F_PREFIX ? (e->key.family == SIOBPF_FAMILY_IPV6 ? 128 : 32) : rule->max;

		if (range_parse(text, rule->min, max, &v, why, len))
			return -EINVAL;
	}

	switch ((enum vip_field)field) {
	case F_STICKY: e->vip.sticky = (__u8)choice; break;
	case F_FORWARD: e->vip.forward = (__u8)choice; break;
	case F_PROBE: e->cfg.probe = (__u8)choice; break;
	case F_PROBE_METHOD: e->cfg.probe_method = (__u8)choice; break;
	case F_PREFIX:
		e->vip.prefix = (__u8)v;
		prefix_mask(e->key.family, (int)v, e->vip.mask);
		break;
	case F_PERSIST: e->vip.persist_sec = (__u32)v; break;
	case F_SEED: e->vip.hash_seed = (__u32)v; break;
	case F_PROBE_PATH:
		/* Zero the tail too: the map holds the whole buffer. */
		memset(e->cfg.probe_path, 0, sizeof(e->cfg.probe_path));
		memcpy(e->cfg.probe_path, text, strlen(text));
		break;
	case F_PROBE_PORT: e->cfg.probe_port = (__u16)v; break;
	case F_PROBE_STATUS: e->cfg.http_status = (__u16)v; break;
	case F_INTERVAL: e->cfg.interval_ms = (__u32)v; break;
	case F_TIMEOUT: e->cfg.timeout_ms = (__u32)v; break;
	case F_RISE: e->cfg.rise = (__u8)v; break;
	case F_FALL: e->cfg.fall = (__u8)v; break;
	}
	return 0;
}

void vip_setting_format(const struct vip_entry *e, const char *name, char *buf, size_t len)
{
	int field;

	for (field = 0; field < VIP_SETTINGS && strcmp(vip_settings[field], name); field++)
		;
	switch ((enum vip_field)field) {
	case F_STICKY: snprintf(buf, len, "%s", name_of(sticky_names, STICKY_NAMES, e->vip.sticky)); break;
	case F_FORWARD: snprintf(buf, len, "%s", name_of(forward_names, FORWARD_NAMES, e->vip.forward)); break;
	case F_PROBE: snprintf(buf, len, "%s", name_of(probe_names, PROBE_NAMES, e->cfg.probe)); break;
	case F_PROBE_METHOD:
		snprintf(buf, len, "%s", name_of(method_names, METHOD_NAMES, e->cfg.probe_method));
		break;
	case F_PREFIX: snprintf(buf, len, "%u", e->vip.prefix); break;
	case F_PERSIST: snprintf(buf, len, "%u", e->vip.persist_sec); break;
	case F_SEED: snprintf(buf, len, "%u", e->vip.hash_seed); break;
	case F_PROBE_PATH:
		snprintf(buf, len, "%.*s", SIOBPF_PROBE_PATH_MAX, e->cfg.probe_path);
		break;
	case F_PROBE_PORT:
		if (e->cfg.probe_port)
			snprintf(buf, len, "%u", e->cfg.probe_port);
		else
			snprintf(buf, len, "default");
		break;
	case F_PROBE_STATUS: snprintf(buf, len, "%u", e->cfg.http_status); break;
	case F_INTERVAL: snprintf(buf, len, "%u", e->cfg.interval_ms); break;
	case F_TIMEOUT:
		if (e->cfg.timeout_ms)
			snprintf(buf, len, "%u", e->cfg.timeout_ms);
		else
			snprintf(buf, len, "derived");
		break;
	case F_RISE: snprintf(buf, len, "%u", e->cfg.rise); break;
	case F_FALL: snprintf(buf, len, "%u", e->cfg.fall); break;
	default: snprintf(buf, len, "?"); break;
	}
}

int vip_settings_check(const struct vip_entry *e, char *why, size_t len)
{
	struct probe_settings s;

	/* An unset timeout is derived to fit: only one the user gave can fail. */
	probe_settings_resolve(e, NULL, &s);
	return probe_settings_check(&s, why, len);
}

int drain_timeout_parse(const char *text, __u32 max_sec, __u32 *sec, char *why, size_t len)
{
	long v;

	if (range_parse(text, 1, max_sec, &v, why, len))
		return -EINVAL;
	*sec = (__u32)v;
	return 0;
}

int backend_setting_parse(struct siobpf_backend *b, const char *name, const char *text, char *why,
			  size_t len)
{
	int state;
	long v;

	if (!strcmp(name, "weight")) {
		if (range_parse(text, 1, SIOBPF_MAX_WEIGHT, &v, why, len))
			return -EINVAL;
		b->weight = (__u32)v;
		return 0;
	}
	if (!strcmp(name, "state")) {
		if (choice_parse(text, state_names, STATE_NAMES, &state, why, len))
			return -EINVAL;
		b->state = (__u8)state;
		return 0;
	}
	snprintf(why, len, "is not a backend setting");
	return -ENOENT;
}

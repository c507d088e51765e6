// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* A backend's own probe settings and the settings in force; see probe_settings.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <bpf/bpf.h>

#include "map_write.h"
#include "output.h"
#include "probe_settings.h"
#include "settings.h"

const char *const method_names[METHOD_NAMES] = {
	[SIOBPF_METHOD_GET] = "GET", [SIOBPF_METHOD_HEAD] = "HEAD",
	[SIOBPF_METHOD_OPTIONS] = "OPTIONS",
};

const char *const backend_probe_settings[BACKEND_PROBE_SETTINGS] = {
	"probe", "probe-port", "probe-path", "probe-status", "probe-method",
	"interval", "timeout", "rise", "fall",
};

void backend_config_init(struct siobpf_backend_config *c, __u32 generation)
{
	memset(c, 0, sizeof(*c));
	c->generation = generation;
	c->probe = SIOBPF_PROBE_INHERIT;
	c->probe_method = SIOBPF_PROBE_INHERIT;
	c->in_use = 1;
}

bool backend_config_applies(const struct siobpf_backend_config *c, __u32 generation)
{
	return c && c->in_use && c->generation == generation;
}

/* Sets one field of an override. The rules are the VIP's own (settings.c):
 * the value is parsed into a scratch VIP, then that one field is copied. */
int backend_probe_setting_parse(struct siobpf_backend_config *c, const char *name, const char *text,
				char *why, size_t len)
{
	struct vip_entry scratch = {.key = {.family = SIOBPF_FAMILY_IPV4}};
	const struct siobpf_vip_config *v = &scratch.cfg;
	int i, err;

	for (i = 0; i < BACKEND_PROBE_SETTINGS && strcmp(backend_probe_settings[i], name); i++)
		;
	if (i == BACKEND_PROBE_SETTINGS) {
		snprintf(why, len, "is not a backend probe setting");
		return -ENOENT;
	}
	err = vip_setting_parse(&scratch, name, text, why, len);
	if (err)
		return err;
	if (!strcmp(name, "probe"))
		c->probe = v->probe;
	else if (!strcmp(name, "probe-method"))
		c->probe_method = v->probe_method;
	else if (!strcmp(name, "probe-path"))
		memcpy(c->probe_path, v->probe_path, sizeof(c->probe_path));
	else if (!strcmp(name, "probe-port"))
		c->probe_port = v->probe_port;
	else if (!strcmp(name, "probe-status"))
		c->http_status = v->http_status;
	else if (!strcmp(name, "interval"))
		c->interval_ms = v->interval_ms;
	else if (!strcmp(name, "timeout"))
		c->timeout_ms = v->timeout_ms;
	else if (!strcmp(name, "rise"))
		c->rise = v->rise;
	else
		c->fall = v->fall;
	return 0;
}

void probe_settings_resolve(const struct vip_entry *vip, const struct siobpf_backend_config *own,
			    struct probe_settings *out)
{
	const struct siobpf_vip_config *v = &vip->cfg;
	const char *path = v->probe_path;

	memset(out, 0, sizeof(*out));
	out->kind = v->probe;
	out->method = v->probe_method < METHOD_NAMES ? v->probe_method : SIOBPF_METHOD_GET;
	out->rise = v->rise ? v->rise : 2;
	out->fall = v->fall ? v->fall : 3;
	out->port = v->probe_port ? v->probe_port : ntohs(vip->key.port);
	out->status = v->http_status ? v->http_status : 200;
	out->interval_ms = v->interval_ms ? v->interval_ms : 2000;
	out->timeout_ms = v->timeout_ms;
	out->interval_from = out->timeout_from = PROBE_FROM_VIP;
	if (own && own->in_use) {
		if (own->probe != SIOBPF_PROBE_INHERIT && own->probe < PROBE_NAMES)
			out->kind = own->probe;
		if (own->probe_method != SIOBPF_PROBE_INHERIT && own->probe_method < METHOD_NAMES)
			out->method = own->probe_method;
		if (own->rise)
			out->rise = own->rise;
		if (own->fall)
			out->fall = own->fall;
		if (own->probe_port)
			out->port = own->probe_port;
		if (own->http_status)
			out->status = own->http_status;
		if (own->interval_ms) {
			out->interval_ms = own->interval_ms;
			out->interval_from = PROBE_FROM_BACKEND;
		}
		if (own->timeout_ms) {
			out->timeout_ms = own->timeout_ms;
			out->timeout_from = PROBE_FROM_BACKEND;
		}
		if (own->probe_path[0])
			path = own->probe_path;
	}
	/* Set at neither level: from the interval this backend is probed at. */
	if (!out->timeout_ms) {
		out->timeout_ms = probe_timeout_derived(out->interval_ms);
		out->timeout_from = PROBE_FROM_INTERVAL;
	}
	/* A socketio probe asks Engine.IO's endpoint unless told where it is. */
	if (out->kind == SIOBPF_PROBE_SOCKETIO && (!path[0] || !strcmp(path, "/")))
		path = PROBE_SOCKETIO_PATH;
	snprintf(out->path, sizeof(out->path), "%.*s", (int)sizeof(out->path) - 1, path[0] ? path : "/");
}

__u32 probe_timeout_derived(__u32 interval_ms)
{
	return interval_ms < PROBE_TIMEOUT_DERIVED_MAX_MS ? interval_ms : PROBE_TIMEOUT_DERIVED_MAX_MS;
}

static const char *origin_name(__u8 from)
{
	return from == PROBE_FROM_BACKEND ? "its own" : "its VIP's";
}

int probe_settings_check(const struct probe_settings *s, char *why, size_t len)
{
	bool whose = s->timeout_from != s->interval_from;

	if (s->timeout_from == PROBE_FROM_INTERVAL || s->timeout_ms <= s->interval_ms)
		return 0;
	snprintf(why, len, "the probe timeout (%u ms%s%s) must not exceed the interval (%u ms%s%s)",
		 s->timeout_ms, whose ? ", " : "", whose ? origin_name(s->timeout_from) : "",
		 s->interval_ms, whose ? ", " : "", whose ? origin_name(s->interval_from) : "");
	return -EINVAL;
}

int probe_settings_check_backends(struct dataplane *dp, const struct vip_entry *vip,
				  struct backend_entry *bad, char *why, size_t len)
{
	struct backend_entry *list = calloc(SIOBPF_MAX_BACKENDS, sizeof(*list));
	size_t n = 0;
	int err;

	if (!list)
		return -ENOMEM;
	err = state_backend_list(dp, vip->vip.id, list, SIOBPF_MAX_BACKENDS, &n);
	for (size_t i = 0; !err && i < n; i++) {
		struct siobpf_backend_config own;
		struct probe_settings s;

		err = backend_config_get(dp, list[i].id, &own);
		if (err)
			break;
		if (!backend_config_applies(&own, list[i].b.generation))
			continue; /* the VIP's own probe: checked with the VIP */
		probe_settings_resolve(vip, &own, &s);
		err = probe_settings_check(&s, why, len);
		if (err)
			*bad = list[i];
	}
	free(list);
	return err;
}

void probe_settings_format(const struct probe_settings *s, char *buf, size_t len)
{
	const char *kind = name_of(probe_names, PROBE_NAMES, s->kind);
	const char *derived = s->timeout_from == PROBE_FROM_INTERVAL ? " (derived)" : "";

	if (s->kind == SIOBPF_PROBE_NONE) {
		snprintf(buf, len, "none");
		return;
	}
	if (s->kind == SIOBPF_PROBE_HTTP)
		snprintf(buf, len, "http %s %s port %u expect %u every %ums timeout %ums%s rise %u fall %u",
			 name_of(method_names, METHOD_NAMES, s->method), s->path, s->port, s->status,
			 s->interval_ms, s->timeout_ms, derived, s->rise, s->fall);
	else if (s->kind == SIOBPF_PROBE_SOCKETIO)
		snprintf(buf, len, "socketio %s port %u every %ums timeout %ums%s rise %u fall %u", s->path,
			 s->port, s->interval_ms, s->timeout_ms, derived, s->rise, s->fall);
	else
		snprintf(buf, len, "%s port %u every %ums timeout %ums%s rise %u fall %u", kind, s->port,
			 s->interval_ms, s->timeout_ms, derived, s->rise, s->fall);
}

int probe_path_stored_check(const struct vip_entry *vip, const struct siobpf_backend_config *own,
			    char *why, size_t len)
{
	const char *raw = own && own->in_use ? own->probe_path : vip->cfg.probe_path;
	char path[SIOBPF_PROBE_PATH_MAX + 1];
	struct probe_settings s;

	/* The maps hold the whole buffer: it may lack its NUL. */
	memcpy(path, raw, SIOBPF_PROBE_PATH_MAX);
	path[SIOBPF_PROBE_PATH_MAX] = 0;
	if (path[0] && probe_path_check(path, -1, why, len))
		return -EINVAL;
	probe_settings_resolve(vip, own, &s);
	if (s.kind == SIOBPF_PROBE_NONE || s.kind == SIOBPF_PROBE_TCP)
		return 0;
	return probe_path_check(s.path, s.kind, why, len);
}

bool backend_draining(__u8 state, __u8 flags)
{
	__u8 both = SIOBPF_BACKEND_F_PROBE_DOWN | SIOBPF_BACKEND_F_DRAINED;

	return state == SIOBPF_BACKEND_DRAIN || (state == SIOBPF_BACKEND_DOWN && (flags & both) == both);
}

__u64 backend_drain_deadline(const struct siobpf_backend_config *c, const struct siobpf_backend *b)
{
	if (!c || !c->drain_deadline || c->generation != b->generation || !backend_draining(b->state, b->flags))
		return 0;
	return c->drain_deadline;
}

int backend_drain_deadline_put(struct dataplane *dp, __u32 id, __u32 generation, __u64 deadline)
{
	struct siobpf_backend_config c;
	int err = backend_config_get(dp, id, &c);

	if (err)
		return err;
	if (c.generation != generation) {
		if (!deadline)
			return 0; /* an earlier owner's entry: no deadline for this one */
		backend_config_init(&c, generation);
		c.in_use = 0; /* no probe override */
	} else if (c.drain_deadline == deadline) {
		return 0;
	}
	c.drain_deadline = deadline;
	return backend_config_put(dp, id, &c);
}

int backend_config_get(struct dataplane *dp, __u32 id, struct siobpf_backend_config *c)
{
	if (id >= SIOBPF_MAX_BACKENDS)
		return -ERANGE;
	if (bpf_map_lookup_elem(dp->be_cfg_fd, &id, c))
		return -errno;
	return 0;
}

int backend_config_put(struct dataplane *dp, __u32 id, const struct siobpf_backend_config *c)
{
	if (id >= SIOBPF_MAX_BACKENDS)
		return -ERANGE;
	if (sio_map_update(dp->be_cfg_fd, &id, c, BPF_ANY))
		return -errno;
	return 0;
}

int backend_config_read_all(struct dataplane *dp, struct siobpf_backend_config *all)
{
	__u32 *keys = malloc(SIOBPF_MAX_BACKENDS * sizeof(*keys));
	__u32 count = SIOBPF_MAX_BACKENDS, out_batch;
	int err = 0;

	if (!keys)
		return -ENOMEM;
	/* One syscall for the whole array; one per entry where batches are missing. */
	if (bpf_map_lookup_batch(dp->be_cfg_fd, NULL, &out_batch, keys, all, &count, NULL) &&
	    errno != ENOENT) {
		for (__u32 id = 0; id < SIOBPF_MAX_BACKENDS && !err; id++)
			err = backend_config_get(dp, id, &all[id]);
	} else if (count != SIOBPF_MAX_BACKENDS) {
		err = -EIO;
	}
	free(keys);
	return err;
}

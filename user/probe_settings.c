// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* A backend's own probe settings and the settings in force; see probe_settings.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <bpf/bpf.h>

#include "output.h"
#include "probe_settings.h"

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

static int range_parse(const char *text, long min, long max, long *out, char *why, size_t len)
{
	if (number_parse(text, min, max, out) == 0)
		return 0;
	snprintf(why, len, "must be a number from %ld to %ld, not '%s'", min, max, text);
	return -EINVAL;
}

int probe_method_parse(const char *text, __u8 *method, char *why, size_t len)
{
	int m = name_index(method_names, METHOD_NAMES, text);

	if (m < 0) {
		snprintf(why, len, "must be GET, HEAD or OPTIONS, not '%s'", text);
		return -EINVAL;
	}
	*method = (__u8)m;
	return 0;
}

int backend_probe_setting_parse(struct siobpf_backend_config *c, const char *name, const char *text,
				char *why, size_t len)
{
	long v;

	if (!strcmp(name, "probe")) {
		int kind = name_index(probe_names, PROBE_NAMES, text);

		if (kind < 0) {
			snprintf(why, len, "must be tcp, http, socketio or none, not '%s'", text);
			return -EINVAL;
		}
		c->probe = (__u8)kind;
		return 0;
	}
	if (!strcmp(name, "probe-method"))
		return probe_method_parse(text, &c->probe_method, why, len);
	if (!strcmp(name, "probe-path")) {
		if (text[0] != '/' || strlen(text) >= SIOBPF_PROBE_PATH_MAX || strpbrk(text, " \t\r\n")) {
			snprintf(why, len,
				 "must start with '/', hold no spaces and be shorter than %d bytes, not '%.40s'",
				 SIOBPF_PROBE_PATH_MAX, text);
			return -EINVAL;
		}
		memset(c->probe_path, 0, sizeof(c->probe_path));
		memcpy(c->probe_path, text, strlen(text));
		return 0;
	}
	if (!strcmp(name, "probe-port")) {
		if (range_parse(text, 1, 65535, &v, why, len))
			return -EINVAL;
		c->probe_port = (__u16)v;
	} else if (!strcmp(name, "probe-status")) {
		if (range_parse(text, 100, 599, &v, why, len))
			return -EINVAL;
		c->http_status = (__u16)v;
	} else if (!strcmp(name, "interval")) {
		if (range_parse(text, 50, 3600000, &v, why, len))
			return -EINVAL;
		c->interval_ms = (__u32)v;
	} else if (!strcmp(name, "timeout")) {
		if (range_parse(text, 10, 3600000, &v, why, len))
			return -EINVAL;
		c->timeout_ms = (__u32)v;
	} else if (!strcmp(name, "rise")) {
		if (range_parse(text, 1, 100, &v, why, len))
			return -EINVAL;
		c->rise = (__u8)v;
	} else if (!strcmp(name, "fall")) {
		if (range_parse(text, 1, 100, &v, why, len))
			return -EINVAL;
		c->fall = (__u8)v;
	} else {
		snprintf(why, len, "is not a backend probe setting");
		return -ENOENT;
	}
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
	out->timeout_ms = v->timeout_ms ? v->timeout_ms : 1000;
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
		if (own->interval_ms)
			out->interval_ms = own->interval_ms;
		if (own->timeout_ms)
			out->timeout_ms = own->timeout_ms;
		if (own->probe_path[0])
			path = own->probe_path;
	}
	/* A socketio probe asks Engine.IO's endpoint unless told where it is. */
	if (out->kind == SIOBPF_PROBE_SOCKETIO && (!path[0] || !strcmp(path, "/")))
		path = PROBE_SOCKETIO_PATH;
	snprintf(out->path, sizeof(out->path), "%.*s", (int)sizeof(out->path) - 1, path[0] ? path : "/");
}

int probe_settings_check(const struct probe_settings *s, char *why, size_t len)
{
	if (s->timeout_ms > s->interval_ms) {
		snprintf(why, len, "the probe timeout (%u ms) must not exceed the interval (%u ms)",
			 s->timeout_ms, s->interval_ms);
		return -EINVAL;
	}
	return 0;
}

void probe_settings_format(const struct probe_settings *s, char *buf, size_t len)
{
	const char *kind = name_of(probe_names, PROBE_NAMES, s->kind);

	if (s->kind == SIOBPF_PROBE_NONE) {
		snprintf(buf, len, "none");
		return;
	}
	if (s->kind == SIOBPF_PROBE_HTTP)
		snprintf(buf, len, "http %s %s port %u expect %u every %ums timeout %ums rise %u fall %u",
			 name_of(method_names, METHOD_NAMES, s->method), s->path, s->port, s->status,
			 s->interval_ms, s->timeout_ms, s->rise, s->fall);
	else if (s->kind == SIOBPF_PROBE_SOCKETIO)
		snprintf(buf, len, "socketio %s port %u every %ums timeout %ums rise %u fall %u", s->path,
			 s->port, s->interval_ms, s->timeout_ms, s->rise, s->fall);
	else
		snprintf(buf, len, "%s port %u every %ums timeout %ums rise %u fall %u", kind, s->port,
			 s->interval_ms, s->timeout_ms, s->rise, s->fall);
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
	if (bpf_map_update_elem(dp->be_cfg_fd, &id, c, BPF_ANY))
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

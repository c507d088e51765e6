// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Health probes on libcurl's multi interface; see probe.h. */
#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <curl/curl.h>

#include "addr.h"
#include "probe.h"

/* What a probe keeps of the response body: enough for a handshake. */
#define BODY_KEEP 256
/* Engine.IO session ids are 20 base64url characters; allow some room. */
#define SID_MAX 64

/* The least time a socketio probe's closing POST is given. */
#define CLOSE_TIMEOUT_MS 2000

#define URL_MAX (ADDR_TEXT_MAX + SIOBPF_PROBE_PATH_MAX + 128)

enum probe_role {
	ROLE_CHECK,         /* the probe whose verdict counts */
	ROLE_SOCKETIO_CLOSE, /* ends the session a socketio probe opened; no verdict */
};

struct probe {
	struct probe **handle; /* the owner's pointer to this probe, cleared when done */
	void *owner;
	enum probe_role role;
	CURL *easy;
	struct probe_settings s;
	char base[ADDR_TEXT_MAX + 16]; /* "http://10.0.0.1:80" */
	char url[URL_MAX];
	char body[BODY_KEEP + 1];
	size_t body_len;
	char errbuf[CURL_ERROR_SIZE];
	struct probe *prev, *next; /* every probe in flight */
};

struct probe_engine {
	CURLM *multi;
	probe_done_fn done;
	void *ctx;
	struct probe *head;
	unsigned int active;
};

int probe_engine_new(struct probe_engine **out, probe_done_fn done, void *ctx)
{
	struct probe_engine *pe = calloc(1, sizeof(*pe));

	if (!pe)
		return -ENOMEM;
	pe->multi = curl_multi_init();
	if (!pe->multi) {
		free(pe);
		return -ENOMEM;
	}
	/* Every probe opens its own connection and closes it: keep none. */
	curl_multi_setopt(pe->multi, CURLMOPT_MAXCONNECTS, 1L);
	pe->done = done;
	pe->ctx = ctx;
	*out = pe;
	return 0;
}

static void probe_free(struct probe_engine *pe, struct probe *p)
{
	if (p->prev)
		p->prev->next = p->next;
	else
		pe->head = p->next;
	if (p->next)
		p->next->prev = p->prev;
	pe->active--;
	if (p->handle)
		*p->handle = NULL;
	curl_multi_remove_handle(pe->multi, p->easy);
	curl_easy_cleanup(p->easy);
	free(p);
}

void probe_engine_free(struct probe_engine *pe)
{
	if (!pe)
		return;
	while (pe->head)
		probe_free(pe, pe->head);
	curl_multi_cleanup(pe->multi);
	free(pe);
}

void probe_cancel(struct probe_engine *pe, struct probe **handle)
{
	if (*handle)
		probe_free(pe, *handle);
}

static size_t keep_body(char *data, size_t size, size_t n, void *arg)
{
	struct probe *p = arg;
	size_t len = size * n, room = BODY_KEEP - p->body_len;

	if (room) {
		size_t take = len < room ? len : room;

		memcpy(p->body + p->body_len, data, take);
		p->body_len += take;
		p->body[p->body_len] = 0;
	}
	return len;
}

/* A new probe in flight (not yet added to the multi handle). */
static struct probe *probe_new(struct probe_engine *pe, const struct probe_settings *s)
{
	struct probe *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->easy = curl_easy_init();
	if (!p->easy) {
		free(p);
		return NULL;
	}
	p->s = *s;
	p->next = pe->head;
	if (pe->head)
		pe->head->prev = p;
	pe->head = p;
	pe->active++;

	curl_easy_setopt(p->easy, CURLOPT_PRIVATE, p);
	curl_easy_setopt(p->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(p->easy, CURLOPT_TIMEOUT_MS, (long)s->timeout_ms);
	curl_easy_setopt(p->easy, CURLOPT_CONNECTTIMEOUT_MS, (long)s->timeout_ms);
	/* A probe checks a new connection each time, and leaves none open. */
	curl_easy_setopt(p->easy, CURLOPT_FRESH_CONNECT, 1L);
	curl_easy_setopt(p->easy, CURLOPT_FORBID_REUSE, 1L);
	curl_easy_setopt(p->easy, CURLOPT_PROXY, "");
	curl_easy_setopt(p->easy, CURLOPT_USERAGENT, "siobpf-probe/" SIOBPF_VERSION);
	curl_easy_setopt(p->easy, CURLOPT_ERRORBUFFER, p->errbuf);
	curl_easy_setopt(p->easy, CURLOPT_WRITEFUNCTION, keep_body);
	curl_easy_setopt(p->easy, CURLOPT_WRITEDATA, p);
	return p;
}

static int probe_add(struct probe_engine *pe, struct probe *p)
{
	curl_easy_setopt(p->easy, CURLOPT_URL, p->url);
	if (curl_multi_add_handle(pe->multi, p->easy) != CURLM_OK) {
		p->handle = NULL;
		probe_free(pe, p);
		return -ENOMEM;
	}
	return 0;
}

int probe_start(struct probe_engine *pe, struct probe **handle, __u8 family, const __u32 addr[4],
		const struct probe_settings *s, void *owner)
{
	char host[ADDR_TEXT_MAX];
	struct probe *p;

	if (*handle)
		return -EBUSY;
	p = probe_new(pe, s);
	if (!p)
		return -ENOMEM;
	p->role = ROLE_CHECK;
	p->owner = owner;
	addr_format(family, addr, host, sizeof(host));
	snprintf(p->base, sizeof(p->base), family == SIOBPF_FAMILY_IPV6 ? "http://[%s]:%u" : "http://%s:%u",
		 host, s->port);
	switch (s->kind) {
	case SIOBPF_PROBE_HTTP:
		snprintf(p->url, sizeof(p->url), "%s%s", p->base, s->path);
		if (s->method == SIOBPF_METHOD_HEAD)
			curl_easy_setopt(p->easy, CURLOPT_NOBODY, 1L);
		else if (s->method == SIOBPF_METHOD_OPTIONS)
			curl_easy_setopt(p->easy, CURLOPT_CUSTOMREQUEST, "OPTIONS");
		break;
	case SIOBPF_PROBE_SOCKETIO:
		snprintf(p->url, sizeof(p->url), "%s%s?EIO=4&transport=polling", p->base, s->path);
		break;
	default: /* tcp: the connection is the whole check */
		snprintf(p->url, sizeof(p->url), "%s/", p->base);
		curl_easy_setopt(p->easy, CURLOPT_CONNECT_ONLY, 1L);
		break;
	}
	p->handle = handle;
	*handle = p;
	return probe_add(pe, p);
}

/* POSTs Engine.IO's close packet ("1") to the session the handshake opened,
 * so that probes leave no session behind on the server. */
static void socketio_close(struct probe_engine *pe, const struct probe *check, const char *sid)
{
	struct probe *p = probe_new(pe, &check->s);

	if (!p)
		return;
	p->role = ROLE_SOCKETIO_CLOSE;
	/* Nothing waits for it: give a slow server time rather than leave it a session. */
	if (check->s.timeout_ms < CLOSE_TIMEOUT_MS) {
		curl_easy_setopt(p->easy, CURLOPT_TIMEOUT_MS, (long)CLOSE_TIMEOUT_MS);
		curl_easy_setopt(p->easy, CURLOPT_CONNECTTIMEOUT_MS, (long)CLOSE_TIMEOUT_MS);
	}
	snprintf(p->url, sizeof(p->url), "%s%s?EIO=4&transport=polling&sid=%s", check->base,
		 check->s.path, sid);
	curl_easy_setopt(p->easy, CURLOPT_POSTFIELDS, "1");
	curl_easy_setopt(p->easy, CURLOPT_POSTFIELDSIZE, 1L);
	probe_add(pe, p);
}

bool probe_socketio_sid(const char *body, char *sid, size_t len)
{
	static const char handshake[] = "0{\"sid\":\"";
	const char *s = body + sizeof(handshake) - 1;
	size_t n = 0;

	if (strncmp(body, handshake, sizeof(handshake) - 1))
		return false;
	while (s[n] && s[n] != '"' && n + 1 < len) {
		if (!isalnum((unsigned char)s[n]) && s[n] != '-' && s[n] != '_')
			return false;
		n++;
	}
	if (s[n] != '"' || n == 0)
		return false;
	memcpy(sid, s, n);
	sid[n] = 0;
	return true;
}

void probe_body_excerpt(const char *body, size_t body_len, char *buf, size_t len)
{
	size_t n = 0;

	if (!len)
		return;
	for (size_t i = 0; i < body_len && n + 1 < len && n < 24; i++)
		buf[n++] = isprint((unsigned char)body[i]) ? body[i] : '.';
	buf[n] = 0;
}

void probe_failure_text(const char *curl_text, int os_errno, char *buf, size_t len)
{
	/* strerror's "Connection refused" reads as part of a sentence lowercased;
	 * libcurl's messages are kept as they are ("URL using bad/illegal ..."). */
	if (os_errno) {
		snprintf(buf, len, "%s", strerror(os_errno));
		buf[0] = (char)tolower((unsigned char)buf[0]);
	} else {
		snprintf(buf, len, "%s", curl_text);
	}
}

static void transport_failure(const struct probe *p, CURLcode code, char *reason, size_t len)
{
	long os_errno = 0;

	if (code == CURLE_OPERATION_TIMEDOUT) {
		snprintf(reason, len, "timeout after %u ms", p->s.timeout_ms);
		return;
	}
	curl_easy_getinfo(p->easy, CURLINFO_OS_ERRNO, &os_errno);
	probe_failure_text(curl_easy_strerror(code), (int)os_errno, reason, len);
}

/* The verdict of a finished check. */
static void judge(struct probe_engine *pe, struct probe *p, CURLcode code, struct probe_result *r)
{
	long status = 0;
	curl_off_t us = 0;
	char sid[SID_MAX], excerpt[32];

	curl_easy_getinfo(p->easy, CURLINFO_TOTAL_TIME_T, &us);
	r->seconds = (double)us / 1e6;
	r->ok = false;
	if (code != CURLE_OK) {
		transport_failure(p, code, r->reason, sizeof(r->reason));
		return;
	}
	curl_easy_getinfo(p->easy, CURLINFO_RESPONSE_CODE, &status);
	switch (p->s.kind) {
	case SIOBPF_PROBE_HTTP:
		if (status != p->s.status) {
			snprintf(r->reason, sizeof(r->reason), "status %ld, expected %u", status, p->s.status);
			return;
		}
		snprintf(r->reason, sizeof(r->reason), "status %ld", status);
		break;
	case SIOBPF_PROBE_SOCKETIO:
		if (status != 200) {
			snprintf(r->reason, sizeof(r->reason), "Engine.IO handshake got status %ld, expected 200",
				 status);
			return;
		}
		if (!probe_socketio_sid(p->body, sid, sizeof(sid))) {
			probe_body_excerpt(p->body, p->body_len, excerpt, sizeof(excerpt));
			snprintf(r->reason, sizeof(r->reason),
				 "not an Engine.IO handshake: body starts '%s', expected '0{\"sid\":'", excerpt);
			return;
		}
		socketio_close(pe, p, sid);
		snprintf(r->reason, sizeof(r->reason), "Engine.IO session opened and closed");
		break;
	default:
		snprintf(r->reason, sizeof(r->reason), "connected");
		break;
	}
	r->ok = true;
}

int probe_engine_run(struct probe_engine *pe, int timeout_ms, int extra_fd, bool *extra_ready)
{
	struct curl_waitfd extra = {.fd = extra_fd, .events = CURL_WAIT_POLLIN};
	int running = 0, queued;
	CURLMsg *msg;
	CURLMcode mc;

	*extra_ready = false;
	mc = curl_multi_poll(pe->multi, extra_fd >= 0 ? &extra : NULL, extra_fd >= 0 ? 1 : 0,
			     timeout_ms < 0 ? 0 : timeout_ms, NULL);
	if (mc != CURLM_OK)
		return mc == CURLM_OUT_OF_MEMORY ? -ENOMEM : -EIO;
	if (extra_fd >= 0 && (extra.revents & CURL_WAIT_POLLIN))
		*extra_ready = true;
	mc = curl_multi_perform(pe->multi, &running);
	if (mc != CURLM_OK)
		return mc == CURLM_OUT_OF_MEMORY ? -ENOMEM : -EIO;
	while ((msg = curl_multi_info_read(pe->multi, &queued))) {
		struct probe_result r = {0};
		struct probe *p;
		char *priv = NULL;
		void *owner;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
		if (!priv)
			continue;
		p = (struct probe *)priv;
		if (p->role == ROLE_SOCKETIO_CLOSE) {
			probe_free(pe, p);
			continue;
		}
		judge(pe, p, msg->data.result, &r);
		owner = p->owner;
		probe_free(pe, p); /* clears the owner's handle first */
		pe->done(pe->ctx, owner, &r);
	}
	return 0;
}

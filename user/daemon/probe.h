/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Health probes over libcurl's multi interface: tcp (connect only), http
 * (method, path, expected status) and socketio (an Engine.IO polling
 * handshake, then closing that session), many at once from one thread.
 * Functions return 0 or -errno. */
#ifndef SIOBPF_PROBE_H
#define SIOBPF_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "probe_settings.h"

struct probe_engine;
struct probe;

struct probe_result {
	bool ok;
	double seconds;   /* from the start of the probe to its verdict */
	char reason[160]; /* why it failed ("connection refused"), or what passed */
};

/* Called from probe_engine_run for every probe that finished, with the
 * engine's ctx and the probe's owner. */
typedef void (*probe_done_fn)(void *ctx, void *owner, const struct probe_result *result);

int probe_engine_new(struct probe_engine **pe, probe_done_fn done, void *ctx);
/* Cancels whatever is in flight (without callbacks) and frees. */
void probe_engine_free(struct probe_engine *pe);

/* Starts a probe of a backend; *handle is set while it runs and cleared
 * before done is called, so an owner can tell if it has one in flight. */
int probe_start(struct probe_engine *pe, struct probe **handle, __u8 family, const __u32 addr[4],
		const struct probe_settings *s, void *owner);
/* Drops a probe in flight without calling done; clears *handle. */
void probe_cancel(struct probe_engine *pe, struct probe **handle);

/* Waits at most timeout_ms for probe I/O or for extra_fd (-1: none) to be
 * readable, then advances every probe and reports those that finished.
 * *extra_ready tells whether extra_fd is readable. */
int probe_engine_run(struct probe_engine *pe, int timeout_ms, int extra_fd, bool *extra_ready);

/* The socketio probe's judgement of a handshake body (NUL-terminated): true
 * when it starts `0{"sid":"ID"` with ID of 1 to len - 1 URL-safe characters
 * (letters, digits, '-', '_'), copied to sid. */
bool probe_socketio_sid(const char *body, char *sid, size_t len);
/* The first 24 bytes of a body for a failure reason, each unprintable byte
 * as '.'; buf is always terminated (when len > 0). */
void probe_body_excerpt(const char *body, size_t body_len, char *buf, size_t len);

/* A transport failure as a probe reports it: the OS error (strerror,
 * first letter lowercased) when there is one, else libcurl's text as is. */
void probe_failure_text(const char *curl_text, int os_errno, char *buf, size_t len);

#endif /* SIOBPF_PROBE_H */

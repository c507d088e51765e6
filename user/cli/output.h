/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Names of modes and states as the CLI, JSON and docs spell them, indexed
 * by their enum values. */
#ifndef SIOBPF_OUTPUT_H
#define SIOBPF_OUTPUT_H

#define STICKY_NAMES 2
#define FORWARD_NAMES 1
#define PROBE_NAMES 4
#define STATE_NAMES 3

extern const char *const sticky_names[STICKY_NAMES];
extern const char *const forward_names[FORWARD_NAMES];
extern const char *const probe_names[PROBE_NAMES];
extern const char *const state_names[STATE_NAMES];

/* The index of text in names, or -1. */
int name_index(const char *const *names, int count, const char *text);
/* names[value], or "?" when out of range. */
const char *name_of(const char *const *names, int count, int value);

/* A size in bytes as "16 MiB", "512 KiB", "100 B": in the largest unit
 * that divides it, into buf. */
void bytes_format(unsigned long long bytes, char *buf, unsigned long len);

#endif /* SIOBPF_OUTPUT_H */

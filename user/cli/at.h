/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* --at TIME: a change applied at a wall-clock moment instead of at once, so
 * that several nodes given the same change and the same moment swap their
 * rings together, to within their clocks' skew (docs/scale-out.md). */
#ifndef SIOBPF_CLI_AT_H
#define SIOBPF_CLI_AT_H

#include <stddef.h>
#include <time.h>

/* How far ahead a moment may be, and how late a command may start. A
 * moment already past by more than the lateness is refused: the other
 * nodes have applied the change then, and this one would not match them. */
#define AT_MAX_AHEAD_SEC (24 * 3600)
#define AT_MAX_LATE_MS 500

/* Parses TIME: "@SECONDS[.FRACTION]" (Unix time, as date +@%s.%N prints it)
 * or "YYYY-MM-DDTHH:MM:SS[.FRACTION]Z" (UTC, RFC 3339). 0, or -EINVAL with
 * the reason in why. */
int at_parse(const char *text, struct timespec *when, char *why, size_t len);

/* Checks when against now (CLOCK_REALTIME): 0, or -ERANGE with the reason
 * in why (past by more than AT_MAX_LATE_MS, or more than AT_MAX_AHEAD_SEC
 * ahead). */
int at_check(const struct timespec *when, const struct timespec *now, char *why, size_t len);

/* Sleeps until when (CLOCK_REALTIME, absolute: a clock step is followed).
 * 0, or -errno. */
int at_wait(const struct timespec *when);

/* Formats t as "YYYY-MM-DDTHH:MM:SS.mmmZ". */
void at_format(const struct timespec *t, char *buf, size_t len);

/* t - since in ms. */
double at_ms_between(const struct timespec *since, const struct timespec *t);

struct cli_args;

/* A mutating command's --at, if given: checked against the clock, then
 * waited for, before the command takes the pin directory's lock (a wait
 * holds up no other command, nor the daemon). Says the moment and how late
 * the command starts after it. 0 at once without --at, after the wait with
 * it; -EINVAL or -ERANGE (said: nothing changes) for a bad TIME. */
int cli_at_wait(const struct cli_args *args);

#endif /* SIOBPF_CLI_AT_H */

// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* --at TIME; see at.h. */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "at.h"
#include "cli.h"

#define NS_PER_SEC 1000000000L

/* ".digits" at *p (up to nine of them count) as ns; advances *p. */
static int fraction_parse(const char **p, long *ns)
{
	long scale = NS_PER_SEC / 10;
	const char *s = *p;

	*ns = 0;
	if (*s != '.')
		return 0;
	s++;
	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	for (; isdigit((unsigned char)*s); s++) {
		*ns += (*s - '0') * scale;
		scale /= 10;
	}
	*p = s;
	return 0;
}

static int unix_parse(const char *text, struct timespec *when)
{
	const char *p = text;
	long long sec = 0;
	int digits = 0;

	for (; isdigit((unsigned char)*p) && digits < 12; p++, digits++)
		sec = sec * 10 + (*p - '0');
	if (!digits || isdigit((unsigned char)*p) || fraction_parse(&p, &when->tv_nsec) || *p)
		return -EINVAL;
	when->tv_sec = (time_t)sec;
	return 0;
}

static int rfc3339_parse(const char *text, struct timespec *when)
{
	struct tm tm;
	const char *p;
	time_t sec;

	memset(&tm, 0, sizeof(tm));
	p = strptime(text, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!p || fraction_parse(&p, &when->tv_nsec) || strcmp(p, "Z"))
		return -EINVAL;
	sec = timegm(&tm);
	if (sec == (time_t)-1)
		return -EINVAL;
	when->tv_sec = sec;
	return 0;
}

int at_parse(const char *text, struct timespec *when, char *why, size_t len)
{
	int err;

	memset(when, 0, sizeof(*when));
	if (!text || !*text)
		err = -EINVAL;
	else if (text[0] == '@')
		err = unix_parse(text + 1, when);
	else
		err = rfc3339_parse(text, when);
	if (err)
		snprintf(why, len,
			 "'%s' is not a time: give @SECONDS[.FRACTION] (Unix time) or "
			 "YYYY-MM-DDTHH:MM:SS[.FRACTION]Z (UTC)",
			 text ? text : "");
	return err;
}

double at_ms_between(const struct timespec *since, const struct timespec *t)
{
	return (double)(t->tv_sec - since->tv_sec) * 1e3 + (double)(t->tv_nsec - since->tv_nsec) / 1e6;
}

int at_check(const struct timespec *when, const struct timespec *now, char *why, size_t len)
{
	double ahead_ms = at_ms_between(now, when);

	if (ahead_ms < -AT_MAX_LATE_MS) {
		snprintf(why, len,
			 "is %.1f s in the past: a change for several nodes must be given a moment ahead "
			 "(at most %d ms late), or they would apply it at different times",
			 -ahead_ms / 1e3, AT_MAX_LATE_MS);
		return -ERANGE;
	}
	if (ahead_ms > AT_MAX_AHEAD_SEC * 1e3) {
		snprintf(why, len, "is %.0f s ahead: at most %d s (24 h) are allowed", ahead_ms / 1e3,
			 AT_MAX_AHEAD_SEC);
		return -ERANGE;
	}
	return 0;
}

int at_wait(const struct timespec *when)
{
	int err;

	/* An absolute sleep returns early only for a signal, which ends the
	 * command as it would any other; EINTR from a stopped-and-continued
	 * process is slept again. */
	while ((err = clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, when, NULL)) == EINTR)
		;
	return -err;
}

void at_format(const struct timespec *t, char *buf, size_t len)
{
	struct tm tm;
	char day[24];

	gmtime_r(&t->tv_sec, &tm);
	strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%03uZ", day, (unsigned)(t->tv_nsec / 1000000) % 1000);
}

int cli_at_wait(const struct cli_args *args)
{
	const char *text = cli_opt(args, "at");
	struct timespec when, now;
	char why[256], moment[40];
	int err;

	if (!text)
		return 0;
	if (at_parse(text, &when, why, sizeof(why))) {
		pr_err("--at %s; nothing was changed", why);
		return -EINVAL;
	}
	at_format(&when, moment, sizeof(moment));
	clock_gettime(CLOCK_REALTIME, &now);
	if (at_check(&when, &now, why, sizeof(why))) {
		pr_err("--at %s %s; nothing was changed", moment, why);
		return -ERANGE;
	}
	pr_info("waiting until %s (%.1f s)", moment, at_ms_between(&now, &when) / 1e3);
	err = at_wait(&when);
	if (err) {
		pr_err("waiting until %s failed: %s; nothing was changed", moment, strerror(-err));
		return err;
	}
	clock_gettime(CLOCK_REALTIME, &now);
	/* Said before the change's own lines: how late this node starts it. */
	printf("at %s: starting %.1f ms after it\n", moment, at_ms_between(&when, &now));
	fflush(stdout);
	return 0;
}

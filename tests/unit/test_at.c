// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* --at TIME (user/cli/at.c): both forms parsed to the nanosecond, UTC
 * converted without leap seconds (as Unix time counts), every malformed
 * form refused with the reason, and the moment's bounds (AT_MAX_LATE_MS
 * late, AT_MAX_AHEAD_SEC ahead) held at their edges and refused just past. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "at.h"

static void parses_to(const char *text, long long sec, long nsec)
{
	struct timespec when;
	char why[256] = "";

	if (at_parse(text, &when, why, sizeof(why))) {
		print_error("'%s' was refused (%s), expected %lld.%09ld\n", text, why, sec, nsec);
		fail();
	}
	if ((long long)when.tv_sec != sec || when.tv_nsec != nsec) {
		print_error("'%s' parsed to %lld.%09ld, expected %lld.%09ld\n", text,
			    (long long)when.tv_sec, when.tv_nsec, sec, nsec);
		fail();
	}
}

static void refused(const char *text)
{
	struct timespec when;
	char why[256] = "";

	if (at_parse(text, &when, why, sizeof(why)) != -EINVAL) {
		print_error("'%s' was accepted as %lld.%09ld, expected -EINVAL\n", text,
			    (long long)when.tv_sec, when.tv_nsec);
		fail();
	}
	/* The reason names the text and both forms, so the operator can fix it. */
	if (!strstr(why, "is not a time") || !strstr(why, "@SECONDS") || !strstr(why, "Z (UTC)")) {
		print_error("'%s': the reason '%s' does not say what a time looks like\n", text, why);
		fail();
	}
}

static void test_unix_form_whole_seconds(void **state)
{
	(void)state;
	parses_to("@0", 0, 0);
	parses_to("@1", 1, 0);
	parses_to("@1796177640", 1796177640LL, 0);
	parses_to("@999999999999", 999999999999LL, 0); /* twelve digits: the most taken */
}

static void test_unix_form_fractions_of_1_to_9_digits_more_ignored(void **state)
{
	(void)state;
	parses_to("@1796177640.5", 1796177640LL, 500000000);
	parses_to("@1796177640.05", 1796177640LL, 50000000);
	parses_to("@1796177640.123", 1796177640LL, 123000000);
	parses_to("@1796177640.000001", 1796177640LL, 1000);
	parses_to("@1796177640.12345678", 1796177640LL, 123456780);
	parses_to("@1796177640.123456789", 1796177640LL, 123456789);
	parses_to("@1796177640.1234567891", 1796177640LL, 123456789);
	parses_to("@1796177640.999999999999", 1796177640LL, 999999999);
	parses_to("@1.000000000", 1, 0);
}

static void test_utc_form_against_known_unix_times(void **state)
{
	(void)state;
	/* Values from `date -u -d ... +%s`: Unix time counts no leap seconds,
	 * so the 27 inserted up to 2017 are not in them. */
	parses_to("1970-01-01T00:00:00Z", 0, 0);
	parses_to("2000-01-01T00:00:00Z", 946684800LL, 0);
	parses_to("2017-01-01T00:00:00Z", 1483228800LL, 0);
	parses_to("2024-02-29T12:34:56Z", 1709210096LL, 0);
	parses_to("2026-12-02T02:14:00Z", 1796177640LL, 0);
	parses_to("2038-01-19T03:14:08Z", 2147483648LL, 0); /* past 32-bit time_t */
}

static void test_utc_form_fractions(void **state)
{
	(void)state;
	parses_to("2026-12-02T02:14:00.5Z", 1796177640LL, 500000000);
	parses_to("2026-12-02T02:14:00.123456789Z", 1796177640LL, 123456789);
	parses_to("2026-12-02T02:14:00.1234567899Z", 1796177640LL, 123456789);
	parses_to("2026-12-02T02:14:00.000000001Z", 1796177640LL, 1);
}

static void test_malformed_times_are_refused_with_the_reason(void **state)
{
	static const char *const bad[] = {
		"",                           /* empty */
		"@",                          /* no seconds */
		"@-1",                        /* negative */
		"@+1",                        /* a sign */
		"@1.",                        /* a point and no digits */
		"@.5",                        /* a fraction and no seconds */
		"@12abc",                     /* garbage after the seconds */
		"@1.5x",                      /* garbage after the fraction */
		"@1 ",                        /* a trailing space */
		"@1.2.3",                     /* two points */
		"@1234567890123",             /* thirteen digits */
		"1796177640",                 /* Unix time without @ */
		"2026-12-02T02:14:00",        /* UTC without Z */
		"2026-12-02T02:14:00+01:00",  /* a local offset */
		"2026-12-02T02:14:00-00:00",  /* an offset, even a zero one */
		"2026-12-02T02:14:00Zjunk",   /* garbage after Z */
		"2026-12-02T02:14:00Z ",      /* a space after Z */
		"2026-12-02T02:14:00.Z",      /* a point and no digits */
		"2026-12-02 02:14:00Z",       /* a space for T */
		"2026-13-01T00:00:00Z",       /* month 13 */
		"2026-00-01T00:00:00Z",       /* month 0 */
		"2026-12-32T00:00:00Z",       /* day 32 */
		"2026-12-02T24:00:00Z",       /* hour 24 */
		"2026-12-02T02:60:00Z",       /* minute 60 */
		"2026-12-02Z",                /* a date alone */
		"now",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		refused(bad[i]);
}

static void test_a_null_time_is_refused(void **state)
{
	struct timespec when;
	char why[256] = "";

	(void)state;
	assert_int_equal(at_parse(NULL, &when, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "is not a time"));
}

/* at_check of a moment MS after now (negative: before). */
static int check_ms(long long ms, char *why, size_t len)
{
	struct timespec now = {.tv_sec = 1796177640, .tv_nsec = 250000000}, when = now;
	long long ns = ms * 1000000LL + when.tv_nsec;

	when.tv_sec += ns / 1000000000LL;
	when.tv_nsec = ns % 1000000000LL;
	if (when.tv_nsec < 0) {
		when.tv_nsec += 1000000000LL;
		when.tv_sec -= 1;
	}
	return at_check(&when, &now, why, len);
}

static void test_late_bound_held_at_its_edge_refused_just_past(void **state)
{
	struct timespec now = {.tv_sec = 1796177640, .tv_nsec = 250000000}, when = now;
	char why[256] = "";

	(void)state;
	assert_int_equal(check_ms(0, why, sizeof(why)), 0);
	assert_int_equal(check_ms(-1, why, sizeof(why)), 0);
	assert_int_equal(check_ms(-AT_MAX_LATE_MS, why, sizeof(why)), 0);
	assert_int_equal(check_ms(-AT_MAX_LATE_MS - 1, why, sizeof(why)), -ERANGE);
	assert_non_null(strstr(why, "in the past"));
	assert_non_null(strstr(why, "at most 500 ms late"));
	/* One microsecond past the edge is past it. */
	when.tv_nsec -= AT_MAX_LATE_MS * 1000000L + 1000;
	assert_int_equal(at_check(&when, &now, why, sizeof(why)), -ERANGE);
	memset(why, 0, sizeof(why));
	assert_int_equal(check_ms(-2000, why, sizeof(why)), -ERANGE);
	assert_non_null(strstr(why, "is 2.0 s in the past"));
}

static void test_ahead_bound_held_at_its_edge_refused_just_past(void **state)
{
	char why[256] = "";

	(void)state;
	assert_int_equal(check_ms(1500, why, sizeof(why)), 0);
	assert_int_equal(check_ms(AT_MAX_AHEAD_SEC * 1000LL, why, sizeof(why)), 0);
	assert_int_equal(check_ms(AT_MAX_AHEAD_SEC * 1000LL + 1, why, sizeof(why)), -ERANGE);
	assert_non_null(strstr(why, "ahead: at most 86400 s (24 h)"));
	assert_int_equal(check_ms(25 * 3600 * 1000LL, why, sizeof(why)), -ERANGE);
	assert_non_null(strstr(why, "is 90000 s ahead"));
}

static void formats_as(long long sec, long nsec, const char *want)
{
	struct timespec t = {.tv_sec = (time_t)sec, .tv_nsec = nsec};
	char buf[40];

	at_format(&t, buf, sizeof(buf));
	assert_string_equal(buf, want);
}

static void test_format_is_utc_with_milliseconds_truncated(void **state)
{
	(void)state;
	formats_as(0, 0, "1970-01-01T00:00:00.000Z");
	formats_as(1709210096LL, 0, "2024-02-29T12:34:56.000Z");
	formats_as(1796177640LL, 123456789, "2026-12-02T02:14:00.123Z");
	formats_as(1796177640LL, 999999999, "2026-12-02T02:14:00.999Z");
	formats_as(2147483648LL, 1000000, "2038-01-19T03:14:08.001Z");
}

static void test_format_parses_back_to_the_millisecond(void **state)
{
	struct timespec t = {.tv_sec = 1796177640, .tv_nsec = 987654321}, back;
	char buf[40], why[256];

	(void)state;
	at_format(&t, buf, sizeof(buf));
	assert_int_equal(at_parse(buf, &back, why, sizeof(why)), 0);
	assert_int_equal(back.tv_sec, t.tv_sec);
	assert_int_equal(back.tv_nsec, 987000000);
}

static void test_ms_between(void **state)
{
	struct timespec a = {.tv_sec = 10, .tv_nsec = 900000000}, b = {.tv_sec = 12, .tv_nsec = 100000000};

	(void)state;
	assert_true(at_ms_between(&a, &b) > 1199.999 && at_ms_between(&a, &b) < 1200.001);
	assert_true(at_ms_between(&b, &a) < -1199.999 && at_ms_between(&b, &a) > -1200.001);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unix_form_whole_seconds),
		cmocka_unit_test(test_unix_form_fractions_of_1_to_9_digits_more_ignored),
		cmocka_unit_test(test_utc_form_against_known_unix_times),
		cmocka_unit_test(test_utc_form_fractions),
		cmocka_unit_test(test_malformed_times_are_refused_with_the_reason),
		cmocka_unit_test(test_a_null_time_is_refused),
		cmocka_unit_test(test_late_bound_held_at_its_edge_refused_just_past),
		cmocka_unit_test(test_ahead_bound_held_at_its_edge_refused_just_past),
		cmocka_unit_test(test_format_is_utc_with_milliseconds_truncated),
		cmocka_unit_test(test_format_parses_back_to_the_millisecond),
		cmocka_unit_test(test_ms_between),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

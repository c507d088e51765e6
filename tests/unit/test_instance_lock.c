// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* siobpf run's instance lock (user/daemon/signals.c): one holder at a time,
 * kept in a directory only root can write, and nothing it finds there (a
 * symlink, a hard link, a file of someone else's) is followed or truncated.
 * Root only: the ownership checks are what is tested. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "signals.h"

#define NAME "run_sys_fs_bpf_siobpf.lock"
#define KNOWN "the planted file's own content\n"

static char base[64], dir[128], path[256], other[256];

static int setup(void **state)
{
	(void)state;
	if (geteuid() != 0)
		return 0;
	snprintf(base, sizeof(base), "/tmp/siobpf-lock-test.XXXXXX");
	if (!mkdtemp(base))
		return -1;
	snprintf(dir, sizeof(dir), "%s/run", base);
	snprintf(path, sizeof(path), "%s/%s", dir, NAME);
	snprintf(other, sizeof(other), "%s/other", base);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	if (base[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
		if (system(cmd)) {
			/* left behind in /tmp; nothing to fail */
		}
		base[0] = 0;
	}
	return 0;
}

static void need_root(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip();
}

static void write_file(const char *p, const char *text)
{
	FILE *f = fopen(p, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static void read_file(const char *p, char *buf, size_t len)
{
	FILE *f = fopen(p, "r");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, len - 1, f);
	buf[n] = 0;
	fclose(f);
}

static void test_missing_directory_is_made_0700_and_the_file_0600_with_the_pid(void **state)
{
	char text[64], want[64];
	struct stat st;
	pid_t holder;
	int fd;

	need_root(state);
	assert_int_equal(instance_lock_at(dir, NAME, &fd, &holder), 0);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	read_file(path, text, sizeof(text));
	snprintf(want, sizeof(want), "%-11d\n", (int)getpid());
	assert_string_equal(text, want);
	close(fd);
}

static void test_a_second_lock_is_refused_with_the_holders_pid(void **state)
{
	pid_t holder = -1;
	int fd, fd2;

	need_root(state);
	assert_int_equal(instance_lock_at(dir, NAME, &fd, &holder), 0);
	assert_int_equal(instance_lock_at(dir, NAME, &fd2, &holder), -EBUSY);
	assert_int_equal(fd2, -1);
	assert_int_equal(holder, getpid());
	close(fd);
	/* released with its holder: the next one takes it */
	assert_int_equal(instance_lock_at(dir, NAME, &fd2, &holder), 0);
	close(fd2);
}

static void test_a_file_from_an_earlier_run_is_rewritten_in_place_not_truncated(void **state)
{
	char text[128];
	pid_t holder;
	int fd;

	need_root(state);
	write_file(path, "1          \nand a tail that stays\n");
	assert_int_equal(instance_lock_at(dir, NAME, &fd, &holder), 0);
	read_file(path, text, sizeof(text));
	assert_string_equal(text + 12, "and a tail that stays\n");
	assert_int_equal(atoi(text), getpid());
	close(fd);
}

static void test_a_symlink_as_the_lock_file_is_not_followed(void **state)
{
	char text[64];
	pid_t holder;
	int fd;

	need_root(state);
	write_file(other, KNOWN);
	unlink(path);
	assert_int_equal(symlink(other, path), 0);
	assert_int_equal(instance_lock_at(dir, NAME, &fd, &holder), -ELOOP);
	assert_int_equal(fd, -1);
	read_file(other, text, sizeof(text));
	assert_string_equal(text, KNOWN);
	unlink(path);
}

static void test_a_hard_link_or_a_fifo_as_the_lock_file_is_refused(void **state)
{
	char text[64];
	pid_t holder;
	int fd;

	need_root(state);
	write_file(other, KNOWN);
	unlink(path);
	assert_int_equal(link(other, path), 0);
	assert_int_equal(instance_lock_at(dir, NAME, &fd, &holder), -EPERM);
	read_file(other, text, sizeof(text));
	assert_string_equal(text, KNOWN);
	unlink(path);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(instance_lock_at(dir, NAME, &fd, &holder), -EPERM);
	unlink(path);
}

static void test_a_directory_that_is_a_symlink_is_refused(void **state)
{
	char real[160], aside[160], inside[256];
	pid_t holder;
	int fd;

	need_root(state);
	snprintf(real, sizeof(real), "%s/real", base);
	snprintf(aside, sizeof(aside), "%s/aside", base);
	assert_int_equal(mkdir(real, 0700), 0);
	assert_int_equal(rename(dir, aside), 0);
	assert_int_equal(symlink(real, dir), 0);
	assert_int_equal(instance_lock_at(dir, NAME, &fd, &holder), -ENOTDIR);
	snprintf(inside, sizeof(inside), "%s/%s", real, NAME);
	assert_int_equal(access(inside, F_OK), -1); /* nothing made through it */
	unlink(dir);
	assert_int_equal(rename(aside, dir), 0);
}

static void test_a_directory_others_own_or_may_write_is_refused(void **state)
{
	pid_t holder;
	int fd;

	need_root(state);
	assert_int_equal(chown(dir, 65534, 65534), 0);
	assert_int_equal(instance_lock_at(dir, NAME, &fd, &holder), -EPERM);
	assert_int_equal(chown(dir, 0, 0), 0);
	assert_int_equal(chmod(dir, 01777), 0);
	assert_int_equal(instance_lock_at(dir, NAME, &fd, &holder), -EPERM);
	assert_int_equal(chmod(dir, 0700), 0);
	assert_int_equal(instance_lock_at(dir, NAME, &fd, &holder), 0);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_missing_directory_is_made_0700_and_the_file_0600_with_the_pid),
		cmocka_unit_test(test_a_second_lock_is_refused_with_the_holders_pid),
		cmocka_unit_test(test_a_file_from_an_earlier_run_is_rewritten_in_place_not_truncated),
		cmocka_unit_test(test_a_symlink_as_the_lock_file_is_not_followed),
		cmocka_unit_test(test_a_hard_link_or_a_fifo_as_the_lock_file_is_refused),
		cmocka_unit_test(test_a_directory_that_is_a_symlink_is_refused),
		cmocka_unit_test(test_a_directory_others_own_or_may_write_is_refused),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

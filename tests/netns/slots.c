// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Every slot in use of a pinned sticky table, for the namespace tests
 * (test_transitions.sh): the table holds no keys, so a test that checks
 * what each of many flood clients was given reads the slots themselves.
 *
 *   slots PINNED_STICKY_TABLE
 *
 * The table is mapped read-only (it is a BPF_F_MMAPABLE array, as the
 * data path and siobpf see it). Prints, first, "now NS UNITS" (the
 * CLOCK_MONOTONIC_COARSE time in ns and in the table's time units, as
 * siobpf/table.h counts them), then one line per slot whose kind is not
 * empty, expired or not: "BUCKET SLOT KIND BACKEND GENERATION DEADLINE
 * REMAINING" (KIND 1 probation, 2 protected; GENERATION the backend
 * generation's low bits; DEADLINE and REMAINING in time units). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "siobpf/table.h"

int main(int argc, char **argv)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info);
	struct timespec ts;
	size_t size, page = (size_t)sysconf(_SC_PAGESIZE);
	const struct siobpf_bucket *t;
	__u64 now;
	__u32 now_u;
	int fd;

	if (argc != 2) {
		fprintf(stderr, "usage: slots PINNED_STICKY_TABLE\n");
		return 2;
	}
	fd = bpf_obj_get(argv[1]);
	memset(&info, 0, sizeof(info));
	if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len)) {
		fprintf(stderr, "slots: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	if (info.value_size != sizeof(struct siobpf_bucket)) {
		fprintf(stderr, "slots: %s is not a bucket table (values of %u bytes)\n", argv[1],
			info.value_size);
		return 1;
	}
	size = ((size_t)info.max_entries * sizeof(struct siobpf_bucket) + page - 1) / page * page;
	t = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	if (t == MAP_FAILED) {
		fprintf(stderr, "slots: mmap %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	now = (__u64)ts.tv_sec * 1000000000ull + (__u64)ts.tv_nsec;
	now_u = siobpf_time_units(now);
	printf("now %llu %u\n", (unsigned long long)now, now_u);
	for (__u32 b = 0; b < info.max_entries; b++)
		for (int i = 0; i < SIOBPF_BUCKET_SLOTS; i++) {
			__u64 s = __atomic_load_n(&t[b].slot[i], __ATOMIC_RELAXED);

			if (siobpf_slot_kind(s) == SIOBPF_SLOT_EMPTY)
				continue;
			printf("%u %d %u %u %u %u %u\n", b, i, siobpf_slot_kind(s), siobpf_slot_backend(s),
			       siobpf_slot_gen(s), siobpf_slot_deadline(s), siobpf_slot_remaining(s, now_u));
		}
	return 0;
}

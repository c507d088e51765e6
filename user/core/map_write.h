/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Every write siobpf makes to a map goes through these, so that a test can
 * stop a command between any two of its writes: with
 * SIOBPF_CRASH_AFTER_WRITES=N in the environment, the process kills itself
 * (SIGKILL, as `kill -9` would: no clean-up) just before its write N + 1.
 * tests/netns/test_faults.sh uses it; without the variable it costs one
 * branch per write. */
#ifndef SIOBPF_MAP_WRITE_H
#define SIOBPF_MAP_WRITE_H

#include <bpf/bpf.h>

/* Counts a write about to be made; dies when the count is reached. */
void map_write_point(void);

static inline int sio_map_update(int fd, const void *key, const void *value, __u64 flags)
{
	map_write_point();
	return bpf_map_update_elem(fd, key, value, flags);
}

static inline int sio_map_delete(int fd, const void *key)
{
	map_write_point();
	return bpf_map_delete_elem(fd, key);
}

static inline int sio_map_update_batch(int fd, const void *keys, const void *values, __u32 *count,
				       const struct bpf_map_batch_opts *opts)
{
	map_write_point();
	return bpf_map_update_batch(fd, keys, values, count, opts);
}

#endif /* SIOBPF_MAP_WRITE_H */

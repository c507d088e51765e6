/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* The pin directory: bpffs, the lock that serialises mutating commands, and
 * opening the pinned maps with errors an operator can act on. */
#ifndef SIOBPF_PINS_H
#define SIOBPF_PINS_H

#include "dataplane.h"

/* Makes sure dir can hold pins: mounts bpffs at /sys/fs/bpf when dir is
 * below it and nothing is mounted there, checks dir's parent is on bpffs,
 * and creates dir. Prints what went wrong. */
int pins_prepare(const char *dir);

/* Opens the pinned maps for a command. With `lock`, first takes an
 * exclusive flock on the directory (held until pins_release). Prints the
 * error and the next step (load first, run as root). */
int pins_open(struct dataplane *dp, bool lock, int *lock_fd);
/* pins_open with the lock, for reload: maps pinned by an older siobpf may
 * lack some this one uses, which the reload then adds. */
int pins_open_for_reload(struct dataplane *dp, int *lock_fd);
void pins_release(struct dataplane *dp, int lock_fd);

/* Exclusive flock on dir; -errno. */
int pins_lock(const char *dir, int *lock_fd);

#endif /* SIOBPF_PINS_H */

/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* siobpf run: instance lock, fd limit and signals (signals.c). */
#ifndef SIOBPF_SIGNALS_H
#define SIOBPF_SIGNALS_H

#include <sys/types.h>

#include "run.h"

/* Where siobpf run keeps its one-daemon-per-pin-directory locks. */
#define RUN_LOCK_DIR "/run/siobpf"

int instance_lock(struct run *r);
/* Locks the file NAME in DIR (made 0700 if missing) for this process's life:
 * 0, -EBUSY with *holder the pid that holds it (0: unknown), or -errno. A
 * DIR that is a symlink or not root's alone, and a NAME that is a symlink or
 * not root's regular file, are refused (-ELOOP, -ENOTDIR, -EPERM), said. */
int instance_lock_at(const char *dir, const char *name, int *lock_fd, pid_t *holder);
void raise_fd_limit(void);
int signals_setup(struct run *r);
void signals_read(struct run *r);

#endif /* SIOBPF_SIGNALS_H */

/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* siobpf run: instance lock, fd limit and signals (signals.c). */
#ifndef SIOBPF_SIGNALS_H
#define SIOBPF_SIGNALS_H

#include "run.h"

int instance_lock(struct run *r);
void raise_fd_limit(void);
int signals_setup(struct run *r);
void signals_read(struct run *r);

#endif /* SIOBPF_SIGNALS_H */

/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* siobpf run --announce IFACE: the addresses of ready VIPs on IFACE, for a
 * routing daemon to export (BGP); the others off it. */
#ifndef SIOBPF_ANNOUNCE_H
#define SIOBPF_ANNOUNCE_H

#include <stdbool.h>
#include <stddef.h>

struct run;
struct announce;

/* -ENODEV, with why, when there is no interface ifname. */
int announce_new(struct announce **out, const char *ifname, bool withdraw_on_exit, char *why, size_t len);
void announce_free(struct announce *an);
/* Every tick: adds the addresses of ready VIPs that IFACE lacks, removes those
 * siobpf added that are no longer wanted. Failures are logged and counted. */
void announce_reconcile(struct run *r);
/* At exit: the addresses stay (a restart is invisible to the routers) unless
 * --withdraw-on-exit. */
void announce_exit(struct run *r);

#endif /* SIOBPF_ANNOUNCE_H */

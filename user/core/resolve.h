/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Where a backend sits on the network: the egress interface and the two
 * MACs that DSR writes, from the kernel's routes and neighbours. Shared by
 * `backend add` and the configuration file. */
#ifndef SIOBPF_RESOLVE_H
#define SIOBPF_RESOLVE_H

#include <stddef.h>

#include "addr.h"

/* How long resolution waits for the neighbour table to learn a MAC. */
#define RESOLVE_TIMEOUT_MS 3000

/* Fills b->mac, b->src_mac and b->ifindex for the backend at addr. 0, or
 * -errno with why holding a sentence that names the backend and the next
 * step (no route, a gateway in the way, no ARP/ND answer). */
int backend_resolve(const struct addr *addr, struct siobpf_backend *b, char *why, size_t len);

#endif /* SIOBPF_RESOLVE_H */

/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* What `siobpf run --announce` and `siobpf announce` share: the mark on the
 * VIP addresses siobpf adds, and the withdraw state file through which the
 * CLI tells the daemon to keep them off. The file lives in SIOBPF_RUN_DIR,
 * not in the pin directory: bpffs holds no regular files. */
#ifndef SIOBPF_ANNOUNCE_STATE_H
#define SIOBPF_ANNOUNCE_STATE_H

#include <stdbool.h>
#include <stddef.h>

#include "netlink.h"
#include "siobpf/abi.h"

#define SIOBPF_RUN_DIR "/run/siobpf"

/* The IFA_PROTO mark of the addresses siobpf adds ('s'): an address without
 * it is an operator's, which siobpf never removes. */
#define ANNOUNCE_ADDR_PROTO 0x73

/* The state file of a pin directory: SIOBPF_RUN_DIR/announce<DIR, '/' as '_'>.state. */
int announce_state_path(const char *pin_dir, char *buf, size_t len);
/* Whether the VIP addresses are withdrawn; a missing file says they are not.
 * -EINVAL for a file that says neither. */
int announce_state_read(const char *pin_dir, bool *withdrawn);
/* Writes the state through a temporary file renamed over the old one, so
 * that the daemon reads the old state or the new, never a part. */
int announce_state_write(const char *pin_dir, bool withdrawn);

/* An exclusive flock on SIOBPF_RUN_DIR, held by `announce withdraw` while it
 * writes the state and removes the addresses, and by the daemon while it
 * reads the state and changes them: the daemon never puts back an address
 * that a withdrawal it has not read yet removed. *fd is -1 when there is no
 * directory to lock (no state written yet); release with close(). */
int announce_lock(int *fd);

/* Whether an interface address is a VIP's: the same family and address. */
bool announce_addr_is_vip(const struct nl_addr *a, const struct siobpf_vip_key *key);

/* The addresses siobpf added, on every interface of this network namespace,
 * in a list the caller frees. */
int announce_held(struct nl_addr **list, size_t *count);

#endif /* SIOBPF_ANNOUNCE_STATE_H */

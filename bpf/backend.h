/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* A backend's record by id, from the table swapped whole into sio_backends. */
#ifndef SIOBPF_BPF_BACKEND_H
#define SIOBPF_BPF_BACKEND_H

#include "maps.h"

/* Two array lookups, both inlined by the verifier: the current table, then
 * the record. NULL before user space installed a table. */
static __always_inline struct siobpf_backend *backend_lookup(const __u32 *id)
{
	__u32 zero = 0;
	void *table = bpf_map_lookup_elem(&sio_backends, &zero);

	return table ? bpf_map_lookup_elem(table, id) : NULL;
}

#endif /* SIOBPF_BPF_BACKEND_H */

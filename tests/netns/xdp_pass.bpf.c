// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* XDP_PASS on the far end of a veth: with it, veth delivers frames that
 * siobpf sends with XDP_TX or redirects in native mode (without it, or GRO,
 * they are dropped). Section xdp.frags is the same for a jumbo MTU, where
 * veth takes only programs that accept multi-buffer frames. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_pass(struct xdp_md *ctx)
{
	(void)ctx;
	return XDP_PASS;
}

SEC("xdp.frags")
int xdp_pass_frags(struct xdp_md *ctx)
{
	(void)ctx;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";

// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Where frames leave, under BPF_PROG_TEST_RUN: a backend on another
 * interface is redirected through sio_egress, and one whose interface is not
 * there is dropped and counted, never passed as a redirect; frames larger
 * than one buffer (xdp.frags) are forwarded whole, counted whole, and judged
 * by their whole length. Each test starts from a freshly loaded program. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/udp.h>

#include <cmocka.h>
#include <bpf/bpf.h>

#include "check.h"
#include "harness.h"

#define VIP_ID 2
#define BACKEND_ID 1
/* A frame of three 4 KB pages: BPF_PROG_TEST_RUN hands the program the
 * first part linear and the rest as fragments. */
#define JUMBO 9014

static struct siobpf_vip vip;

static void setup(void **state, __u8 proto, __u16 port)
{
	assert_int_equal(harness_reset(state), 0);
	vip_add(&(struct vip_spec){.addr = "10.0.0.100", .port = port, .proto = proto, .id = VIP_ID, .seed = 1},
		&vip);
	backend_add(&vip, BACKEND_ID, "10.0.1.1", 1);
	ring_rebuild(&vip);
}

static void backend_on(__u32 ifindex)
{
	struct siobpf_backend b;

	assert_int_equal(dataplane_backend_get(&test_dp, BACKEND_ID, &b), 0);
	b.ifindex = ifindex;
	assert_int_equal(dataplane_backend_put(&test_dp, BACKEND_ID, &b), 0);
}

static __u16 ip_sum(const void *hdr, size_t len)
{
	const __u8 *p = hdr;
	__u32 sum = 0;

	for (size_t i = 0; i < len; i += 2)
		sum += (__u32)p[i] << 8 | p[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((__u16)~sum);
}

/* An IPv4 UDP frame of len bytes from 172.16.0.1:1000 to the VIP, its
 * payload a counting pattern; ip_len overrides the IP total length (0: the
 * frame's). */
static void udp_frame(__u8 *f, size_t len, __u16 ip_len)
{
	/* The headers are built aligned and copied in: f + 14 is not 4-byte
	 * aligned for struct iphdr. */
	struct ethhdr eth = {0};
	struct iphdr ip = {0};
	struct udphdr udp = {0};

	memset(f, 0, len);
	memcpy(eth.h_dest, test_src_mac, 6);
	memcpy(eth.h_source, test_client_mac, 6);
	eth.h_proto = htons(ETH_P_IP);
	ip.version = 4;
	ip.ihl = 5;
	ip.ttl = 64;
	ip.protocol = IPPROTO_UDP;
	ip.tot_len = htons(ip_len ? ip_len : (__u16)(len - sizeof(eth)));
	ip.saddr = inet_addr("172.16.0.1");
	ip.daddr = inet_addr("10.0.0.100");
	ip.check = ip_sum(&ip, sizeof(ip));
	udp.source = htons(1000);
	udp.dest = htons(5353);
	udp.len = htons((__u16)(len - sizeof(eth) - sizeof(ip)));
	memcpy(f, &eth, sizeof(eth));
	memcpy(f + sizeof(eth), &ip, sizeof(ip));
	memcpy(f + sizeof(eth) + sizeof(ip), &udp, sizeof(udp));
	for (size_t i = sizeof(eth) + sizeof(ip) + sizeof(udp); i < len; i++)
		f[i] = (__u8)(i * 7);
}

static int run_frame(const __u8 *in, size_t len, __u8 *out, __u32 *out_len)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = in, .data_size_in = (__u32)len, .data_out = out,
		    .data_size_out = *out_len, .repeat = 1);

	assert_int_equal(bpf_prog_test_run_opts(test_dp.prog_fd, &opts), 0);
	*out_len = opts.data_size_out;
	return (int)opts.retval;
}

static __u64 backend_bytes(void)
{
	struct siobpf_traffic t;

	assert_int_equal(dataplane_traffic(&test_dp, true, BACKEND_ID, &t), 0);
	return t.bytes;
}

static void backend_on_another_interface_goes_through_sio_egress(void **state)
{
	struct pkt p;
	struct run_result res;
	__u32 ifindex = harness_egress_ifindex();

	setup(state, IPPROTO_TCP, 80);
	backend_on(ifindex);
	assert_true(dataplane_egress_present(&test_dp, ifindex));
	pkt_build(&p, &(struct pkt_spec){.src = "172.16.0.1", .dst = "10.0.0.100", .sport = 1, .dport = 80});
	assert_int_equal(run_prog(&test_dp, &p, &res), 0);
	assert_int_equal(res.action, XDP_REDIRECT);
	assert_int_equal(chosen_backend(&res), BACKEND_ID);
	assert_int_equal(reason_count(SIOBPF_R_REDIRECT), 1);
	assert_int_equal(reason_count(SIOBPF_R_DROP_NO_EGRESS), 0);
}

static void interface_missing_from_sio_egress_is_a_counted_drop(void **state)
{
	struct pkt p;
	struct run_result res;
	__u32 ifindex = harness_egress_ifindex();
	struct siobpf_traffic t;

	setup(state, IPPROTO_TCP, 80);
	backend_on(ifindex);
	/* As if the interface had gone: the kernel removes it from devmaps. */
	assert_int_equal(bpf_map_delete_elem(test_dp.egress_fd, &ifindex), 0);
	pkt_build(&p, &(struct pkt_spec){.src = "172.16.0.1", .dst = "10.0.0.100", .sport = 1, .dport = 80});
	assert_int_equal(run_prog(&test_dp, &p, &res), 0);
	assert_int_equal(res.action, XDP_DROP);
	assert_int_equal(reason_count(SIOBPF_R_DROP_NO_EGRESS), 1);
	assert_int_equal(reason_count(SIOBPF_R_REDIRECT), 0);
	assert_int_equal(dataplane_traffic(&test_dp, true, BACKEND_ID, &t), 0);
	assert_int_equal(t.packets, 0); /* not forwarded: counted by its reason only */
}

static void check_finds_and_repairs_a_missing_egress(void **state)
{
	__u32 ifindex = harness_egress_ifindex();
	struct check_result res;
	FILE *out = fopen("/dev/null", "w");

	assert_non_null(out);
	setup(state, IPPROTO_TCP, 80);
	backend_on(ifindex);
	assert_int_equal(check_run(&test_dp, false, out, &res), 0);
	assert_int_equal(res.found, 0);
	assert_int_equal(bpf_map_delete_elem(test_dp.egress_fd, &ifindex), 0);
	assert_int_equal(check_run(&test_dp, true, out, &res), 0);
	assert_int_equal(res.found, 1);
	assert_int_equal(res.repaired, 1);
	assert_true(dataplane_egress_present(&test_dp, ifindex));
	fclose(out);
}

static void egress_leaves_sio_egress_with_its_last_backend(void **state)
{
	__u32 ifindex = harness_egress_ifindex();
	struct siobpf_backend b;

	setup(state, IPPROTO_TCP, 80);
	backend_on(ifindex);
	assert_true(dataplane_egress_present(&test_dp, ifindex));
	assert_int_equal(dataplane_backend_get(&test_dp, BACKEND_ID, &b), 0);
	b.in_use = 0;
	assert_int_equal(dataplane_backend_put(&test_dp, BACKEND_ID, &b), 0);
	assert_false(dataplane_egress_present(&test_dp, ifindex));
}

static void jumbo_frame_is_forwarded_whole_and_counted_whole(void **state)
{
	__u8 *in = malloc(JUMBO), *out = malloc(JUMBO + 64), mac[6];
	__u32 out_len = JUMBO + 64;
	__u64 bytes0;

	assert_non_null(in);
	assert_non_null(out);
	setup(state, IPPROTO_UDP, 5353);
	bytes0 = backend_bytes();
	udp_frame(in, JUMBO, 0);
	assert_int_equal(run_frame(in, JUMBO, out, &out_len), XDP_TX);
	assert_int_equal(out_len, JUMBO);
	backend_mac(BACKEND_ID, mac);
	assert_memory_equal(out, mac, 6);
	assert_memory_equal(out + 6, test_src_mac, 6);
	/* Everything after the MACs, in every fragment, as it came. */
	assert_memory_equal(out + 12, in + 12, JUMBO - 12);
	assert_int_equal(backend_bytes() - bytes0, JUMBO);
	assert_int_equal(reason_count(SIOBPF_R_TX), 1);
	free(in);
	free(out);
}

static void ip_length_past_the_whole_frame_is_still_malformed(void **state)
{
	__u8 *in = malloc(JUMBO), *out = malloc(JUMBO + 64);
	__u32 out_len = JUMBO + 64;

	assert_non_null(in);
	assert_non_null(out);
	setup(state, IPPROTO_UDP, 5353);
	udp_frame(in, JUMBO, (__u16)(JUMBO - ETH_HLEN + 1));
	assert_int_equal(run_frame(in, JUMBO, out, &out_len), XDP_DROP);
	assert_int_equal(reason_count(SIOBPF_R_DROP_BAD_IPV4), 1);
	free(in);
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(backend_on_another_interface_goes_through_sio_egress),
		cmocka_unit_test(interface_missing_from_sio_egress_is_a_counted_drop),
		cmocka_unit_test(egress_leaves_sio_egress_with_its_last_backend),
		cmocka_unit_test(check_finds_and_repairs_a_missing_egress),
		cmocka_unit_test(jumbo_frame_is_forwarded_whole_and_counted_whole),
		cmocka_unit_test(ip_length_past_the_whole_frame_is_still_malformed),
	};

	return cmocka_run_group_tests_name("egress", tests, harness_setup, harness_teardown);
}

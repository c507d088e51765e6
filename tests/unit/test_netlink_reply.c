// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* user/core/netlink.c's reply handling on crafted buffers, no socket: what
 * a malformed or hostile reply makes of a request (no kernel, no root). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <limits.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/neighbour.h>
#include <cmocka.h>

#include "netlink.h"

#define SEQ 77
#define PORTID 4242

/* A reply buffer, aligned as the socket's is. */
static union {
	char bytes[512];
	struct nlmsghdr align;
} buf;

/* Appends a message of type with a payload of len bytes; returns its header. */
static struct nlmsghdr *put_msg(size_t *used, __u16 type, const void *payload, size_t len)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)(buf.bytes + *used);

	memset(nlh, 0, NLMSG_SPACE(len));
	nlh->nlmsg_len = (__u32)NLMSG_LENGTH(len);
	nlh->nlmsg_type = type;
	nlh->nlmsg_seq = SEQ;
	nlh->nlmsg_pid = PORTID;
	memcpy(NLMSG_DATA(nlh), payload, len);
	*used += NLMSG_SPACE(len);
	return nlh;
}

static size_t put_ack(size_t *used, int error)
{
	struct nlmsgerr err = {.error = error};

	put_msg(used, NLMSG_ERROR, &err, sizeof(err));
	return *used;
}

static void test_ack_with_int_min_error_is_eproto_not_negated(void **state)
{
	struct nl_reply_info info;
	size_t used = 0;

	(void)state;
	put_ack(&used, INT_MIN);
	assert_int_equal(nl_reply_parse(NL_REPLY_ROUTE, buf.bytes, used, SEQ, PORTID, &info), -EPROTO);
	used = 0;
	put_ack(&used, -4096);
	assert_int_equal(nl_reply_parse(NL_REPLY_LINK, buf.bytes, used, SEQ, PORTID, &info), -EPROTO);
	/* A real errno is the answer, in either sign as libmnl reads it. */
	used = 0;
	put_ack(&used, -ENODEV);
	assert_int_equal(nl_reply_parse(NL_REPLY_LINK, buf.bytes, used, SEQ, PORTID, &info), -ENODEV);
	used = 0;
	put_ack(&used, 0);
	assert_int_equal(nl_reply_parse(NL_REPLY_LINK, buf.bytes, used, SEQ, PORTID, &info), 0);
}

static void test_message_longer_than_the_buffer_is_ebadmsg(void **state)
{
	static const __u32 lengths[] = {0x80000000u, 0xffffffffu, 200, 8};
	struct nl_reply_info info;
	struct rtmsg rtm = {.rtm_type = RTN_UNICAST};

	(void)state;
	for (size_t i = 0; i < sizeof(lengths) / sizeof(lengths[0]); i++) {
		size_t used = 0;
		struct nlmsghdr *nlh = put_msg(&used, RTM_NEWLINK, &rtm, sizeof(rtm));

		put_ack(&used, 0);
		nlh->nlmsg_len = lengths[i]; /* 2^31 and more pass libmnl's signed check */
		if (nl_reply_parse(NL_REPLY_ROUTE, buf.bytes, used, SEQ, PORTID, &info) != -EBADMSG)
			fail_msg("nlmsg_len %#x: expected -EBADMSG", lengths[i]);
		assert_false(info.found);
	}
}

static void test_route_reply_and_ack_give_the_route(void **state)
{
	struct {
		struct rtmsg rtm;
		struct nlattr oif_hdr;
		__u32 oif;
	} route = {
		.rtm = {.rtm_family = 2, .rtm_type = RTN_UNICAST},
		.oif_hdr = {.nla_len = NLA_HDRLEN + 4, .nla_type = RTA_OIF},
		.oif = 7,
	};
	struct nl_reply_info info;
	size_t used = 0;

	(void)state;
	put_msg(&used, RTM_NEWROUTE, &route, sizeof(route));
	put_ack(&used, 0);
	assert_int_equal(nl_reply_parse(NL_REPLY_ROUTE, buf.bytes, used, SEQ, PORTID, &info), 0);
	assert_true(info.found);
	assert_int_equal(info.type, RTN_UNICAST);
	assert_int_equal(info.ifindex, 7);
	assert_false(info.has_gateway);
	/* Without the ack, more is to be read. */
	used = 0;
	put_msg(&used, RTM_NEWROUTE, &route, sizeof(route));
	assert_int_equal(nl_reply_parse(NL_REPLY_ROUTE, buf.bytes, used, SEQ, PORTID, &info), 1);
	/* Another request's sequence number is refused. */
	used = 0;
	put_ack(&used, 0);
	assert_int_equal(nl_reply_parse(NL_REPLY_ROUTE, buf.bytes, used, SEQ + 1, PORTID, &info),
			 -EPROTO);
}

static void test_reply_longer_than_int_max_is_emsgsize(void **state)
{
	struct nl_reply_info info;
	size_t used = 0;

	(void)state;
	put_ack(&used, 0);
	assert_int_equal(nl_reply_parse(NL_REPLY_NEIGH, buf.bytes, (size_t)INT_MAX + 1, SEQ, PORTID,
					&info), -EMSGSIZE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ack_with_int_min_error_is_eproto_not_negated),
		cmocka_unit_test(test_message_longer_than_the_buffer_is_ebadmsg),
		cmocka_unit_test(test_route_reply_and_ack_give_the_route),
		cmocka_unit_test(test_reply_longer_than_int_max_is_emsgsize),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

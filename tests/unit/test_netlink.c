// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* user/core/netlink.c against a veth pair in private network namespaces (needs root):
 * routes, neighbours, links and addresses. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "siobpf/abi.h"
#include "netlink.h"

/*
 * The test process gets a namespace of its own (ns A) holding `a`; a child
 * holds a second one (ns B) holding the peer `b`. b must not share a's
 * namespace: its addresses would then be local, routes to them RTN_LOCAL, and
 * ARP from a's address martian on b.
 */
static const __u8 mac_a[6] = { 0x02, 0xaa, 0x00, 0x00, 0x00, 0x01 };
static const __u8 mac_b[6] = { 0x02, 0xbb, 0x00, 0x00, 0x00, 0x02 };
static pid_t peer_pid = -1;
static int peer_hold = -1; /* ns B lives until this pipe end is closed */
static int ifindex_a;

static int run(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	rc = system(cmd);
	if (rc != 0)
		fprintf(stderr, "command failed (%d): %s\n", rc, cmd);
	return rc;
}

/* Runs a shell command inside ns B. */
static int run_peer(const char *cmd)
{
	return run("nsenter -t %d -n sh -ec '%s'", (int)peer_pid, cmd);
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Runs cmd every 20 ms until it succeeds: 0, or -ETIMEDOUT after timeout_ms. */
static int wait_until(const char *cmd, int timeout_ms)
{
	long long deadline = now_ms() + timeout_ms;
	const struct timespec pause = { 0, 20 * 1000000 };

	while (system(cmd) != 0) {
		if (now_ms() >= deadline)
			return -ETIMEDOUT;
		nanosleep(&pause, NULL);
	}
	return 0;
}

/* wait_until inside ns B. */
static int wait_until_peer(const char *cmd, int timeout_ms)
{
	char full[1024];

	snprintf(full, sizeof(full), "nsenter -t %d -n sh -ec '%s'", (int)peer_pid, cmd);
	return wait_until(full, timeout_ms);
}

static int write_file(const char *path, const char *value)
{
	FILE *f = fopen(path, "w");
	int err = 0;

	if (!f)
		return -errno;
	if (fputs(value, f) < 0)
		err = -EIO;
	if (fclose(f))
		err = -errno;
	return err;
}

static int peer_start(void)
{
	int ready[2], hold[2];
	char c = 0;

	/* CLOEXEC: the shells system() starts must not keep ns B alive. */
	if (pipe2(ready, O_CLOEXEC) || pipe2(hold, O_CLOEXEC))
		return -errno;
	peer_pid = fork();
	if (peer_pid < 0)
		return -errno;
	if (peer_pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(ready[0]);
		close(hold[1]);
		c = unshare(CLONE_NEWNET) ? 'E' : 'R';
		if (write(ready[1], &c, 1) != 1)
			_exit(1);
		while (read(hold[0], &c, 1) > 0)
			;
		_exit(0);
	}
	close(ready[1]);
	close(hold[0]);
	peer_hold = hold[1];
	if (read(ready[0], &c, 1) != 1 || c != 'R') {
		close(ready[0]);
		return -EPERM;
	}
	close(ready[0]);
	return 0;
}

static int group_setup(void **state)
{
	(void)state;
	if (unshare(CLONE_NEWNET)) {
		fprintf(stderr, "unshare(CLONE_NEWNET) failed: %s (run as root?)\n",
			strerror(errno));
		return -1;
	}
	if (peer_start()) {
		fprintf(stderr, "could not start the peer namespace\n");
		return -1;
	}
	/* No DAD anywhere: a tentative link-local address blocks neighbour solicitations. */
	if (write_file("/proc/sys/net/ipv6/conf/default/accept_dad", "0") ||
	    run_peer("echo 0 > /proc/sys/net/ipv6/conf/default/accept_dad"))
		return -1;
	if (run("ip link set dev lo up") ||
	    run("ip link add name a address 02:aa:00:00:00:01 type veth peer name b netns %d",
		(int)peer_pid) ||
	    run("ip addr add 192.0.2.1/24 dev a") ||
	    run("ip addr add fd00::1/64 dev a nodad") ||
	    run("ip link set dev a up") ||
	    run_peer("ip link set dev lo up; "
		     "ip link set dev b address 02:bb:00:00:00:02; "
		     "ip addr add 192.0.2.2/24 dev b; "
		     "ip addr add fd00::2/64 dev b nodad; "
		     "ip link set dev b up") ||
	    run("ip route add 198.51.100.0/24 via 192.0.2.2") ||
	    run("ip -6 route add 2001:db8:100::/64 via fd00::2"))
		return -1;
	/*
	 * `ip link set up` returns before the kernel finishes: IPv6 configures a
	 * link (link-local address, multicast route) only when linkwatch reports
	 * the carrier, up to a second later. Until then b drops every
	 * solicitation (no route to ff02::1:ff00:2) and a sends none (no
	 * link-local source), so resolving at once would fail now and then.
	 */
	if (wait_until("ip -6 addr show dev a scope link | grep fe80 | grep -qv tentative", 5000) ||
	    wait_until_peer("ip -6 addr show dev b scope link | grep fe80 | grep -qv tentative", 5000)) {
		fprintf(stderr, "a or b never got a usable IPv6 link-local address\n");
		return -1;
	}
	ifindex_a = (int)if_nametoindex("a");
	if (ifindex_a <= 0) {
		fprintf(stderr, "no interface a\n");
		return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	/* Closing the pipe ends the child, its namespace and the veth pair with it. */
	if (peer_hold >= 0)
		close(peer_hold);
	if (peer_pid > 0)
		waitpid(peer_pid, NULL, 0);
	return 0;
}

static void addr_of(int family, const char *s, __u32 addr[4])
{
	memset(addr, 0, 16);
	assert_int_equal(inet_pton(family == 4 ? AF_INET : AF_INET6, s, addr), 1);
}

static void route_of(int family, const char *s, struct nl_route_info *r)
{
	__u32 addr[4];

	addr_of(family, s, addr);
	memset(r, 0x55, sizeof(*r));
	assert_int_equal(nl_route_get(family, addr, r), 0);
}

static void test_route_to_connected_neighbour_is_direct_on_a(void **state)
{
	struct nl_route_info r;

	(void)state;
	route_of(4, "192.0.2.2", &r);
	assert_int_equal(r.ifindex, ifindex_a);
	assert_false(r.has_gateway);
	assert_false(r.is_local);

	route_of(6, "fd00::2", &r);
	assert_int_equal(r.ifindex, ifindex_a);
	assert_false(r.has_gateway);
	assert_false(r.is_local);
}

static void test_route_through_gateway_has_gateway(void **state)
{
	struct nl_route_info r;

	(void)state;
	route_of(4, "198.51.100.7", &r);
	assert_int_equal(r.ifindex, ifindex_a);
	assert_true(r.has_gateway);
	assert_false(r.is_local);

	route_of(6, "2001:db8:100::7", &r);
	assert_int_equal(r.ifindex, ifindex_a);
	assert_true(r.has_gateway);
	assert_false(r.is_local);
}

static void test_route_to_own_address_is_local(void **state)
{
	struct nl_route_info r;

	(void)state;
	route_of(4, "192.0.2.1", &r);
	assert_true(r.is_local);
	assert_false(r.has_gateway);

	route_of(6, "fd00::1", &r);
	assert_true(r.is_local);
	assert_false(r.has_gateway);
}

static void test_route_without_route_is_unreachable(void **state)
{
	struct nl_route_info r;
	__u32 addr[4];
	int err;

	(void)state;
	addr_of(4, "203.0.113.1", addr);
	err = nl_route_get(4, addr, &r);
	assert_true(err == -ENETUNREACH || err == -EHOSTUNREACH);

	addr_of(6, "2001:db8:ffff::1", addr);
	err = nl_route_get(6, addr, &r);
	assert_true(err == -ENETUNREACH || err == -EHOSTUNREACH);
}

static void test_bad_arguments_are_rejected(void **state)
{
	struct nl_route_info r;
	__u32 addr[4];
	__u8 mac[6];

	(void)state;
	addr_of(4, "192.0.2.2", addr);
	assert_int_equal(nl_route_get(5, addr, &r), -EAFNOSUPPORT);
	assert_int_equal(nl_neigh_get(0, addr, ifindex_a, mac), -EAFNOSUPPORT);
	assert_int_equal(nl_neigh_get(4, addr, 0, mac), -EINVAL);
	assert_int_equal(nl_neigh_resolve(4, addr, ifindex_a, -1, mac), -EINVAL);
	assert_int_equal(nl_link_mac(0, mac), -EINVAL);
}

static void test_link_mac_is_the_address_set_on_a(void **state)
{
	__u8 mac[6];

	(void)state;
	assert_int_equal(nl_link_mac(ifindex_a, mac), 0);
	assert_memory_equal(mac, mac_a, 6);
}

static void test_link_mac_of_missing_interface_is_enodev(void **state)
{
	__u8 mac[6];

	(void)state;
	assert_int_equal(nl_link_mac(0x7ffffff0, mac), -ENODEV);
}

static void test_neigh_get_without_entry_is_enoent(void **state)
{
	__u32 addr[4];
	__u8 mac[6];

	(void)state;
	addr_of(4, "192.0.2.77", addr);
	assert_int_equal(nl_neigh_get(4, addr, ifindex_a, mac), -ENOENT);
	addr_of(6, "fd00::77", addr);
	assert_int_equal(nl_neigh_get(6, addr, ifindex_a, mac), -ENOENT);
}

static void resolve_gives_b(int family, const char *s)
{
	__u8 mac[6] = { 0 }, again[6] = { 0 };
	__u32 addr[4];
	long long t0;

	addr_of(family, s, addr);
	t0 = now_ms();
	assert_int_equal(nl_neigh_resolve(family, addr, ifindex_a, 2000, mac), 0);
	assert_true(now_ms() - t0 <= 2000);
	assert_memory_equal(mac, mac_b, 6);
	/* The kernel's table now holds it: a plain lookup finds the same MAC. */
	assert_int_equal(nl_neigh_get(family, addr, ifindex_a, again), 0);
	assert_memory_equal(again, mac_b, 6);
}

static void test_neigh_resolve_ipv4_gives_b_mac(void **state)
{
	(void)state;
	resolve_gives_b(4, "192.0.2.2");
}

static void test_neigh_resolve_ipv6_gives_b_mac(void **state)
{
	(void)state;
	resolve_gives_b(6, "fd00::2");
}

static void test_neigh_resolve_of_usable_entry_is_immediate(void **state)
{
	__u32 addr[4];
	__u8 mac[6];
	long long t0;

	(void)state;
	addr_of(4, "192.0.2.2", addr);
	assert_int_equal(nl_neigh_resolve(4, addr, ifindex_a, 2000, mac), 0);
	t0 = now_ms();
	assert_int_equal(nl_neigh_resolve(4, addr, ifindex_a, 0, mac), 0);
	assert_true(now_ms() - t0 < 100);
	assert_memory_equal(mac, mac_b, 6);
}

static void test_neigh_resolve_of_absent_host_times_out(void **state)
{
	__u32 addr[4];
	__u8 mac[6];
	long long t0, took;
	int err;

	(void)state;
	addr_of(4, "192.0.2.99", addr);
	t0 = now_ms();
	err = nl_neigh_resolve(4, addr, ifindex_a, 1500, mac);
	took = now_ms() - t0;
	assert_true(err == -ETIMEDOUT || err == -EHOSTUNREACH);
	assert_true(took <= 1500 + 250);
	/* Three ARP probes a second apart: the kernel is still at it. */
	assert_int_equal(nl_neigh_get(4, addr, ifindex_a, mac), -EAGAIN);
}

static void test_neigh_resolve_failed_then_retried_once_host_appears(void **state)
{
	__u32 addr[4];
	__u8 mac[6];

	(void)state;
	/* One solicitation 100 ms long: the kernel gives up well inside the timeout. */
	assert_int_equal(write_file("/proc/sys/net/ipv6/neigh/a/mcast_solicit", "1"), 0);
	assert_int_equal(write_file("/proc/sys/net/ipv6/neigh/a/retrans_time_ms", "100"), 0);
	addr_of(6, "fd00::99", addr);
	assert_int_equal(nl_neigh_resolve(6, addr, ifindex_a, 2000, mac), -EHOSTUNREACH);
	assert_int_equal(nl_neigh_get(6, addr, ifindex_a, mac), -EHOSTUNREACH);

	/* A FAILED entry is retried, not taken as the answer. */
	assert_int_equal(run_peer("ip addr add fd00::99/64 dev b nodad"), 0);
	/* b joins the address's solicited-node group a moment after adding it. */
	assert_int_equal(wait_until_peer("ip maddr show dev b | grep -q ff02::1:ff00:99", 2000), 0);
	assert_int_equal(nl_neigh_resolve(6, addr, ifindex_a, 2000, mac), 0);
	assert_memory_equal(mac, mac_b, 6);
}

/* Addresses: lo of ns A, as `siobpf run --announce lo` uses it. */

/* The entry of lo's list for addr, or NULL; *list is freed by the caller. */
static const struct nl_addr *addr_find(struct nl_addr **list, int family, const char *text)
{
	int lo = (int)if_nametoindex("lo");
	__u32 addr[4];
	size_t n = 0;

	addr_of(family, text, addr);
	assert_int_equal(nl_addr_list(lo, list, &n), 0);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal((*list)[i].ifindex, lo);
		if ((*list)[i].family == family && !memcmp((*list)[i].addr, addr, family == 4 ? 4 : 16))
			return &(*list)[i];
	}
	return NULL;
}

static void test_addr_add_ipv4_is_a_marked_32_and_del_removes_it(void **state)
{
	int lo = (int)if_nametoindex("lo");
	struct nl_addr *list = NULL, copy;
	const struct nl_addr *a;
	__u32 addr[4];

	(void)state;
	addr_of(4, "203.0.113.7", addr);
	assert_int_equal(nl_addr_add(lo, 4, addr, 0x73), 0);
	assert_int_equal(nl_addr_add(lo, 4, addr, 0x73), -EEXIST);
	a = addr_find(&list, 4, "203.0.113.7");
	assert_non_null(a);
	assert_int_equal(a->prefixlen, 32);
	assert_int_equal(a->proto, 0x73);
	copy = *a;
	free(list);
	/* Universe scope: a routing daemon's direct protocol skips host-scope addresses. */
	assert_int_equal(run("ip -4 addr show dev lo | grep -q 'inet 203.0.113.7/32 scope global lo'"), 0);
	assert_int_equal(nl_addr_del(lo, &copy), 0);
	assert_int_equal(nl_addr_del(lo, &copy), -EADDRNOTAVAIL);
	list = NULL;
	assert_null(addr_find(&list, 4, "203.0.113.7"));
	free(list);
}

static void test_addr_add_ipv6_is_a_marked_128_usable_at_once(void **state)
{
	int lo = (int)if_nametoindex("lo");
	struct nl_addr *list = NULL, copy;
	const struct nl_addr *a;
	__u32 addr[4];

	(void)state;
	addr_of(6, "2001:db8:7::7", addr);
	assert_int_equal(nl_addr_add(lo, 6, addr, 0x73), 0);
	a = addr_find(&list, 6, "2001:db8:7::7");
	assert_non_null(a);
	assert_int_equal(a->prefixlen, 128);
	assert_int_equal(a->proto, 0x73);
	copy = *a;
	free(list);
	/* nodad: on an interface other than lo, DAD would keep it tentative for a second. */
	assert_int_equal(run("ip -6 addr show dev lo | grep 'inet6 2001:db8:7::7/128 scope global' | grep -q nodad"), 0);
	assert_int_equal(nl_addr_del(lo, &copy), 0);
}

static void test_addr_list_gives_an_operators_address_without_mark(void **state)
{
	struct nl_addr *list = NULL;
	const struct nl_addr *a;
	size_t n = 0;

	(void)state;
	assert_int_equal(run("ip addr add 203.0.113.8/24 dev lo"), 0);
	a = addr_find(&list, 4, "203.0.113.8");
	assert_non_null(a);
	assert_int_equal(a->prefixlen, 24);
	assert_int_equal(a->proto, 0);
	free(list);
	/* Every interface: a's own address is there too. */
	assert_int_equal(nl_addr_list(0, &list, &n), 0);
	assert_true(n >= 3);
	free(list);
	assert_int_equal(run("ip addr del 203.0.113.8/24 dev lo"), 0);
}

static void test_addr_bad_arguments_are_rejected(void **state)
{
	__u32 addr[4] = { 0 };
	struct nl_addr *list;
	size_t n;

	(void)state;
	assert_int_equal(nl_addr_add(0, 4, addr, 0x73), -EINVAL);
	assert_int_equal(nl_addr_add(1, 5, addr, 0x73), -EAFNOSUPPORT);
	assert_int_equal(nl_addr_del(1, NULL), -EINVAL);
	assert_int_equal(nl_addr_list(-1, &list, &n), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_route_to_connected_neighbour_is_direct_on_a),
		cmocka_unit_test(test_route_through_gateway_has_gateway),
		cmocka_unit_test(test_route_to_own_address_is_local),
		cmocka_unit_test(test_route_without_route_is_unreachable),
		cmocka_unit_test(test_bad_arguments_are_rejected),
		cmocka_unit_test(test_link_mac_is_the_address_set_on_a),
		cmocka_unit_test(test_link_mac_of_missing_interface_is_enodev),
		cmocka_unit_test(test_neigh_get_without_entry_is_enoent),
		cmocka_unit_test(test_neigh_resolve_ipv4_gives_b_mac),
		cmocka_unit_test(test_neigh_resolve_ipv6_gives_b_mac),
		cmocka_unit_test(test_neigh_resolve_of_usable_entry_is_immediate),
		cmocka_unit_test(test_neigh_resolve_of_absent_host_times_out),
		cmocka_unit_test(test_neigh_resolve_failed_then_retried_once_host_appears),
		cmocka_unit_test(test_addr_add_ipv4_is_a_marked_32_and_del_removes_it),
		cmocka_unit_test(test_addr_add_ipv6_is_a_marked_128_usable_at_once),
		cmocka_unit_test(test_addr_list_gives_an_operators_address_without_mark),
		cmocka_unit_test(test_addr_bad_arguments_are_rejected),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Addresses, VIPs and MACs: parsing the CLI's text and formatting it back. */
#ifndef SIOBPF_ADDR_H
#define SIOBPF_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "siobpf/abi.h"

/* Longest text of a VIP: "[" IPv6 "]:65535/tcp". */
#define ADDR_TEXT_MAX 64

struct addr {
	__u8 family;   /* SIOBPF_FAMILY_IPV4 / _IPV6 */
	__u32 a[4];    /* network order, IPv4 in a[0] */
};

/* Each parser returns 0, or -EINVAL with *why set to what is wrong. */

/* "192.0.2.1", "2001:db8::1" or "[2001:db8::1]". */
int addr_parse(const char *text, struct addr *out, const char **why);
/* "ADDR:PORT[/tcp|/udp]", IPv6 in brackets; the port must be 1..65535. */
int vip_parse(const char *text, struct siobpf_vip_key *key, const char **why);
/* "ADDR[:PORT]" (IPv6 with a port in brackets); *port is 0 when absent. */
int endpoint_parse(const char *text, struct addr *out, __u16 *port, const char **why);
/* A decimal in [min, max], the whole string. */
int number_parse(const char *text, long min, long max, long *out);

void addr_format(__u8 family, const __u32 *a, char *buf, size_t len);
void vip_format(const struct siobpf_vip_key *key, char *buf, size_t len);
void mac_format(const __u8 mac[6], char *buf, size_t len);
const char *proto_name(__u8 proto);

/* The network-order mask of a prefix length (0..32 / 0..128). */
void prefix_mask(__u8 family, int prefix, __u32 mask[4]);
bool addr_equal(const struct addr *x, __u8 family, const __u32 *a);

#endif /* SIOBPF_ADDR_H */

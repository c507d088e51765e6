// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Parsing and formatting of addresses, VIPs and MACs; see addr.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"

int number_parse(const char *text, long min, long max, long *out)
{
	char *end;
	long v;

	if (!text || !*text)
		return -EINVAL;
	errno = 0;
	v = strtol(text, &end, 10);
	if (errno || *end || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

int addr_parse(const char *text, struct addr *out, const char **why)
{
	char buf[INET6_ADDRSTRLEN + 2];
	size_t len = strlen(text);

	memset(out, 0, sizeof(*out));
	if (len >= 2 && text[0] == '[' && text[len - 1] == ']') {
		if (len - 2 >= sizeof(buf))
			goto bad;
		memcpy(buf, text + 1, len - 2);
		buf[len - 2] = 0;
		if (inet_pton(AF_INET6, buf, out->a) != 1)
			goto bad;
		out->family = SIOBPF_FAMILY_IPV6;
		return 0;
	}
	if (inet_pton(AF_INET, text, out->a) == 1) {
		out->family = SIOBPF_FAMILY_IPV4;
		return 0;
	}
	if (inet_pton(AF_INET6, text, out->a) == 1) {
		out->family = SIOBPF_FAMILY_IPV6;
		return 0;
	}
bad:
	*why = "not an IPv4 or IPv6 address";
	return -EINVAL;
}

/* Splits "ADDR:PORT" / "[V6]:PORT" / "ADDR" into its parts. */
static int split_host_port(const char *text, char *host, size_t hlen, const char **port,
			   const char **why)
{
	const char *colon;
	size_t n;

	*port = NULL;
	if (text[0] == '[') {
		const char *close = strchr(text, ']');

		if (!close) {
			*why = "missing ']' after the IPv6 address";
			return -EINVAL;
		}
		n = (size_t)(close - text) + 1;
		if (close[1] == ':')
			*port = close + 2;
		else if (close[1]) {
			*why = "expected ':PORT' after ']'";
			return -EINVAL;
		}
	} else {
		colon = strchr(text, ':');
		if (colon && strchr(colon + 1, ':')) {
			n = strlen(text); /* a bare IPv6 address: no port */
		} else {
			n = colon ? (size_t)(colon - text) : strlen(text);
			if (colon)
				*port = colon + 1;
		}
	}
	if (n >= hlen) {
		*why = "address too long";
		return -EINVAL;
	}
	memcpy(host, text, n);
	host[n] = 0;
	return 0;
}

static int port_parse(const char *text, __u16 *port, const char **why)
{
	long v;

	if (number_parse(text, 1, 65535, &v)) {
		*why = "the port must be a number from 1 to 65535";
		return -EINVAL;
	}
	*port = (__u16)v;
	return 0;
}

int vip_parse(const char *text, struct siobpf_vip_key *key, const char **why)
{
	char buf[ADDR_TEXT_MAX + 8], host[ADDR_TEXT_MAX];
	const char *port_text;
	struct addr addr;
	char *slash;
	__u16 port;
	int err;

	memset(key, 0, sizeof(*key));
	if (strlen(text) >= sizeof(buf)) {
		*why = "too long for a VIP";
		return -EINVAL;
	}
	strcpy(buf, text);
	key->proto = IPPROTO_TCP;
	slash = strrchr(buf, '/');
	if (slash) {
		*slash = 0;
		if (!strcmp(slash + 1, "udp"))
			key->proto = IPPROTO_UDP;
		else if (strcmp(slash + 1, "tcp")) {
			*why = "the protocol suffix must be /tcp or /udp";
			return -EINVAL;
		}
	}
	err = split_host_port(buf, host, sizeof(host), &port_text, why);
	if (err)
		return err;
	if (!port_text) {
		*why = "a VIP needs a port: ADDR:PORT, or [IPv6]:PORT";
		return -EINVAL;
	}
	err = addr_parse(host, &addr, why);
	if (!err)
		err = port_parse(port_text, &port, why);
	if (err)
		return err;
	memcpy(key->addr, addr.a, sizeof(key->addr));
	key->family = addr.family;
	key->port = htons(port);
	return 0;
}

int endpoint_parse(const char *text, struct addr *out, __u16 *port, const char **why)
{
	char host[ADDR_TEXT_MAX];
	const char *port_text;
	int err;

	*port = 0;
	err = split_host_port(text, host, sizeof(host), &port_text, why);
	if (!err)
		err = addr_parse(host, out, why);
	if (!err && port_text)
		err = port_parse(port_text, port, why);
	return err;
}

void addr_format(__u8 family, const __u32 *a, char *buf, size_t len)
{
	if (!inet_ntop(family == SIOBPF_FAMILY_IPV6 ? AF_INET6 : AF_INET, a, buf, (socklen_t)len))
		snprintf(buf, len, "?");
}

const char *proto_name(__u8 proto)
{
	return proto == IPPROTO_UDP ? "udp" : proto == IPPROTO_TCP ? "tcp" : "?";
}

void vip_format(const struct siobpf_vip_key *key, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN];
	int v6 = key->family == SIOBPF_FAMILY_IPV6;

	addr_format(key->family, key->addr, host, sizeof(host));
	snprintf(buf, len, "%s%s%s:%u/%s", v6 ? "[" : "", host, v6 ? "]" : "", ntohs(key->port),
		 proto_name(key->proto));
}

void mac_format(const __u8 mac[6], char *buf, size_t len)
{
	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
		 mac[5]);
}

void prefix_mask(__u8 family, int prefix, __u32 mask[4])
{
	int words = family == SIOBPF_FAMILY_IPV6 ? 4 : 1;

	memset(mask, 0, 4 * sizeof(*mask));
	for (int w = 0; w < words; w++) {
		int left = prefix - 32 * w;

		mask[w] = htonl(left >= 32 ? 0xffffffffu : left <= 0 ? 0 : ~0u << (32 - left));
	}
}

bool addr_equal(const struct addr *x, __u8 family, const __u32 *a)
{
	return x->family == family && !memcmp(x->a, a, sizeof(x->a));
}

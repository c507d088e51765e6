// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* A raw-frame flood of spoofed sources for tests/netns/test_flood.sh: TCP
 * frames to an IPv4 VIP, each source address used once (a pair of frames
 * in the syn-ack style), sent over AF_PACKET in batches, as fast as the
 * machine allows.
 *
 *   flood IFACE DST_MAC VIP PORT STYLE FIRST_SOURCE COUNT
 *
 * STYLE: syn (a SYN per source), ack (an ACK per source) or syn-ack (a SYN
 * and then the handshake's ACK from each source). Sources are FIRST_SOURCE
 * (an IPv4 address) and the COUNT - 1 addresses after it. The TCP checksum
 * is left 0 so that a backend that receives a frame drops it unanswered.
 * Prints "FRAMES_SENT SOURCES SECONDS". */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>

#define BATCH 256
#define FRAME 60 /* the Ethernet minimum, without FCS */

static uint16_t ip_csum(const uint8_t *h)
{
	uint32_t sum = 0;

	for (int i = 0; i < 20; i += 2)
		sum += (uint32_t)h[i] << 8 | h[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void frame(uint8_t *f, const uint8_t *dst_mac, const uint8_t *src_mac, uint32_t src,
		  uint32_t vip, uint16_t port, int ack)
{
	uint8_t *ip = f + 14, *tcp = f + 34;
	uint16_t c;

	memset(f, 0, FRAME);
	memcpy(f, dst_mac, 6);
	memcpy(f + 6, src_mac, 6);
	f[12] = 0x08;
	ip[0] = 0x45;
	ip[3] = 40; /* total length */
	ip[6] = 0x40; /* DF */
	ip[8] = 64;
	ip[9] = IPPROTO_TCP;
	memcpy(ip + 12, &src, 4);
	memcpy(ip + 16, &vip, 4);
	c = ip_csum(ip);
	ip[10] = (uint8_t)(c >> 8);
	ip[11] = (uint8_t)c;
	tcp[0] = 40000 >> 8;
	tcp[1] = 40000 & 0xff;
	tcp[2] = (uint8_t)(port >> 8);
	tcp[3] = (uint8_t)port;
	tcp[7] = 1; /* seq */
	if (ack)
		tcp[11] = 1;
	tcp[12] = 5 << 4;
	tcp[13] = ack ? 0x10 : 0x02;
	tcp[14] = 0xfa;
	tcp[15] = 0xf0;
}

static int parse_mac(const char *s, uint8_t *mac)
{
	return sscanf(s, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &mac[0], &mac[1], &mac[2], &mac[3], &mac[4],
		      &mac[5]) == 6
		       ? 0
		       : -1;
}

int main(int argc, char **argv)
{
	static uint8_t frames[BATCH][FRAME];
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_ll to = {0};
	uint8_t dst_mac[6], src_mac[6];
	struct in_addr vip, first;
	unsigned long long sent = 0, frames_total, count;
	struct timespec t0, t1;
	int fd, style, one = 1;
	char path[128];
	FILE *f;

	if (argc != 8 || parse_mac(argv[2], dst_mac) || !inet_pton(AF_INET, argv[3], &vip) ||
	    !inet_pton(AF_INET, argv[6], &first)) {
		fprintf(stderr, "usage: flood IFACE DST_MAC VIP PORT syn|ack|syn-ack FIRST_SOURCE COUNT\n");
		return 2;
	}
	style = !strcmp(argv[5], "syn") ? 0 : !strcmp(argv[5], "ack") ? 1 : !strcmp(argv[5], "syn-ack") ? 2 : -1;
	count = strtoull(argv[7], NULL, 10);
	if (style < 0 || !count) {
		fprintf(stderr, "flood: bad style '%s' or count '%s'\n", argv[5], argv[7]);
		return 2;
	}
	snprintf(path, sizeof(path), "/sys/class/net/%s/address", argv[1]);
	f = fopen(path, "r");
	if (!f || fscanf(f, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &src_mac[0], &src_mac[1], &src_mac[2],
			 &src_mac[3], &src_mac[4], &src_mac[5]) != 6) {
		fprintf(stderr, "flood: no MAC for %s\n", argv[1]);
		return 1;
	}
	fclose(f);
	fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (fd < 0) {
		perror("flood: socket");
		return 1;
	}
	/* Straight to the driver: the qdisc would only add a lock per frame. */
	setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one));
	to.sll_family = AF_PACKET;
	to.sll_ifindex = (int)if_nametoindex(argv[1]);
	to.sll_halen = 6;
	memcpy(to.sll_addr, dst_mac, 6);
	if (!to.sll_ifindex) {
		fprintf(stderr, "flood: no interface %s\n", argv[1]);
		return 1;
	}
	memset(msgs, 0, sizeof(msgs));
	for (int i = 0; i < BATCH; i++) {
		iov[i].iov_base = frames[i];
		iov[i].iov_len = FRAME;
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
		msgs[i].msg_hdr.msg_name = &to;
		msgs[i].msg_hdr.msg_namelen = sizeof(to);
	}
	frames_total = style == 2 ? 2 * count : count;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (sent < frames_total) {
		unsigned n = frames_total - sent < BATCH ? (unsigned)(frames_total - sent) : BATCH;
		int done;

		for (unsigned i = 0; i < n; i++) {
			unsigned long long k = sent + i;
			unsigned long long source = style == 2 ? k / 2 : k;
			int ack = style == 1 || (style == 2 && (k & 1));

			frame(frames[i], dst_mac, src_mac, htonl(ntohl(first.s_addr) + (uint32_t)source),
			      vip.s_addr, (uint16_t)atoi(argv[4]), ack);
		}
		done = sendmmsg(fd, msgs, n, 0);
		if (done < 0) {
			if (errno == ENOBUFS || errno == EAGAIN || errno == EINTR)
				continue;
			perror("flood: sendmmsg");
			return 1;
		}
		sent += (unsigned)done;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("%llu %llu %.3f\n", sent, count,
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	close(fd);
	return 0;
}

/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* The sticky-key hash (MurmurHash3, x86 32-bit variant), compiled into the
 * XDP program and into user space so that both pick the same ring slot.
 * The data path hashes whole 32-bit words; user space may also hash byte
 * strings of any length (ring permutations, test vectors).
 */
#ifndef SIOBPF_HASH_H
#define SIOBPF_HASH_H

#include <linux/types.h>
#include "siobpf/abi.h"

static inline __u32 siobpf_rotl32(__u32 x, int r)
{
	return (x << r) | (x >> (32 - r));
}

static inline __u32 siobpf_murmur_mix(__u32 h, __u32 k)
{
	k *= 0xcc9e2d51u;
	k = siobpf_rotl32(k, 15);
	k *= 0x1b873593u;
	h ^= k;
	h = siobpf_rotl32(h, 13);
	return h * 5 + 0xe6546b64u;
}

static inline __u32 siobpf_murmur_final(__u32 h, __u32 len)
{
	h ^= len;
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

/* Words of the sticky key that the hash covers: the masked client address
 * and the port word. The VIP id is left out on purpose: it is local to one
 * node, while the ring choice must be the same on every node. */
#define SIOBPF_KEY_HASH_WORDS 5

/* Hash of a sticky key with the VIP's seed. Words are read as stored
 * (little-endian hosts and bpfel agree), so user space and the program
 * hash identical bytes. */
static inline __u32 siobpf_key_hash(const struct siobpf_sticky_key *key, __u32 seed)
{
	/* Read through bytes: the words span addr[], port and pad, and a
	 * __u32 pointer over the __u16 fields would break strict aliasing. */
	const unsigned char *bytes =
		(const unsigned char *)key + __builtin_offsetof(struct siobpf_sticky_key, addr);
	__u32 h = seed;

#ifdef __clang__
#pragma unroll
#endif
	for (int i = 0; i < SIOBPF_KEY_HASH_WORDS; i++) {
		__u32 w;

		__builtin_memcpy(&w, bytes + 4 * i, 4);
		h = siobpf_murmur_mix(h, w);
	}
	return siobpf_murmur_final(h, SIOBPF_KEY_HASH_WORDS * 4);
}

/* The ring slot a key falls on when it has no sticky entry. */
static inline __u32 siobpf_ring_slot(const struct siobpf_sticky_key *key, __u32 seed)
{
	return siobpf_key_hash(key, seed) % SIOBPF_RING_SIZE;
}

/* Home slot of a VIP key in the VIP index: the key's five words folded,
 * then MurmurHash3's finaliser, so that every bit of the address and port
 * reaches the slot number (consecutive IPv4 VIPs differ only in the word's
 * top byte). VIP keys are chosen by the operator, not by clients, and a
 * crowded window only costs the fallback to the VIP table. */
static inline __u32 siobpf_vip_index_home(const struct siobpf_vip_key *key)
{
	__u32 w[5];

	__builtin_memcpy(w, key, sizeof(w));
	return siobpf_murmur_final(w[0] ^ w[1] ^ w[2] ^ w[3] ^ w[4], sizeof(w)) &
	       (SIOBPF_VIP_INDEX_SLOTS - 1);
}

#ifndef __bpf__
#include <stddef.h>
#include <string.h>

/* MurmurHash3_x86_32 of an arbitrary byte string (user space only). */
static inline __u32 siobpf_murmur3(const void *data, size_t len, __u32 seed)
{
	const unsigned char *p = data;
	size_t blocks = len / 4;
	__u32 h = seed, k = 0;

	for (size_t i = 0; i < blocks; i++) {
		__u32 w;

		memcpy(&w, p + i * 4, 4);
		h = siobpf_murmur_mix(h, w);
	}
	p += blocks * 4;
	switch (len & 3) {
	case 3:
		k ^= (__u32)p[2] << 16;
		/* fall through */
	case 2:
		k ^= (__u32)p[1] << 8;
		/* fall through */
	case 1:
		k ^= p[0];
		k *= 0xcc9e2d51u;
		k = siobpf_rotl32(k, 15);
		k *= 0x1b873593u;
		h ^= k;
	}
	return siobpf_murmur_final(h, (__u32)len);
}
#endif

#endif /* SIOBPF_HASH_H */

// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* siobpf/hash.h (MurmurHash3 x86_32, key hash, ring slot) and siobpf_sticky_key_make. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "siobpf/abi.h"
#include "siobpf/hash.h"
#include "siobpf/decide.h"

/* splitmix64: a fixed, seedable generator so failures reproduce. */
static uint64_t rng_state;

static uint64_t rnd64(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static __u32 rnd32(void)
{
	return (__u32)(rnd64() >> 32);
}

/* SMHasher's VerificationTest for MurmurHash3_x86_32: key i holds bytes
 * 0..i-1 and is hashed with seed 256-i; the 256 hashes, stored
 * little-endian, are hashed with seed 0; the first four bytes of that hash,
 * read little-endian, must be 0xB0F57EE3. */
static void test_murmur3_matches_smhasher_verification_value(void **state)
{
	unsigned char key[256];
	unsigned char hashes[256 * 4];
	unsigned char final_bytes[4];
	__u32 final, verification;

	(void)state;
	for (int i = 0; i < 256; i++) {
		__u32 h;

		key[i] = (unsigned char)i;
		h = siobpf_murmur3(key, (size_t)i, (__u32)(256 - i));
		hashes[i * 4 + 0] = (unsigned char)(h);
		hashes[i * 4 + 1] = (unsigned char)(h >> 8);
		hashes[i * 4 + 2] = (unsigned char)(h >> 16);
		hashes[i * 4 + 3] = (unsigned char)(h >> 24);
	}
	final = siobpf_murmur3(hashes, sizeof(hashes), 0);
	final_bytes[0] = (unsigned char)(final);
	final_bytes[1] = (unsigned char)(final >> 8);
	final_bytes[2] = (unsigned char)(final >> 16);
	final_bytes[3] = (unsigned char)(final >> 24);
	verification = (__u32)final_bytes[0] | (__u32)final_bytes[1] << 8 |
		       (__u32)final_bytes[2] << 16 | (__u32)final_bytes[3] << 24;
	assert_int_equal(verification, 0xB0F57EE3u);
}

static void test_murmur3_known_vectors(void **state)
{
	(void)state;
	assert_int_equal(siobpf_murmur3("test", 4, 0), 0xba6bd213u);
	assert_int_equal(siobpf_murmur3("", 0, 0), 0u);
	/* Published vectors that reach every tail length. */
	assert_int_equal(siobpf_murmur3("", 0, 1), 0x514e28b7u);
	assert_int_equal(siobpf_murmur3("Hello, world!", 13, 1234), 0xfaf6cdb3u);
	assert_int_equal(siobpf_murmur3("The quick brown fox jumps over the lazy dog", 43, 0x9747b28c),
			 0x2fa826cdu);
	assert_int_equal(siobpf_murmur3("\x21\x43\x65", 3, 0), 0x7e4a8634u);
	assert_int_equal(siobpf_murmur3("\x21\x43", 2, 0), 0xa0f7b07au);
	assert_int_equal(siobpf_murmur3("\x21", 1, 0), 0x72661cf4u);
}

/* The data-path word hash equals the byte hash over the 20 bytes from
 * addr[0] through pad, for random keys and seeds. */
static void test_key_hash_equals_murmur3_over_addr_port_pad_bytes(void **state)
{
	(void)state;
	rng_state = 0x5105bf;
	for (int n = 0; n < 10000; n++) {
		struct siobpf_sticky_key key;
		__u32 seed = rnd32();

		key.vip_id = rnd32();
		for (int i = 0; i < 4; i++)
			key.addr[i] = rnd32();
		key.port = (__u16)rnd32();
		key.pad = (__u16)rnd32();
		assert_int_equal(siobpf_key_hash(&key, seed),
				 siobpf_murmur3((const unsigned char *)key.addr, 20, seed));
	}
}

static void test_key_hash_ignores_vip_id(void **state)
{
	(void)state;
	rng_state = 0x71d;
	for (int n = 0; n < 10000; n++) {
		struct siobpf_sticky_key a, b;
		__u32 seed = rnd32();

		a.vip_id = rnd32();
		for (int i = 0; i < 4; i++)
			a.addr[i] = rnd32();
		a.port = (__u16)rnd32();
		a.pad = 0;
		b = a;
		b.vip_id = a.vip_id ^ (rnd32() | 1); /* surely different */
		assert_int_not_equal(a.vip_id, b.vip_id);
		assert_int_equal(siobpf_key_hash(&a, seed), siobpf_key_hash(&b, seed));
		assert_int_equal(siobpf_ring_slot(&a, seed), siobpf_ring_slot(&b, seed));
	}
}

/* The hash does change with every covered field (a constant would pass the
 * two tests above). */
static void test_key_hash_changes_with_each_address_word_port_and_seed(void **state)
{
	struct siobpf_sticky_key base = { .vip_id = 3, .addr = { 1, 2, 3, 4 }, .port = 5 };
	struct siobpf_sticky_key k;
	__u32 h0 = siobpf_key_hash(&base, 42);

	(void)state;
	for (int i = 0; i < 4; i++) {
		k = base;
		k.addr[i] ^= 1;
		assert_int_not_equal(siobpf_key_hash(&k, 42), h0);
	}
	k = base;
	k.port ^= 1;
	assert_int_not_equal(siobpf_key_hash(&k, 42), h0);
	assert_int_not_equal(siobpf_key_hash(&base, 43), h0);
}

/* 65536 consecutive client addresses 10.0.0.0 .. 10.0.255.255 (and more
 * /16s with other seeds), slot % 64: chi-square with 63 degrees of freedom
 * must stay under 103.4 (p = 0.001). */
static void test_ring_slot_in_range_and_uniform_over_consecutive_ipv4_clients(void **state)
{
	static const __u32 seeds[] = { 0, 1, 0xdeadbeef };
	const double critical = 103.4;

	(void)state;
	for (size_t si = 0; si < sizeof(seeds) / sizeof(seeds[0]); si++) {
		unsigned long buckets[64] = { 0 };
		const unsigned long keys = 256 * 256;
		double expected = (double)keys / 64, chi2 = 0;

		for (unsigned long x = 0; x < keys; x++) {
			struct siobpf_sticky_key key = { .vip_id = 1 };
			__u32 slot;

			key.addr[0] = htonl(0x0a000000u | (__u32)(si << 16) | (__u32)x);
			slot = siobpf_ring_slot(&key, seeds[si]);
			assert_true(slot < SIOBPF_RING_SIZE);
			buckets[slot % 64]++;
		}
		for (int b = 0; b < 64; b++) {
			double d = (double)buckets[b] - expected;

			chi2 += d * d / expected;
		}
		printf("  ring slot chi-square (seed 0x%x, 10.%zu.0.0/16, 64 buckets): %.1f\n",
		       seeds[si], si, chi2);
		assert_true(chi2 < critical);
	}
}

static __u32 v4(__u8 a, __u8 b, __u8 c, __u8 d)
{
	return htonl((__u32)a << 24 | (__u32)b << 16 | (__u32)c << 8 | d);
}

static struct siobpf_vip vip_v4_24(__u8 sticky)
{
	struct siobpf_vip vip = { .id = 7, .hash_seed = 99, .sticky = sticky, .prefix = 24 };

	vip.mask[0] = htonl(0xffffff00u);
	return vip;
}

static struct siobpf_vip vip_v6_64(__u8 sticky)
{
	struct siobpf_vip vip = { .id = 200, .hash_seed = 99, .sticky = sticky, .prefix = 64 };

	vip.mask[0] = 0xffffffffu;
	vip.mask[1] = 0xffffffffu;
	return vip;
}

static void test_sticky_key_ipv4_slash24_masks_host_byte_drops_port_in_ip_mode(void **state)
{
	struct siobpf_vip vip = vip_v4_24(SIOBPF_STICKY_IP);
	__u32 c1[4] = { v4(192, 0, 2, 77) }, c2[4] = { v4(192, 0, 2, 200) };
	__u32 c3[4] = { v4(192, 0, 3, 77) };
	struct siobpf_sticky_key k1, k2, k3;

	(void)state;
	memset(&k1, 0xaa, sizeof(k1)); /* every field must be written */
	memset(&k2, 0x55, sizeof(k2));
	memset(&k3, 0x33, sizeof(k3));
	siobpf_sticky_key_make(&vip, c1, htons(40000), &k1);
	siobpf_sticky_key_make(&vip, c2, htons(50000), &k2);
	siobpf_sticky_key_make(&vip, c3, htons(40000), &k3);

	assert_int_equal(k1.vip_id, 7);
	assert_int_equal(k1.addr[0], v4(192, 0, 2, 0));
	assert_int_equal(k1.addr[1], 0);
	assert_int_equal(k1.addr[2], 0);
	assert_int_equal(k1.addr[3], 0);
	assert_int_equal(k1.port, 0);
	assert_int_equal(k1.pad, 0);
	/* Same /24, different host and port: the same key, byte for byte. */
	assert_memory_equal(&k1, &k2, sizeof(k1));
	assert_int_equal(siobpf_ring_slot(&k1, vip.hash_seed), siobpf_ring_slot(&k2, vip.hash_seed));
	/* Another /24: another key. */
	assert_int_equal(k3.addr[0], v4(192, 0, 3, 0));
	assert_memory_not_equal(&k1, &k3, sizeof(k1));
}

static void test_sticky_key_ip_port_mode_keeps_port_in_network_order(void **state)
{
	struct siobpf_vip vip = vip_v4_24(SIOBPF_STICKY_IP_PORT);
	__u32 c1[4] = { v4(192, 0, 2, 77) }, c2[4] = { v4(192, 0, 2, 200) };
	struct siobpf_sticky_key k1, k2, k3;

	(void)state;
	memset(&k1, 0xaa, sizeof(k1));
	memset(&k2, 0x55, sizeof(k2));
	memset(&k3, 0x33, sizeof(k3));
	siobpf_sticky_key_make(&vip, c1, htons(40000), &k1);
	siobpf_sticky_key_make(&vip, c2, htons(40000), &k2);
	siobpf_sticky_key_make(&vip, c1, htons(40001), &k3);

	assert_int_equal(k1.vip_id, 7);
	assert_int_equal(k1.addr[0], v4(192, 0, 2, 0));
	assert_int_equal(k1.port, htons(40000));
	assert_int_equal(k1.pad, 0);
	/* Same /24 and port: equal; another port: different key and hash. */
	assert_memory_equal(&k1, &k2, sizeof(k1));
	assert_int_equal(k3.port, htons(40001));
	assert_memory_not_equal(&k1, &k3, sizeof(k1));
	assert_int_not_equal(siobpf_key_hash(&k1, vip.hash_seed), siobpf_key_hash(&k3, vip.hash_seed));
}

static void test_sticky_key_ipv6_slash64_keeps_upper_64_bits_only(void **state)
{
	struct siobpf_vip ip = vip_v6_64(SIOBPF_STICKY_IP);
	struct siobpf_vip ipport = vip_v6_64(SIOBPF_STICKY_IP_PORT);
	/* 2001:db8:1:2::/64 clients, and one in 2001:db8:1:3::/64. */
	__u32 c1[4] = { htonl(0x20010db8), htonl(0x00010002), htonl(0x11112222), htonl(0x33334444) };
	__u32 c2[4] = { htonl(0x20010db8), htonl(0x00010002), htonl(0xdeadbeef), htonl(0x00000001) };
	__u32 c3[4] = { htonl(0x20010db8), htonl(0x00010003), htonl(0x11112222), htonl(0x33334444) };
	struct siobpf_sticky_key k1, k2, k3, p1, p2;

	(void)state;
	memset(&k1, 0xaa, sizeof(k1));
	memset(&k2, 0x55, sizeof(k2));
	siobpf_sticky_key_make(&ip, c1, htons(1234), &k1);
	siobpf_sticky_key_make(&ip, c2, htons(4321), &k2);
	siobpf_sticky_key_make(&ip, c3, htons(1234), &k3);
	assert_int_equal(k1.vip_id, 200);
	assert_int_equal(k1.addr[0], htonl(0x20010db8));
	assert_int_equal(k1.addr[1], htonl(0x00010002));
	assert_int_equal(k1.addr[2], 0);
	assert_int_equal(k1.addr[3], 0);
	assert_int_equal(k1.port, 0);
	assert_memory_equal(&k1, &k2, sizeof(k1));
	assert_memory_not_equal(&k1, &k3, sizeof(k1));

	siobpf_sticky_key_make(&ipport, c1, htons(1234), &p1);
	siobpf_sticky_key_make(&ipport, c2, htons(4321), &p2);
	assert_int_equal(p1.vip_id, 200);
	assert_int_equal(p1.port, htons(1234));
	assert_int_equal(p2.port, htons(4321));
	assert_memory_equal(p1.addr, k1.addr, sizeof(p1.addr));
	assert_memory_equal(p2.addr, k1.addr, sizeof(p2.addr));
}

/* The data path's pattern (bpf/siobpf.bpf.c: siobpf_sticky_key_make, then
 * bpf/ring.h: siobpf_ring_slot) in one function, as an inlining compiler
 * sees it. */
static __attribute__((noinline)) __u32 make_then_slot(const struct siobpf_vip *vip, const __u32 *src,
						      __u16 sport)
{
	struct siobpf_sticky_key key;

	siobpf_sticky_key_make(vip, src, sport, &key);
	return siobpf_ring_slot(&key, vip->hash_seed);
}

/* Regression: hash.h once read the key through a __u32 pointer, which broke
 * strict aliasing; gcc 12 -O2 then hashed stale words of a key made in the
 * same function (192.0.2.1 ports 1000 and 2000 both gave slot 57443; the
 * bytes say 20298 and 27457). */
static void test_ring_slot_of_key_made_in_same_function_matches_its_bytes(void **state)
{
	struct siobpf_vip vip = { .id = 1, .hash_seed = 0, .sticky = SIOBPF_STICKY_IP_PORT,
				  .mask = { 0xffffffffu } };
	__u32 src[4] = { v4(192, 0, 2, 1) };
	struct siobpf_sticky_key ref = { .vip_id = 1, .addr = { v4(192, 0, 2, 1) } };
	unsigned char bytes[20];

	(void)state;
	ref.port = htons(1000);
	memcpy(bytes, ref.addr, sizeof(bytes));
	assert_int_equal(make_then_slot(&vip, src, htons(1000)),
			 siobpf_murmur3(bytes, sizeof(bytes), 0) % SIOBPF_RING_SIZE);
	assert_int_equal(make_then_slot(&vip, src, htons(1000)), 20298);
	assert_int_equal(make_then_slot(&vip, src, htons(2000)), 27457);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_murmur3_matches_smhasher_verification_value),
		cmocka_unit_test(test_murmur3_known_vectors),
		cmocka_unit_test(test_key_hash_equals_murmur3_over_addr_port_pad_bytes),
		cmocka_unit_test(test_key_hash_ignores_vip_id),
		cmocka_unit_test(test_key_hash_changes_with_each_address_word_port_and_seed),
		cmocka_unit_test(test_ring_slot_in_range_and_uniform_over_consecutive_ipv4_clients),
		cmocka_unit_test(test_sticky_key_ipv4_slash24_masks_host_byte_drops_port_in_ip_mode),
		cmocka_unit_test(test_sticky_key_ip_port_mode_keeps_port_in_network_order),
		cmocka_unit_test(test_sticky_key_ipv6_slash64_keeps_upper_64_bits_only),
		cmocka_unit_test(test_ring_slot_of_key_made_in_same_function_matches_its_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

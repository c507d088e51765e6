// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* The configuration file's parser and writer (user/config/config.c), without the
 * kernel: what a file means, where its problems are, and that what save
 * writes reads back to the same text. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <arpa/inet.h>
#include <cmocka.h>
#include <stdbool.h>
#include <yaml.h>

#include "siobpf/table.h"
#include "config.h"
#include "probe_settings.h"
#include "settings.h"

static const char example[] =
	"vips:\n"
	"  - vip: 10.77.100.1:80/tcp\n"
	"    sticky: ip\n"
	"    prefix: 24\n"
	"    persist: 300\n"
	"    forward: dsr\n"
	"    seed: 7\n"
	"    probe: {type: http, port: 8080, path: /health, status: 204, interval: 500, timeout: 200,"
	" rise: 3, fall: 4}\n"
	"    backends:\n"
	"      - {address: 10.77.1.1, weight: 1, state: up}\n"
	"      - {address: 10.77.1.2, weight: 5, state: drain}\n"
	"      - {address: 10.77.1.3}\n"
	"  - vip: \"[fd77::100]:443/udp\"\n"
	"    backends:\n"
	"      - address: fd77::1:1\n"
	"        weight: 2\n";

static int parse(const char *text, struct config *cfg, struct config_error *err)
{
	return config_parse(text, strlen(text), cfg, err);
}

/* Asserts that text is refused at line:column with a message holding want. */
static void expect_error_at(const char *text, int line, int column, const char *want)
{
	struct config_error err;
	struct config cfg;
	int rc = parse(text, &cfg, &err);

	if (rc != -EINVAL || err.at.line != line || err.at.column != column || !strstr(err.msg, want))
		fail_msg("expected -EINVAL at %d:%d with '%s'; got %d at %d:%d: %s", line, column, want, rc,
			 err.at.line, err.at.column, err.msg);
	assert_null(cfg.vips);
	assert_int_equal(cfg.nvips, 0);
}

/* The text config_write makes of cfg. */
static char *written(const struct config *cfg)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	assert_non_null(out);
	assert_int_equal(config_write(out, cfg), 0);
	fclose(out);
	return buf;
}

static void test_example_parses_to_its_values(void **state)
{
	struct config_error err;
	struct config cfg;
	const struct config_vip *v;
	__u32 addr;

	(void)state;
	assert_int_equal(parse(example, &cfg, &err), 0);
	assert_int_equal(cfg.nvips, 2);
	v = &cfg.vips[0];
	inet_pton(AF_INET, "10.77.100.1", &addr);
	assert_int_equal(v->e.key.addr[0], addr);
	assert_int_equal(ntohs(v->e.key.port), 80);
	assert_int_equal(v->e.key.proto, 6);
	assert_int_equal(v->e.vip.sticky, SIOBPF_STICKY_IP);
	assert_int_equal(v->e.vip.prefix, 24);
	assert_int_equal(v->e.vip.mask[0], htonl(0xffffff00));
	assert_int_equal(v->e.vip.persist_sec, 300);
	assert_int_equal(v->e.vip.hash_seed, 7);
	assert_int_equal(v->e.cfg.probe, SIOBPF_PROBE_HTTP);
	assert_int_equal(v->e.cfg.probe_port, 8080);
	assert_string_equal(v->e.cfg.probe_path, "/health");
	assert_int_equal(v->e.cfg.http_status, 204);
	assert_int_equal(v->e.cfg.interval_ms, 500);
	assert_int_equal(v->e.cfg.timeout_ms, 200);
	assert_int_equal(v->e.cfg.rise, 3);
	assert_int_equal(v->e.cfg.fall, 4);
	assert_int_equal(v->nbackends, 3);
	assert_int_equal(v->backends[0].state, SIOBPF_BACKEND_UP);
	assert_int_equal(v->backends[1].weight, 5);
	assert_int_equal(v->backends[1].state, SIOBPF_BACKEND_DRAIN);
	assert_int_equal(v->at.line, 2);
	assert_int_equal(v->at.column, 10);
	assert_int_equal(v->backends[2].at.line, 12);
	assert_int_equal(v->backends[2].at.column, 19);

	v = &cfg.vips[1];
	assert_int_equal(v->e.key.family, SIOBPF_FAMILY_IPV6);
	assert_int_equal(v->e.key.proto, 17);
	assert_int_equal(ntohs(v->e.key.port), 443);
	assert_int_equal(v->nbackends, 1);
	assert_int_equal(v->backends[0].addr.family, SIOBPF_FAMILY_IPV6);
	assert_int_equal(v->backends[0].weight, 2);
	config_free(&cfg);
}

static void test_omitted_settings_are_the_cli_defaults(void **state)
{
	struct vip_entry want;
	struct config_error err;
	struct config cfg;

	(void)state;
	assert_int_equal(parse("vips:\n  - vip: 10.0.0.1:80\n    backends:\n      - {address: 10.0.0.2}\n",
			       &cfg, &err), 0);
	state_vip_defaults(&cfg.vips[0].e.key, &want.vip, &want.cfg);
	assert_memory_equal(&cfg.vips[0].e.vip, &want.vip, sizeof(want.vip));
	assert_memory_equal(&cfg.vips[0].e.cfg, &want.cfg, sizeof(want.cfg));
	/* A backend: weight 1; its state is left to whoever set it. */
	assert_int_equal(cfg.vips[0].backends[0].weight, 1);
	assert_int_equal(cfg.vips[0].backends[0].state, CONFIG_STATE_KEEP);
	assert_false(cfg.vips[0].backends[0].has_probe);
	config_free(&cfg);

	/* IPv6: the default prefix is the whole address. */
	assert_int_equal(parse("vips:\n  - vip: '[fd00::1]:80'\n", &cfg, &err), 0);
	assert_int_equal(cfg.vips[0].e.vip.prefix, 128);
	assert_int_equal(cfg.vips[0].nbackends, 0);
	config_free(&cfg);
}

static void test_empty_list_of_vips_is_valid(void **state)
{
	struct config_error err;
	struct config cfg;

	(void)state;
	assert_int_equal(parse("vips: []\n", &cfg, &err), 0);
	assert_int_equal(cfg.nvips, 0);
	config_free(&cfg);
}

static void test_unknown_keys_are_refused_where_they_are(void **state)
{
	(void)state;
	expect_error_at("vip: 10.0.0.1:80\n", 1, 1, "unknown key 'vip' in the file (expected vips)");
	expect_error_at("vips:\n  - vip: 10.0.0.1:80\n    stiky: ip\n", 3, 5,
			"unknown key 'stiky' in a VIP (expected vip, sticky, prefix");
	expect_error_at("vips:\n  - vip: 10.0.0.1:80\n    probe: {type: tcp, intervall: 5}\n", 3, 24,
			"unknown key 'intervall' in the probe");
	expect_error_at("vips:\n  - vip: 10.0.0.1:80\n    backends:\n      - {address: 10.0.0.2, weigth: 2}\n",
			4, 29, "unknown key 'weigth' in a backend (expected address, weight, state, probe)");
}

static void test_bad_values_are_refused_at_the_value(void **state)
{
	(void)state;
	expect_error_at("vips:\n  - vip: 10.0.0.1:80\n    prefix: 33\n", 3, 13,
			"prefix must be a number from 0 to 32, not '33'");
	expect_error_at("vips:\n  - vip: '[fd00::1]:80'\n    prefix: 129\n", 3, 13,
			"prefix must be a number from 0 to 128, not '129'");
	expect_error_at("vips:\n  - vip: 10.0.0.1:80\n    sticky: cookie\n", 3, 13,
			"sticky must be ip or ip-port, not 'cookie'");
	expect_error_at("vips:\n  - vip: 10.0.0.1:80\n    forward: nat\n", 3, 14,
			"forward must be dsr, not 'nat'");
	expect_error_at("vips:\n  - vip: 10.0.0.1:80\n    persist: -1\n", 3, 14,
			"persist must be a number from 0 to 1000000, not '-1'");
	expect_error_at("vips:\n  - vip: 10.0.0.1:80\n    seed: 4294967296\n", 3, 11,
			"seed must be a number from 0 to 4294967295");
	expect_error_at("vips:\n  - vip: 10.0.0.1:80\n    probe: {type: ping}\n", 3, 19,
			"probe type must be tcp, http, socketio or none, not 'ping'");
	expect_error_at("vips:\n  - vip: 10.0.0.1:80\n    probe: {path: health}\n", 3, 19,
			"probe path \"health\" must start with '/'");
	expect_error_at("vips:\n  - vip: 10.0.0.1:80\n    probe: {rise: 0}\n", 3, 19,
			"probe rise must be a number from 1 to 100, not '0'");
	expect_error_at("vips:\n  - vip: 10.0.0.1\n", 2, 10, "bad VIP '10.0.0.1': a VIP needs a port");
	expect_error_at("vips:\n  - vip: 10.0.0.1:80\n    backends:\n      - {address: 10.0.0.300}\n", 4, 19,
			"bad backend address '10.0.0.300'");
	expect_error_at("vips:\n  - vip: 10.0.0.1:80\n    backends:\n      - {address: 10.0.0.2, weight: 0}\n",
			4, 37, "weight must be a number from 1 to 1000, not '0'");
	expect_error_at("vips:\n  - vip: 10.0.0.1:80\n    backends:\n      - {address: 10.0.0.2, state: off}\n",
			4, 36, "state must be up, drain or down, not 'off'");
	/* A value where a list is, and a list where a value is. */
	expect_error_at("vips:\n  - vip: 10.0.0.1:80\n    prefix: [24]\n", 3, 13,
			"prefix must be a single value, not a list");
	expect_error_at("vips: 10.0.0.1:80\n", 1, 7, "vips must be a list of VIPs");
	expect_error_at("vips:\n  - 10.0.0.1:80\n", 2, 5, "a VIP must be a mapping");
	expect_error_at("vips:\n  - vip: 10.0.0.1:80\n    backends: {address: 10.0.0.2}\n", 3, 15,
			"backends must be a list");
}

/* The sticky table keeps time in 2^26 ns units within half its 25-bit
 * circle (siobpf/table.h): a persistence is at most SIOBPF_PERSIST_MAX_SEC,
 * by the CLI's rule and the file's alike, and the message names it. */
static void test_persist_is_capped_at_the_table_maximum(void **state)
{
	static const char *const accepted[] = {"0", "1", "999999", "1000000"};
	static const char *const refused[] = {"1000001", "31536000", "4294967296", "-1"};
	struct config_error err;
	struct config cfg;
	char text[160], why[200];

	(void)state;
	assert_int_equal(SIOBPF_PERSIST_MAX_SEC, 1000000);
	for (size_t i = 0; i < sizeof(accepted) / sizeof(accepted[0]); i++) {
		struct vip_entry e;
		const char *bad;

		memset(&e, 0, sizeof(e));
		assert_int_equal(vip_parse("10.0.0.1:80", &e.key, &bad), 0);
		state_vip_defaults(&e.key, &e.vip, &e.cfg);
		if (vip_setting_parse(&e, "persist", accepted[i], why, sizeof(why)))
			fail_msg("--persist %s refused: %s", accepted[i], why);
		assert_int_equal(e.vip.persist_sec, strtoul(accepted[i], NULL, 10));
		snprintf(text, sizeof(text), "vips:\n  - vip: 10.0.0.1:80\n    persist: %s\n", accepted[i]);
		assert_int_equal(parse(text, &cfg, &err), 0);
		assert_int_equal(cfg.vips[0].e.vip.persist_sec, strtoul(accepted[i], NULL, 10));
		config_free(&cfg);
	}
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		struct vip_entry e;
		const char *bad;
		char want[96];

		memset(&e, 0, sizeof(e));
		assert_int_equal(vip_parse("10.0.0.1:80", &e.key, &bad), 0);
		state_vip_defaults(&e.key, &e.vip, &e.cfg);
		assert_int_equal(vip_setting_parse(&e, "persist", refused[i], why, sizeof(why)), -EINVAL);
		snprintf(want, sizeof(want), "must be a number from 0 to 1000000, not '%s'", refused[i]);
		assert_string_equal(why, want);
		assert_int_equal(e.vip.persist_sec, 600); /* left as it was */
		snprintf(text, sizeof(text), "vips:\n  - vip: 10.0.0.1:80\n    persist: %s\n", refused[i]);
		snprintf(want, sizeof(want), "persist must be a number from 0 to 1000000, not '%s'", refused[i]);
		expect_error_at(text, 3, 14, want);
	}
}

static void test_probe_timeout_above_interval_is_refused_at_the_timeout(void **state)
{
	(void)state;
	expect_error_at("vips:\n  - vip: 10.0.0.1:80\n    probe: {interval: 1000, timeout: 1500}\n", 3, 38,
			"the probe timeout (1500 ms) must not exceed the interval (1000 ms)");
	expect_error_at("vips:\n  - vip: 10.0.0.1:80\n    probe: {interval: 300, timeout: 500}\n", 3, 37,
			"VIP 10.0.0.1:80/tcp: the probe timeout (500 ms) must not exceed the interval (300 ms)");
}

static void test_duplicates_are_refused_with_the_first_place(void **state)
{
	(void)state;
	/* The same VIP spelt two ways (tcp is the default protocol). */
	expect_error_at("vips:\n  - vip: 10.0.0.1:80\n  - vip: 10.0.0.1:80/tcp\n", 3, 10,
			"duplicate VIP 10.0.0.1:80/tcp (first at line 2)");
	expect_error_at("vips:\n  - vip: '[fd00::1]:80'\n  - vip: '[fd00:0::1]:80'\n", 3, 10,
			"duplicate VIP [fd00::1]:80/tcp (first at line 2)");
	expect_error_at("vips:\n  - vip: 10.0.0.1:80\n    backends:\n      - {address: 10.0.0.2}\n"
			"      - {address: 10.0.0.2, weight: 3}\n",
			5, 19, "duplicate backend 10.0.0.2 of VIP 10.0.0.1:80/tcp (first at line 4)");
	expect_error_at("vips:\n  - vip: 10.0.0.1:80\n    prefix: 24\n    prefix: 16\n", 4, 5,
			"duplicate key 'prefix' in a VIP");
	/* UDP and TCP on one address and port are two VIPs. */
	{
		struct config_error err;
		struct config cfg;

		assert_int_equal(parse("vips:\n  - vip: 10.0.0.1:53/udp\n  - vip: 10.0.0.1:53\n", &cfg, &err), 0);
		config_free(&cfg);
	}
}

static void test_backend_of_the_other_family_is_refused(void **state)
{
	(void)state;
	expect_error_at("vips:\n  - vip: 10.0.0.1:80\n    backends:\n      - {address: 'fd00::2'}\n", 4, 19,
			"backend fd00::2 is IPv6 but VIP 10.0.0.1:80/tcp is IPv4");
	expect_error_at("vips:\n  - vip: '[fd00::1]:80'\n    backends:\n      - address: 10.0.0.2\n", 4, 18,
			"backend 10.0.0.2 is IPv4 but VIP [fd00::1]:80/tcp is IPv6");
}

static void test_missing_required_keys_are_named(void **state)
{
	(void)state;
	expect_error_at("vips:\n  - sticky: ip\n", 2, 5, "a VIP needs 'vip: ADDR:PORT[/tcp|/udp]'");
	expect_error_at("vips:\n  - vip: 10.0.0.1:80\n    backends:\n      - {weight: 2}\n", 4, 9,
			"a backend needs 'address: ADDR'");
	expect_error_at("{}\n", 1, 1, "the file needs 'vips:'");
}

static void test_yaml_syntax_errors_have_libyaml_place(void **state)
{
	(void)state;
	/* A quoted string that never ends. */
	expect_error_at("vips:\n  - vip: \"10.0.0.1:80\n", 3, 1, "bad YAML syntax: found unexpected end of stream");
	/* A key indented out of its mapping. */
	expect_error_at("vips:\n  - vip: 10.0.0.1:80\n     sticky: ip\n", 3, 12,
			"bad YAML syntax: mapping values are not allowed in this context");
	/* An unquoted IPv6 VIP starts a flow list: named where it goes wrong. */
	expect_error_at("vips:\n  - vip: [fd00::1]:80\n", 2, 19,
			"bad YAML syntax: did not find expected key; an IPv6 VIP needs quotes");
	/* A tab where YAML wants spaces. */
	expect_error_at("vips:\n\t- vip: 10.0.0.1:80\n", 2, 1, "bad YAML syntax: found character that cannot start any token");
}

static void test_empty_and_multi_document_files_are_refused(void **state)
{
	(void)state;
	expect_error_at("", 1, 1, "the file is empty");
	expect_error_at("# only a comment\n", 1, 1, "the file is empty");
	expect_error_at("vips: []\n---\nvips: []\n", 3, 1, "a second YAML document");
}

static void test_backend_probe_block_overrides_fields(void **state)
{
	struct config_error err;
	struct config cfg;
	const struct config_backend *b;

	(void)state;
	assert_int_equal(parse("vips:\n  - vip: 10.0.0.1:80\n    backends:\n"
			       "      - {address: 10.0.0.2, probe: {type: http, path: /ready, method: HEAD}}\n"
			       "      - {address: 10.0.0.3, probe: {}}\n",
			       &cfg, &err), 0);
	b = &cfg.vips[0].backends[0];
	assert_true(b->has_probe);
	assert_int_equal(b->probe.probe, SIOBPF_PROBE_HTTP);
	assert_int_equal(b->probe.probe_method, SIOBPF_METHOD_HEAD);
	assert_string_equal(b->probe.probe_path, "/ready");
	assert_int_equal(b->probe.interval_ms, 0); /* the VIP's */
	assert_true(cfg.vips[0].backends[1].has_probe);
	assert_int_equal(cfg.vips[0].backends[1].probe.probe, SIOBPF_PROBE_INHERIT);
	config_free(&cfg);

	/* Merged with the VIP's interval (2000 by default), 2500 is too long. */
	expect_error_at("vips:\n  - vip: 10.0.0.1:80\n    backends:\n"
			"      - {address: 10.0.0.2, probe: {timeout: 2500}}\n",
			4, 36, "backend 10.0.0.2 of VIP 10.0.0.1:80/tcp: the probe timeout (2500 ms, its own) "
			       "must not exceed the interval (2000 ms, its VIP's)");
	expect_error_at("vips:\n  - vip: 10.0.0.1:80\n    backends:\n"
			"      - {address: 10.0.0.2, probe: {type: icmp}}\n",
			4, 43, "probe type must be tcp, http, socketio or none, not 'icmp'");
}

/* Write, read back, write again: the same text, and the same settings. */
static void assert_round_trip(const struct config *cfg)
{
	struct config_error err;
	struct config again;
	char *first = written(cfg), *second;

	if (config_parse(first, strlen(first), &again, &err))
		fail_msg("written text does not parse at %d:%d: %s\n%s", err.at.line, err.at.column, err.msg,
			 first);
	second = written(&again);
	assert_string_equal(first, second);
	assert_int_equal(again.nvips, cfg->nvips);
	for (size_t v = 0; v < cfg->nvips; v++) {
		assert_memory_equal(&again.vips[v].e.key, &cfg->vips[v].e.key, sizeof(cfg->vips[v].e.key));
		assert_memory_equal(&again.vips[v].e.vip, &cfg->vips[v].e.vip, sizeof(cfg->vips[v].e.vip));
		assert_memory_equal(&again.vips[v].e.cfg, &cfg->vips[v].e.cfg, sizeof(cfg->vips[v].e.cfg));
		assert_int_equal(again.vips[v].nbackends, cfg->vips[v].nbackends);
	}
	free(first);
	free(second);
	config_free(&again);
}

static void test_written_file_reads_back_to_the_same_text(void **state)
{
	struct config_error err;
	struct config cfg;

	(void)state;
	assert_int_equal(parse(example, &cfg, &err), 0);
	assert_round_trip(&cfg);
	config_free(&cfg);

	/* Strings YAML would misread are quoted: IPv6 in flow, odd paths. */
	assert_int_equal(parse("vips:\n  - vip: \"[fd00::1]:80\"\n"
			       "    probe: {type: http, path: \"/socket.io/?EIO=4&x=a b\"}\n"
			       "    backends:\n      - {address: \"fd00::2\", weight: 3}\n",
			       &cfg, &err), -EINVAL); /* a path with a space is refused... */
	assert_int_equal(parse("vips:\n  - vip: \"[fd00::1]:80\"\n"
			       "    probe: {type: http, path: \"/socket.io/?EIO=4&x='a':b,c;d=!$(*)+@%20~\"}\n"
			       "    backends:\n      - {address: \"fd00::2\", weight: 3,"
			       " probe: {port: 81, path: '/x:y', status: 204, method: OPTIONS, interval: 900,"
			       " timeout: 100, rise: 1, fall: 9}}\n",
			       &cfg, &err), 0);
	assert_string_equal(cfg.vips[0].e.cfg.probe_path, "/socket.io/?EIO=4&x='a':b,c;d=!$(*)+@%20~");
	assert_round_trip(&cfg);
	config_free(&cfg);
}

static void test_probe_down_backend_is_written_without_state(void **state)
{
	struct config_error err;
	struct config cfg;
	char *text;

	(void)state;
	assert_int_equal(parse("vips:\n  - vip: 10.0.0.1:80\n    backends:\n"
			       "      - {address: 10.0.0.2}\n      - {address: 10.0.0.3, state: down}\n",
			       &cfg, &err), 0);
	cfg.vips[0].backends[0].probe_down = true; /* as save reads it from the maps */
	text = written(&cfg);
	assert_non_null(strstr(text, "- {address: 10.0.0.2, weight: 1}  # down by its probe"));
	assert_non_null(strstr(text, "- {address: 10.0.0.3, weight: 1, state: down}\n"));
	config_free(&cfg);
	/* Read back, it leaves the state alone: the probe keeps it. */
	assert_int_equal(parse(text, &cfg, &err), 0);
	assert_int_equal(cfg.vips[0].backends[0].state, CONFIG_STATE_KEEP);
	assert_int_equal(cfg.vips[0].backends[1].state, SIOBPF_BACKEND_DOWN);
	free(text);
	config_free(&cfg);
}

static void test_written_empty_configuration(void **state)
{
	struct config cfg = {0};
	char *text;

	(void)state;
	text = written(&cfg);
	assert_non_null(strstr(text, "\nvips: []\n"));
	free(text);
	assert_round_trip(&cfg);
}

/* Only what the file sets is stored and written back: a timeout it leaves
 * out stays unset (derived from the interval), whatever the interval. */
static void test_vip_with_only_an_interval_keeps_no_timeout_and_saves_none(void **state)
{
	struct config_error err;
	struct config cfg;
	char *text;

	(void)state;
	if (parse("vips:\n  - vip: 10.0.0.1:80\n    probe: {interval: 300}\n"
		  "  - vip: 10.0.0.2:80\n", &cfg, &err))
		fail_msg("a VIP with only interval 300 is refused at %d:%d: %s", err.at.line, err.at.column,
			 err.msg);
	assert_int_equal(cfg.vips[0].e.cfg.interval_ms, 300);
	assert_int_equal(cfg.vips[0].e.cfg.timeout_ms, 0);
	assert_int_equal(cfg.vips[1].e.cfg.timeout_ms, 0);
	text = written(&cfg);
	if (strstr(text, "timeout"))
		fail_msg("save wrote a timeout nobody set:\n%s", text);
	assert_non_null(strstr(text, "interval: 300, rise: 2, fall: 3}\n"));
	assert_round_trip(&cfg);
	free(text);
	config_free(&cfg);

	/* One that is set is written, even when it equals the derived value. */
	assert_int_equal(parse("vips:\n  - vip: 10.0.0.1:80\n    probe: {interval: 300, timeout: 300}\n",
			       &cfg, &err), 0);
	text = written(&cfg);
	assert_non_null(strstr(text, "interval: 300, timeout: 300, rise: 2, fall: 3}\n"));
	assert_round_trip(&cfg);
	free(text);
	config_free(&cfg);
}

static void test_backend_timeout_is_checked_against_the_interval_in_force(void **state)
{
	struct config_error err;
	struct config cfg;
	char *text;

	(void)state;
	/* A backend's own interval alone: its timeout is derived from it. */
	if (parse("vips:\n  - vip: 10.0.0.1:80\n    backends:\n"
		  "      - {address: 10.0.0.2, probe: {interval: 300}}\n", &cfg, &err))
		fail_msg("a backend with only interval 300 is refused at %d:%d: %s", err.at.line,
			 err.at.column, err.msg);
	assert_int_equal(cfg.vips[0].backends[0].probe.timeout_ms, 0);
	text = written(&cfg);
	assert_non_null(strstr(text, "- {address: 10.0.0.2, weight: 1, probe: {interval: 300}}\n"));
	assert_null(strstr(text, "timeout"));
	free(text);
	config_free(&cfg);

	/* The backend's timeout against the VIP's interval it inherits. */
	expect_error_at("vips:\n  - vip: 10.0.0.1:80\n    probe: {interval: 300}\n    backends:\n"
			"      - {address: 10.0.0.2, probe: {timeout: 500}}\n",
			5, 36, "backend 10.0.0.2 of VIP 10.0.0.1:80/tcp: the probe timeout (500 ms, its own) "
			       "must not exceed the interval (300 ms, its VIP's)");
	/* The VIP's timeout against the backend's own interval. */
	expect_error_at("vips:\n  - vip: 10.0.0.1:80\n    probe: {timeout: 500}\n    backends:\n"
			"      - {address: 10.0.0.2, probe: {interval: 300}}\n",
			5, 36, "backend 10.0.0.2 of VIP 10.0.0.1:80/tcp: the probe timeout (500 ms, its VIP's) "
			       "must not exceed the interval (300 ms, its own)");
}

/* What apply compares is the text of each setting: every setting's text
 * must read back to the same value. */
static void test_every_vip_setting_formats_to_text_it_parses(void **state)
{
	struct config_error err;
	struct config cfg;

	(void)state;
	assert_int_equal(parse(example, &cfg, &err), 0);
	for (size_t v = 0; v < cfg.nvips; v++) {
		struct vip_entry e = cfg.vips[v].e, back;

		state_vip_defaults(&e.key, &back.vip, &back.cfg);
		back.key = e.key;
		for (int i = 0; i < VIP_SETTINGS; i++) {
			char text[160], why[200];

			vip_setting_format(&e, vip_settings[i], text, sizeof(text));
			if (!strcmp(vip_settings[i], "probe-port") && !e.cfg.probe_port)
				continue; /* "default": the VIP's port, as in back already */
			if (!strcmp(vip_settings[i], "timeout") && !e.cfg.timeout_ms)
				continue; /* "derived": unset, as in back already */
			if (vip_setting_parse(&back, vip_settings[i], text, why, sizeof(why)))
				fail_msg("%s '%s' does not parse: %s", vip_settings[i], text, why);
		}
		assert_memory_equal(&back.vip, &e.vip, sizeof(e.vip));
		assert_memory_equal(&back.cfg, &e.cfg, sizeof(e.cfg));
	}
	config_free(&cfg);
}

/* The value of the first "path" key in text, as libyaml itself reads it. */
static char *yaml_path_value(const char *text)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	bool want = false, done = false;
	char *value = NULL;

	assert_true(yaml_parser_initialize(&parser));
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, strlen(text));
	while (!done) {
		if (!yaml_parser_parse(&parser, &ev))
			fail_msg("libyaml cannot read the written file: %s", parser.problem);
		if (ev.type == YAML_SCALAR_EVENT) {
			const char *v = (const char *)ev.data.scalar.value;

			if (want) {
				value = malloc(ev.data.scalar.length + 1);
				memcpy(value, v, ev.data.scalar.length + 1);
				done = true;
			}
			want = !strcmp(v, "path");
		}
		done = done || ev.type == YAML_STREAM_END_EVENT;
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	return value;
}

/* The writer escapes what YAML will not take raw, whatever the input rule
 * lets in: libyaml reads back the very bytes. */
static void test_writer_escapes_characters_yaml_does_not_take_raw(void **state)
{
	static const char *const paths[] = {
		"/nel\xc2\x85x",           /* U+0085: \N, a line break if raw */
		"/c1\xc2\x80\xc2\x9f",     /* other C1 controls */
		"/bom\xef\xbb\xbfx",       /* U+FEFF */
		"/nc\xef\xbf\xbe\xef\xbf\xbf", /* U+FFFE, U+FFFF */
		"/ls\xe2\x80\xa8ps\xe2\x80\xa9", /* U+2028, U+2029: line breaks in YAML 1.1 */
		"/del\x7f\ttab\"q\\b",
		"/ok\xc3\xa9\xc2\xa0\xf0\x9f\x98\x80", /* printable: written as they are */
	};
	struct config_error err;
	struct config cfg;

	(void)state;
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		char *text, *back;

		assert_int_equal(parse(example, &cfg, &err), 0);
		snprintf(cfg.vips[0].e.cfg.probe_path, SIOBPF_PROBE_PATH_MAX, "%s", paths[i]);
		text = written(&cfg);
		back = yaml_path_value(text);
		if (!back || strcmp(back, paths[i]))
			fail_msg("path %zu read back as '%s' from:\n%s", i, back ? back : "(none)", text);
		free(back);
		free(text);
		config_free(&cfg);
	}
}

static void test_writer_refuses_bytes_that_are_not_utf8(void **state)
{
	static const char *const paths[] = {"/\xff", "/\xc0\xaf", "/\xed\xa0\x80", "/\xe2\x82",
					    "/\xf4\x90\x80\x80"};
	struct config_error err;
	struct config cfg;

	(void)state;
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		char *buf = NULL;
		size_t len = 0;
		FILE *out = open_memstream(&buf, &len);

		assert_int_equal(parse(example, &cfg, &err), 0);
		snprintf(cfg.vips[0].e.cfg.probe_path, SIOBPF_PROBE_PATH_MAX, "%s", paths[i]);
		assert_int_equal(config_write(out, &cfg), -EILSEQ);
		fclose(out);
		free(buf);
		config_free(&cfg);
	}
}

/* The URL rule: what it takes, and what it refuses with which message. */
static void test_probe_path_rule_names_the_character_and_its_place(void **state)
{
	static const char *const good[] = {
		"/", "/health", "/a/b/", "/a//b", "/%2F%7e", "/-._~!$&'()*+,;=:@",
		"/q?x=1&y=/?z", "/q?%20",
	};
	static const struct {
		const char *path;
		int kind;
		const char *why;
	} bad[] = {
		{"/a b", SIOBPF_PROBE_HTTP, "\"/a b\": character ' ' at position 3 is not allowed in a URL path"},
		{"health", SIOBPF_PROBE_HTTP, "\"health\" must start with '/'"},
		{"", SIOBPF_PROBE_HTTP, "\"\" must start with '/'"},
		{"/a#b", SIOBPF_PROBE_HTTP, "character '#' at position 3 is not allowed in a URL path"},
		{"/a?b#c", SIOBPF_PROBE_HTTP, "character '#' at position 5 is not allowed"},
		{"/x\xc2\x85", SIOBPF_PROBE_HTTP, "\"/x\\xc2\\x85\": character \\xc2 at position 3"},
		{"/x\x7f", SIOBPF_PROBE_HTTP, "character \\x7f at position 3"},
		{"/t\tab", SIOBPF_PROBE_HTTP, "character \\x09 at position 3"},
		{"/q\"", SIOBPF_PROBE_HTTP, "character '\"' at position 3"},
		{"/%4", SIOBPF_PROBE_HTTP, "character '%' at position 2 is not followed by two hex digits"},
		{"/%zz", SIOBPF_PROBE_HTTP, "character '%' at position 2 is not followed by two hex digits"},
		{"//host", SIOBPF_PROBE_HTTP, "character '/' at position 2 is not allowed here"},
		{"/[v]", SIOBPF_PROBE_HTTP, "character '[' at position 2"},
		{"/s?EIO=3", SIOBPF_PROBE_SOCKETIO,
		 "character '?' at position 3 is not allowed in a socketio probe path"},
	};
	char why[200], longer[SIOBPF_PROBE_PATH_MAX + 2];

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (probe_path_check(good[i], SIOBPF_PROBE_HTTP, why, sizeof(why)))
			fail_msg("'%s' refused: %s", good[i], why);
	assert_int_equal(probe_path_check("/socket.io/", SIOBPF_PROBE_SOCKETIO, why, sizeof(why)), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = 0;
		if (probe_path_check(bad[i].path, bad[i].kind, why, sizeof(why)) != -EINVAL ||
		    !strstr(why, bad[i].why))
			fail_msg("path %zu: expected -EINVAL with '%s', got '%s'", i, bad[i].why, why);
	}
	memset(longer, 'a', sizeof(longer));
	longer[0] = '/';
	longer[SIOBPF_PROBE_PATH_MAX] = 0;
	assert_int_equal(probe_path_check(longer, SIOBPF_PROBE_HTTP, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "must be shorter than 108"));
	longer[SIOBPF_PROBE_PATH_MAX - 1] = 0;
	assert_int_equal(probe_path_check(longer, SIOBPF_PROBE_HTTP, why, sizeof(why)), 0);
}

static void test_file_refuses_paths_by_the_url_rule_at_the_path(void **state)
{
	(void)state;
	expect_error_at("vips:\n  - vip: 10.0.0.1:80\n    probe: {type: http, path: \"/a b\"}\n", 3, 31,
			"probe path \"/a b\": character ' ' at position 3 is not allowed in a URL path");
	expect_error_at("vips:\n  - vip: 10.0.0.1:80\n    probe: {path: \"/\\u0085\"}\n", 3, 19,
			"character \\xc2 at position 2");
	/* The query rule needs the kind, which may come after the path. */
	expect_error_at("vips:\n  - vip: 10.0.0.1:80\n    probe: {path: /s?x, type: socketio}\n", 3, 19,
			"VIP 10.0.0.1:80/tcp: probe path \"/s?x\": character '?' at position 3 is not "
			"allowed in a socketio probe path");
	/* A backend's socketio probe on its VIP's path with a query. */
	expect_error_at("vips:\n  - vip: 10.0.0.1:80\n    probe: {type: http, path: /s?x}\n"
			"    backends:\n      - {address: 10.0.0.2, probe: {type: socketio}}\n", 5, 36,
			"backend 10.0.0.2 of VIP 10.0.0.1:80/tcp: probe path \"/s?x\": character '?'");
}

static void collect_problem(void *ctx, const char *problem)
{
	char *all = ctx;

	snprintf(all + strlen(all), 1024 - strlen(all), "%s|", problem);
}

/* Maps written by an older siobpf may hold what the rule now refuses. */
static void test_check_names_the_vip_and_backend_of_a_stored_bad_path(void **state)
{
	struct config_error err;
	struct config cfg;
	char all[1024] = "";

	(void)state;
	assert_int_equal(parse(example, &cfg, &err), 0);
	assert_int_equal(config_check(&cfg, collect_problem, all), 0);
	strcpy(cfg.vips[0].e.cfg.probe_path, "/he alth");
	cfg.vips[0].backends[1].has_probe = true;
	backend_config_init(&cfg.vips[0].backends[1].probe, 0);
	memset(cfg.vips[0].backends[1].probe.probe_path, 'x', SIOBPF_PROBE_PATH_MAX); /* no NUL */
	assert_int_equal(config_check(&cfg, collect_problem, all), 2);
	assert_non_null(strstr(all, "VIP 10.77.100.1:80/tcp: probe path \"/he alth\": character ' ' "
				    "at position 4 is not allowed in a URL path|"));
	assert_non_null(strstr(all, "backend 10.77.1.2 of VIP 10.77.100.1:80/tcp: probe path"));
	assert_non_null(strstr(all, "must be shorter than 108"));
	config_free(&cfg);
}

/* --- property: random settings write and read back to the same struct --- */

static const char path_chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
				 "-._~!$&'()*+,;=:@/";

static unsigned rnd(unsigned n)
{
	return (unsigned)random() % n;
}

/* A random path the rule accepts, of up to `max` bytes. */
static void random_path(char *buf, size_t max, bool query)
{
	size_t n = 1, want = 1 + rnd((unsigned)max - 1);
	bool in_query = false;

	buf[0] = '/';
	while (n < want) {
		unsigned pick = rnd(20);

		if (pick == 0 && n + 3 <= want) {
			n += (size_t)sprintf(buf + n, "%%%02X", rnd(256));
		} else if (pick == 1 && query && !in_query) {
			buf[n++] = '?';
			in_query = true;
		} else if (pick == 2 && in_query) {
			buf[n++] = rnd(2) ? '?' : '/';
		} else {
			buf[n] = path_chars[rnd(sizeof(path_chars) - 1)];
			if (n == 1 && buf[n] == '/') /* "//" names a host */
				buf[n] = 'a';
			n++;
		}
	}
	buf[n] = 0;
}

static void set_vip(struct vip_entry *e, const char *name, const char *text)
{
	char why[200];

	if (vip_setting_parse(e, name, text, why, sizeof(why)))
		fail_msg("%s '%s' refused: %s", name, text, why);
}

static void set_own(struct siobpf_backend_config *c, const char *name, const char *text)
{
	char why[200];

	if (backend_probe_setting_parse(c, name, text, why, sizeof(why)))
		fail_msg("backend %s '%s' refused: %s", name, text, why);
}

static void random_vip(struct config_vip *v, unsigned index)
{
	static const char *const kinds[] = {"tcp", "http", "socketio", "none"};
	char text[SIOBPF_PROBE_PATH_MAX + 16];
	const char *why;
	bool v6 = rnd(2), vip_query;
	unsigned kind = rnd(4);

	memset(v, 0, sizeof(*v));
	if (v6)
		snprintf(text, sizeof(text), "[fd00::%x]:%u%s", index + 1, 1 + rnd(65535),
			 rnd(2) ? "/udp" : "/tcp");
	else
		snprintf(text, sizeof(text), "10.0.%u.%u:%u%s", index / 200, index % 200 + 1,
			 1 + rnd(65535), rnd(2) ? "/udp" : "/tcp");
	assert_int_equal(vip_parse(text, &v->e.key, &why), 0);
	state_vip_defaults(&v->e.key, &v->e.vip, &v->e.cfg);
	set_vip(&v->e, "sticky", rnd(2) ? "ip" : "ip-port");
	snprintf(text, sizeof(text), "%u", rnd(v6 ? 129 : 33));
	set_vip(&v->e, "prefix", text);
	snprintf(text, sizeof(text), "%u", rnd(SIOBPF_PERSIST_MAX_SEC + 1));
	set_vip(&v->e, "persist", text);
	snprintf(text, sizeof(text), "%u", (unsigned)random());
	set_vip(&v->e, "seed", text);
	set_vip(&v->e, "probe", kinds[kind]);
	/* A query only where no probe of this VIP can be socketio. */
	vip_query = kind != SIOBPF_PROBE_SOCKETIO && rnd(2);
	random_path(text, SIOBPF_PROBE_PATH_MAX - 1, vip_query);
	set_vip(&v->e, "probe-path", text);
	if (rnd(2)) {
		snprintf(text, sizeof(text), "%u", 1 + rnd(65535));
		set_vip(&v->e, "probe-port", text);
	}
	snprintf(text, sizeof(text), "%u", 100 + rnd(500));
	set_vip(&v->e, "probe-status", text);
	set_vip(&v->e, "probe-method", method_names[rnd(METHOD_NAMES)]);
	/* Every timeout at most every interval, at either level. */
	snprintf(text, sizeof(text), "%u", 1000 + rnd(3599001));
	set_vip(&v->e, "interval", text);
	snprintf(text, sizeof(text), "%u", 10 + rnd(991));
	set_vip(&v->e, "timeout", text);
	snprintf(text, sizeof(text), "%u", 1 + rnd(100));
	set_vip(&v->e, "rise", text);
	snprintf(text, sizeof(text), "%u", 1 + rnd(100));
	set_vip(&v->e, "fall", text);

	v->nbackends = rnd(4);
	v->backends = calloc(v->nbackends + 1, sizeof(*v->backends));
	for (size_t i = 0; i < v->nbackends; i++) {
		struct config_backend *b = &v->backends[i];
		unsigned own_kind = vip_query ? rnd(2) * 2 + 1 /* http or none */ : rnd(4);
		bool socketio;

		snprintf(text, sizeof(text), v6 ? "fd01::%x:%zx" : "10.1.%u.%zu", index, i + 1);
		assert_int_equal(addr_parse(text, &b->addr, &why), 0);
		b->weight = 1 + rnd(SIOBPF_MAX_WEIGHT);
		b->state = rnd(4) == 3 ? CONFIG_STATE_KEEP : (int)rnd(3);
		backend_config_init(&b->probe, 0);
		b->has_probe = rnd(2);
		if (!b->has_probe)
			continue;
		if (rnd(2))
			set_own(&b->probe, "probe", kinds[own_kind]);
		socketio = b->probe.probe == SIOBPF_PROBE_SOCKETIO ||
			   (b->probe.probe == SIOBPF_PROBE_INHERIT && kind == SIOBPF_PROBE_SOCKETIO);
		if (rnd(2)) {
			random_path(text, SIOBPF_PROBE_PATH_MAX - 1, !socketio && rnd(2));
			set_own(&b->probe, "probe-path", text);
		}
		if (rnd(2)) {
			snprintf(text, sizeof(text), "%u", 1 + rnd(65535));
			set_own(&b->probe, "probe-port", text);
		}
		if (rnd(2)) {
			snprintf(text, sizeof(text), "%u", 100 + rnd(500));
			set_own(&b->probe, "probe-status", text);
		}
		if (rnd(2))
			set_own(&b->probe, "probe-method", method_names[rnd(METHOD_NAMES)]);
		if (rnd(2)) {
			snprintf(text, sizeof(text), "%u", 1000 + rnd(3599001));
			set_own(&b->probe, "interval", text);
		}
		if (rnd(2)) {
			snprintf(text, sizeof(text), "%u", 10 + rnd(991));
			set_own(&b->probe, "timeout", text);
		}
		if (rnd(2)) {
			snprintf(text, sizeof(text), "%u", 1 + rnd(100));
			set_own(&b->probe, "rise", text);
		}
		if (rnd(2)) {
			snprintf(text, sizeof(text), "%u", 1 + rnd(100));
			set_own(&b->probe, "fall", text);
		}
	}
}

static void assert_same_config(const struct config *a, const struct config *b)
{
	assert_int_equal(a->nvips, b->nvips);
	for (size_t v = 0; v < a->nvips; v++) {
		const struct config_vip *x = &a->vips[v], *y = &b->vips[v];

		assert_memory_equal(&x->e, &y->e, sizeof(x->e));
		assert_int_equal(x->nbackends, y->nbackends);
		for (size_t i = 0; i < x->nbackends; i++) {
			const struct config_backend *p = &x->backends[i], *q = &y->backends[i];

			assert_memory_equal(&p->addr, &q->addr, sizeof(p->addr));
			assert_int_equal(p->weight, q->weight);
			assert_int_equal(p->state, q->state);
			assert_int_equal(p->has_probe, q->has_probe);
			if (p->has_probe)
				assert_memory_equal(&p->probe, &q->probe, sizeof(p->probe));
		}
	}
}

static void test_random_settings_write_and_read_back_to_the_same_struct(void **state)
{
	(void)state;
	srandom(20240611);
	for (int round = 0; round < 400; round++) {
		struct config cfg = {0}, back;
		struct config_error err;
		char *text;

		cfg.nvips = 1 + rnd(3);
		cfg.vips = calloc(cfg.nvips, sizeof(*cfg.vips));
		for (size_t v = 0; v < cfg.nvips; v++)
			random_vip(&cfg.vips[v], (unsigned)v);
		text = written(&cfg);
		if (config_parse(text, strlen(text), &back, &err))
			fail_msg("round %d: the written file is refused at %d:%d: %s\n%s", round,
				 err.at.line, err.at.column, err.msg, text);
		assert_same_config(&cfg, &back);
		free(text);
		config_free(&back);
		config_free(&cfg);
	}
}

/* Whatever bytes a path holds, the rule refuses it or it reads back as itself. */
static void test_any_accepted_path_bytes_read_back_as_themselves(void **state)
{
	struct config_error err;
	struct config cfg, back;
	char path[24], why[200];

	(void)state;
	srandom(7);
	for (int round = 0; round < 20000; round++) {
		size_t n = 1 + rnd(sizeof(path) - 2);
		char *text;

		path[0] = '/';
		for (size_t i = 1; i < n; i++)
			path[i] = (char)(1 + rnd(255));
		path[n] = 0;
		assert_int_equal(parse(example, &cfg, &err), 0);
		if (vip_setting_parse(&cfg.vips[0].e, "probe-path", path, why, sizeof(why))) {
			config_free(&cfg);
			continue;
		}
		text = written(&cfg);
		if (config_parse(text, strlen(text), &back, &err))
			fail_msg("accepted path refused once written at %d:%d: %s\n%s", err.at.line,
				 err.at.column, err.msg, text);
		assert_string_equal(back.vips[0].e.cfg.probe_path, path);
		free(text);
		config_free(&back);
		config_free(&cfg);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_example_parses_to_its_values),
		cmocka_unit_test(test_omitted_settings_are_the_cli_defaults),
		cmocka_unit_test(test_empty_list_of_vips_is_valid),
		cmocka_unit_test(test_unknown_keys_are_refused_where_they_are),
		cmocka_unit_test(test_bad_values_are_refused_at_the_value),
		cmocka_unit_test(test_persist_is_capped_at_the_table_maximum),
		cmocka_unit_test(test_probe_timeout_above_interval_is_refused_at_the_timeout),
		cmocka_unit_test(test_duplicates_are_refused_with_the_first_place),
		cmocka_unit_test(test_backend_of_the_other_family_is_refused),
		cmocka_unit_test(test_missing_required_keys_are_named),
		cmocka_unit_test(test_yaml_syntax_errors_have_libyaml_place),
		cmocka_unit_test(test_empty_and_multi_document_files_are_refused),
		cmocka_unit_test(test_backend_probe_block_overrides_fields),
		cmocka_unit_test(test_written_file_reads_back_to_the_same_text),
		cmocka_unit_test(test_probe_down_backend_is_written_without_state),
		cmocka_unit_test(test_written_empty_configuration),
		cmocka_unit_test(test_vip_with_only_an_interval_keeps_no_timeout_and_saves_none),
		cmocka_unit_test(test_backend_timeout_is_checked_against_the_interval_in_force),
		cmocka_unit_test(test_every_vip_setting_formats_to_text_it_parses),
		cmocka_unit_test(test_writer_escapes_characters_yaml_does_not_take_raw),
		cmocka_unit_test(test_writer_refuses_bytes_that_are_not_utf8),
		cmocka_unit_test(test_probe_path_rule_names_the_character_and_its_place),
		cmocka_unit_test(test_file_refuses_paths_by_the_url_rule_at_the_path),
		cmocka_unit_test(test_check_names_the_vip_and_backend_of_a_stored_bad_path),
		cmocka_unit_test(test_random_settings_write_and_read_back_to_the_same_struct),
		cmocka_unit_test(test_any_accepted_path_bytes_read_back_as_themselves),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

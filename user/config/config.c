// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* The configuration file's format: YAML (libyaml) to struct config with
 * every value checked by the CLI's rules, and back; see config.h. */
#define _GNU_SOURCE /* memmem */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <yaml.h>

#include "config.h"
#include "output.h"
#include "probe_settings.h"
#include "settings.h"

struct parser {
	yaml_document_t *doc;
	struct config_error *err;
	size_t total_backends;
};

static struct config_mark mark_of(const yaml_node_t *node)
{
	return (struct config_mark){(int)node->start_mark.line + 1, (int)node->start_mark.column + 1};
}

static int vfail(struct parser *p, struct config_mark at, const char *fmt, va_list ap)
{
	p->err->at = at;
	vsnprintf(p->err->msg, sizeof(p->err->msg), fmt, ap);
	return -EINVAL;
}

/* Records the problem at a node (or a mark); returns -EINVAL. */
static int fail(struct parser *p, const yaml_node_t *node, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail_at(struct parser *p, struct config_mark at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct parser *p, const yaml_node_t *node, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vfail(p, mark_of(node), fmt, ap);
	va_end(ap);
	return rc;
}

static int fail_at(struct parser *p, struct config_mark at, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vfail(p, at, fmt, ap);
	va_end(ap);
	return rc;
}

static const char *node_kind(const yaml_node_t *node)
{
	switch (node->type) {
	case YAML_SEQUENCE_NODE: return "a list";
	case YAML_MAPPING_NODE: return "a mapping";
	default: return "a value";
	}
}

/* A scalar's text, or NULL (after failing) when the node is not one. */
static const char *scalar(struct parser *p, const yaml_node_t *node, const char *what)
{
	const char *text;

	if (node->type != YAML_SCALAR_NODE) {
		fail(p, node, "%s must be a single value, not %s", what, node_kind(node));
		return NULL;
	}
	text = (const char *)node->data.scalar.value;
	if (strlen(text) != node->data.scalar.length) {
		fail(p, node, "%s holds a NUL byte", what);
		return NULL;
	}
	return text;
}

/* Walks a mapping's keys, refusing duplicates and keys not in `keys`
 * (NULL-terminated). Calls fn with each key's index and its value node. */
typedef int (*pair_fn)(struct parser *p, void *ctx, int key, const yaml_node_t *key_node,
		       const yaml_node_t *value);

static int walk_mapping(struct parser *p, const yaml_node_t *map, const char *what,
			const char *const *keys, pair_fn fn, void *ctx)
{
	unsigned seen = 0;

	if (map->type != YAML_MAPPING_NODE)
		return fail(p, map, "%s must be a mapping of 'key: value', not %s", what, node_kind(map));
	for (yaml_node_pair_t *pair = map->data.mapping.pairs.start; pair < map->data.mapping.pairs.top;
	     pair++) {
		const yaml_node_t *k = yaml_document_get_node(p->doc, pair->key);
		const yaml_node_t *v = yaml_document_get_node(p->doc, pair->value);
		char expected[160] = "";
		const char *name;
		int i, err;

		name = scalar(p, k, "a key");
		if (!name)
			return -EINVAL;
		for (i = 0; keys[i] && strcmp(keys[i], name); i++)
			;
		if (!keys[i]) {
			for (int j = 0; keys[j]; j++)
				snprintf(expected + strlen(expected), sizeof(expected) - strlen(expected), "%s%s",
					 j ? ", " : "", keys[j]);
			return fail(p, k, "unknown key '%s' in %s (expected %s)", name, what, expected);
		}
		if (seen & (1u << i))
			return fail(p, k, "duplicate key '%s' in %s", name, what);
		seen |= 1u << i;
		err = fn(p, ctx, i, k, v);
		if (err)
			return err;
	}
	return 0;
}

/* The value node of a key in a mapping, or NULL. */
static const yaml_node_t *mapping_get(struct parser *p, const yaml_node_t *map, const char *key)
{
	for (yaml_node_pair_t *pair = map->data.mapping.pairs.start; pair < map->data.mapping.pairs.top;
	     pair++) {
		const yaml_node_t *k = yaml_document_get_node(p->doc, pair->key);

		if (k->type == YAML_SCALAR_NODE && !strcmp((const char *)k->data.scalar.value, key))
			return yaml_document_get_node(p->doc, pair->value);
	}
	return NULL;
}

/* --- backends --- */

static const char *const backend_keys[] = {"address", "weight", "state", "probe", NULL};

/* The probe block's keys and the option names (`vip add`, `backend add`)
 * they stand for. */
static const char *const probe_keys[] = {"type", "port", "path", "status", "method",
					 "interval", "timeout", "rise", "fall", NULL};
static const char *const probe_options[] = {"probe", "probe-port", "probe-path", "probe-status",
					    "probe-method", "interval", "timeout", "rise", "fall"};

static int backend_probe_pair(struct parser *p, void *ctx, int key, const yaml_node_t *key_node,
			      const yaml_node_t *value)
{
	struct config_backend *be = ctx;
	const char *text = scalar(p, value, probe_keys[key]);
	char why[200];

	(void)key_node;
	if (!text)
		return -EINVAL;
	if (backend_probe_setting_parse(&be->probe, probe_options[key], text, why, sizeof(why)))
		return fail(p, value, "probe %s %s", probe_keys[key], why);
	return 0;
}

static int backend_pair(struct parser *p, void *ctx, int key, const yaml_node_t *key_node,
			const yaml_node_t *value)
{
	struct config_backend *be = ctx;
	struct siobpf_backend b = {0};
	const char *text, *name = backend_keys[key];
	char why[160];

	(void)key_node;
	if (key == 0) /* the address, read first by backend_parse */
		return 0;
	if (!strcmp(name, "probe")) {
		be->has_probe = true;
		be->probe_at = mark_of(value);
		return walk_mapping(p, value, "the backend's probe", probe_keys, backend_probe_pair, be);
	}
	text = scalar(p, value, name);
	if (!text)
		return -EINVAL;
	if (backend_setting_parse(&b, name, text, why, sizeof(why)))
		return fail(p, value, "%s %s", name, why);
	if (!strcmp(name, "weight"))
		be->weight = b.weight;
	else
		be->state = b.state;
	return 0;
}

static int backend_parse(struct parser *p, struct config_vip *vip, const yaml_node_t *node)
{
	struct config_backend *be = &vip->backends[vip->nbackends];
	char vtext[ADDR_TEXT_MAX], atext[ADDR_TEXT_MAX];
	const char *text, *why = NULL;
	const yaml_node_t *addr_node;

	if (node->type != YAML_MAPPING_NODE)
		return fail(p, node, "a backend must be a mapping like {address: ADDR, weight: 1}, not %s",
			    node_kind(node));
	addr_node = mapping_get(p, node, "address");
	if (!addr_node)
		return fail(p, node, "a backend needs 'address: ADDR'");
	text = scalar(p, addr_node, "address");
	if (!text)
		return -EINVAL;
	memset(be, 0, sizeof(*be));
	be->weight = 1;
	be->state = CONFIG_STATE_KEEP;
	backend_config_init(&be->probe, 0);
	be->at = mark_of(addr_node);
	if (addr_parse(text, &be->addr, &why))
		return fail(p, addr_node, "bad backend address '%s': %s", text, why);
	vip_format(&vip->e.key, vtext, sizeof(vtext));
	addr_format(be->addr.family, be->addr.a, atext, sizeof(atext));
	if (be->addr.family != vip->e.key.family)
		return fail(p, addr_node,
			    "backend %s is IPv%d but VIP %s is IPv%d: DSR keeps the packet's addresses, so "
			    "they must be of one family",
			    atext, be->addr.family, vtext, vip->e.key.family);
	for (size_t i = 0; i < vip->nbackends; i++)
		if (addr_equal(&be->addr, vip->backends[i].addr.family, vip->backends[i].addr.a))
			return fail(p, addr_node, "duplicate backend %s of VIP %s (first at line %d)", atext,
				    vtext, vip->backends[i].at.line);
	if (++p->total_backends > SIOBPF_MAX_BACKENDS)
		return fail(p, addr_node, "too many backends: siobpf holds at most %d",
			    SIOBPF_MAX_BACKENDS);
	vip->nbackends++;
	return walk_mapping(p, node, "a backend", backend_keys, backend_pair, be);
}

static int backends_parse(struct parser *p, struct config_vip *vip, const yaml_node_t *node)
{
	size_t n;

	if (node->type != YAML_SEQUENCE_NODE)
		return fail(p, node, "backends must be a list (`backends: []` for none), not %s",
			    node_kind(node));
	n = (size_t)(node->data.sequence.items.top - node->data.sequence.items.start);
	vip->backends = calloc(n ? n : 1, sizeof(*vip->backends));
	if (!vip->backends)
		return -ENOMEM;
	for (yaml_node_item_t *item = node->data.sequence.items.start;
	     item < node->data.sequence.items.top; item++) {
		int err = backend_parse(p, vip, yaml_document_get_node(p->doc, *item));

		if (err)
			return err;
	}
	return 0;
}

/* --- VIPs --- */

static int probe_pair(struct parser *p, void *ctx, int key, const yaml_node_t *key_node,
		      const yaml_node_t *value)
{
	struct config_vip *vip = ctx;
	const char *text = scalar(p, value, probe_keys[key]);
	char why[200];

	(void)key_node;
	if (!text)
		return -EINVAL;
	if (vip_setting_parse(&vip->e, probe_options[key], text, why, sizeof(why)))
		return fail(p, value, "probe %s %s", probe_keys[key], why);
	return 0;
}

static const char *const vip_keys[] = {"vip", "sticky", "prefix", "persist", "forward", "seed",
				       "probe", "backends", NULL};

static int vip_pair(struct parser *p, void *ctx, int key, const yaml_node_t *key_node,
		    const yaml_node_t *value)
{
	struct config_vip *vip = ctx;
	const char *name = vip_keys[key], *text;
	char why[200];

	(void)key_node;
	if (!strcmp(name, "vip")) /* read first, by vip_entry_parse */
		return 0;
	if (!strcmp(name, "probe"))
		return walk_mapping(p, value, "the probe", probe_keys, probe_pair, vip);
	if (!strcmp(name, "backends"))
		return backends_parse(p, vip, value);
	text = scalar(p, value, name);
	if (!text)
		return -EINVAL;
	if (vip_setting_parse(&vip->e, name, text, why, sizeof(why)))
		return fail(p, value, "%s %s", name, why);
	return 0;
}

/* The probe path in force, now that the probe's kind is known, for the VIP
 * and for each backend with its own probe (at its path, or its block). */
static int paths_check(struct parser *p, const struct config_vip *vip, const yaml_node_t *node,
		       const char *text)
{
	const yaml_node_t *probe, *path = NULL;
	char why[200], atext[ADDR_TEXT_MAX];

	if (probe_path_stored_check(&vip->e, NULL, why, sizeof(why))) {
		probe = mapping_get(p, node, "probe");
		if (probe)
			path = mapping_get(p, probe, "path");
		return fail(p, path ? path : probe ? probe : node, "VIP %s: probe path %s", text, why);
	}
	for (size_t i = 0; i < vip->nbackends; i++) {
		const struct config_backend *be = &vip->backends[i];

		if (!be->has_probe || !probe_path_stored_check(&vip->e, &be->probe, why, sizeof(why)))
			continue;
		addr_format(be->addr.family, be->addr.a, atext, sizeof(atext));
		return fail_at(p, be->probe_at, "backend %s of VIP %s: probe path %s", atext, text, why);
	}
	return 0;
}

static int vip_entry_parse(struct parser *p, struct config *cfg, const yaml_node_t *node)
{
	struct config_vip *vip = &cfg->vips[cfg->nvips];
	const yaml_node_t *key_node, *probe, *timeout;
	char text[ADDR_TEXT_MAX], why[200];
	const char *vtext, *problem = NULL;
	int err;

	if (node->type != YAML_MAPPING_NODE)
		return fail(p, node, "a VIP must be a mapping starting 'vip: ADDR:PORT', not %s",
			    node_kind(node));
	/* The key first: the prefix's range depends on its family. */
	key_node = mapping_get(p, node, "vip");
	if (!key_node)
		return fail(p, node, "a VIP needs 'vip: ADDR:PORT[/tcp|/udp]'");
	vtext = scalar(p, key_node, "vip");
	if (!vtext)
		return -EINVAL;
	memset(vip, 0, sizeof(*vip));
	cfg->nvips++; /* from here config_free frees what it holds */
	if (vip_parse(vtext, &vip->e.key, &problem))
		return fail(p, key_node,
			    "bad VIP '%s': %s (e.g. 10.0.0.100:80, or \"[2001:db8::100]:443/udp\" in quotes)",
			    vtext, problem);
	state_vip_defaults(&vip->e.key, &vip->e.vip, &vip->e.cfg);
	vip->at = mark_of(key_node);
	vip_format(&vip->e.key, text, sizeof(text));
	for (size_t i = 0; i + 1 < cfg->nvips; i++)
		if (!memcmp(&cfg->vips[i].e.key, &vip->e.key, sizeof(vip->e.key)))
			return fail(p, key_node, "duplicate VIP %s (first at line %d)", text,
				    cfg->vips[i].at.line);
	if (cfg->nvips > SIOBPF_MAX_VIPS)
		return fail(p, key_node, "too many VIPs: siobpf holds at most %d", SIOBPF_MAX_VIPS);
	err = walk_mapping(p, node, "a VIP", vip_keys, vip_pair, vip);
	if (err)
		return err;
	if (vip_settings_check(&vip->e, why, sizeof(why))) {
		probe = mapping_get(p, node, "probe");
		timeout = probe ? mapping_get(p, probe, "timeout") : NULL;
		return fail(p, timeout ? timeout : probe ? probe : key_node, "VIP %s: %s", text, why);
	}
	/* A backend's own settings, merged with the VIP's, must hold too. */
	for (size_t i = 0; i < vip->nbackends; i++) {
		const struct config_backend *be = &vip->backends[i];
		struct probe_settings merged;

		if (!be->has_probe)
			continue;
		probe_settings_resolve(&vip->e, &be->probe, &merged);
		if (probe_settings_check(&merged, why, sizeof(why))) {
			char atext[ADDR_TEXT_MAX];

			addr_format(be->addr.family, be->addr.a, atext, sizeof(atext));
			return fail_at(p, be->probe_at, "backend %s of VIP %s: %s", atext, text, why);
		}
	}
	return paths_check(p, vip, node, text);
}

static const char *const top_keys[] = {"vips", NULL};

static int top_pair(struct parser *p, void *ctx, int key, const yaml_node_t *key_node,
		    const yaml_node_t *value)
{
	struct config *cfg = ctx;
	size_t n;

	(void)key;
	(void)key_node;
	if (value->type != YAML_SEQUENCE_NODE)
		return fail(p, value, "vips must be a list of VIPs (`vips: []` for none), not %s",
			    node_kind(value));
	n = (size_t)(value->data.sequence.items.top - value->data.sequence.items.start);
	cfg->vips = calloc(n ? n : 1, sizeof(*cfg->vips));
	if (!cfg->vips)
		return -ENOMEM;
	for (yaml_node_item_t *item = value->data.sequence.items.start;
	     item < value->data.sequence.items.top; item++) {
		int err = vip_entry_parse(p, cfg, yaml_document_get_node(p->doc, *item));

		if (err)
			return err;
	}
	return 0;
}

/* Whether a line holds "key: [...]:PORT", an IPv6 VIP that YAML reads as
 * the start of a list unless it is quoted. */
static bool bracket_vip_on_line(const char *text, size_t len, size_t line)
{
	const char *p = text, *end = text + len, *eol, *open;

	for (size_t l = 0; l < line && p < end; l++) {
		p = memchr(p, '\n', (size_t)(end - p));
		p = p ? p + 1 : end;
	}
	eol = memchr(p, '\n', (size_t)(end - p));
	if (!eol)
		eol = end;
	open = memmem(p, (size_t)(eol - p), ": [", 3);
	return open && memmem(open, (size_t)(eol - open), "]:", 2);
}

/* libyaml's own error, at its place. */
static int syntax_error(const yaml_parser_t *parser, const char *text, size_t len,
			struct config_error *err)
{
	if (parser->error == YAML_MEMORY_ERROR)
		return -ENOMEM;
	if (parser->error == YAML_READER_ERROR) {
		/* Reader errors carry a byte offset, not a mark. */
		size_t off = parser->problem_offset < len ? parser->problem_offset : len;
		int line = 1, column = 1;

		for (size_t i = 0; i < off; i++, column++)
			if (text[i] == '\n') {
				line++;
				column = 0;
			}
		err->at = (struct config_mark){line, column};
		snprintf(err->msg, sizeof(err->msg), "not UTF-8 text: %s",
			 parser->problem ? parser->problem : "unreadable");
		return -EINVAL;
	}
	err->at = (struct config_mark){(int)parser->problem_mark.line + 1,
				       (int)parser->problem_mark.column + 1};
	if (bracket_vip_on_line(text, len, parser->problem_mark.line)) {
		snprintf(err->msg, sizeof(err->msg),
			 "bad YAML syntax: %s; an IPv6 VIP needs quotes: vip: \"[2001:db8::1]:80\"",
			 parser->problem ? parser->problem : "unreadable");
		return -EINVAL;
	}
	if (parser->context)
		snprintf(err->msg, sizeof(err->msg), "bad YAML syntax: %s (%s from line %d, column %d)",
			 parser->problem ? parser->problem : "unreadable", parser->context,
			 (int)parser->context_mark.line + 1, (int)parser->context_mark.column + 1);
	else
		snprintf(err->msg, sizeof(err->msg), "bad YAML syntax: %s",
			 parser->problem ? parser->problem : "unreadable");
	return -EINVAL;
}

int config_parse(const char *text, size_t len, struct config *cfg, struct config_error *err)
{
	struct parser p = {.err = err};
	yaml_document_t doc, extra;
	yaml_parser_t parser;
	yaml_node_t *root, *more;
	int rc;

	memset(cfg, 0, sizeof(*cfg));
	memset(err, 0, sizeof(*err));
	if (!yaml_parser_initialize(&parser))
		return -ENOMEM;
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		rc = syntax_error(&parser, text, len, err);
		yaml_parser_delete(&parser);
		return rc;
	}
	p.doc = &doc;
	root = yaml_document_get_root_node(&doc);
	if (!root) {
		err->at = (struct config_mark){1, 1};
		snprintf(err->msg, sizeof(err->msg),
			 "the file is empty: it must hold 'vips:', a list of VIPs (`vips: []` removes every VIP)");
		rc = -EINVAL;
		goto out;
	}
	/* A second document would be silently ignored: refuse it. */
	if (!yaml_parser_load(&parser, &extra)) {
		rc = syntax_error(&parser, text, len, err);
		goto out;
	}
	more = yaml_document_get_root_node(&extra);
	if (more) {
		err->at = (struct config_mark){(int)more->start_mark.line + 1,
					       (int)more->start_mark.column + 1};
		snprintf(err->msg, sizeof(err->msg),
			 "a second YAML document: the configuration is one document");
		rc = -EINVAL;
	} else {
		rc = walk_mapping(&p, root, "the file", top_keys, top_pair, cfg);
		if (!rc && !cfg->vips)
			rc = fail(&p, root, "the file needs 'vips:', a list of VIPs (`vips: []` for none)");
	}
	yaml_document_delete(&extra);
out:
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	if (rc)
		config_free(cfg);
	return rc;
}

void config_free(struct config *cfg)
{
	for (size_t i = 0; i < cfg->nvips; i++)
		free(cfg->vips[i].backends);
	free(cfg->vips);
	memset(cfg, 0, sizeof(*cfg));
}

int config_check(const struct config *cfg, config_problem_fn fn, void *ctx)
{
	char why[200], msg[400], vtext[ADDR_TEXT_MAX], atext[ADDR_TEXT_MAX];
	int problems = 0;

	for (size_t v = 0; v < cfg->nvips; v++) {
		const struct config_vip *vip = &cfg->vips[v];

		vip_format(&vip->e.key, vtext, sizeof(vtext));
		if (probe_path_stored_check(&vip->e, NULL, why, sizeof(why))) {
			snprintf(msg, sizeof(msg), "VIP %s: probe path %s", vtext, why);
			fn(ctx, msg);
			problems++;
		}
		for (size_t i = 0; i < vip->nbackends; i++) {
			const struct config_backend *be = &vip->backends[i];

			if (!be->has_probe || !probe_path_stored_check(&vip->e, &be->probe, why, sizeof(why)))
				continue;
			addr_format(be->addr.family, be->addr.a, atext, sizeof(atext));
			snprintf(msg, sizeof(msg), "backend %s of VIP %s: probe path %s", atext, vtext, why);
			fn(ctx, msg);
			problems++;
		}
	}
	return problems;
}

/* --- writing --- */

/* The code point of the UTF-8 sequence at s, its length in *n; -1 (and *n
 * 1) for a byte that does not start one (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF). */
static long utf8_decode(const unsigned char *s, int *n)
{
	static const long min[] = {0, 0, 0x80, 0x800, 0x10000};
	long cp;
	int len = s[0] < 0x80 ? 1 : s[0] >= 0xc2 && s[0] < 0xe0 ? 2 : s[0] >= 0xe0 && s[0] < 0xf0 ? 3
		: s[0] >= 0xf0 && s[0] < 0xf5 ? 4 : 0;

	*n = 1;
	if (!len)
		return -1;
	cp = len == 1 ? s[0] : s[0] & (0x3f >> (len - 1));
	for (int i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return -1;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	*n = len;
	return cp;
}

/* Writes s as a YAML scalar: plain when YAML reads it back as the same
 * string in this context (flow: inside {...}, where ':' would split a
 * pair); otherwise double-quoted, with every character YAML does not take
 * as it is (C0 and C1 controls, U+0085, the line and paragraph separators,
 * U+FEFF, U+FFFE, U+FFFF) escaped. -EILSEQ when s is not UTF-8: a byte that
 * is not can only be written as the character of that number. */
static int put_str(FILE *out, const char *s, bool flow)
{
	bool plain = *s && (strchr("/.", *s) || (*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'z') ||
			    (*s >= 'A' && *s <= 'Z'));
	int rc = 0, n;

	for (const char *c = s; plain && *c; c++)
		plain = (*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
			strchr("._/-", *c) || (*c == ':' && !flow && c[1] && c[1] != ' ');
	if (plain) {
		fputs(s, out);
		return 0;
	}
	fputc('"', out);
	for (const unsigned char *c = (const unsigned char *)s; *c; c += n) {
		long cp = utf8_decode(c, &n);

		if (cp < 0) {
			fprintf(out, "\\x%02x", *c);
			rc = -EILSEQ;
		} else if (cp == '"' || cp == '\\') {
			fprintf(out, "\\%c", (int)cp);
		} else if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0 && cp != 0x85)) {
			fprintf(out, "\\x%02lx", cp);
		} else if (cp == 0x85) {
			fputs("\\N", out);
		} else if (cp == 0x2028 || cp == 0x2029) {
			fputs(cp == 0x2028 ? "\\L" : "\\P", out);
		} else if (cp == 0xfeff || cp == 0xfffe || cp == 0xffff) {
			fprintf(out, "\\u%04lX", cp);
		} else {
			fwrite(c, 1, (size_t)n, out);
		}
	}
	fputc('"', out);
	return rc;
}

/* A probe path as the maps hold it, which may lack its NUL. */
static int put_bounded(FILE *out, const char path[SIOBPF_PROBE_PATH_MAX])
{
	char text[SIOBPF_PROBE_PATH_MAX + 1];

	snprintf(text, sizeof(text), "%.*s", SIOBPF_PROBE_PATH_MAX, path);
	return put_str(out, text, true);
}

/* Only the fields a backend sets itself; the rest are its VIP's. */
static int write_backend_probe(FILE *out, const struct siobpf_backend_config *c)
{
	const char *sep = "";
	int rc = 0;

	fprintf(out, ", probe: {");
	if (c->probe != SIOBPF_PROBE_INHERIT) {
		fprintf(out, "type: %s", name_of(probe_names, PROBE_NAMES, c->probe));
		sep = ", ";
	}
	if (c->probe_port) {
		fprintf(out, "%sport: %u", sep, c->probe_port);
		sep = ", ";
	}
	if (c->probe_path[0]) {
		fprintf(out, "%spath: ", sep);
		rc = put_bounded(out, c->probe_path);
		sep = ", ";
	}
	if (c->http_status) {
		fprintf(out, "%sstatus: %u", sep, c->http_status);
		sep = ", ";
	}
	if (c->probe_method != SIOBPF_PROBE_INHERIT) {
		fprintf(out, "%smethod: %s", sep, name_of(method_names, METHOD_NAMES, c->probe_method));
		sep = ", ";
	}
	if (c->interval_ms) {
		fprintf(out, "%sinterval: %u", sep, c->interval_ms);
		sep = ", ";
	}
	if (c->timeout_ms) {
		fprintf(out, "%stimeout: %u", sep, c->timeout_ms);
		sep = ", ";
	}
	if (c->rise) {
		fprintf(out, "%srise: %u", sep, c->rise);
		sep = ", ";
	}
	if (c->fall)
		fprintf(out, "%sfall: %u", sep, c->fall);
	fprintf(out, "}");
	return rc;
}

static int write_vip(FILE *out, const struct config_vip *v)
{
	const struct vip_entry *e = &v->e;
	char text[ADDR_TEXT_MAX];
	int rc;

	vip_format(&e->key, text, sizeof(text));
	fprintf(out, "  - vip: ");
	put_str(out, text, false);
	fprintf(out, "\n    sticky: %s\n    prefix: %u\n    persist: %u\n    forward: %s\n    seed: %u\n",
		name_of(sticky_names, STICKY_NAMES, e->vip.sticky), e->vip.prefix, e->vip.persist_sec,
		name_of(forward_names, FORWARD_NAMES, e->vip.forward), e->vip.hash_seed);
	fprintf(out, "    probe: {type: %s", name_of(probe_names, PROBE_NAMES, e->cfg.probe));
	if (e->cfg.probe_port) /* 0: the VIP's own port */
		fprintf(out, ", port: %u", e->cfg.probe_port);
	fprintf(out, ", path: ");
	rc = put_bounded(out, e->cfg.probe_path);
	fprintf(out, ", status: %u, method: %s, interval: %u", e->cfg.http_status,
		name_of(method_names, METHOD_NAMES, e->cfg.probe_method), e->cfg.interval_ms);
	if (e->cfg.timeout_ms) /* 0: nobody set it, so it follows the interval */
		fprintf(out, ", timeout: %u", e->cfg.timeout_ms);
	fprintf(out, ", rise: %u, fall: %u}\n", e->cfg.rise, e->cfg.fall);
	fprintf(out, "    backends:%s\n", v->nbackends ? "" : " []");
	for (size_t i = 0; i < v->nbackends; i++) {
		const struct config_backend *b = &v->backends[i];

		addr_format(b->addr.family, b->addr.a, text, sizeof(text));
		fprintf(out, "      - {address: ");
		put_str(out, text, true);
		fprintf(out, ", weight: %u", b->weight);
		if (b->state != CONFIG_STATE_KEEP)
			fprintf(out, ", state: %s", name_of(state_names, STATE_NAMES, b->state));
		if (b->has_probe && write_backend_probe(out, &b->probe))
			rc = -EILSEQ;
		if (b->probe_down && b->state == CONFIG_STATE_KEEP)
			fprintf(out, "}  # down by its probe, which brings it back %s\n",
				b->drained ? "to drain" : "up");
		else
			fprintf(out, "}\n");
	}
	return rc;
}

int config_write(FILE *out, const struct config *cfg)
{
	int rc = 0;

	fprintf(out, "# siobpf configuration: `siobpf apply -f FILE` makes the running state match it.\n"
		     "# A backend without a state keeps the one it has (its probe's).\n");
	fprintf(out, "vips:%s\n", cfg->nvips ? "" : " []");
	for (size_t i = 0; i < cfg->nvips; i++)
		if (write_vip(out, &cfg->vips[i]))
			rc = -EILSEQ;
	return fflush(out) || ferror(out) ? -EIO : rc;
}

/* --- files --- */

/* The whole of a stream, NUL-terminated. */
static int read_all(FILE *in, char **text, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap), *grown;

	if (!buf)
		return -ENOMEM;
	for (;;) {
		n += fread(buf + n, 1, cap - n - 1, in);
		if (ferror(in)) {
			free(buf);
			return -EIO;
		}
		if (feof(in))
			break;
		if (cap - n - 1 == 0) {
			if (cap >= (64u << 20)) { /* no configuration is this large */
				free(buf);
				return -EFBIG;
			}
			grown = realloc(buf, cap * 2);
			if (!grown) {
				free(buf);
				return -ENOMEM;
			}
			buf = grown;
			cap *= 2;
		}
	}
	buf[n] = 0;
	*text = buf;
	*len = n;
	return 0;
}

int config_load_file(const char *path, struct config *cfg, char *errbuf, size_t errlen)
{
	bool stdin_file = !strcmp(path, "-");
	struct config_error error;
	FILE *in = stdin_file ? stdin : fopen(path, "r");
	char *text = NULL;
	size_t len = 0;
	int err;

	memset(cfg, 0, sizeof(*cfg));
	if (!in) {
		err = -errno;
		snprintf(errbuf, errlen, "cannot open %s: %s", path, strerror(-err));
		return err;
	}
	err = read_all(in, &text, &len);
	if (!stdin_file)
		fclose(in);
	if (err) {
		snprintf(errbuf, errlen, "cannot read %s: %s", path, strerror(-err));
		return err;
	}
	err = config_parse(text, len, cfg, &error);
	free(text);
	if (err == -ENOMEM)
		snprintf(errbuf, errlen, "%s: out of memory", path);
	else if (err)
		snprintf(errbuf, errlen, "%s:%d:%d: %s", stdin_file ? "<stdin>" : path, error.at.line,
			 error.at.column, error.msg);
	return err;
}

// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* libFuzzer: addresses, VIPs and VIP settings that parse format to text
 * that parses to the same value (parse -> format -> parse). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "settings.h"
#include "state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char text[256], out[256], why[256];
	struct siobpf_vip_key key, key2;
	struct addr a, b;
	const char *problem;

	/* First byte: which VIP setting; the rest: the text. */
	if (size < 1 || size >= sizeof(text))
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = 0;
	if (!addr_parse(text, &a, &problem)) {
		addr_format(a.family, a.a, out, sizeof(out));
		if (addr_parse(out, &b, &problem) || b.family != a.family || memcmp(a.a, b.a, sizeof(a.a)))
			abort();
	}
	if (!vip_parse(text, &key, &problem)) {
		struct vip_entry e, back;
		const char *name = vip_settings[data[0] % VIP_SETTINGS];

		vip_format(&key, out, sizeof(out));
		memset(&key2, 0, sizeof(key2));
		if (vip_parse(out, &key2, &problem) || memcmp(&key, &key2, sizeof(key)))
			abort();
		/* A setting's text, parsed on this VIP, formats to text parsing to the same. */
		memset(&e, 0, sizeof(e));
		e.key = key;
		state_vip_defaults(&e.key, &e.vip, &e.cfg);
		back = e;
		if (vip_setting_parse(&e, name, text, why, sizeof(why)))
			return 0;
		vip_setting_format(&e, name, out, sizeof(out));
		if (strcmp(name, "probe-port") || e.cfg.probe_port)
			if (vip_setting_parse(&back, name, out, why, sizeof(why)) ||
			    memcmp(&back, &e, sizeof(e))) {
				fprintf(stderr, "%s '%s' -> '%s' does not read back: %s\n", name, text, out, why);
				abort();
			}
	}
	return 0;
}

// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* libFuzzer: any response body through the socketio probe's handshake check
 * and the failure excerpt. A body that passes must start with the handshake
 * and the session id it names, which holds only URL-safe characters (it is
 * put in the close request's URL); an excerpt is printable and short. */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "probe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *body = malloc(size + 1), sid[64], excerpt[32];
	size_t sid_room = size ? 1 + data[0] % sizeof(sid) : sizeof(sid);

	if (!body)
		return 0;
	memcpy(body, data, size);
	body[size] = 0; /* as the probe keeps it */
	if (probe_socketio_sid(body, sid, sid_room)) {
		size_t n = strlen(sid);
		static const char head[] = "0{\"sid\":\"";

		if (n == 0 || n >= sid_room || strncmp(body, head, sizeof(head) - 1) ||
		    strncmp(body + sizeof(head) - 1, sid, n) || body[sizeof(head) - 1 + n] != '"')
			abort();
		for (size_t i = 0; i < n; i++)
			if (!isalnum((unsigned char)sid[i]) && sid[i] != '-' && sid[i] != '_')
				abort();
	}
	probe_body_excerpt(body, size, excerpt, sizeof(excerpt));
	if (strlen(excerpt) > 24 || strlen(excerpt) > size)
		abort();
	for (size_t i = 0; excerpt[i]; i++)
		if (!isprint((unsigned char)excerpt[i]))
			abort();
	free(body);
	return 0;
}

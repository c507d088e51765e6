// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* libFuzzer: any text config_parse accepts writes back (config_write) to
 * text it accepts again, and that text writes back to itself. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

static char *written(const struct config *cfg, size_t *len)
{
	char *buf = NULL;
	FILE *out = open_memstream(&buf, len);

	if (!out || config_write(out, cfg))
		abort(); /* an accepted configuration must be writable */
	fclose(out);
	return buf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config cfg, again;
	struct config_error err;
	char *first, *second;
	size_t n1, n2;

	if (config_parse((const char *)data, size, &cfg, &err))
		return 0;
	first = written(&cfg, &n1);
	if (config_parse(first, n1, &again, &err)) {
		fprintf(stderr, "written text refused at %d:%d: %s\n%s\n", err.at.line, err.at.column,
			err.msg, first);
		abort();
	}
	second = written(&again, &n2);
	if (n1 != n2 || memcmp(first, second, n1)) {
		fprintf(stderr, "written twice, two texts:\n%s\n---\n%s\n", first, second);
		abort();
	}
	free(first);
	free(second);
	config_free(&cfg);
	config_free(&again);
	return 0;
}

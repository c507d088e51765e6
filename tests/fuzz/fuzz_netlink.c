// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* libFuzzer: any received buffer, as the reply to each kind of request,
 * goes through the checks and callbacks without leaving the buffer. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>

#include "netlink.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nl_reply_info info;
	void *buf;

	if (size < 16)
		return 0;
	/* An exact-size aligned copy: ASan sees any read past the reply. */
	buf = aligned_alloc(8, (size + 7) & ~(size_t)7);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	for (int kind = NL_REPLY_ROUTE; kind <= NL_REPLY_LINK; kind++) {
		/* seq and portid from the first message, so replies get past those checks. */
		const uint32_t *h = buf;
		int rc = nl_reply_parse((enum nl_reply)kind, buf, size, h[2], h[3], &info);

		if (rc > 1 || (rc < 0 && -rc > 4095))
			abort();
	}
	free(buf);
	return 0;
}

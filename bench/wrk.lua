-- SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
-- wrk script: writes a run's totals and its latency distribution (1,000
-- quantiles) to the file named by $WRK_OUT, so that the runs of several
-- client namespaces can be merged (percentiles cannot be averaged). wrk's
-- latency(i) walks the whole histogram per call, too slow for every bucket.
done = function(summary, latency, requests)
	local f = assert(io.open(os.getenv("WRK_OUT"), "w"))
	local e = summary.errors
	f:write(string.format("requests %d\nduration_us %d\nbytes %d\n",
		summary.requests, summary.duration, summary.bytes))
	f:write(string.format("errors_connect %d\nerrors_read %d\nerrors_write %d\n",
		e.connect, e.read, e.write))
	f:write(string.format("errors_status %d\nerrors_timeout %d\n", e.status, e.timeout))
	if summary.requests > 0 then
		for i = 1, 1000 do
			f:write(string.format("q %d %d\n", i, latency:percentile(i / 10)))
		end
	end
	f:close()
end

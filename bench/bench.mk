# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Benchmarks, included by the Makefile: build/bench/siobench and the BPF
# programs it embeds. `make bench` / `make bench-quick` run bench/run.sh,
# which installs what it needs and builds through `make bench-build`.

BENCH_DIR   := $(BUILD)/bench
BENCH_SKELS := $(patsubst bench/%.bpf.c,$(BENCH_DIR)/%.skel.h,$(wildcard bench/*.bpf.c)) \
	       $(BENCH_DIR)/siobpf_prev.skel.h

$(BENCH_DIR)/%.bpf.o: bench/%.bpf.c bench/bench.h bench/swap.bpf.h $(wildcard include/siobpf/*.h) | $(BUILD)
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(dir $@)
	$(call bpf_cc,$<,$@,-Ibench)

# The previous sticky table as a baseline: siobpf's own program with
# bench/sticky_prev.h in place of bpf/sticky.h (bpf/siobpf.bpf.c's hook).
$(BENCH_DIR)/siobpf_prev.bpf.o: $(BPF_SRC) $(BPF_HDRS) bench/sticky_prev.h bench/bench.h | $(BUILD)
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(dir $@)
	$(call bpf_cc,$<,$@,-Ibpf -Ibench -DSIOBPF_STICKY_IMPL='"sticky_prev.h"')

$(BENCH_DIR)/%.skel.h: $(BENCH_DIR)/%.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $*_bpf > $@.tmp && mv $@.tmp $@

$(BENCH_DIR)/siobench: bench/siobench.c bench/pkt.c bench/pkt.h bench/bench.h $(BENCH_SKELS) $(SKEL) \
		       $(LIB_OBJ) $(USER_HDRS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -Ibench -I$(BENCH_DIR) bench/siobench.c bench/pkt.c $(LIB_OBJ) -o $@ $(LIBS)

.PRECIOUS: $(BENCH_DIR)/%.bpf.o
.PHONY: bench bench-quick bench-build
bench-build: $(BUILD)/siobpf $(BUILD)/tests/xdp_pass.bpf.o $(BENCH_DIR)/siobench

bench:
	$(Q)BUILD=$(BUILD) bench/run.sh

bench-quick:
	$(Q)BUILD=$(BUILD) bench/run.sh --quick

# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Build: BPF object -> skeleton -> siobpf binary and tests, all under $(BUILD).
# `make V=1` shows every command.

BUILD    ?= build
CC       ?= gcc
CLANG    ?= clang
BPFTOOL  ?= bpftool
ARCH_INC := /usr/include/$(shell $(CC) -dumpmachine)

# Build-time sizes shared by the program and user space (include/siobpf/abi.h).
SIZES    := $(if $(RING_SIZE),-DSIOBPF_RING_SIZE=$(RING_SIZE))

VERSION  := 0.2.0
WARN     := -Wall -Wextra -Werror
CFLAGS   ?= -O2 -g
# user/ by layer: cli (commands, output), core (maps, rings, addresses, netlink),
# config (YAML, settings), daemon (probes, health, metrics).
USER_DIRS := cli core config daemon
CFLAGS   += $(WARN) -std=gnu11 -DSIOBPF_VERSION=\"$(VERSION)\" -Iinclude $(addprefix -Iuser/,$(USER_DIRS)) -I$(BUILD) $(SIZES)
BPF_CFLAGS := -O2 -g -target bpf -mcpu=v3 $(WARN) -Iinclude -I$(ARCH_INC) $(SIZES)

# bpf_cc SOURCE OBJECT [FLAGS]: compiles BPF code and refuses an object that
# read a glibc header. With -target bpf glibc selects its 32-bit stubs, which
# only a 32-bit libc package provides: such an object builds only on machines
# that happen to have one, so the check fails on every machine instead.
GLIBC_HDRS := $(ARCH_INC)/(sys|bits|gnu)/
define bpf_cc
$(Q)$(CLANG) $(BPF_CFLAGS) $(3) -MD -MF $(2).d -c $(1) -o $(2)
$(Q)if grep -qE '$(GLIBC_HDRS)' $(2).d; then \
	echo "$(1) includes glibc headers (BPF code must not):" >&2; \
	tr ' \\' '\n\n' < $(2).d | grep -E '$(GLIBC_HDRS)' | head -3 >&2; \
	rm -f $(2); exit 1; fi
endef
LIBS     := -lxdp -lbpf -lelf -lz -lmnl -ljson-c -lyaml -lcurl -lmicrohttpd -lpthread -lm

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' $(1) $(2);
endif

BPF_SRC  := bpf/siobpf.bpf.c
BPF_HDRS := $(wildcard bpf/*.h include/siobpf/*.h)
BPF_OBJ  := $(BUILD)/siobpf.bpf.o
SKEL     := $(BUILD)/siobpf.skel.h

# user/ is one library (every file but main.c) shared by the binary and tests.
LIB_SRC  := $(filter-out user/cli/main.c,$(wildcard $(addsuffix /*.c,$(addprefix user/,$(USER_DIRS)))))
LIB_OBJ  := $(patsubst user/%.c,$(BUILD)/user/%.o,$(LIB_SRC))
USER_HDRS := $(wildcard $(addsuffix /*.h,$(addprefix user/,$(USER_DIRS))) include/siobpf/*.h)

UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(patsubst tests/unit/%.c,$(BUILD)/tests/unit/%,$(UNIT_SRC))
BPFT_SRC := $(wildcard tests/bpf/test_*.c)
BPFT_BIN := $(patsubst tests/bpf/%.c,$(BUILD)/tests/bpf/%,$(BPFT_SRC))
BPFT_HELPERS := $(filter-out $(BPFT_SRC),$(wildcard tests/bpf/*.c))
BPFT_HDRS := $(wildcard tests/bpf/*.h)

.PHONY: all tests test clean deps docs install demo
all: $(BUILD)/siobpf $(BUILD)/siobpf.8 $(BUILD)/siobpf.bash-completion

$(BPF_OBJ): $(BPF_SRC) $(BPF_HDRS) | $(BUILD)
	$(call msg,BPF,$@)
	$(call bpf_cc,$<,$@)

$(SKEL): $(BPF_OBJ)
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name siobpf_bpf > $@.tmp && mv $@.tmp $@

# The Makefile too: VERSION is compiled in.
$(BUILD)/user/%.o: user/%.c $(USER_HDRS) $(SKEL) Makefile | $(BUILD)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/siobpf: $(BUILD)/user/cli/main.o $(LIB_OBJ)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(LIBS)

# The man page, the bash completion and the README's command reference come
# from the command table in user/cli/commands.c; `make docs` refreshes the README.
$(BUILD)/siobpf.8: $(BUILD)/siobpf
	$(call msg,MAN,$@)
	$(Q)$< help --man > $@

$(BUILD)/siobpf.bash-completion: $(BUILD)/siobpf
	$(call msg,GEN,$@)
	$(Q)$< help --bash-completion > $@.tmp && mv $@.tmp $@

docs: $(BUILD)/siobpf
	$(Q)scripts/readme-commands.sh $(BUILD)/siobpf README.md

# PREFIX=/usr for a distribution package; the unit names $(PREFIX)/sbin.
PREFIX ?= /usr/local
SYSTEMD_UNIT_DIR ?= $(PREFIX)/lib/systemd/system
install: all
	install -D -m 0755 $(BUILD)/siobpf $(DESTDIR)$(PREFIX)/sbin/siobpf
	install -D -m 0644 $(BUILD)/siobpf.8 $(DESTDIR)$(PREFIX)/share/man/man8/siobpf.8
	install -D -m 0644 $(BUILD)/siobpf.bash-completion $(DESTDIR)$(PREFIX)/share/bash-completion/completions/siobpf
	install -D -m 0755 scripts/backend-setup.sh $(DESTDIR)$(PREFIX)/sbin/siobpf-backend-setup
	install -d $(DESTDIR)$(SYSTEMD_UNIT_DIR)
	sed 's|@SBINDIR@|$(PREFIX)/sbin|g' 'contrib/siobpf@.service.in' > '$(DESTDIR)$(SYSTEMD_UNIT_DIR)/siobpf@.service'
	chmod 0644 '$(DESTDIR)$(SYSTEMD_UNIT_DIR)/siobpf@.service'
	install -D -m 0644 contrib/siobpf.example.yaml $(DESTDIR)$(PREFIX)/share/doc/siobpf/examples/siobpf.yaml
	install -D -m 0644 contrib/bird/siobpf-node.conf $(DESTDIR)$(PREFIX)/share/doc/siobpf/examples/bird/siobpf-node.conf

tests: $(UNIT_BIN) $(BPFT_BIN) $(BUILD)/siobpf $(BUILD)/siobpf.8 $(BUILD)/siobpf.bash-completion $(BUILD)/tests/xdp_pass.bpf.o

$(BUILD)/tests/xdp_pass.bpf.o: tests/netns/xdp_pass.bpf.c | $(BUILD)
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(dir $@)
	$(call bpf_cc,$<,$@)

$(BUILD)/tests/unit/%: tests/unit/%.c $(LIB_OBJ) $(USER_HDRS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $< $(LIB_OBJ) -o $@ -lcmocka $(LIBS)

$(BUILD)/tests/bpf/%: tests/bpf/%.c $(BPFT_HELPERS) $(BPFT_HDRS) $(LIB_OBJ) $(USER_HDRS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) -Itests/bpf $< $(BPFT_HELPERS) $(LIB_OBJ) -o $@ -lcmocka $(LIBS)

# libFuzzer targets (tests/fuzz): user/ compiled again with clang and the
# sanitizers under $(BUILD)/fuzz, apart from the gcc build. `make fuzz` runs
# each for FUZZ_SECONDS from its corpus in tests/fuzz/corpus/TARGET.
FUZZ_SECONDS ?= 150
FUZZ_SAN   := -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS := -O1 -g $(FUZZ_SAN) -std=gnu11 -DSIOBPF_VERSION=\"$(VERSION)\" -Iinclude \
	$(addprefix -Iuser/,$(USER_DIRS)) -I$(BUILD) $(SIZES)
FUZZ_SRC   := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN   := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRC))
FUZZ_LIB   := $(patsubst user/%.c,$(BUILD)/fuzz/user/%.o,$(LIB_SRC))

$(BUILD)/fuzz/user/%.o: user/%.c $(USER_HDRS) $(SKEL) Makefile
	$(call msg,FUZZCC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(BUILD)/fuzz/%: tests/fuzz/%.c $(FUZZ_LIB)
	$(call msg,FUZZLD,$@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer $< $(FUZZ_LIB) -o $@ $(LIBS)

.PHONY: fuzz-build fuzz
fuzz-build: $(FUZZ_BIN)
.SECONDARY: $(FUZZ_LIB)

fuzz: fuzz-build
	$(Q)BUILD=$(BUILD) FUZZ_SECONDS=$(FUZZ_SECONDS) bash tests/fuzz/test_fuzz.sh

# The unit and BPF tests built again under $(BUILD)/ubsan with UBSan: a
# misaligned header cast or an overflow ends the test that made it (root:
# the BPF tests load the program).
UBSAN_CC := $(CC) -fsanitize=undefined -fno-sanitize-recover=all
UBSAN_TESTS := $(patsubst $(BUILD)/%,$(BUILD)/ubsan/%,$(UNIT_BIN) $(BPFT_BIN))
.PHONY: ubsan-tests
ubsan-tests:
	$(Q)$(MAKE) --no-print-directory BUILD=$(BUILD)/ubsan CC='$(UBSAN_CC)' $(UBSAN_TESTS)
	$(Q)failed=0; for t in $(UBSAN_TESTS); do \
		if $$t >$$t.log 2>&1; then echo "ok - $$t"; \
		else failed=1; echo "not ok - $$t:"; grep -m5 'runtime error' $$t.log || tail -5 $$t.log; fi; \
	done; exit $$failed

# Every layer; the last line is "N passed, N failed".
test: tests
	$(Q)BUILD=$(BUILD) scripts/run-tests.sh

demo:
	$(Q)scripts/demo.sh

deps:
	$(Q)scripts/deps.sh

$(BUILD):
	$(Q)mkdir -p $@

clean:
	$(Q)rm -rf $(BUILD)

# Benchmarks: make bench, make bench-quick (bench/README.md).
include bench/bench.mk

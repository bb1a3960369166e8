# edg: build, test, fuzz and install.
#
#   make                 the four binaries into build/
#   make deps            install the Debian packages needed to build, run and test (idempotent)
#   make check           every test suite; ends with "N passed, N failed"
#   make fuzz            each libFuzzer target for FUZZ_SECONDS (default 60)
#   make install         FHS paths under DESTDIR/PREFIX
#   make clean
#
#   SANITIZE=address,undefined  builds everything (objects in build/san/) with sanitizers.
#
# Sources are found by wildcard: a new lib/*.c joins libedg.a, a new tests/unit/test_*.c
# becomes a test program, a new tests/fuzz/fuzz_*.c a fuzz target. Nobody edits this file
# to add a module.

CC      ?= cc
PREFIX  ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
BINDIR  ?= $(PREFIX)/bin
MANDIR  ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
UNITDIR ?= $(PREFIX)/lib/systemd/system
DATADIR ?= $(PREFIX)/share/edg
DESTDIR ?=
FUZZ_SECONDS ?= 60

PKGS := hiredis libcurl libcrypto libssl jansson libidn2 libmicrohttpd

WARN := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wstrict-prototypes -Wmissing-prototypes \
	-Wpointer-arith -Wcast-qual -Wwrite-strings -Wvla -Wno-unused-parameter
OPT  ?= -O2 -g
CPPFLAGS_ALL := -Iinclude -D_GNU_SOURCE $(shell pkg-config --cflags $(PKGS) 2>/dev/null) $(CPPFLAGS)
CFLAGS_ALL   := -std=c11 $(OPT) $(WARN) -fno-strict-aliasing -fstack-protector-strong $(CFLAGS)
LIBS_ALL     := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -pthread -lm
# libmilter ships no pkg-config file: it is a plain -lmilter with its headers in libmilter/.
MILTER_LIBS  := -lmilter

ifneq ($(SANITIZE),)
B := build/san
CFLAGS_ALL += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS    += -fsanitize=$(SANITIZE)
else
B := build
CFLAGS_ALL += -D_FORTIFY_SOURCE=2
endif
O := $(B)/obj

# V=1 shows each compiler command.
ifeq ($(V),1)
Q :=
QL :=
else
Q = @echo "  CC  $<";
QL = @echo "  LD  $@";
endif

LIB_SRC   := $(sort $(wildcard lib/*.c))
LIB_OBJ   := $(LIB_SRC:%.c=$(O)/%.o)
LIBEDG    := $(O)/libedg.a

PROGS := $(B)/edg-syncd $(B)/edg-policyd $(B)/edg-milter $(B)/edgctl
syncd_SRC   := $(sort $(wildcard syncd/*.c))
policyd_SRC := $(sort $(wildcard policyd/*.c))
milter_SRC  := $(sort $(wildcard milter/*.c))
ctl_SRC     := $(sort $(wildcard ctl/*.c))

TESTLIB_SRC := $(sort $(wildcard tests/lib/*.c))
TESTLIB_OBJ := $(TESTLIB_SRC:%.c=$(O)/%.o)
UNIT_SRC    := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN    := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)
TOOL_SRC    := $(sort $(wildcard tests/tools/*.c))
TOOL_BIN    := $(TOOL_SRC:tests/tools/%.c=$(B)/tests/%)

FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=build/fuzz/%)

.SECONDARY:
.PHONY: all deps check unit integration fuzz fuzz-build install clean format sample bench leakcheck \
	demo demo-stop soak
all: $(PROGS)

$(O)/%.o: %.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CPPFLAGS_ALL) $(CFLAGS_ALL) -MMD -MP -c -o $@ $<

$(O)/tests/%.o: CPPFLAGS_ALL += -Itests/lib

$(LIBEDG): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(B)/edg-syncd: $(syncd_SRC:%.c=$(O)/%.o) $(LIBEDG)
	$(QL)$(CC) $(CFLAGS_ALL) $(LDFLAGS) -o $@ $^ $(LIBS_ALL)
$(B)/edg-policyd: $(policyd_SRC:%.c=$(O)/%.o) $(LIBEDG)
	$(QL)$(CC) $(CFLAGS_ALL) $(LDFLAGS) -o $@ $^ $(LIBS_ALL)
$(B)/edg-milter: $(milter_SRC:%.c=$(O)/%.o) $(LIBEDG)
	$(QL)$(CC) $(CFLAGS_ALL) $(LDFLAGS) -o $@ $^ $(MILTER_LIBS) $(LIBS_ALL)
$(B)/edgctl: $(ctl_SRC:%.c=$(O)/%.o) $(LIBEDG)
	$(QL)$(CC) $(CFLAGS_ALL) $(LDFLAGS) -o $@ $^ $(LIBS_ALL)

$(B)/tests/%: $(O)/tests/unit/%.o $(TESTLIB_OBJ) $(LIBEDG)
	@mkdir -p $(dir $@)
	$(QL)$(CC) $(CFLAGS_ALL) $(LDFLAGS) -o $@ $^ -lcmocka $(LIBS_ALL)
$(B)/tests/%: $(O)/tests/tools/%.o $(LIBEDG)
	@mkdir -p $(dir $@)
	$(QL)$(CC) $(CFLAGS_ALL) $(LDFLAGS) -o $@ $^ $(MILTER_LIBS) $(LIBS_ALL)

# deps: the Debian packages to build, run and test edg. Installs only what is missing.
deps:
	@sh tests/deps.sh

# check: every suite (unit programs, integration scripts, then the fault suite of
# tests/faults/: mail through a private Postfix while a peer fails), one summary line;
# last tests/secrets_scan.sh: no secret a suite registered in any log the run kept.
check: deps all $(UNIT_BIN) $(TOOL_BIN)
	@EDG_BUILD=$(B) sh tests/run-suites.sh $(UNIT_BIN) $(sort $(wildcard tests/integration/*.sh)) \
		$(sort $(wildcard tests/faults/*.sh)) tests/secrets_scan.sh

unit: all $(UNIT_BIN)
	@EDG_BUILD=$(B) sh tests/run-suites.sh $(UNIT_BIN)

# Fuzz targets are built with clang's libFuzzer from the library sources, apart from $(B).
FUZZ_CFLAGS := -std=c11 -g -O1 -Iinclude -D_GNU_SOURCE -DEDG_FUZZING \
	$(shell pkg-config --cflags $(PKGS) 2>/dev/null) -fsanitize=fuzzer,address,undefined
FUZZ_LIB_OBJ := $(LIB_SRC:%.c=build/fuzz/obj/%.o)
build/fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS:-fsanitize=fuzzer,%=-fsanitize=fuzzer-no-link,%) -MMD -MP -c -o $@ $<
build/fuzz/%: tests/fuzz/%.c $(FUZZ_LIB_OBJ)
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -Itests/fuzz -o $@ $^ $(LIBS_ALL)
fuzz-build: $(FUZZ_BIN)
fuzz: deps fuzz-build
	@sh tests/run-fuzz.sh $(FUZZ_SECONDS) $(FUZZ_BIN)

# leakcheck: the daemons' integration suites with the daemons under valgrind; a memory
# error or a definite/indirect leak makes a daemon exit 99, which the suites report.
# tests/soak/leak_postfix.sh: LEAK_MESSAGES (default 10,000) through Postfix with
# edg-policyd and edg-milter under valgrind (its own valgrind command, full reports kept).
LEAK_MESSAGES ?= 10000
LEAKCHECK_SUITES ?= tests/integration/policyd_golden.sh tests/integration/syncd.sh \
	tests/soak/leak_postfix.sh
leakcheck: deps all
	@EDG_BUILD=$(B) LEAK_MESSAGES=$(LEAK_MESSAGES) EDG_VALGRIND="valgrind -q --vgdb=no --leak-check=full \
		--show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
		--error-exitcode=99" sh tests/run-suites.sh $(LEAKCHECK_SUITES)

# soak: SOAK_SECONDS (default an hour) of mail at SOAK_RATE msg/s through a private Postfix
# with the daemons, syncs running and Redis restarted every SOAK_REDIS_RESTART s; each
# daemon's RSS, fds and Redis connections sampled into build/soak/*.csv, judged flat or not.
SOAK_SECONDS ?= 3600
SOAK_RATE ?= 5
SOAK_REDIS_RESTART ?= 600
soak: deps all
	@EDG_BUILD=$(B) SOAK_SECONDS=$(SOAK_SECONDS) SOAK_RATE=$(SOAK_RATE) \
		SOAK_REDIS_RESTART=$(SOAK_REDIS_RESTART) bash tests/soak/soak.sh

# bench: the side-by-side benchmarks of docs/benchmarks.md (BENCH_QUICK=1: a short run).
bench: deps all $(TOOL_BIN)
	@EDG_BUILD=$(B) BENCH_QUICK=$(BENCH_QUICK) bash bench/run.sh

# demo: the gateway end to end on the embedded emulators (KEEP=1 leaves it running).
demo: deps all
	@EDG_BUILD=$(B) KEEP=$(KEEP) bash demo/demo.sh
demo-stop:
	@bash demo/stop.sh

# sample: regenerate conf/edg.conf.sample and the key reference in docs/configuration.md
# from the configuration table (tests/integration/config.sh fails when they drift).
sample: $(B)/edgctl
	$(B)/edgctl config sample > conf/edg.conf.sample
	$(B)/edgctl config reference > build/reference.md
	sed -i -e '/^<!-- BEGIN GENERATED: edgctl config reference -->$$/,/^<!-- END GENERATED -->$$/{//!d}' \
		-e '/^<!-- BEGIN GENERATED: edgctl config reference -->$$/r build/reference.md' \
		docs/configuration.md

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(SYSCONFDIR)/edg
	install -m 0755 $(B)/edg-syncd $(B)/edg-policyd $(B)/edg-milter $(DESTDIR)$(SBINDIR)/
	install -m 0755 $(B)/edgctl $(DESTDIR)$(BINDIR)/
	install -m 0640 conf/edg.conf.sample $(DESTDIR)$(SYSCONFDIR)/edg/edg.conf.sample
	@set -e; for m in docs/*.8; do [ -f "$$m" ] || continue; \
		install -d $(DESTDIR)$(MANDIR)/man8; install -m 0644 $$m $(DESTDIR)$(MANDIR)/man8/; done
	install -d $(DESTDIR)$(UNITDIR) $(DESTDIR)$(DATADIR)/postfix
	@set -e; for u in conf/systemd/*.service; do \
		sed 's|/usr/local/sbin|$(SBINDIR)|g; s|/usr/local/bin|$(BINDIR)|g' $$u \
			>$(DESTDIR)$(UNITDIR)/$$(basename $$u); done
	install -m 0644 conf/postfix/main.cf conf/postfix/master.cf $(DESTDIR)$(DATADIR)/postfix/
	install -m 0644 conf/redis-acl.conf $(DESTDIR)$(DATADIR)/
	install -d $(DESTDIR)$(DATADIR)/logrotate
	install -m 0644 conf/logrotate/edg-syncd $(DESTDIR)$(DATADIR)/logrotate/

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build

# The compiler's dependency files only: other trees may live under build/ (a test's
# extracted packages, a container root) with names ending in .d.
-include $(shell find build/obj build/san/obj build/fuzz/obj -name '*.d' -type f 2>/dev/null)

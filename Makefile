# scrubd: build, test, run and install.
#
#   make          build build/scrubd
#   make deps     install the Debian packages the build and tests need
#   make test     deps, build, then every test, plain, under ASan+UBSan and
#                 built without Vectorscan (VECTORSCAN=no)
#   make run      deps, build, run the daemon on build/run/scrubd.sock
#   make bench    deps, build, print the benchmark table
#   make fuzz     deps, run the libFuzzer targets FUZZ_SECONDS (60) each
#   make deb      deps-pkg, the Debian package build/scrubd_VERSION_ARCH.deb
#   make test-systemd  deb, then the package under systemd in systemd-nspawn

PREFIX	?= /usr/local
BINDIR	?= $(PREFIX)/bin
SBINDIR	?= $(PREFIX)/sbin
SYSCONFDIR ?= /etc
UNITDIR	?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
MANDIR	?= $(PREFIX)/share/man
BUILD	?= build
CC	?= cc

# Debian packages needed to build and test.
DEB_PKGS = gcc make pkg-config libpcre2-dev libinih-dev libevent-dev \
	   libjansson-dev libcmocka-dev systemd man-db groff-base \
	   clang libclang-rt-14-dev socat python3-pytest python3-distributed \
	   libvectorscan-dev

# Debian packages needed by make deb and make test-systemd only.
PKG_DEB_PKGS = build-essential dpkg-dev debhelper lintian debootstrap \
	   systemd-container

PKGS	 = libpcre2-8 inih libevent libevent_pthreads

# The whole-buffer prefilter and phrase lists use Vectorscan (libhs) when
# pkg-config finds it; VECTORSCAN=no builds without (the prefilter then
# only where scrubd's own SIMD scan takes the rules' literals: at most 64,
# of 3 bytes or more, on at most 8 tails; phrase lists are PCRE2
# alternations).
VECTORSCAN ?= $(shell pkg-config --exists libhs 2>/dev/null && echo yes || \
	    echo no)
ifeq ($(VECTORSCAN),yes)
PKGS	+= libhs
VS_DEFS	 = -DSCRUBD_VECTORSCAN
endif
WARN	 = -Wall -Wextra -Werror
OPT	 = -O2 -g
ifeq ($(SANITIZE),1)
OPT	 = -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
	   -fno-sanitize-recover=all
endif
CFLAGS_ALL = -std=c11 -D_GNU_SOURCE -pthread $(WARN) $(OPT) $(VS_DEFS) \
	   -Ifilters -Idaemon \
	   $(shell pkg-config --cflags $(PKGS) 2>/dev/null) $(CFLAGS)
LDLIBS_ALL = $(shell pkg-config --libs $(PKGS) 2>/dev/null) $(LDLIBS)

ifeq ($(filter deps deps-pkg clean,$(MAKECMDGOALS)),)
ifneq ($(shell pkg-config --exists $(PKGS) 2>/dev/null && echo ok),ok)
$(info scrubd: build dependencies missing: 'make deps' installs them \
    ('make test' and 'make run' call it))
endif
endif

ENGINE_SRC = $(wildcard filters/*.c)
DAEMON_SRC = $(wildcard daemon/*.c)
UNIT_SRC   = $(wildcard tests/unit/test_*.c)
ENGINE_OBJ = $(ENGINE_SRC:%.c=$(BUILD)/%.o)
DAEMON_OBJ = $(DAEMON_SRC:%.c=$(BUILD)/%.o)
UNIT_BINS  = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/%)
TOOL_BINS  = $(BUILD)/chunkfeed $(BUILD)/rulecost

.PHONY: all deps deps-pkg test check run bench fuzz fuzz-run clean install \
	uninstall deb test-systemd
all: $(BUILD)/scrubd $(BUILD)/scrubc

$(BUILD)/%.o: %.c $(wildcard filters/*.h daemon/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS_ALL) -c -o $@ $<

$(BUILD)/libscrub.a: $(ENGINE_OBJ)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/scrubd: $(DAEMON_OBJ) $(BUILD)/libscrub.a
	$(CC) $(CFLAGS_ALL) $(LDFLAGS) -o $@ $^ $(LDLIBS_ALL)

$(BUILD)/scrubc: client/scrubc.c daemon/version.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS_ALL) $(LDFLAGS) -o $@ client/scrubc.c

$(BUILD)/test_%: $(BUILD)/tests/unit/test_%.o $(BUILD)/libscrub.a
	$(CC) $(CFLAGS_ALL) $(LDFLAGS) -o $@ $^ $(LDLIBS_ALL) \
	    $(shell pkg-config --libs cmocka)

$(BUILD)/chunkfeed: $(BUILD)/tests/chunkfeed.o $(BUILD)/libscrub.a
	$(CC) $(CFLAGS_ALL) $(LDFLAGS) -o $@ $^ $(LDLIBS_ALL)

# What the number of rules costs the engine: build/rulecost N [REPS].
$(BUILD)/rulecost: $(BUILD)/tests/rulecost.o $(BUILD)/libscrub.a
	$(CC) $(CFLAGS_ALL) -o $@ $^ $(LDLIBS_ALL)

$(BUILD)/bench/%: $(BUILD)/bench/%.o
	$(CC) $(CFLAGS_ALL) $(LDFLAGS) -o $@ $^ $(LDLIBS_ALL)

# Benchmarks: one table, every figure from this run (see README).
bench: deps
	$(MAKE) all $(BUILD)/bench/client $(BUILD)/bench/echo $(BUILD)/bench/linecopy \
	    $(BUILD)/rulecost
	bash bench/run.sh $(BUILD)

# libFuzzer targets: the engine, the configuration loader, JSON Lines, the
# daemon's session, the encoding layer, the prefilter against PCRE2 alone.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS = engine config jsonl session transcode jsonl_diff prefilter
FUZZ_DIR     = build/fuzz
FUZZ_CFLAGS  = -std=c11 -D_GNU_SOURCE -pthread $(WARN) $(VS_DEFS) -g -O1 \
	       -fno-omit-frame-pointer -fsanitize=address,undefined \
	       -fno-sanitize-recover=all \
	       -Ifilters -Idaemon -DSCRUBD_ROOT='"$(CURDIR)"' \
	       $(shell pkg-config --cflags $(PKGS) jansson 2>/dev/null)
FUZZ_OBJ     = $(ENGINE_SRC:%.c=$(FUZZ_DIR)/%.o)
FUZZ_BINS    = $(FUZZ_TARGETS:%=$(FUZZ_DIR)/fuzz_%)

$(FUZZ_DIR)/filters/%.o: filters/%.c $(wildcard filters/*.h)
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_DIR)/daemon/session.o: daemon/session.c $(wildcard filters/*.h daemon/*.h)
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(FUZZ_OBJ)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $(filter-out %.h,$^) \
	    $(shell pkg-config --libs $(PKGS) jansson)

# The output path: the daemon's session over the engine.
$(FUZZ_DIR)/fuzz_session: tests/fuzz/fuzz_session.c tests/fuzz/fuzz.h \
	    $(FUZZ_OBJ) $(FUZZ_DIR)/daemon/session.o
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $(filter-out %.h,$^) \
	    $(shell pkg-config --libs $(PKGS))

# Run every fuzzer FUZZ_SECONDS seconds; new inputs go to build/fuzz/corpus.
fuzz-run: $(FUZZ_BINS)
	@rm -rf $(FUZZ_DIR)/seeds
	@bash tests/fuzz/seeds.sh $(FUZZ_DIR)/seeds
	@for t in $(FUZZ_TARGETS); do \
		echo "== fuzz_$$t: regressions, then $(FUZZ_SECONDS)s"; \
		$(FUZZ_DIR)/fuzz_$$t tests/fuzz/regressions/$$t/* || exit 1; \
		mkdir -p $(FUZZ_DIR)/corpus/$$t; \
		$(FUZZ_DIR)/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -timeout=10 \
		    -rss_limit_mb=2048 -print_final_stats=1 \
		    -artifact_prefix=$(FUZZ_DIR)/crash-$$t- \
		    $(FUZZ_DIR)/corpus/$$t $(FUZZ_DIR)/seeds/$$t \
		    2> $(FUZZ_DIR)/fuzz_$$t.log || \
		    { tail -40 $(FUZZ_DIR)/fuzz_$$t.log; exit 1; }; \
		grep -E "stat::number_of_executed_units|Done" \
		    $(FUZZ_DIR)/fuzz_$$t.log | tail -2; \
	done

fuzz: deps
	$(MAKE) fuzz-run FUZZ_SECONDS=$(FUZZ_SECONDS)

# Install the Debian packages that are missing (apt-get when root):
# DEPS_PKGS, by default those the build and make test need.
DEPS_PKGS ?= $(DEB_PKGS)
deps:
	@missing=""; \
	for p in $(DEPS_PKGS); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | \
		    grep -q '^install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" -ne 0 ]; then \
		echo "missing packages; run: sudo apt-get install -y$$missing"; \
		exit 1; \
	fi; \
	echo "installing:$$missing"; \
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y -qq --no-install-recommends$$missing

# The same, with what make deb and make test-systemd need as well.
deps-pkg:
	@$(MAKE) -s deps DEPS_PKGS="$(DEB_PKGS) $(PKG_DEB_PKGS)"

# Every test against one build tree (BUILD, SANITIZE).
check: $(BUILD)/scrubd $(BUILD)/scrubc $(UNIT_BINS) $(TOOL_BINS)
	@for t in $(UNIT_BINS); do echo "== $$t"; $$t || exit 1; done
	SCRUBD_BUILD=$(BUILD) /usr/bin/python3 -m pytest -q -p no:cacheprovider tests

test: deps
	$(MAKE) check
	$(MAKE) BUILD=build/asan SANITIZE=1 check
	$(MAKE) BUILD=build/novs VECTORSCAN=no check
	$(MAKE) fuzz-run FUZZ_SECONDS=5

# Run the daemon in the foreground on a local socket with the default rules.
RUN_SOCKET = $(CURDIR)/build/run/scrubd.sock
run: deps
	$(MAKE) all
	@mkdir -p build/run
	@echo "scrubd listens on $(RUN_SOCKET); from another terminal, try:"
	@echo "  socat -t 30 - UNIX-CONNECT:$(RUN_SOCKET) < $(CURDIR)/examples/dirty.txt"
	@echo "Ctrl-C stops it."
	$(BUILD)/scrubd -c conf/scrubd.conf -s $(RUN_SOCKET)

# Install under DESTDIR and PREFIX; an existing configuration is kept.
# The daemon goes to SBINDIR, the client programs of BIN_PROGS (built in
# BUILD by all) to BINDIR, every page in man/ to its section.
BIN_PROGS = scrubc
MAN_PAGES = $(wildcard man/*.[1-8])
MAN_FILES = $(foreach m,$(MAN_PAGES),\
	    $(MANDIR)/man$(subst .,,$(suffix $(m)))/$(notdir $(m)))
install: all $(BIN_PROGS:%=$(BUILD)/%)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) \
	    $(DESTDIR)$(SYSCONFDIR)/scrubd $(DESTDIR)$(UNITDIR) \
	    $(DESTDIR)$(SYSUSERSDIR)
	install -m 0755 $(BUILD)/scrubd $(DESTDIR)$(SBINDIR)/scrubd
	@for p in $(BIN_PROGS); do \
		echo "install -m 0755 $(BUILD)/$$p $(DESTDIR)$(BINDIR)/$$p"; \
		install -m 0755 $(BUILD)/$$p $(DESTDIR)$(BINDIR)/$$p || exit 1; \
	done
	@for f in scrubd.conf watermark.patterns; do \
		if [ -e $(DESTDIR)$(SYSCONFDIR)/scrubd/$$f ]; then \
			echo "keeping existing $(DESTDIR)$(SYSCONFDIR)/scrubd/$$f"; \
		else \
			install -m 0644 conf/$$f $(DESTDIR)$(SYSCONFDIR)/scrubd/$$f; \
		fi; \
	done
	sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
	    systemd/scrubd.service.in > $(DESTDIR)$(UNITDIR)/scrubd.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/scrubd.service
	install -m 0644 systemd/scrubd.socket $(DESTDIR)$(UNITDIR)/scrubd.socket
	install -m 0644 systemd/scrubd-jsonl.socket \
	    $(DESTDIR)$(UNITDIR)/scrubd-jsonl.socket
	install -m 0644 systemd/scrubd.sysusers $(DESTDIR)$(SYSUSERSDIR)/scrubd.conf
	@for m in $(MAN_PAGES); do \
		d=$(DESTDIR)$(MANDIR)/man$${m##*.}; \
		echo "install -m 0644 $$m $$d/"; \
		install -d $$d && install -m 0644 $$m $$d/ || exit 1; \
	done

# Remove what install put in place, but not the configuration.
uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/scrubd $(BIN_PROGS:%=$(DESTDIR)$(BINDIR)/%) \
	    $(DESTDIR)$(UNITDIR)/scrubd.service \
	    $(DESTDIR)$(UNITDIR)/scrubd.socket \
	    $(DESTDIR)$(UNITDIR)/scrubd-jsonl.socket \
	    $(DESTDIR)$(SYSUSERSDIR)/scrubd.conf \
	    $(MAN_FILES:%=$(DESTDIR)%)
	@echo "kept $(DESTDIR)$(SYSCONFDIR)/scrubd: remove it by hand if unwanted"

# The Debian package, built by dpkg-buildpackage from a copy of the tree
# in build/deb (so the package's flags and make clean never touch build/),
# checked by lintian (errors fail), copied to build/.
DEB_VERSION = $(shell sed -n 's/^\#define SCRUBD_VERSION[^"]*"\(.*\)"/\1/p' \
	    daemon/version.h)
DEB_ARCH = $(shell dpkg --print-architecture 2>/dev/null)
DEB_FILE = build/scrubd_$(DEB_VERSION)_$(DEB_ARCH).deb
deb: deps-pkg
	@v=$$(dpkg-parsechangelog -l debian/changelog -S Version); \
	if [ "$$v" != "$(DEB_VERSION)" ]; then \
		echo "debian/changelog is at $$v, daemon/version.h at" \
		    "$(DEB_VERSION): add a changelog entry (dch -v)"; exit 1; \
	fi
	rm -rf build/deb && mkdir -p build/deb/src
	tar -c --exclude=./build --exclude=./.git --exclude=./tests \
	    --exclude=./bench --exclude=./.ci . | tar -x -C build/deb/src
	cd build/deb/src && dpkg-buildpackage -b -us -uc -jauto
	lintian --fail-on error --display-info \
	    build/deb/scrubd_$(DEB_VERSION)_$(DEB_ARCH).changes
	cp build/deb/scrubd_$(DEB_VERSION)_$(DEB_ARCH).deb $(DEB_FILE)
	@echo "built $(DEB_FILE)"

# Boot Debian 12 with systemd in systemd-nspawn, install the package and
# test it there (tests/systemd/run.sh; the root file system is cached in
# build/systemd-root).
test-systemd: deb
	bash tests/systemd/run.sh $(DEB_FILE)

clean:
	rm -rf build

# bioauth build. `make` builds everything into $(BUILD); `make test` checks
# the include graph against docs/ARCHITECTURE.md (check-layers), runs the
# unit tests (cmocka) and the black-box API tests (pytest); `make run` starts
# bioauthd for a quick start. CC=clang and SAN=1 (ASan+UBSan) are supported.

BUILD   ?= build
CC      ?= cc
PYTHON  ?= /usr/bin/python3
PKGS     = libmicrohttpd gnutls jansson openssl sqlite3 libargon2 libpq libsystemd libcbor

ifeq ($(origin CC),default)
CC = cc
endif

WARN = -Wall -Wextra -Werror -Wshadow -Wconversion -Wno-sign-conversion \
       -Wmissing-prototypes -Wstrict-prototypes -Wpointer-arith -Wformat=2 \
       -Wvla -Wundef -Wcast-qual -Wno-missing-field-initializers
OPT     ?= -O2 -g
CPPFLAGS += -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L -Isrc -Isdk/include
CFLAGS  += -std=c11 $(OPT) $(WARN) -fPIC -pthread $(shell pkg-config --cflags $(PKGS) libcurl 2>/dev/null)
LDLIBS  += $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread -lm

ifeq ($(SAN),1)
CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=address,undefined
endif

CORE_SRC   := $(wildcard src/common/*.c src/crypto/*.c src/attest/*.c src/store/*.c src/domain/*.c src/edge/*.c src/api/*.c)
CORE_OBJ   := $(CORE_SRC:%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/src/api/openapi_blob.o
SERVER_OBJ := $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard src/server/*.c))
CTL_OBJ    := $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard src/ctl/*.c))
SDK_OBJ    := $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard sdk/src/*.c))
DEVCLI_OBJ := $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard tools/bioauth-device/*.c))
TEST_SRC   := $(wildcard test/unit/test_*.c)
TEST_BIN   := $(TEST_SRC:test/unit/%.c=$(BUILD)/test/%)
TEST_SUPPORT_OBJ := $(patsubst %.c,$(BUILD)/obj/%.o,$(filter-out $(TEST_SRC),$(wildcard test/unit/*.c)))

PROGRAMS = $(BUILD)/bioauthd $(BUILD)/bioauthctl
ifneq ($(SDK_OBJ),)
PROGRAMS += $(BUILD)/libbioauth-device.a $(BUILD)/libbioauth-device.so.1 $(BUILD)/libbioauth-device.so $(BUILD)/bioauth-device.pc
endif
ifneq ($(DEVCLI_OBJ),)
PROGRAMS += $(BUILD)/bioauth-device
endif

MAN8 = $(BUILD)/man/bioauthd.8 $(BUILD)/man/bioauthctl.8

.PHONY: all test unit api run clean install-deps install man deb check-unit openapi-lint check-layers bench-tools
# Keep objects make would otherwise delete as intermediates (test objects).
.SECONDARY:
all: $(PROGRAMS) $(TEST_BIN) $(MAN8)

# The man pages are written by the programs from the tables behind --help.
man: $(MAN8)
$(BUILD)/man/%.8: $(BUILD)/%
	@mkdir -p $(@D)
	$< --man > $@.tmp && mv $@.tmp $@

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

# The OpenAPI document is served from the binary (GET /openapi.yaml).
$(BUILD)/obj/src/api/openapi_blob.o: src/api/openapi_blob.S docs/openapi.yaml
	@mkdir -p $(@D)
	$(CC) -c -DOPENAPI_PATH='"docs/openapi.yaml"' $< -o $@

$(BUILD)/libbioauth.a: $(CORE_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/libbioauth-device.a: $(SDK_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/libbioauth-device.so.1: $(SDK_OBJ)
	$(CC) -shared $(LDFLAGS) -Wl,-soname,libbioauth-device.so.1 -o $@ $^ $(shell pkg-config --libs openssl)

$(BUILD)/libbioauth-device.so: $(BUILD)/libbioauth-device.so.1
	ln -sf libbioauth-device.so.1 $@

$(BUILD)/bioauth-device.pc: sdk/bioauth-device.pc.in
	@mkdir -p $(@D)
	sed -e 's|@PREFIX@|$(PREFIX)|g' $< > $@

$(BUILD)/bioauthd: $(SERVER_OBJ) $(BUILD)/libbioauth.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/bioauthctl: $(CTL_OBJ) $(BUILD)/libbioauth.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/bioauth-device: $(DEVCLI_OBJ) $(BUILD)/libbioauth-device.a
	$(CC) $(LDFLAGS) -o $@ $^ $(shell pkg-config --libs libcurl jansson openssl libcbor)

$(BUILD)/test/%: $(BUILD)/obj/test/unit/%.o $(TEST_SUPPORT_OBJ) $(filter $(BUILD)/libbioauth-device.a,$(PROGRAMS)) $(BUILD)/libbioauth.a
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(shell pkg-config --libs cmocka)

PREFIX ?= /usr/local

test: install-deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory check-layers bench-tools unit api openapi-lint

# The include graph of src/ against docs/ARCHITECTURE.md's layers.
check-layers:
	@scripts/check-layers.sh

# The benchmark's tools (bench/Makefile) against this build's library.
bench-tools: $(BUILD)/libbioauth.a
	@$(MAKE) --no-print-directory -C bench BUILD=$(abspath $(BUILD)) OUT=$(abspath $(BUILD))/bench tools

# docs/openapi.yaml against Redocly's recommended rules (skipped without npm).
openapi-lint:
	@BUILD=$(BUILD) scripts/openapi-lint.sh

# Unit tests run from the repository root (they read test/vectors/).
unit: $(TEST_BIN)
	@fail=0; for t in $(TEST_BIN); do echo "== $$t"; $$t || fail=1; done; \
	 if [ $$fail -ne 0 ]; then echo "unit tests FAILED"; exit 1; fi

api: $(PROGRAMS)
	BIOAUTH_BUILD=$(abspath $(BUILD)) $(PYTHON) -m pytest -q test/api $(PYTEST_ARGS)

run: install-deps
	@$(MAKE) --no-print-directory all
	@scripts/run.sh $(BUILD)

install-deps:
	@scripts/install-deps.sh

# Installs the programs, their man pages and the device SDK (library,
# header, pkg-config file, man page) under $(DESTDIR)$(PREFIX).
install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/pkgconfig \
	        $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/share/man/man1 \
	        $(DESTDIR)$(PREFIX)/share/man/man8
	install -m 0644 $(MAN8) $(DESTDIR)$(PREFIX)/share/man/man8/
	install -m 0755 $(BUILD)/bioauthd $(BUILD)/bioauthctl $(BUILD)/bioauth-device $(DESTDIR)$(PREFIX)/bin/
	install -m 0644 $(BUILD)/libbioauth-device.a $(DESTDIR)$(PREFIX)/lib/
	install -m 0755 $(BUILD)/libbioauth-device.so.1 $(DESTDIR)$(PREFIX)/lib/
	ln -sf libbioauth-device.so.1 $(DESTDIR)$(PREFIX)/lib/libbioauth-device.so
	install -m 0644 sdk/include/bioauth_device.h $(DESTDIR)$(PREFIX)/include/
	install -m 0644 $(BUILD)/bioauth-device.pc $(DESTDIR)$(PREFIX)/lib/pkgconfig/
	install -m 0644 docs/man/bioauth-device.1 $(DESTDIR)$(PREFIX)/share/man/man1/

# The systemd unit: systemd-analyze verify clean, exposure <= 2.0.
check-unit: $(BUILD)/bioauthd
	scripts/check-systemd-unit.sh $(BUILD)

# Debian package build/bioauth_<version>_amd64.deb (packaging/deb/build.sh).
deb: all
	packaging/deb/build.sh $(BUILD)

clean:
	rm -rf $(BUILD) build-*

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
include fuzz/fuzz.mk

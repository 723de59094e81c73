# fuzz/fuzz.mk - libFuzzer harnesses for every parser of untrusted input.
# Included by the top-level Makefile (`include fuzz/fuzz.mk`, after its own
# variables); it adds targets and changes none:
#
#   make fuzz-build       build every harness into $(FUZZ_BUILD)/bin/
#   make fuzz             replay fuzz/regressions/, then run each harness for
#                         FUZZ_SECONDS (default 120) on its corpus; non-zero
#                         exit when any input crashes
#   make fuzz-regress     replay fuzz/regressions/<harness>/ only
#   make fuzz-one FUZZ_HARNESS=jws   run one harness
#   make fuzz-seeds       regenerate fuzz/corpus/ (needs the normal build)
#
# The core sources are compiled again with clang
# -fsanitize=fuzzer-no-link,address,undefined into $(FUZZ_BUILD)/, and each
# harness is linked with -fsanitize=fuzzer and --wrap'ed allocators
# (fuzz/alloc_fail.c). The corpus each run grows is kept in
# $(FUZZ_BUILD)/corpus/<harness>/ (the repository's seeds stay small), crash
# inputs land in $(FUZZ_BUILD)/artifacts/<harness>/ and the full libFuzzer
# output in $(FUZZ_BUILD)/logs/<harness>.log. Needs clang and its sanitizer
# runtimes (Debian: clang, libclang-rt-14-dev).

_fuzz_saved_goal := $(.DEFAULT_GOAL)

FUZZ_CC      ?= clang
FUZZ_BUILD   ?= build-fuzz
FUZZ_SECONDS ?= 120
FUZZ_RSS_MB  ?= 2048
FUZZ_FLAGS   ?=
FUZZ_HARNESSES := json_in form router pubkey sigverify encoding jws authz config keydesc appattest \
                  secrets

# Longest input per harness (bytes): a little above what the parser accepts.
FUZZ_MAXLEN_json_in   := 20000
FUZZ_MAXLEN_form      := 4096
FUZZ_MAXLEN_router    := 1024
FUZZ_MAXLEN_pubkey    := 17000
FUZZ_MAXLEN_sigverify := 3000
FUZZ_MAXLEN_encoding  := 4096
FUZZ_MAXLEN_jws       := 17000
FUZZ_MAXLEN_authz     := 17000
FUZZ_MAXLEN_config    := 8192
FUZZ_MAXLEN_keydesc   := 20000
FUZZ_MAXLEN_appattest := 12000
FUZZ_MAXLEN_secrets   := 4096

FUZZ_SAN      := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS   := -std=c11 -O1 -g $(WARN) -pthread $(shell pkg-config --cflags $(PKGS)) \
                 $(FUZZ_SAN) -fsanitize=fuzzer-no-link
FUZZ_WRAP     := -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=strdup,--wrap=strndup \
                 -Wl,--wrap=json_loadb,--wrap=json_loads
FUZZ_CORE_OBJ := $(CORE_SRC:%.c=$(FUZZ_BUILD)/core/%.o) $(FUZZ_BUILD)/core/src/api/openapi_blob.o
FUZZ_SUP_OBJ  := $(FUZZ_BUILD)/harness/alloc_fail.o $(FUZZ_BUILD)/harness/fuzz_support.o
FUZZ_BINS     := $(FUZZ_HARNESSES:%=$(FUZZ_BUILD)/bin/%)

.PHONY: fuzz fuzz-build fuzz-regress fuzz-one fuzz-seeds

$(FUZZ_BUILD)/core/%.o: %.c
	@mkdir -p $(@D)
	@echo "  FUZZCC  $<"
	@$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) -MMD -MP -c $< -o $@

$(FUZZ_BUILD)/core/src/api/openapi_blob.o: src/api/openapi_blob.S docs/openapi.yaml
	@mkdir -p $(@D)
	@echo "  FUZZAS  $<"
	@$(FUZZ_CC) -c -DOPENAPI_PATH='"docs/openapi.yaml"' $< -o $@

$(FUZZ_BUILD)/libbioauth-fuzz.a: $(FUZZ_CORE_OBJ)
	@rm -f $@
	@echo "  AR      $@"; ar rcs $@ $^

$(FUZZ_BUILD)/harness/%.o: fuzz/%.c
	@mkdir -p $(@D)
	@echo "  FUZZCC  $<"
	@$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) -MMD -MP -c $< -o $@

$(FUZZ_BUILD)/bin/%: $(FUZZ_BUILD)/harness/%.o $(FUZZ_SUP_OBJ) $(FUZZ_BUILD)/libbioauth-fuzz.a
	@mkdir -p $(@D)
	@echo "  FUZZLD  $@"
	@$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer $(FUZZ_WRAP) -o $@ $^ $(LDLIBS)

fuzz-build: $(FUZZ_BINS)

# Keep the harness objects (make would delete them as intermediates).
.SECONDARY: $(FUZZ_HARNESSES:%=$(FUZZ_BUILD)/harness/%.o) $(FUZZ_SUP_OBJ)

# Replays the saved crash inputs of one harness ($$h) in the fuzz build.
define fuzz_replay
	files=$$(find fuzz/regressions/$$h -type f 2>/dev/null | sort); \
	if [ -n "$$files" ]; then \
	  if ! $(FUZZ_BUILD)/bin/$$h -runs=1 $$files > $(FUZZ_BUILD)/logs/$$h.regress.log 2>&1; then \
	    echo "fuzz $$h: a saved regression input crashes again:"; \
	    tail -n 60 $(FUZZ_BUILD)/logs/$$h.regress.log; fail=1; \
	  else echo "fuzz $$h: $$(echo $$files | wc -w) regression inputs replayed, no crash"; fi; \
	fi
endef

# Runs one harness ($$h, with $$maxlen) for FUZZ_SECONDS; prints its final stats, or the
# crash report and the artifact when an input crashed.
define fuzz_run
	mkdir -p $(FUZZ_BUILD)/corpus/$$h $(FUZZ_BUILD)/artifacts/$$h fuzz/corpus/$$h; \
	echo "fuzz $$h: $(FUZZ_SECONDS) s, max_len $$maxlen"; \
	if $(FUZZ_BUILD)/bin/$$h -max_total_time=$(FUZZ_SECONDS) -max_len=$$maxlen \
	     -rss_limit_mb=$(FUZZ_RSS_MB) -timeout=25 -print_final_stats=1 \
	     -artifact_prefix=$(FUZZ_BUILD)/artifacts/$$h/ $(FUZZ_FLAGS) \
	     $(FUZZ_BUILD)/corpus/$$h fuzz/corpus/$$h > $(FUZZ_BUILD)/logs/$$h.log 2>&1; then \
	  grep -E '^stat::(number_of_executed_units|peak_rss_mb)|^#[0-9]+ *DONE' $(FUZZ_BUILD)/logs/$$h.log | sed "s/^/fuzz $$h: /"; \
	else \
	  echo "fuzz $$h: CRASH (full log: $(FUZZ_BUILD)/logs/$$h.log)"; \
	  grep -n -m1 -E 'ERROR: |runtime error|fuzz property failed|deadly signal|leak' $(FUZZ_BUILD)/logs/$$h.log; \
	  tail -n 60 $(FUZZ_BUILD)/logs/$$h.log; fail=1; \
	fi
endef
FUZZ_PAIRS := $(foreach h,$(FUZZ_HARNESSES),$(h):$(FUZZ_MAXLEN_$(h)))

fuzz: fuzz-build
	@mkdir -p $(FUZZ_BUILD)/logs; fail=0; \
	for hp in $(FUZZ_PAIRS); do \
	  h=$${hp%%:*}; maxlen=$${hp#*:}; \
	  $(fuzz_replay); \
	  $(fuzz_run); \
	done; \
	if [ $$fail -ne 0 ]; then echo "fuzz: FAILED (crash inputs in $(FUZZ_BUILD)/artifacts/)"; exit 1; fi; \
	echo "fuzz: all $(words $(FUZZ_HARNESSES)) harnesses ran $(FUZZ_SECONDS) s each without a crash"

fuzz-regress: fuzz-build
	@mkdir -p $(FUZZ_BUILD)/logs; fail=0; \
	for h in $(FUZZ_HARNESSES); do $(fuzz_replay); done; exit $$fail

fuzz-one: $(FUZZ_BUILD)/bin/$(FUZZ_HARNESS)
	@mkdir -p $(FUZZ_BUILD)/logs; fail=0; h=$(FUZZ_HARNESS); maxlen=$(or $(FUZZ_MAXLEN_$(FUZZ_HARNESS)),4096); \
	$(fuzz_replay); $(fuzz_run); exit $$fail

# Seeds: real bodies, keys, signatures and JWTs made with the project's own
# code (normal build, not instrumented).
$(BUILD)/fuzz-seedgen: fuzz/seedgen.c fuzz/fuzz_support.c $(BUILD)/libbioauth.a
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ fuzz/seedgen.c $(BUILD)/libbioauth.a $(LDLIBS)

fuzz-seeds: $(BUILD)/fuzz-seedgen
	$(BUILD)/fuzz-seedgen fuzz/corpus

-include $(shell find $(FUZZ_BUILD)/core $(FUZZ_BUILD)/harness -name '*.d' 2>/dev/null)

.DEFAULT_GOAL := $(_fuzz_saved_goal)

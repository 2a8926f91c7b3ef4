# cordon - build, test and check.
#
#   make            build ./cordon
#   make test       every test (unit, golden, behaviour, conformance)
#   make check      the tests again under ASan+UBSan, plus fuzz smoke runs
#   make demo       install missing packages, build, ingest the sample incident
#   make bench      throughput against jq / ausearch anchors (not a test)
#   make bench-scale  ingest into 1M/10M-event stores vs an empty one (part of bench)
#   make bench-soak the live-incident soak alone (4 minutes; part of bench)
#   make fuzz       longer libFuzzer campaigns (FUZZ_SECONDS per target)
#   make checksrc   banned-function and style gate
#   make install    binary, man pages, bash/zsh completion (PREFIX, DESTDIR)

CC       ?= cc
PKGS     = sqlite3 libpcre2-8 zlib libcurl yaml-0.1
CFLAGS   ?= -O2 -g
CFLAGS   += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wformat=2 \
	    -Wstrict-prototypes -Wmissing-prototypes -Wno-missing-field-initializers \
	    -fno-strict-aliasing
# no -lcurl: connectors/curl_dl.c loads libcurl when a command first needs
# the network (linked, its 27 libraries cost every process 16 ms of CPU)
LDLIBS   = -lsqlite3 -lpcre2-8 -lz -lzstd -lyaml -lcrypto -lncursesw -lpthread -ldl

DIRS     = core ingest correlate revoke connectors tui
SRCS     = $(foreach d,$(DIRS),$(wildcard $(d)/*.c))
# the shipped rules, compiled in (scripts/embed.sh)
GENSRCS  = build/gen/default_rules.c
SRCS    += $(GENSRCS)
LIBSRCS  = $(filter-out core/main.c,$(SRCS))
HDRS     = $(foreach d,$(DIRS),$(wildcard $(d)/*.h $(d)/*.def))
OBJS     = $(SRCS:%.c=build/obj/%.o)
LIBOBJS  = $(LIBSRCS:%.c=build/obj/%.o)
UNITSRCS = $(wildcard tests/unit/*.c)

SAN_CC     = clang
SAN_FLAGS  = -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all \
	     -fno-omit-frame-pointer
SAN_OBJS   = $(SRCS:%.c=build/san/%.o)
SAN_LIB    = $(LIBSRCS:%.c=build/san/%.o)

FUZZERS    = $(patsubst tests/fuzz/fuzz_%.c,build/fuzz/fuzz_%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_SECONDS ?= 60
FUZZ_SMOKE_RUNS ?= 3000

.PHONY: all test check demo bench bench-scale bench-soak fuzz fuzz-build checksrc clean deps unit install

all: cordon

cordon: $(OBJS)
	$(CC) $(CFLAGS) -o $@ $(OBJS) $(LDLIBS)

build/gen/default_rules.c: correlate/default.rules scripts/embed.sh
	@mkdir -p build/gen
	sh scripts/embed.sh default_rules_text < correlate/default.rules > $@

build/obj/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

build/unit: $(LIBOBJS) $(UNITSRCS) tests/unit/unit.h
	$(CC) $(CFLAGS) -Wno-missing-prototypes -o $@ $(UNITSRCS) $(LIBOBJS) $(LDLIBS)

test: cordon build/unit
	@CORDON=$(CURDIR)/cordon UNIT=$(CURDIR)/build/unit sh tests/run.sh

# ---- sanitizers ---------------------------------------------------------

build/san/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	$(SAN_CC) $(filter-out -O2,$(CFLAGS)) $(SAN_FLAGS) -c -o $@ $<

build/san/cordon: $(SAN_OBJS)
	$(SAN_CC) $(SAN_FLAGS) -o $@ $(SAN_OBJS) $(LDLIBS)

build/san/unit: $(SAN_LIB) $(UNITSRCS) tests/unit/unit.h
	$(SAN_CC) $(filter-out -O2,$(CFLAGS)) -Wno-missing-prototypes $(SAN_FLAGS) -o $@ \
		$(UNITSRCS) $(SAN_LIB) $(LDLIBS)

# the library is compiled once for all fuzz targets
FUZZ_FLAGS = -std=c11 -D_GNU_SOURCE -O1 -g -fno-sanitize-recover=all
FUZZ_LIB   = $(LIBSRCS:%.c=build/fuzzobj/%.o)

build/fuzzobj/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	$(SAN_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link,address,undefined -c -o $@ $<

build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_common.h tests/fuzz/fuzz_checked.h $(FUZZ_LIB)
	@mkdir -p build/fuzz
	$(SAN_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer,address,undefined -o $@ $< $(FUZZ_LIB) $(LDLIBS)

fuzz-build: $(FUZZERS)

check: build/san/cordon build/san/unit fuzz-build checksrc
	@ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:exitcode=99 \
		UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:exitcode=99 \
		CORDON=$(CURDIR)/build/san/cordon UNIT=$(CURDIR)/build/san/unit SANITIZED=1 \
		sh tests/run.sh
	@sh tests/fuzz/smoke.sh $(FUZZ_SMOKE_RUNS) $(FUZZERS)

fuzz: fuzz-build
	@for f in $(FUZZERS); do \
		n=$$(basename $$f); mkdir -p build/corpus/$$n; \
		echo "== $$n ($(FUZZ_SECONDS)s)"; \
		seeds=$$(for d in tests/fuzz/seeds/$${n#fuzz_} tests/data/$${n#fuzz_}; do \
			[ -d $$d ] && echo $$d; done); \
		$$f -max_total_time=$(FUZZ_SECONDS) -max_len=65536 \
			-dict=tests/fuzz/$$n.dict build/corpus/$$n $$seeds \
			|| exit 1; \
	done

# ---- the rest -----------------------------------------------------------

deps:
	@sh scripts/deps.sh

demo: deps
	@$(MAKE) --no-print-directory cordon
	@sh scripts/demo.sh

bench: cordon
	@sh tests/bench/run.sh

bench-scale: cordon
	@sh tests/bench/scale.sh
bench-soak: cordon
	@sh tests/bench/soak.sh

checksrc:
	@sh scripts/checksrc.sh

PREFIX ?= /usr/local
install: cordon
	@PREFIX="$(PREFIX)" DESTDIR="$(DESTDIR)" sh scripts/install.sh ./cordon

clean:
	rm -rf build cordon

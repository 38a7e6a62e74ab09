# mpkit: make lesson-N, lessons, plots, test, check-N, hint-N, bench, sanitize, help, clean
# `make help` explains each target.

CC      ?= gcc
BUILD   ?= build
CFLAGS  ?= -O2 -g
WARN    := -Wall -Wextra -Werror
# Every file is C17 + POSIX 2008; files that need Linux-only calls define
# _GNU_SOURCE themselves, with a comment saying which call.
CPPFLAGS_ALL := -std=c17 -D_POSIX_C_SOURCE=200809L -iquote lib -DMP_ROOT='"$(CURDIR)"' -MMD -MP
SAN     ?=
ALL_CFLAGS = $(CPPFLAGS_ALL) $(WARN) $(CFLAGS) $(SAN)
# -z now: resolve every library call at start-up. Lazy binding would resolve
# (and so write, copy on write) the symbol table again in every forked child.
LDLIBS  := -lpthread -lm -Wl,-z,now
TESTLIBS := -lcmocka

LIB_SRC  := $(wildcard lib/*.c)
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
LIBMP    := $(BUILD)/libmp.a

LESSON_DIRS := $(sort $(wildcard lessons/[0-9][0-9]-*))
lesson_num   = $(firstword $(subst -, ,$(notdir $(1))))
LESSON_BINS := $(foreach d,$(LESSON_DIRS),$(BUILD)/lesson-$(call lesson_num,$(d)))

LIB_TESTS  := $(patsubst tests/lib/%.c,$(BUILD)/tests/lib/%,$(wildcard tests/lib/test_*.c))
OTHER_TESTS := $(BUILD)/tests/test_lessons $(BUILD)/tests/test_unsolved
# tests/exercises/NN-name/exK-what.c tests exercises/NN-name/exK-what.c;
# it is built twice: against the solution and against the untouched exercise.
# A header the three share (an interface) lives beside the test.
EX_TEST_SRC := $(sort $(wildcard tests/exercises/*/ex*.c))
EX_SOL_BINS := $(patsubst tests/exercises/%.c,$(BUILD)/tests/solutions/%,$(EX_TEST_SRC))
EX_EXE_BINS := $(patsubst tests/exercises/%.c,$(BUILD)/tests/exercises/%,$(EX_TEST_SRC))
BENCH_BINS := $(patsubst bench/%.c,$(BUILD)/bench/%,$(wildcard bench/bench_*.c))

.PHONY: all lessons plots test test-lib check-% hint-% lesson-% bench sanitize help clean deps deps-gnuplot
.DEFAULT_GOAL := all

all: $(LIBMP) $(LESSON_BINS) tests-built
tests-built: $(LIB_TESTS) $(OTHER_TESTS) $(EX_SOL_BINS) $(EX_EXE_BINS)
.PHONY: tests-built

# ---- dependencies (Debian packages, installed by scripts/install-deps.sh) ----
deps:
	@scripts/install-deps.sh cmocka gnuplot
# A lesson runs without gnuplot (it says plots were skipped), so a failed
# install (not root) does not stop it.
deps-gnuplot:
	@scripts/install-deps.sh gnuplot || true
$(BUILD)/.cmocka:
	@scripts/install-deps.sh cmocka
	@mkdir -p $(BUILD) && touch $@

# ---- the runtime ----
$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(LIBMP): $(LIB_OBJ)
	rm -f $@ # a deleted lib/*.c must not linger in the archive
	$(AR) rcs $@ $^

# ---- lessons: build/lesson-NN from lessons/NN-name/*.c ----
define LESSON_RULE
$(BUILD)/lesson-$(call lesson_num,$(1)): $(patsubst %.c,$(BUILD)/%.o,$(wildcard $(1)/*.c)) $(LIBMP)
	$$(CC) $$(ALL_CFLAGS) $$^ -o $$@ $$(LDLIBS)
endef
$(foreach d,$(LESSON_DIRS),$(eval $(call LESSON_RULE,$(d))))

lesson_dir = $(firstword $(wildcard lessons/$(1)-*) $(wildcard lessons/0$(1)-*))

# make lesson-2, make lesson-02, make lesson-2 ARGS="--quick --workers 4"
lesson-%: deps-gnuplot
	@d='$(call lesson_dir,$*)'; if [ -z "$$d" ]; then \
	  echo "no lesson $*: see 'make help'" >&2; exit 2; fi; \
	$(MAKE) --no-print-directory $(BUILD)/lesson-$(call lesson_num,$(call lesson_dir,$*)) >/dev/null && \
	$(BUILD)/lesson-$(call lesson_num,$(call lesson_dir,$*)) $(ARGS)

lessons: $(LESSON_BINS)

# every lesson's plots, regenerated (pass ARGS="--quick" for a fast pass)
plots: deps-gnuplot $(LESSON_BINS)
	@for b in $(LESSON_BINS); do echo "== $$b $(ARGS)"; $$b $(ARGS) || exit 1; done

# ---- tests ----
$(BUILD)/tests/lib/%: tests/lib/%.c $(LIBMP) $(BUILD)/.cmocka
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests $< $(LIBMP) -o $@ $(TESTLIBS) $(LDLIBS)

# tests that run the built lessons and exercises need to know where they are
$(OTHER_TESTS): $(BUILD)/tests/%: tests/%.c $(LIBMP) $(BUILD)/.cmocka
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests -DBUILD_DIR='"$(BUILD)"' $< $(LIBMP) -o $@ $(TESTLIBS) $(LDLIBS)

# An exercise test links the student file: solutions/... or exercises/...
$(BUILD)/tests/solutions/%: tests/exercises/%.c solutions/%.c $(LIBMP) $(BUILD)/.cmocka
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests -I$(dir $<) $< solutions/$*.c $(LIBMP) -o $@ $(TESTLIBS) $(LDLIBS)

# An untouched exercise may warn (unused parameters next to a TODO): no -Werror.
$(BUILD)/tests/exercises/%: tests/exercises/%.c exercises/%.c $(LIBMP) $(BUILD)/.cmocka
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS_ALL) -Wall -Wextra -Wno-unused-parameter $(CFLAGS) $(SAN) -Itests -I$(dir $<) \
	    $< exercises/$*.c $(LIBMP) -o $@ $(TESTLIBS) $(LDLIBS)

# The README's test command: every runtime test, every lesson's smoke run,
# every solution's tests, and proof that each untouched exercise fails.
test: deps all
	@scripts/run-tests.sh $(BUILD) $(LIB_TESTS) $(BUILD)/tests/test_lessons $(EX_SOL_BINS) $(BUILD)/tests/test_unsolved

test-lib: $(LIB_TESTS)
	@scripts/run-tests.sh $(BUILD) $(LIB_TESTS)

# make check-2: your exercises for lesson 2; make check-2 SOLUTIONS=1: the solutions
ex_dir = $(notdir $(call lesson_dir,$(1)))
check-%: $(BUILD)/.cmocka
	@d='$(call ex_dir,$*)'; if [ -z "$$d" ] || [ ! -d "tests/exercises/$$d" ]; then \
	  echo "no exercises for lesson $*: see 'make help'" >&2; exit 2; fi
	@$(MAKE) --no-print-directory $(if $(SOLUTIONS),$(filter $(BUILD)/tests/solutions/$(call ex_dir,$*)/%,$(EX_SOL_BINS)),$(filter $(BUILD)/tests/exercises/$(call ex_dir,$*)/%,$(EX_EXE_BINS)))
	@scripts/run-tests.sh $(BUILD) $(if $(SOLUTIONS),$(filter $(BUILD)/tests/solutions/$(call ex_dir,$*)/%,$(EX_SOL_BINS)),$(filter $(BUILD)/tests/exercises/$(call ex_dir,$*)/%,$(EX_EXE_BINS)))

hint-%:
	@d='$(call ex_dir,$*)'; if [ -z "$$d" ] || [ ! -f "exercises/$$d/HINTS.md" ]; then \
	  echo "no hints for lesson $*: see 'make help'" >&2; exit 2; fi; cat "exercises/$$d/HINTS.md"

# ---- benchmarks: ratios against the bare system calls, side by side ----
$(BUILD)/bench/%: bench/%.c $(LIBMP)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $< $(LIBMP) -o $@ $(LDLIBS)

bench: $(BENCH_BINS)
	@for b in $(BENCH_BINS); do $$b || exit 1; done

# ---- sanitizers: the runtime's tests under ASan+UBSan, then TSan ----
sanitize: deps
	$(MAKE) --no-print-directory BUILD=build-asan SAN='-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all' CFLAGS='-O1 -g' test-lib
	$(MAKE) --no-print-directory BUILD=build-tsan SAN='-fsanitize=thread' CFLAGS='-O1 -g' test-lib

help:
	@echo "mpkit: when does parallelism pay off? Lessons, exercises and measurements in C."
	@echo
	@echo "  make lesson-N [ARGS=\"--quick ...\"]   build and run lesson N (1 or 01)"
	@for d in $(LESSON_DIRS); do printf "      %-28s %s\n" "$$(basename $$d)" "$$(sed -n 's/^# *//p;q' $$d/README.md)"; done
	@echo "  make lessons                  build every lesson"
	@echo "  make plots [ARGS=...]         run every lesson: all CSV data and plots under plots/out/"
	@echo "  make test                     every test (installs cmocka and gnuplot if missing)"
	@echo "  make check-N [SOLUTIONS=1]    test your exercises for lesson N (or the solutions)"
	@echo "  make hint-N                   hints for lesson N's exercises"
	@echo "  make bench                    the runtime against bare system calls, as ratios"
	@echo "  make sanitize                 the runtime's tests under ASan+UBSan and TSan"
	@echo "  make clean                    remove build/ and plots/out/"
	@echo "Flags every lesson takes: build/lesson-01 --help"

clean:
	rm -rf build build-asan build-tsan plots/out

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

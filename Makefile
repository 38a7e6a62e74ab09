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

# Each lib/*.c is one concept (lib/README.md draws the layers), found by
# wildcard: a new file pair in lib/ is built without touching this file.
LIB_SRC  := $(wildcard lib/*.c)
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
LIBMP    := $(BUILD)/libmp.a

LESSON_DIRS := $(sort $(wildcard lessons/[0-9][0-9]-*))
lesson_num   = $(firstword $(subst -, ,$(notdir $(1))))
LESSON_BINS := $(foreach d,$(LESSON_DIRS),$(BUILD)/lesson-$(call lesson_num,$(d)))

# A student's handout (make handout: mk/handout.mk) has no solutions/. There
# make test checks the kit on this machine (the runtime, the lessons, the
# pieces in mk/) and the exercises are the student's work, checked by check-N
# and progress; test_unsolved and the solutions' tests are the instructor's.
HANDOUT := $(if $(wildcard solutions/*),,yes)

LIB_TESTS  := $(patsubst tests/lib/%.c,$(BUILD)/tests/lib/%,$(wildcard tests/lib/test_*.c))
OTHER_TESTS := $(BUILD)/tests/test_lessons $(if $(HANDOUT),,$(BUILD)/tests/test_unsolved)
# the lessons' tests in three parts, for make test (see their rule below)
LESSON_TEST_PARTS := $(BUILD)/tests/test_lessons_1 $(BUILD)/tests/test_lessons_2 $(BUILD)/tests/test_lessons_3
# tests/exercises/NN-name/exK-what.c tests exercises/NN-name/exK-what.c;
# it is built twice: against the solution and against the untouched exercise.
# A header the three share (an interface) lives beside the test.
# Instructor-only tests: tests/exercises/NN-name/exK-what.instructor.c, if
# there is one, is linked into the same binary as exK-what.c (tests/
# instructor.h appends its tests to the public ones), so check-N, make test
# and grading run them; make handout leaves every *.instructor.c out (and
# writes tests/exercises/WITHHELD: check-N there says how many more tests
# run at grading).
EX_TEST_SRC := $(sort $(filter-out %.instructor.c,$(wildcard tests/exercises/*/ex*.c)))
INSTRUCTOR_SRC := $(wildcard tests/exercises/*/ex*.instructor.c)
$(foreach f,$(INSTRUCTOR_SRC),$(if $(filter $(f:.instructor.c=.c),$(EX_TEST_SRC)),, \
	$(error $(f): no $(f:.instructor.c=.c) beside it, whose binary it would join)))
instructor_test = $(wildcard tests/exercises/$(1).instructor.c)
EX_SOL_BINS := $(if $(HANDOUT),,$(patsubst tests/exercises/%.c,$(BUILD)/tests/solutions/%,$(EX_TEST_SRC)))
EX_EXE_BINS := $(patsubst tests/exercises/%.c,$(BUILD)/tests/exercises/%,$(EX_TEST_SRC))
BENCH_BINS := $(patsubst bench/%.c,$(BUILD)/bench/%,$(wildcard bench/bench_*.c))

.PHONY: all lessons plots test test-lib check-% hint-% watch-% progress lesson-% bench sanitize help clean deps deps-gnuplot
.DEFAULT_GOAL := all

# `make` builds the runtime and the lessons: no cmocka needed. The tests are
# built by make test, test-lib, check-N and sanitize.
all: $(LIBMP) $(LESSON_BINS)
tests-built: $(LIB_TESTS) $(OTHER_TESTS) $(LESSON_TEST_PARTS) $(EX_SOL_BINS) $(if $(HANDOUT),,$(EX_EXE_BINS))
.PHONY: tests-built exercises-manifest

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
	$(CC) $(ALL_CFLAGS) $(EXTRA_CFLAGS) -c $< -o $@

$(LIBMP): $(LIB_OBJ)
	rm -f $@ # a deleted lib/*.c must not linger in the archive
	$(AR) rcs $@ $^

# ---- lessons: build/lesson-NN from lessons/NN-name/*.c ----
# A lesson that needs flags of its own (lesson 12: -fopenmp) says so in its
# lesson.c, in a line of its own: /* mpkit-cflags: -fopenmp */. They are
# used to compile each of its files and to link it.
lesson_cflags = $(if $(wildcard $(1)/lesson.c),$(shell sed -n 's|^/\* mpkit-cflags: \(.*\) \*/$$|\1|p' $(1)/lesson.c))
define LESSON_RULE
$(BUILD)/$(1)/%.o: EXTRA_CFLAGS := $(call lesson_cflags,$(1))
$(BUILD)/lesson-$(call lesson_num,$(1)): $(patsubst %.c,$(BUILD)/%.o,$(wildcard $(1)/*.c)) $(LIBMP)
	$$(CC) $$(ALL_CFLAGS) $(call lesson_cflags,$(1)) $$^ -o $$@ $$(LDLIBS)
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

# make test runs the lessons' tests in three binaries (lessons 01-04, 05-08,
# 09 on): a time limit each, and two of them side by side. test_lessons has
# them all (TEST=test_lesson05 make-free runs: build/tests/test_lessons).
$(LESSON_TEST_PARTS): $(BUILD)/tests/test_lessons_%: tests/test_lessons.c $(wildcard tests/lessons/*.c) tests/helpers.h \
		$(LIBMP) $(BUILD)/.cmocka
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests -DBUILD_DIR='"$(BUILD)"' -DPART=$* $< $(LIBMP) -o $@ $(TESTLIBS) $(LDLIBS)

# An exercise test links the student file: solutions/... or exercises/...
# The student's file not compiling is a test result, not a build error: the
# compiler's messages go to BINARY.compile-error, scripts/run-tests.sh shows
# them and counts a failed test, and the other exercises still build and run.
# Quiet unless V=1: one "CC file" line per binary.
# A test that needs link flags says so in a line of its own, which is read
# here: /* mpkit-ldflags: -Wl,--wrap=mp_count_primes */
test_ldflags = $(shell sed -n 's|^/\* mpkit-ldflags: \(.*\) \*/$$|\1|p' $(1))
# $(call student_build,student file,command)
student_build = @mkdir -p $(dir $@); rm -f $@ $@.compile-error; \
	$(if $(V),echo '$(subst ','\'',$(2))',echo "  CC      $(1)"); \
	if $(2) >$@.out 2>&1; then cat $@.out; rm -f $@.out; \
	else mv $@.out $@.compile-error; echo "  $(1) did not compile: the errors are shown with its tests"; fi

SOL_CC = $(CC) $(ALL_CFLAGS) -Itests -I$(dir $<) $< $(call instructor_test,$*) solutions/$*.c $(LIBMP) -o $@ \
	$(call test_ldflags,$<) $(TESTLIBS) $(LDLIBS)
# The exercises the tests link: exercises/, or a student's copy of that
# folder elsewhere (make grade builds each submission with EXERCISES=its copy).
EXERCISES ?= exercises
# An untouched exercise may warn (unused parameters next to a TODO): no -Werror.
EX_CC = $(CC) $(CPPFLAGS_ALL) -Wall -Wextra -Wno-unused-parameter $(CFLAGS) $(SAN) -Itests -I$(dir $<) \
	$< $(call instructor_test,$*) $(EXERCISES)/$*.c $(LIBMP) -o $@ $(call test_ldflags,$<) $(TESTLIBS) $(LDLIBS)

# A student file's content, not its date, decides whether to rebuild: a copy
# put back with an old date (cp -p, an archive) must not leave a binary of
# the other copy. $(BUILD)/tests/sources/FILE.sha256 changes only when the
# content does (test_unsolved also reads it).
$(BUILD)/tests/sources/%.sha256: % FORCE
	@mkdir -p $(dir $@); sha256sum $* >$@.new; \
	if cmp -s $@ $@.new; then rm -f $@.new; else mv -f $@.new $@; fi
.PRECIOUS: $(BUILD)/tests/sources/%.sha256
FORCE:
.PHONY: FORCE

# (an instructor-only file, when there is one, is a prerequisite too)
$(foreach f,$(INSTRUCTOR_SRC),$(eval $(f:tests/exercises/%.instructor.c=$(BUILD)/tests/solutions/%) \
	$(f:tests/exercises/%.instructor.c=$(BUILD)/tests/exercises/%): $(f)))
$(BUILD)/tests/solutions/%: tests/exercises/%.c solutions/%.c $(BUILD)/tests/sources/solutions/%.c.sha256 \
		tests/helpers.h tests/instructor.h $(LIBMP) $(BUILD)/.cmocka
	$(call student_build,solutions/$*.c,$(SOL_CC))

$(BUILD)/tests/exercises/%: tests/exercises/%.c $(EXERCISES)/%.c $(BUILD)/tests/sources/$(EXERCISES)/%.c.sha256 \
		tests/helpers.h tests/instructor.h $(LIBMP) $(BUILD)/.cmocka
	$(call student_build,$(EXERCISES)/$*.c,$(EX_CC))

# Test time limits (scripts/run-tests.sh): 20 s per exercise's tests, 120 s
# for the others; TIMEOUT=N sets one limit for all. Test binaries run two
# at a time (JOBS=N: N; JOBS=1 streams each one's output as it runs).
RUN_TESTS = $(if $(TIMEOUT),MPKIT_TEST_TIMEOUT=$(TIMEOUT)) $(if $(JOBS),MPKIT_TEST_JOBS=$(JOBS)) \
	scripts/run-tests.sh $(BUILD)

# Pieces that need tools of their own (an MPI compiler wrapper, the grading
# scripts) keep their rules in mk/NAME.mk, included here. A piece adds its
# test binaries to EXTRA_TESTS (built and run by make test) and its lines
# for make help to the double-colon rule help-more::.
EXTRA_TESTS :=
help-more::
	@:
.PHONY: help-more
include $(sort $(wildcard mk/*.mk))

# The README's test command: every runtime test, every lesson's smoke run,
# every solution's tests, and proof that each exercise as shipped fails.
# The two longest binaries go first, so that the short ones fill in beside
# them (they run two at a time).
# The dependencies are installed first, alone (apt-get takes one lock), then
# everything is built with a job per CPU, then run.
BUILD_JOBS := $(shell nproc 2>/dev/null || echo 1)
test: deps
	@$(MAKE) --no-print-directory -j$(BUILD_JOBS) $(LIBMP) $(LESSON_BINS) tests-built $(EXTRA_TESTS)
	@$(RUN_TESTS) $(LESSON_TEST_PARTS) $(if $(HANDOUT),,$(BUILD)/tests/test_unsolved) $(LIB_TESTS) $(EXTRA_TESTS) \
	  $(EX_SOL_BINS); rc=$$?; $(if $(HANDOUT),echo "(a handout: make test checked the kit on this machine;" \
	  "your exercises are checked by make progress and make check-N)";) exit $$rc

test-lib: $(LIB_TESTS)
	@$(RUN_TESTS) $(LIB_TESTS)

# tests/exercises/SHIPPED.sha256: the exercises as shipped. test_unsolved
# judges only the files that match it (a student's edited copy is not
# judged); with CI=true every file must match. Run this after changing an
# exercise.
exercises-manifest:
	@$(if $(HANDOUT),echo "make exercises-manifest is the instructor's (this handout has no solutions/):" \
	  "tests/exercises/SHIPPED.sha256 says which exercises you have not touched yet" >&2; exit 2)
	sha256sum $(sort $(wildcard exercises/*/ex*.c)) >tests/exercises/SHIPPED.sha256

# make check-2: your exercises for lesson 2; EX=3: only ex3-*; SOLUTIONS=1:
# the solutions; V=1: show the compiler's command lines.
ex_dir = $(notdir $(call lesson_dir,$(1)))
# $(call ex_files,N): lesson N's exercise files, or the one EX names
ex_files = $(sort $(wildcard exercises/$(call ex_dir,$(1))/ex$(if $(EX),$(EX)-,[0-9])*.c))
ex_bins = $(patsubst exercises/%.c,$(BUILD)/tests/$(if $(SOLUTIONS),solutions,exercises)/%,$(call ex_files,$(1)))
ex_list = $(patsubst ex%,%,$(firstword $(subst -, ,$(notdir $(1)))))
# Bad N or K: one line and status 2, before anything is built.
ex_lessons = $(foreach d,$(sort $(wildcard tests/exercises/[0-9][0-9]-*)),$(patsubst 0%,%,$(call lesson_num,$(d))))
check_ex_goal = $(if $(and $(call lesson_dir,$(1)),$(wildcard tests/exercises/$(call ex_dir,$(1))/ex*.c)),, \
	$(error no exercises for lesson $(1): lessons with exercises are $(ex_lessons))) \
	$(if $(call ex_files_all,$(1)),,$(error exercises/$(call ex_dir,$(1))/ holds no exercise file: deleted? \
	the handout archive has them (make progress lists what is missing))) \
	$(if $(EX),$(if $(filter 1,$(words $(call ex_files,$(1)))),, \
	$(error no exercise $(EX) in lesson $(1): EX= takes $(foreach f,$(call ex_files_all,$(1)),$(call ex_list,$(f)) ($(notdir $(f)))))))
ex_files_all = $(sort $(wildcard exercises/$(call ex_dir,$(1))/ex*.c))
$(foreach g,$(filter check-% hint-% watch-%,$(MAKECMDGOALS)),$(call check_ex_goal,$(patsubst watch-%,%,$(patsubst \
	hint-%,%,$(patsubst check-%,%,$(g))))))
$(if $(and $(SOLUTIONS),$(HANDOUT),$(filter check-%,$(MAKECMDGOALS))),$(error SOLUTIONS=1: this handout has no solutions/ \
	(make check-N tests your own exercises)))

# the binaries to build and run, worked out once per goal
check-%: CHECK_BINS = $(call ex_bins,$*)
# (one exercise at a time, its output as it runs, unless JOBS says otherwise;
# after the tests, one line on instructor-only tests: how many of those run
# were, or, in a handout, how many more run at grading)
check-%: $(BUILD)/.cmocka
	@$(MAKE) --no-print-directory $(if $(V),,-s) $(CHECK_BINS)
	@$(if $(JOBS),,MPKIT_TEST_JOBS=1) $(RUN_TESTS) $(CHECK_BINS); rc=$$?; \
	scripts/instructor-tests.sh note $(call ex_files,$*); exit $$rc

# make hint-2 EX=3: the next hint for ex3 (one more each time); make hint-2:
# the next hint for the first exercise that has not passed; ALL=1: them all.
hint-%:
	@scripts/hint.sh exercises/$(call ex_dir,$*) $(BUILD) "$(EX)" "$(ALL)" "$(RESET)"

# make progress: every lesson's exercises, done, failing or untouched, and
# what to do next; it tests only the exercises changed since their last
# check (scripts/progress.sh).
progress:
	@MAKE='$(MAKE)' scripts/progress.sh $(BUILD)

# make watch-2 [EX=3]: make check-2 again each time a file of
# exercises/02-*/ is saved, until Ctrl-C (scripts/watch.sh).
watch-%:
	@MAKE='$(MAKE)' scripts/watch.sh $* exercises/$(call ex_dir,$*)

# ---- benchmarks: ratios against the bare system calls, side by side ----
# A benchmark that needs flags of its own (the OpenMP baseline: -fopenmp)
# says so in a line of its own: /* mpkit-cflags: -fopenmp */
bench_cflags = $(shell sed -n 's|^/\* mpkit-cflags: \(.*\) \*/$$|\1|p' $(1))
$(BUILD)/bench/%: bench/%.c $(LIBMP)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(call bench_cflags,$<) $< $(LIBMP) -o $@ $(LDLIBS)

bench: $(BENCH_BINS)
	@for b in $(BENCH_BINS); do $$b || exit 1; done

# ---- sanitizers: the runtime's tests under ASan+UBSan, then TSan, built in
# $(BUILD)-asan/ and $(BUILD)-tsan/ ----
sanitize: deps
	$(MAKE) --no-print-directory BUILD=$(BUILD)-asan SAN='-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all' CFLAGS='-O1 -g' test-lib
	$(MAKE) --no-print-directory BUILD=$(BUILD)-tsan SAN='-fsanitize=thread' CFLAGS='-O1 -g' test-lib

help:
	@echo "mpkit: when does parallelism pay off? Lessons, exercises and measurements in C."
	@echo
	@echo "  make lesson-N [ARGS=\"--quick ...\"]   build and run lesson N (1 or 01)"
	@for d in $(LESSON_DIRS); do printf "      %-28s %s\n" "$$(basename $$d)" "$$(sed -n 's/^# *//p;q' $$d/README.md)"; done
	@echo "  make lessons                  build every lesson"
	@echo "  make plots [ARGS=...]         run every lesson: all CSV data and plots under plots/out/"
	@echo "  make test                     every test (installs cmocka and gnuplot if missing)"
	@echo "  make check-N [EX=K]$(if $(HANDOUT),, [SOLUTIONS=1]) [V=1]  test your exercises for lesson N$(if $(HANDOUT),, (or the solutions))"
	@echo "  make hint-N [EX=K] [ALL=1]    the next hint for lesson N's exercises (ALL=1: every hint)"
	@echo "  make progress                 every exercise: done, failing, untouched or missing; what next"
	@echo "  make watch-N [EX=K]           make check-N again at every save of an exercise file (Ctrl-C stops)"
	@echo "  make bench                    the runtime against bare system calls, as ratios"
	@echo "  make sanitize                 the runtime's tests under ASan+UBSan and TSan"
	@$(MAKE) --no-print-directory help-more
	@echo "  make clean                    remove build/ and plots/out/"
	@echo "Flags every lesson takes: build/lesson-01 --help"

clean:
	rm -rf build build-asan build-tsan plots/out

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

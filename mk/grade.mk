# make grade SUBMISSIONS=DIR: build and test every student's exercises, each
# in isolation and within limits, and write the grades (README: "Grading a
# class").
#
# scripts/grade.sh does the work: for each subfolder or archive of DIR, a
# fresh copy of the student's files and a build folder of its own, compiled
# by this Makefile's own rules (EXERCISES=the copy, in a copy of the kit
# without solutions/) and run by $(BUILD)/tools/grade-sandbox
# (tools/grade-sandbox.c: the limits, the unprivileged uid, nothing left
# behind). The runtime is built once, here, and shared read-only: it is the
# instructor's code, not the student's.
#
# Limits (per exercise; a number each): GRADE_TIME wall seconds of a test
# binary, GRADE_CPU CPU seconds, GRADE_MEM MiB of address space per process
# (and of its own /dev/shm, as root), GRADE_PROCS processes and threads,
# GRADE_OUTPUT bytes of output;
# GRADE_COMPILE_TIME wall seconds to compile one student's files. GRADE_UID:
# the uid with no account the student's code runs as, when run as root.
# LESSONS="1 5": grade only these lessons. GRADE_OUT: where the grades go.
GRADE_SANDBOX := $(BUILD)/tools/grade-sandbox
GRADE_OUT ?= $(BUILD)/grade

$(GRADE_SANDBOX): tools/grade-sandbox.c $(LIBMP)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $< $(LIBMP) -o $@ $(LDLIBS)

# The exercises' tests, one source a line, for scripts/grade.sh: whatever
# the Makefile builds as the exercises' tests.
grade-list:
	@$(foreach t,$(EX_TEST_SRC),echo '$(t)';)

GRADE_ENV = GRADE_TIME='$(GRADE_TIME)' GRADE_CPU='$(GRADE_CPU)' GRADE_MEM='$(GRADE_MEM)' \
	GRADE_PROCS='$(GRADE_PROCS)' GRADE_OUTPUT='$(GRADE_OUTPUT)' GRADE_COMPILE_TIME='$(GRADE_COMPILE_TIME)' \
	GRADE_UID='$(GRADE_UID)' GRADE_ARCHIVE_MIB='$(GRADE_ARCHIVE_MIB)' LESSONS='$(LESSONS)'

# Bad input (no SUBMISSIONS, a limit that is not a number): one line and
# status 2, before anything is built.
ifneq ($(filter grade,$(MAKECMDGOALS)),)
ifeq ($(SUBMISSIONS),)
$(error make grade: say which folder holds the submissions: make grade SUBMISSIONS=DIR)
endif
GRADE_PROBLEM := $(shell $(GRADE_ENV) scripts/grade.sh --check '$(SUBMISSIONS)' '$(GRADE_OUT)' '$(BUILD)' 2>&1)
$(if $(GRADE_PROBLEM),$(error $(GRADE_PROBLEM)))
endif

grade: $(LIBMP) $(BUILD)/.cmocka $(GRADE_SANDBOX)
	@$(GRADE_ENV) scripts/grade.sh '$(SUBMISSIONS)' '$(GRADE_OUT)' '$(BUILD)'
.PHONY: grade grade-list

# The grading test: a class of sample submissions (tests/grading/), graded
# with small limits (a few seconds; two of them wait for a 5 s limit).
$(BUILD)/tests/test_grade: tests/grading/test_grade.c tests/helpers.h $(LIBMP) $(BUILD)/.cmocka $(GRADE_SANDBOX)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests -DBUILD_DIR='"$(BUILD)"' $< $(LIBMP) -o $@ $(TESTLIBS) $(LDLIBS)
EXTRA_TESTS += $(BUILD)/tests/test_grade

# The sandbox's own tests, run directly (a second or two).
$(BUILD)/tests/test_sandbox: tests/grading/test_sandbox.c tests/helpers.h $(LIBMP) $(BUILD)/.cmocka $(GRADE_SANDBOX)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests -DBUILD_DIR='"$(BUILD)"' $< $(LIBMP) -o $@ $(TESTLIBS) $(LDLIBS)
EXTRA_TESTS += $(BUILD)/tests/test_sandbox

help-more::
	@echo "  make grade SUBMISSIONS=DIR [LESSONS=\"1 2\"]  build and test every student's exercises (a folder"
	@echo "                                or archive each) in isolation, with limits: grades in $(GRADE_OUT)/"

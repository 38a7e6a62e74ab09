# make grade SUBMISSIONS=DIR: build and test every student's exercises, each
# in isolation and within limits, and write the grades (README: "Grading").
#
# scripts/grade.sh does the work: for each subfolder or archive of DIR, a
# fresh copy of the student's files and a build folder of its own, compiled
# by this Makefile's own rules (EXERCISES=the copy) and run by
# $(BUILD)/tools/grade-sandbox (tools/grade-sandbox.c: the limits, the
# unprivileged uid, nothing left behind). The runtime is built once, here,
# and shared read-only: it is the instructor's code, not the student's.
#
# Limits (per exercise; a number each): GRADE_TIME wall seconds of a test
# binary, GRADE_CPU CPU seconds, GRADE_MEM MiB of address space per process,
# GRADE_PROCS processes and threads, GRADE_OUTPUT bytes of output;
# GRADE_COMPILE_TIME wall seconds to compile one student's files. GRADE_UID:
# the uid with no account the student's code runs as, when run as root.
# LESSONS="1 5": grade only these lessons. GRADE_OUT: where the grades go.
GRADE_SANDBOX := $(BUILD)/tools/grade-sandbox
GRADE_OUT ?= $(BUILD)/grade

$(GRADE_SANDBOX): tools/grade-sandbox.c $(LIBMP)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $< $(LIBMP) -o $@ $(LDLIBS)

# The exercises' tests, as "test-source binary" lines, for scripts/grade.sh:
# whatever the Makefile builds as the exercises' tests (make grade-list
# BUILD=a-student's-build-folder).
grade-list:
	@$(foreach t,$(EX_TEST_SRC),echo '$(t) $(patsubst tests/exercises/%.c,$(BUILD)/tests/exercises/%,$(t))';)

grade: $(LIBMP) $(BUILD)/.cmocka $(GRADE_SANDBOX)
	@$(if $(SUBMISSIONS),,echo "make grade: say which folder holds the submissions: make grade SUBMISSIONS=DIR" >&2; exit 2;) \
	GRADE_TIME='$(GRADE_TIME)' GRADE_CPU='$(GRADE_CPU)' GRADE_MEM='$(GRADE_MEM)' GRADE_PROCS='$(GRADE_PROCS)' \
	GRADE_OUTPUT='$(GRADE_OUTPUT)' GRADE_COMPILE_TIME='$(GRADE_COMPILE_TIME)' GRADE_UID='$(GRADE_UID)' \
	LESSONS='$(LESSONS)' scripts/grade.sh '$(SUBMISSIONS)' '$(GRADE_OUT)' '$(BUILD)'
.PHONY: grade grade-list

help-more::
	@echo "  make grade SUBMISSIONS=DIR [LESSONS=\"1 2\"]  build and test every student's exercises (a folder"
	@echo "                                or archive each) in isolation, with limits: grades in $(GRADE_OUT)/"

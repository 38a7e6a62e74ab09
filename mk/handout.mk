# make handout: the students' archive (scripts/handout.sh), $(HANDOUT_ARCHIVE):
# the instructor's tracked files minus solutions/, every instructor-only test
# (tests/exercises/*/exK-what.instructor.c, see tests/instructor.h) and the
# instructor-side tests, plus tests/exercises/WITHHELD, which counts the
# tests left out. Unpacked, it is a tree of its own: the Makefile sees no
# solutions/ (HANDOUT) and make test, check-N, progress and watch-N work.
#
# test_handout makes one, unpacks it in a temporary folder and works in it as
# a student: make lesson-1, check-1 (untouched: failing; solved: passing, one
# line on the tests run at grading), progress, watch-1. It runs here only,
# where there are solutions/ and git.
HANDOUT_ARCHIVE ?= $(BUILD)/mpkit-handout.tar.gz

handout:
	@scripts/handout.sh $(HANDOUT_ARCHIVE)
.PHONY: handout

# mk/grade.mk stays out of the handout; its README still tells of make grade,
# so a student who tries it is told whose it is (not "No rule to make target")
ifneq ($(HANDOUT),)
grade:
	@echo "make grade is the instructor's: it grades a class in the instructor's clone, and this handout has no grading tools (mk/grade.mk, scripts/grade.sh, tools/); make check-N tests your exercises"; exit 2
.PHONY: grade
endif

ifeq ($(HANDOUT),)
EXTRA_TESTS += $(BUILD)/tests/test_handout
$(BUILD)/tests/test_handout: tests/test_handout.c tests/helpers.h tests/instructor.h $(LIBMP) $(BUILD)/.cmocka
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests -DBUILD_DIR='"$(BUILD)"' $< $(LIBMP) -o $@ $(TESTLIBS) $(LDLIBS)
endif

# the handout's own help does not offer what only the instructor's clone can do
ifeq ($(HANDOUT),)
help-more::
	@echo "  make handout                  instructors: the students' archive, $(HANDOUT_ARCHIVE) (no solutions,"
	@echo "                                no instructor-only tests); make check-N there runs the public tests"
endif

# The reference run: `make reference` stores this machine's results for every
# lesson in plots/reference/NN-name/ (CSV, PNG and the plots' .dat files)
# with plots/reference/machine.txt describing the machine; each lesson's
# plots draw that run beside the student's (lib/plot.h, --no-reference).
#
#   make reference                          every lesson, default sizes (minutes)
#   make reference LESSONS="1 9"            only those lessons' folders are replaced
#   make reference ARGS=--quick REFERENCE_DIR=/tmp/ref   a quick pass elsewhere
#
# scripts/reference.sh runs the lessons into a temporary folder and replaces
# the reference only when every one succeeded.
REFERENCE_DIR ?= plots/reference

reference: deps-gnuplot $(LESSON_BINS)
	@scripts/reference.sh '$(BUILD)' '$(REFERENCE_DIR)' '$(ARGS)' '$(LESSONS)'
.PHONY: reference

# its test runs `make reference` on two quick lessons into a temporary folder
$(BUILD)/tests/test_reference: tests/test_reference.c tests/helpers.h $(LIBMP) $(BUILD)/.cmocka
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests -DBUILD_DIR='"$(BUILD)"' $< $(LIBMP) -o $@ $(TESTLIBS) $(LDLIBS)
EXTRA_TESTS += $(BUILD)/tests/test_reference

help-more::
	@echo "  make reference [LESSONS=\"1 9\"] [ARGS=...] [REFERENCE_DIR=DIR]  store this machine's run of every"
	@echo "                                lesson as the reference the plots draw (plots/reference/)"

# Puzzles (issue 17, part 5): build/puzzle prints a seeded predict-then-
# measure problem for a lesson; `make puzzle-N ARGS="--seed 7 --solve"`.
# Sources in puzzles/: one file per lesson's puzzle, common.c, main.c. The
# generic $(BUILD)/%.o rule compiles them; the tests link every puzzle
# file but main.o, and also run build/puzzle (flags, exit statuses).
PUZZLE_OBJ := $(patsubst %.c,$(BUILD)/%.o,$(wildcard puzzles/*.c))
PUZZLE_PARTS := $(filter-out $(BUILD)/puzzles/main.o,$(PUZZLE_OBJ))

$(BUILD)/puzzle: $(PUZZLE_OBJ) $(LIBMP)
	$(CC) $(ALL_CFLAGS) $^ -o $@ $(LDLIBS)

$(BUILD)/tests/test_puzzles: tests/puzzles/test_puzzles.c $(PUZZLE_PARTS) $(LIBMP) $(BUILD)/puzzle $(BUILD)/.cmocka
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests -Ipuzzles -DBUILD_DIR='"$(BUILD)"' $< $(PUZZLE_PARTS) $(LIBMP) -o $@ \
		$(TESTLIBS) $(LDLIBS)

EXTRA_TESTS += $(BUILD)/tests/test_puzzles
all: $(BUILD)/puzzle

# make puzzle-1, make puzzle-01 ARGS="--seed 7 --solve"; a lesson without a
# puzzle or a bad flag: the program's one line and status 2.
puzzle-%:
	@$(MAKE) --no-print-directory $(BUILD)/puzzle >/dev/null && $(BUILD)/puzzle $* $(ARGS)
.PHONY: puzzle-list
puzzle-list: $(BUILD)/puzzle
	@$(BUILD)/puzzle --list

help-more::
	@echo "  make puzzle-N [ARGS=\"--seed S --solve\"]  a seeded predict-then-measure puzzle for lesson N;"
	@echo "                                --answer X checks a prediction; make puzzle-list: the puzzles"

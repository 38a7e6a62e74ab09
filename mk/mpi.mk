# Lesson 13 (beyond one machine) runs an MPI program: MPICH's, from Debian
# (the lesson's README says why MPICH and not Open MPI).
#
# build/lesson-13 is the lesson itself, built with gcc like every lesson from
# the .c files at the top of its folder. The program its ranks run is built
# here from lessons/13-beyond-one-machine/mpi/*.c with MPICH's compiler
# wrapper, into $(BUILD)/mpi/lesson13-ranks, and the lesson starts it with
# mpiexec.mpich. Both are named by their MPICH names (mpicc.mpich,
# mpiexec.mpich): with Open MPI installed too, plain mpicc and mpiexec may be
# Open MPI's, which cannot run what MPICH built.
#
# Building lesson-13 builds the MPI program (an order-only prerequisite: it
# is a separate program, not linked into the lesson), and that installs MPICH
# first if it is missing (scripts/install-deps.sh mpi: as root with apt-get,
# otherwise it prints the command and stops with status 2). So `make
# lesson-13`, `make` and `make test` work on a machine without MPI.
#
# Lesson 13's exercises are MPI programs too: their tests are built by the
# Makefile's generic rules, with mpicc.mpich as the compiler (a private
# target variable: the runtime they link is still built with gcc), and each
# test runs its own binary again under mpiexec.mpich with 2 or 3 ranks
# (tests/exercises/13-beyond-one-machine/mpirun.h).
MPICC := mpicc.mpich
MPI_SRC_DIR := lessons/13-beyond-one-machine/mpi
MPI_RANKS := $(BUILD)/mpi/lesson13-ranks
MPI_OBJ := $(patsubst $(MPI_SRC_DIR)/%.c,$(BUILD)/mpi/%.o,$(wildcard $(MPI_SRC_DIR)/*.c))

# deps-mpi checks at every make that MPICH is there (a few milliseconds
# when it is) rather than leaving a stamp file: MPICH removed later is
# installed again, not a build that fails on a missing mpicc.mpich. It is an
# order-only prerequisite: checking never makes anything rebuild.
deps-mpi:
	@scripts/install-deps.sh mpi
.PHONY: deps-mpi

$(BUILD)/mpi/%.o: $(MPI_SRC_DIR)/%.c | deps-mpi
	@mkdir -p $(dir $@)
	$(MPICC) $(ALL_CFLAGS) -c $< -o $@

$(MPI_RANKS): $(MPI_OBJ) $(LIBMP) | deps-mpi
	$(MPICC) $(ALL_CFLAGS) $^ -o $@ $(LDLIBS)

$(BUILD)/lesson-13: | $(MPI_RANKS)
# make lesson-13 installs MPICH here, where what it says is seen (the
# lesson-% rule builds the lesson with its output hidden).
lesson-13: deps-mpi

EX13_BINS := $(filter $(BUILD)/tests/solutions/13-beyond-one-machine/% $(BUILD)/tests/exercises/13-beyond-one-machine/%,\
	$(EX_SOL_BINS) $(EX_EXE_BINS))
$(EX13_BINS): private CC := $(MPICC)
$(EX13_BINS): | deps-mpi

help-more::
	@echo "  make lesson-13 [ARGS=\"--hostfile FILE\"]  MPI on N ranks (installs MPICH if missing); the command"
	@echo "                                for the machines of a hostfile"

package dev.tracedb.compiler.select;

/**
 * The knobs of trace selection. Immutable; build with {@link #builder()}, whose defaults
 * ({@link #defaults()}) are what {@code tracedb compile} uses.
 *
 * @param minHeadExecutions       a block becomes a head candidate only if it ran at least this often
 *                                (after a backward branch in round one; outside every trace, after a
 *                                side exit or a backward branch, in later rounds)
 * @param maxBlocks               blocks in one trace, at most
 * @param maxInstructions         instructions in one trace, at most
 * @param coldShare               a trace stops where its most frequent continuation was taken by fewer
 *                                than this share of the head's recorded passes
 * @param maxCandidatesPerRound   heads whose paths one mining pass collects, at most
 * @param maxTraces               traces in a selection, at most
 * @param rounds                  selection rounds (each: mine paths, choose, simulate), at most
 * @param maxPathNodes            path-statistics tree nodes per round, at most (bounds memory)
 * @param minInstructionsPerEntry a trace is dropped if, per entry, fewer instructions would run inside
 * @param maxFirstGuardExitShare  a trace is dropped if more than this share of its passes would exit
 *                                at its first guard
 * @param minShareInside          a trace is dropped if less than this share of all instructions would
 *                                run inside it (one-off start-up code is not worth a patch)
 * @param minRoundGain            selection stops after a round (from the second on) whose traces
 *                                raised the forecast share of instructions inside traces by less
 *                                than this
 * @param minBranchesSavedPerEntry a trace is dropped if, per entry, it would remove fewer taken branches
 *                                than this (2: the jump in its head patch and the one that leaves it),
 *                                by more than one per hundred instructions it runs inside
 * @param costModel               false keeps traces that would not pay but are still exact: the
 *                                {@code minBranchesSavedPerEntry} and {@code minInstructionsPerEntry}
 *                                rules, the one that drops traces completing fewer than a quarter
 *                                of their entries, the one that drops straight traces at return
 *                                points (and, with {@code calleeEntries} false, at call targets) and
 *                                the module rule ({@code minModuleSavedShare}) are off (tests use it
 *                                to exercise short traces)
 * @param calleeEntries           true (the default since the thirteenth round) keeps straight traces
 *                                headed at a function's entry (a call's target, such as lua5.4's
 *                                luaD_precall); false drops them like those at a call's return point
 * @param minModuleSavedShare     a module's traces are all dropped if together they would remove
 *                                fewer taken branches than this share of all the run's instructions
 *                                (0.005: one per 200): what applying them costs at every start
 *                                (the shim, the module's code blob, its patched pages) is then more
 *                                than they can win, and a cache left with no trace runs the program
 *                                without the shim (docs/compiling.md, Fourteenth round (b)); a
 *                                cost-model rule, off with {@code costModel} false
 */
public record SelectionOptions(long minHeadExecutions, int maxBlocks, int maxInstructions, double coldShare,
                               int maxCandidatesPerRound, int maxTraces, int rounds, int maxPathNodes,
                               double minInstructionsPerEntry, double maxFirstGuardExitShare,
                               double minShareInside, double minRoundGain, double minBranchesSavedPerEntry,
                               boolean costModel, boolean calleeEntries, double minModuleSavedShare) {
    public SelectionOptions {
        if (minHeadExecutions < 1) throw new IllegalArgumentException("minHeadExecutions < 1");
        if (maxBlocks < 1) throw new IllegalArgumentException("maxBlocks < 1");
        if (maxInstructions < 1) throw new IllegalArgumentException("maxInstructions < 1");
        if (coldShare < 0 || coldShare > 1) throw new IllegalArgumentException("coldShare outside [0, 1]");
        if (maxCandidatesPerRound < 1) throw new IllegalArgumentException("maxCandidatesPerRound < 1");
        if (maxTraces < 0) throw new IllegalArgumentException("maxTraces < 0");
        if (rounds < 1) throw new IllegalArgumentException("rounds < 1");
        if (maxPathNodes < 1) throw new IllegalArgumentException("maxPathNodes < 1");
        if (maxFirstGuardExitShare < 0 || maxFirstGuardExitShare > 1) {
            throw new IllegalArgumentException("maxFirstGuardExitShare outside [0, 1]");
        }
        if (minShareInside < 0 || minShareInside > 1) throw new IllegalArgumentException("minShareInside outside [0, 1]");
        if (minRoundGain < 0 || minRoundGain > 1) throw new IllegalArgumentException("minRoundGain outside [0, 1]");
        if (!(minModuleSavedShare >= 0 && minModuleSavedShare <= 1)) { // NaN too
            throw new IllegalArgumentException("minModuleSavedShare outside [0, 1]");
        }
    }

    /** Options with every default of {@link Builder}, to change some of them. */
    public static Builder builder() {
        return new Builder();
    }

    /** What {@code tracedb compile} uses: {@code builder().build()}. */
    public static SelectionOptions defaults() {
        return builder().build();
    }

    /** Each setter names the component it sets; the field initializers are the defaults. */
    public static final class Builder {
        private long minHeadExecutions = 100;
        private int maxBlocks = 256;
        private int maxInstructions = 4096;
        private double coldShare = 0.1;
        private int maxCandidatesPerRound = 32;
        private int maxTraces = 256;
        private int rounds = 8;
        private int maxPathNodes = 2_000_000;
        private double minInstructionsPerEntry = 16;
        private double maxFirstGuardExitShare = 0.5;
        private double minShareInside = 0.0001;
        private double minRoundGain = 0.002;
        private double minBranchesSavedPerEntry = 2;
        private boolean costModel = true;
        private boolean calleeEntries = true;
        private double minModuleSavedShare = 0.005;

        private Builder() {}

        public Builder minHeadExecutions(long value) {
            this.minHeadExecutions = value;
            return this;
        }

        public Builder maxBlocks(int value) {
            this.maxBlocks = value;
            return this;
        }

        public Builder maxInstructions(int value) {
            this.maxInstructions = value;
            return this;
        }

        public Builder coldShare(double value) {
            this.coldShare = value;
            return this;
        }

        public Builder maxCandidatesPerRound(int value) {
            this.maxCandidatesPerRound = value;
            return this;
        }

        public Builder maxTraces(int value) {
            this.maxTraces = value;
            return this;
        }

        public Builder rounds(int value) {
            this.rounds = value;
            return this;
        }

        public Builder maxPathNodes(int value) {
            this.maxPathNodes = value;
            return this;
        }

        public Builder minInstructionsPerEntry(double value) {
            this.minInstructionsPerEntry = value;
            return this;
        }

        public Builder maxFirstGuardExitShare(double value) {
            this.maxFirstGuardExitShare = value;
            return this;
        }

        public Builder minShareInside(double value) {
            this.minShareInside = value;
            return this;
        }

        public Builder minRoundGain(double value) {
            this.minRoundGain = value;
            return this;
        }

        public Builder minBranchesSavedPerEntry(double value) {
            this.minBranchesSavedPerEntry = value;
            return this;
        }

        public Builder costModel(boolean on) {
            this.costModel = on;
            return this;
        }

        public Builder calleeEntries(boolean keep) {
            this.calleeEntries = keep;
            return this;
        }

        public Builder minModuleSavedShare(double value) {
            this.minModuleSavedShare = value;
            return this;
        }

        /** @throws IllegalArgumentException if a value is out of its range */
        public SelectionOptions build() {
            return new SelectionOptions(minHeadExecutions, maxBlocks, maxInstructions, coldShare, maxCandidatesPerRound,
                    maxTraces, rounds, maxPathNodes, minInstructionsPerEntry, maxFirstGuardExitShare, minShareInside,
                    minRoundGain, minBranchesSavedPerEntry, costModel, calleeEntries, minModuleSavedShare);
        }
    }
}

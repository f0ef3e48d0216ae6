package dev.tracedb.compiler.select;

/**
 * The knobs of trace selection; {@link #defaults()} are what {@code tracedb compile} uses.
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
 *                                of their entries and the one that drops straight traces at call and
 *                                return targets are off (tests use it to exercise short traces)
 */
public record SelectionOptions(long minHeadExecutions, int maxBlocks, int maxInstructions, double coldShare,
                               int maxCandidatesPerRound, int maxTraces, int rounds, int maxPathNodes,
                               double minInstructionsPerEntry, double maxFirstGuardExitShare,
                               double minShareInside, double minRoundGain, double minBranchesSavedPerEntry,
                               boolean costModel) {
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
    }

    public static SelectionOptions defaults() {
        return new SelectionOptions(100, 256, 4096, 0.1, 32, 256, 8, 2_000_000, 16, 0.5, 0.0001, 0.002, 2, true);
    }

    public SelectionOptions withMinHeadExecutions(long value) {
        return new SelectionOptions(value, maxBlocks, maxInstructions, coldShare, maxCandidatesPerRound, maxTraces,
                rounds, maxPathNodes, minInstructionsPerEntry, maxFirstGuardExitShare, minShareInside, minRoundGain,
                minBranchesSavedPerEntry, costModel);
    }

    public SelectionOptions withMaxBlocks(int value) {
        return new SelectionOptions(minHeadExecutions, value, maxInstructions, coldShare, maxCandidatesPerRound,
                maxTraces, rounds, maxPathNodes, minInstructionsPerEntry, maxFirstGuardExitShare, minShareInside, minRoundGain,
                minBranchesSavedPerEntry, costModel);
    }

    public SelectionOptions withMaxTraces(int value) {
        return new SelectionOptions(minHeadExecutions, maxBlocks, maxInstructions, coldShare, maxCandidatesPerRound,
                value, rounds, maxPathNodes, minInstructionsPerEntry, maxFirstGuardExitShare, minShareInside, minRoundGain,
                minBranchesSavedPerEntry, costModel);
    }

    public SelectionOptions withRounds(int value) {
        return new SelectionOptions(minHeadExecutions, maxBlocks, maxInstructions, coldShare, maxCandidatesPerRound,
                maxTraces, value, maxPathNodes, minInstructionsPerEntry, maxFirstGuardExitShare, minShareInside, minRoundGain,
                minBranchesSavedPerEntry, costModel);
    }

    public SelectionOptions withMinBranchesSavedPerEntry(double value) {
        return new SelectionOptions(minHeadExecutions, maxBlocks, maxInstructions, coldShare, maxCandidatesPerRound,
                maxTraces, rounds, maxPathNodes, minInstructionsPerEntry, maxFirstGuardExitShare, minShareInside,
                minRoundGain, value, costModel);
    }

    /** These options with the cost model off (see {@code costModel}). */
    public SelectionOptions withoutCostModel() {
        return new SelectionOptions(minHeadExecutions, maxBlocks, maxInstructions, coldShare, maxCandidatesPerRound,
                maxTraces, rounds, maxPathNodes, minInstructionsPerEntry, maxFirstGuardExitShare, minShareInside,
                minRoundGain, minBranchesSavedPerEntry, false);
    }
}

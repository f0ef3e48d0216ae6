package dev.tracedb.store;

/**
 * Where one execution batch sits in the run: the unit of seeking. Batches tile the execution
 * stream without gaps, so batch {@code n+1} starts where batch {@code n} ends.
 *
 * @param sequence         0 for the first batch of the run, then 1, 2, ...
 * @param logIndex         the batch's index in the run log (opaque, for {@link RunReader})
 * @param firstBlockEvent  index of the batch's first block event in the run
 * @param firstInstruction index of the first instruction of the batch's first block in the run
 * @param eventCount       number of block events in the batch
 * @param instructionCount number of instructions those block events executed
 * @param encodedBytes     bytes the batch occupies on disk (payload after compression)
 */
public record ExecBatchHeader(int sequence, long logIndex, long firstBlockEvent, long firstInstruction,
                              int eventCount, long instructionCount, int encodedBytes) {

    /** One past the last block event of the batch. */
    public long endBlockEvent() {
        return firstBlockEvent + eventCount;
    }

    /** One past the last instruction of the batch. */
    public long endInstruction() {
        return firstInstruction + instructionCount;
    }

    public boolean containsBlockEvent(long blockEvent) {
        return blockEvent >= firstBlockEvent && blockEvent < endBlockEvent();
    }

    public boolean containsInstruction(long instruction) {
        return instruction >= firstInstruction && instruction < endInstruction();
    }
}

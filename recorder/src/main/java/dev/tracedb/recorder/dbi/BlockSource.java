package dev.tracedb.recorder.dbi;

import dev.tracedb.machine.x86.decode.BasicBlock;

/**
 * Where the engine gets the block that starts at an address, with the id its events carry. In a
 * recording that is the framework's {@link dev.tracedb.recorder.BlockTable} (so the ids are the
 * ones defined in the log); {@link DecodingBlockSource} decodes on its own for engine tests.
 */
interface BlockSource {
    /**
     * A block: its id and its instructions, ending in a control transfer unless cut short, and
     * the extent of the module it lies in (which decides the code-cache view it runs through).
     */
    record Source(int id, BasicBlock block, ViewPlacement.Extent module) {}

    Source blockAt(AppAddress address);
}

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
    record Source(int id, BasicBlock block, ViewPlacement.Extent module, String modulePath) {
        /** A block whose module's file is not known (engine tests): it can hold no value probe. */
        Source(int id, BasicBlock block, ViewPlacement.Extent module) {
            this(id, block, module, null);
        }
    }

    /** The block at {@code address}, defined now (it is about to run, or has just run for the first time). */
    Source blockAt(AppAddress address);

    /**
     * The block at {@code address} decoded ahead of its first run, with id -1 and nothing defined
     * or logged; {@link #blockAt} later defines it from the same decoding. Null when it cannot be
     * decoded, is defined already, or lies in a module not seen yet: code that may never run must
     * neither stop the recording nor change the log.
     */
    Source peek(AppAddress address);

    /**
     * The first {@code count} instructions of the block defined at {@code start}, defined now (once)
     * as a block of its own that falls through: what the log holds for a block a signal cut short.
     * {@code count} is less than the block's length.
     */
    Source prefix(AppAddress start, int count);

    /**
     * The code of modules the run has entered: a {@code MAP_FIXED} mapping there would replace code
     * already translated, a write to its file would change it ({@link dev.tracedb.recorder.CodeWrites}).
     */
    dev.tracedb.recorder.CodeWrites.EnteredCode enteredCode();
}

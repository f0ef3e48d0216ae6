package dev.tracedb.recorder;

import dev.tracedb.machine.linux.RemoteAddress;
import dev.tracedb.machine.linux.RemoteMemory;
import dev.tracedb.machine.x86.decode.BasicBlock;
import dev.tracedb.machine.x86.decode.Decoder;
import dev.tracedb.machine.x86.decode.Instruction;
import dev.tracedb.machine.x86.decode.UndecodableInstructionException;
import dev.tracedb.store.BlockDefined;
import dev.tracedb.store.RunWriter;
import dev.tracedb.store.Terminators;
import java.io.ByteArrayOutputStream;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Block ids for entry addresses: decodes a block from the tracee's memory the first time execution
 * enters it and defines it in the log (module, offset, bytes, instruction count, terminator).
 *
 * <p>A block runs from its entry to the first control transfer, inclusive (a {@code syscall} is
 * one); blocks are keyed by entry address, so a jump into the middle of a known block makes a new,
 * overlapping block, as DynamoRIO does. Blocks longer than {@link #MAX_INSTRUCTIONS} are cut there
 * and fall through to the next. If an instruction after the entry cannot be decoded, the block
 * ends before it (falling through): the recording stops only if execution actually reaches it.
 *
 * <p>An engine that translates ahead of execution may {@link #peek} at a block: decoded, not
 * defined, nothing logged; {@link #blockAt} defines it, from the same decoding, when it first runs.
 * So ids and definitions follow the order of first execution whatever was peeked at.
 *
 * <p>A prefix ({@link #prefix}) is the first {@code k} instructions of a block, a block of its own
 * with a {@code FALL_THROUGH} terminator: what the log holds when a signal interrupts a block.
 *
 * <p>Not thread-safe (it owns a {@link Decoder}); use from one thread and close it when done.
 */
public final class BlockTable implements AutoCloseable {
    /** Longer straight-line code is split into blocks of this many instructions. */
    public static final int MAX_INSTRUCTIONS = 1024;
    private static final int FIRST_READ = 256;

    private final RemoteMemory memory;
    private final ModuleTracker modules;
    private final RunWriter writer;
    private final Decoder decoder = Decoder.open();
    private final Map<Long, Block> byAddress = new HashMap<>();
    /** Blocks decoded by {@link #peek} and not defined yet. */
    private final Map<Long, Decoded> peeked = new HashMap<>();
    /** Prefixes by entry address, then by instruction count. */
    private final Map<Long, Map<Integer, Block>> prefixes = new HashMap<>();
    private int nextId;

    public BlockTable(RemoteMemory memory, ModuleTracker modules, RunWriter writer) {
        this.memory = memory;
        this.modules = modules;
        this.writer = writer;
    }

    /**
     * The block entered at {@code address}, decoded and defined on first sight.
     *
     * @throws RecordingStoppedException if the first instruction cannot be decoded or the address
     *                                   is in no module
     */
    public Block blockAt(long address) {
        Block block = byAddress.get(address);
        if (block == null) {
            Decoded decoded = peeked.remove(address);
            if (decoded == null) {
                decoded = decode(address);
            }
            block = define(decoded.module(), decoded.instructions(), decoded.complete());
            byAddress.put(address, block);
        }
        return block;
    }

    /** A block decoded and not defined yet: what {@link #peek} returns. */
    public record Decoded(CodeModule module, List<Instruction> instructions, boolean complete) {}

    /**
     * The block that would be entered at {@code address}, decoded without defining it (no id,
     * nothing in the log), or empty if it is defined already, lies outside the modules known so
     * far (finding a new one would log it) or cannot be decoded: code that may never run must not
     * stop the recording.
     */
    public Optional<Decoded> peek(long address) {
        if (byAddress.containsKey(address) || modules.knownModuleAt(address) == null) {
            return Optional.empty();
        }
        Decoded decoded = peeked.get(address);
        if (decoded == null) {
            try {
                decoded = decode(address);
            } catch (RecordingStoppedException | RemoteMemory.RemoteMemoryException | UndecodableInstructionException e) {
                return Optional.empty();
            }
            peeked.put(address, decoded);
        }
        return Optional.of(decoded);
    }

    /**
     * The block made of the first {@code count} instructions of {@code block} (defined on first
     * use), or {@code block} itself when {@code count} is its whole length.
     */
    public Block prefix(Block block, int count) {
        if (count < 1 || count > block.instructionCount()) {
            throw new IllegalArgumentException("prefix of " + count + " instructions of " + block);
        }
        if (count == block.instructionCount()) {
            return block;
        }
        return prefixes.computeIfAbsent(block.address(), a -> new HashMap<>())
                .computeIfAbsent(count, n -> define(block.module(), block.instructions().subList(0, n), false));
    }

    /** Distinct blocks defined so far (prefixes included). */
    public int size() {
        return nextId;
    }

    /** Code in {@code [start, start + length)} was unmapped: blocks entered there are decoded again. */
    public void forget(long start, long length) {
        long end = start + length;
        byAddress.keySet().removeIf(a -> Long.compareUnsigned(a, start) >= 0 && Long.compareUnsigned(a, end) < 0);
        peeked.keySet().removeIf(a -> Long.compareUnsigned(a, start) >= 0 && Long.compareUnsigned(a, end) < 0);
        prefixes.keySet().removeIf(a -> Long.compareUnsigned(a, start) >= 0 && Long.compareUnsigned(a, end) < 0);
        modules.forget(start, length);
    }

    private Decoded decode(long address) {
        CodeModule module = modules.moduleAt(address);
        long available = modules.mappingEnd(address) - address;
        int length = (int) Math.min(FIRST_READ, available);
        while (true) {
            byte[] code = memory.read(RemoteAddress.of(address), length);
            BasicBlock basic;
            try {
                basic = decoder.decodeBlock(code, address, address, MAX_INSTRUCTIONS);
            } catch (UndecodableInstructionException e) {
                if (e.address() == address) {
                    throw new RecordingStoppedException(String.format(
                            "execution reached an instruction the decoder does not know, at %s+0x%x: %s",
                            module.fileName(), module.offsetOf(address), e.getMessage()), e);
                }
                // End the block before the unknown instruction; it stops the recording only if it runs.
                byte[] cut = new byte[(int) (e.address() - address)];
                System.arraycopy(code, 0, cut, 0, cut.length);
                basic = decoder.decodeBlock(cut, address, address, MAX_INSTRUCTIONS);
                return new Decoded(module, basic.instructions(), false);
            }
            boolean more = length < available;
            if (basic.end() == BasicBlock.End.END_OF_CODE && more) {
                length = (int) Math.min(4L * length, available);
                continue;
            }
            if (basic.instructions().isEmpty()) {
                throw new RecordingStoppedException(String.format(
                        "execution reached %s+0x%x, where the mapping ends inside an instruction",
                        module.fileName(), module.offsetOf(address)));
            }
            return new Decoded(module, basic.instructions(), basic.end() == BasicBlock.End.CONTROL_TRANSFER);
        }
    }

    private Block define(CodeModule module, List<Instruction> instructions, boolean complete) {
        Instruction first = instructions.get(0);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (Instruction insn : instructions) {
            bytes.writeBytes(insn.bytes());
        }
        Block block = new Block(nextId++, module, instructions,
                Terminators.of(instructions.get(instructions.size() - 1), complete));
        writer.defineBlock(new BlockDefined(block.id(), module.id(), module.offsetOf(first.address()),
                bytes.toByteArray(), block.instructionCount(), block.terminator()));
        return block;
    }

    @Override
    public void close() {
        decoder.close();
    }
}

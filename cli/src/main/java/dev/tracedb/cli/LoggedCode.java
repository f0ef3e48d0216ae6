package dev.tracedb.cli;

import dev.tracedb.machine.x86.decode.Decoder;
import dev.tracedb.machine.x86.decode.Instruction;
import dev.tracedb.store.BlockDefined;
import dev.tracedb.store.ModuleMapped;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The code of a run as its log holds it: modules and block definitions, fed in from a replay, and
 * each block decoded (once, on first use) from its logged bytes at its original address. Replay and
 * verify need nothing else: not the program, not the machine it ran on.
 *
 * <p>Not thread-safe (it owns a {@link Decoder}); close it when done.
 */
final class LoggedCode implements AutoCloseable {

    /** A logged block, decoded. {@code address} is in the recorded process. */
    record Code(BlockDefined definition, ModuleMapped module, long address, List<Instruction> instructions) {
        long endAddress() {
            return instructions.get(instructions.size() - 1).nextAddress();
        }

        Instruction last() {
            return instructions.get(instructions.size() - 1);
        }

        /** {@code libc.so.6+0x1234} for an address of this block's module. */
        String where(long at) {
            return LoggedCode.where(module, at);
        }
    }

    private final Decoder decoder = Decoder.open();
    private final Map<Integer, ModuleMapped> modules = new HashMap<>();
    private final List<BlockDefined> definitions = new ArrayList<>();
    private final List<Code> decoded = new ArrayList<>();

    void moduleMapped(ModuleMapped module) {
        modules.put(module.moduleId(), module);
    }

    void blockDefined(BlockDefined block) {
        while (definitions.size() <= block.blockId()) {
            definitions.add(null);
            decoded.add(null);
        }
        definitions.set(block.blockId(), block);
    }

    /**
     * Block {@code id}, decoded instruction by instruction from its bytes.
     *
     * @throws IllegalStateException if its module is unknown, or its bytes do not decode into
     *                               exactly its instruction count
     */
    Code code(int id) {
        Code code = decoded.get(id);
        if (code == null) {
            code = decode(definitions.get(id));
            decoded.set(id, code);
        }
        return code;
    }

    /** The module whose mapping holds {@code address}, if any, as {@code name+0xoffset}; else the hex address. */
    String where(long address) {
        for (ModuleMapped module : modules.values()) {
            if (Long.compareUnsigned(address - module.base(), module.size()) < 0) {
                return where(module, address);
            }
        }
        return Formats.hex(address);
    }

    static String where(ModuleMapped module, long address) {
        Path name = Path.of(module.path()).getFileName();
        return (name == null ? module.path() : name.toString()) + "+0x" + Long.toHexString(address - module.base());
    }

    private Code decode(BlockDefined block) {
        ModuleMapped module = modules.get(block.moduleId());
        if (module == null) {
            throw new IllegalStateException("block " + block.blockId() + " refers to module " + block.moduleId()
                    + ", which the log never mapped");
        }
        byte[] bytes = block.bytes();
        long address = module.base() + block.offset();
        List<Instruction> instructions = new ArrayList<>(block.instructionCount());
        long pc = address;
        while (pc < address + bytes.length) {
            Instruction insn = decoder.decode(bytes, address, pc);
            instructions.add(insn);
            pc = insn.nextAddress();
        }
        if (instructions.size() != block.instructionCount()) {
            throw new IllegalStateException("block " + block.blockId() + " at " + where(module, address) + ": its "
                    + bytes.length + " bytes decode to " + instructions.size() + " instructions, the log says "
                    + block.instructionCount());
        }
        return new Code(block, module, address, instructions);
    }

    @Override
    public void close() {
        decoder.close();
    }
}

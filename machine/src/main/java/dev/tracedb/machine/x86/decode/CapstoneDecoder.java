package dev.tracedb.machine.x86.decode;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

import static dev.tracedb.machine.x86.decode.CapstoneLayout.*;

/**
 * {@link Decoder} on libcapstone 4 through {@link Capstone}'s direct mapping. One {@code cs_insn}
 * from {@code cs_malloc} is reused for every instruction ({@code cs_disasm_iter}), and it, its
 * {@code cs_detail} and the {@code cs_disasm_iter} cursor are read and written through direct
 * ByteBuffers rather than JNA calls per field: that keeps the cost per instruction at two native
 * calls ({@code cs_disasm_iter}, {@code cs_regs_access}).
 */
final class CapstoneDecoder implements Decoder {
    private static final int CURSOR_CODE = 0;
    private static final int CURSOR_SIZE = 8;
    private static final int CURSOR_ADDRESS = 16;

    private final Memory handleMemory = new Memory(8);
    private final long handle;
    private final CapstoneIds ids;
    private final Pointer insn;
    private final ByteBuffer insnView;
    private final ByteBuffer detail;
    private final Memory cursor = new Memory(24);
    private final Pointer cursorSize = cursor.share(CURSOR_SIZE);
    private final Pointer cursorAddress = cursor.share(CURSOR_ADDRESS);
    private final ByteBuffer cursorView;
    // cs_regs read, cs_regs written, uint8_t read count, uint8_t written count
    private final Memory regs = new Memory(2L * REGS_SIZE + 2);
    private final Pointer regsWritten = regs.share(REGS_SIZE);
    private final Pointer regsReadCount = regs.share(2L * REGS_SIZE);
    private final Pointer regsWrittenCount = regs.share(2L * REGS_SIZE + 1);
    private final ByteBuffer regsView;
    private final InstructionDraft draft = new InstructionDraft();
    private final byte[] text = new byte[INSN_OP_STR_CAPACITY];
    private Memory code = new Memory(4096);
    private boolean closed;

    CapstoneDecoder() {
        Capstone.ensureLoaded();
        check(Capstone.cs_open(Capstone.ARCH_X86, Capstone.MODE_64, handleMemory), "cs_open");
        handle = handleMemory.getLong(0);
        try {
            check(Capstone.cs_option(handle, Capstone.OPT_DETAIL, Capstone.OPT_ON), "cs_option(DETAIL)");
            ids = new CapstoneIds(handle);
            insn = Capstone.cs_malloc(handle);
            if (insn == null) {
                throw new OutOfMemoryError("cs_malloc failed");
            }
        } catch (RuntimeException | Error e) {
            Capstone.cs_close(handleMemory);
            throw e;
        }
        insnView = view(insn, INSN_SIZE);
        detail = view(insn.getPointer(INSN_DETAIL), DETAIL_SIZE);
        cursorView = view(cursor, 24);
        regsView = view(regs, 2L * REGS_SIZE + 2);
    }

    private static ByteBuffer view(Pointer pointer, long size) {
        return pointer.getByteBuffer(0, size).order(ByteOrder.nativeOrder());
    }

    private static void check(int error, String call) {
        if (error != Capstone.ERR_OK) {
            throw new DecoderUnavailableException(call + " failed: " + Capstone.cs_strerror(error), null);
        }
    }

    @Override
    public Instruction decode(byte[] code, long codeAddress, long address) {
        int offset = offsetOf(code, codeAddress, address);
        int available = Math.min(code.length - offset, Instruction.MAX_LENGTH);
        load(code, offset, available, address);
        Instruction instruction = nextInstruction(code, offset, available);
        if (instruction == null) {
            throw undecodable(code, offset, available);
        }
        return instruction;
    }

    @Override
    public BasicBlock decodeBlock(byte[] code, long codeAddress, long start, int maxInstructions) {
        if (maxInstructions < 1) {
            throw new IllegalArgumentException("maxInstructions must be positive: " + maxInstructions);
        }
        int offset = offsetOf(code, codeAddress, start);
        // copy no more than the instruction limit can consume
        int available = (int) Math.min(code.length - offset, (long) maxInstructions * Instruction.MAX_LENGTH);
        load(code, offset, available, start);
        List<Instruction> instructions = new ArrayList<>();
        while (instructions.size() < maxInstructions) {
            Instruction instruction = nextInstruction(code, offset, available);
            if (instruction == null) {
                int left = remaining();
                if (left == 0 || (left < Instruction.MAX_LENGTH && offset + available == code.length)) {
                    // out of bytes, possibly mid-instruction: the caller may fetch more and retry
                    return new BasicBlock(start, instructions, BasicBlock.End.END_OF_CODE);
                }
                throw undecodable(code, offset + available - left, left);
            }
            instructions.add(instruction);
            if (instruction.endsBlock()) {
                return new BasicBlock(start, instructions, BasicBlock.End.CONTROL_TRANSFER);
            }
        }
        return new BasicBlock(start, instructions, BasicBlock.End.INSTRUCTION_LIMIT);
    }

    @Override
    public long decodeAll(byte[] code, long codeAddress, Consumer<? super Instruction> sink) {
        load(code, 0, code.length, codeAddress);
        long count = 0;
        for (Instruction instruction; (instruction = nextInstruction(code, 0, code.length)) != null; count++) {
            sink.accept(instruction);
        }
        int left = remaining();
        if (left != 0) {
            throw undecodable(code, code.length - left, left);
        }
        return count;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            Capstone.cs_free(insn, 1);
            Capstone.cs_close(handleMemory);
            code.close();
            cursor.close();
            regs.close();
        }
    }

    private int offsetOf(byte[] code, long codeAddress, long address) {
        long offset = address - codeAddress;
        if (offset < 0 || offset >= code.length) {
            throw new IllegalArgumentException(String.format(
                    "address 0x%x is outside the code given (0x%x, %d bytes)", address, codeAddress, code.length));
        }
        return (int) offset;
    }

    /** Copies {@code length} bytes from {@code offset} to native memory and points the cursor at them. */
    private void load(byte[] bytes, int offset, int length, long address) {
        if (closed) {
            throw new IllegalStateException("decoder is closed");
        }
        if (code.size() < length) {
            code.close();
            code = new Memory(Math.max(length, code.size() * 2));
        }
        code.write(0, bytes, offset, length);
        cursorView.putLong(CURSOR_CODE, Pointer.nativeValue(code));
        cursorView.putLong(CURSOR_SIZE, length);
        cursorView.putLong(CURSOR_ADDRESS, address);
    }

    /**
     * The instruction at the cursor, decoded by Capstone or else by the {@link FallbackDecoder},
     * with the cursor moved past it; null if neither decodes it (the cursor then stays put).
     * {@code bytes[loadedOffset, loadedOffset + loadedLength)} is what {@link #load} copied.
     */
    private Instruction nextInstruction(byte[] bytes, int loadedOffset, int loadedLength) {
        if (next()) {
            return read();
        }
        int left = remaining();
        long address = cursorView.getLong(CURSOR_ADDRESS);
        Instruction instruction = FallbackDecoder.decode(bytes, loadedOffset + loadedLength - left, left, address);
        if (instruction != null) {
            // cs_disasm_iter leaves the cursor where it failed; step over what the fallback read
            int length = instruction.length();
            cursorView.putLong(CURSOR_CODE, cursorView.getLong(CURSOR_CODE) + length);
            cursorView.putLong(CURSOR_SIZE, left - length);
            cursorView.putLong(CURSOR_ADDRESS, address + length);
        }
        return instruction;
    }

    private boolean next() {
        return Capstone.cs_disasm_iter(handle, cursor, cursorSize, cursorAddress, insn) != 0;
    }

    private int remaining() {
        return (int) cursorView.getLong(CURSOR_SIZE);
    }

    private UndecodableInstructionException undecodable(byte[] bytes, int offset, int available) {
        long address = cursorView.getLong(CURSOR_ADDRESS);
        byte[] shown = Arrays.copyOfRange(bytes, offset, offset + Math.min(available, Instruction.MAX_LENGTH));
        String reason = Capstone.cs_strerror(Capstone.cs_errno(handle));
        if (available < Instruction.MAX_LENGTH) {
            reason += " (only " + available + " bytes were available)";
        }
        return new UndecodableInstructionException(address, shown, reason);
    }

    /** Builds our Instruction from the cs_insn that cs_disasm_iter just filled. */
    private Instruction read() {
        long address = insnView.getLong(INSN_ADDRESS);
        int length = insnView.getShort(INSN_LENGTH) & 0xffff;
        byte[] bytes = new byte[length];
        insnView.get(INSN_BYTES, bytes);
        draft.clear();
        draft.mnemonic = cString(insnView, INSN_MNEMONIC, INSN_MNEMONIC_CAPACITY);
        String operandText = cString(insnView, INSN_OP_STR, INSN_OP_STR_CAPACITY);

        int groupCount = detail.get(DETAIL_GROUPS_COUNT) & 0xff;
        for (int i = 0; i < groupCount; i++) {
            InstructionGroup group = ids.group(detail.get(DETAIL_GROUPS + i) & 0xff);
            if (group != null) {
                draft.addGroup(group);
            }
        }
        readRegisterAccess();
        draft.eflags = detail.getLong(DETAIL_X86 + X86_EFLAGS);
        CapstoneCorrections.apply(draft);

        return new Instruction(address, bytes, draft.mnemonic, operandText, draft.groupSet(), readOperands(),
                draft.registersReadSet(), draft.registersWrittenSet(), draft.flagsRead, draft.flagsWritten,
                draft.flagsUndefined, readEncoding());
    }

    private void readRegisterAccess() {
        int error = Capstone.cs_regs_access(handle, insn, regs, regsReadCount, regsWritten, regsWrittenCount);
        if (error != Capstone.ERR_OK) {
            throw new IllegalStateException("cs_regs_access failed: " + Capstone.cs_strerror(error));
        }
        int reads = regsView.get(2 * REGS_SIZE) & 0xff;
        for (int i = 0; i < reads; i++) {
            draft.addRead(ids.register(regsView.getShort(2 * i) & 0xffff));
        }
        int writes = regsView.get(2 * REGS_SIZE + 1) & 0xff;
        for (int i = 0; i < writes; i++) {
            draft.addWritten(ids.register(regsView.getShort(REGS_SIZE + 2 * i) & 0xffff));
        }
    }

    private List<Operand> readOperands() {
        int count = detail.get(DETAIL_X86 + X86_OP_COUNT) & 0xff;
        if (count == 0) {
            return List.of();
        }
        Operand[] operands = new Operand[count];
        for (int i = 0; i < count; i++) {
            int op = DETAIL_X86 + X86_OPERANDS + i * OP_SIZE;
            int size = detail.get(op + OP_SIZE_BYTES) & 0xff;
            Access access = access(detail.get(op + OP_ACCESS));
            int type = detail.getInt(op + OP_TYPE);
            operands[i] = switch (type) {
                case OP_TYPE_REG -> new RegisterOperand(ids.register(detail.getInt(op + OP_REG)), size, access);
                case OP_TYPE_IMM -> new ImmediateOperand(detail.getLong(op + OP_IMM), size);
                case OP_TYPE_MEM -> {
                    int mem = op + OP_MEM;
                    yield new MemoryOperand(ids.optionalRegister(detail.getInt(mem + MEM_SEGMENT)),
                            ids.optionalRegister(detail.getInt(mem + MEM_BASE)),
                            ids.optionalRegister(detail.getInt(mem + MEM_INDEX)),
                            detail.getInt(mem + MEM_SCALE), detail.getLong(mem + MEM_DISP), size, access);
                }
                default -> throw new IllegalStateException("Capstone returned operand type " + type
                        + " for " + draft.mnemonic);
            };
        }
        return List.of(operands);
    }

    private static Access access(byte bits) {
        boolean reads = (bits & ACCESS_READ) != 0;
        boolean writes = (bits & ACCESS_WRITE) != 0;
        return reads ? (writes ? Access.READ_WRITE : Access.READ) : (writes ? Access.WRITE : Access.NONE);
    }

    private Encoding readEncoding() {
        int encoding = DETAIL_X86 + X86_ENCODING;
        int modrm = detail.get(encoding + ENCODING_MODRM_OFFSET) & 0xff;
        int dispOffset = detail.get(encoding + ENCODING_DISP_OFFSET) & 0xff;
        int dispSize = detail.get(encoding + ENCODING_DISP_SIZE) & 0xff;
        int immOffset = detail.get(encoding + ENCODING_IMM_OFFSET) & 0xff;
        int immSize = detail.get(encoding + ENCODING_IMM_SIZE) & 0xff;
        if ((modrm | dispOffset | dispSize | immOffset | immSize) == 0) {
            return Encoding.NONE;
        }
        return new Encoding(modrm, dispOffset, dispSize, immOffset, immSize);
    }

    private String cString(ByteBuffer buffer, int offset, int capacity) {
        int length = 0;
        while (length < capacity && buffer.get(offset + length) != 0) {
            length++;
        }
        buffer.get(offset, text, 0, length);
        return new String(text, 0, length, StandardCharsets.ISO_8859_1);
    }

    @Override
    public String toString() {
        return "CapstoneDecoder[" + (closed ? "closed" : "open") + "]";
    }
}

package dev.tracedb.machine.x86.decode;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

import static dev.tracedb.machine.x86.decode.CapstoneLayout.*;

/**
 * {@link Decoder} on libcapstone 4 through {@link Capstone}'s direct mapping. One {@code cs_insn}
 * from {@code cs_malloc} is reused for every instruction ({@code cs_disasm_iter}), and it, its
 * {@code cs_detail} and the {@code cs_disasm_iter} cursor are read and written through direct
 * ByteBuffers rather than JNA calls per field: that keeps the cost per instruction at one native
 * call ({@code cs_disasm_iter}). The registers read and written are computed here from the
 * instruction's implicit register lists and operands, exactly as {@code cs_regs_access} does in
 * Capstone 4.0.2 ({@code X86_reg_access}), which saves a second native call per instruction; a test
 * compares both over whole binaries.
 */
final class CapstoneDecoder implements Decoder {
    /** Where the registers an instruction reads and writes come from. */
    enum RegisterAccess {
        /** Read from cs_detail and the operands in Java (the default: one native call fewer). */
        DETAIL,
        /** Ask libcapstone's cs_regs_access (the reference the test checks DETAIL against). */
        CS_REGS_ACCESS
    }

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
    // raw addresses for cs_disasm_iter
    private final long cursorCodeAddress = Pointer.nativeValue(cursor);
    private final long insnAddress;
    private final ByteBuffer cursorView;
    // cs_regs read, cs_regs written, uint8_t read count, uint8_t written count
    private final Memory regs = new Memory(2L * REGS_SIZE + 2);
    private final Pointer regsWritten = regs.share(REGS_SIZE);
    private final Pointer regsReadCount = regs.share(2L * REGS_SIZE);
    private final Pointer regsWrittenCount = regs.share(2L * REGS_SIZE + 1);
    private final ByteBuffer regsView;
    private final RegisterAccess registerAccess;
    private final InstructionDraft draft = InstructionDraft.reused();
    // mnemonic and op_str, copied out of the cs_insn in one bulk read
    private final byte[] text = new byte[INSN_MNEMONIC_CAPACITY + INSN_OP_STR_CAPACITY];
    private final StringCache mnemonics = new StringCache(512);
    private final StringCache operandTexts = new StringCache(4096);
    private final EncodingCache encodings = new EncodingCache();
    private Memory code = new Memory(4096);
    private boolean closed;

    CapstoneDecoder() {
        this(RegisterAccess.DETAIL);
    }

    CapstoneDecoder(RegisterAccess registerAccess) {
        this.registerAccess = registerAccess;
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
        insnAddress = Pointer.nativeValue(insn);
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
        return Capstone.cs_disasm_iter(handle, cursorCodeAddress, cursorCodeAddress + CURSOR_SIZE,
                cursorCodeAddress + CURSOR_ADDRESS, insnAddress) != 0;
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
        // mnemonic and op_str are adjacent char arrays in cs_insn
        insnView.get(INSN_MNEMONIC, text, 0, text.length);
        draft.mnemonic = mnemonics.cString(text, 0, INSN_MNEMONIC_CAPACITY);
        String operandText = operandTexts.cString(text, INSN_MNEMONIC_CAPACITY, INSN_OP_STR_CAPACITY);

        int groupCount = detail.get(DETAIL_GROUPS_COUNT) & 0xff;
        for (int i = 0; i < groupCount; i++) {
            InstructionGroup group = ids.group(detail.get(DETAIL_GROUPS + i) & 0xff);
            if (group != null) {
                draft.addGroup(group);
            }
        }
        List<Operand> operands = readOperands();
        if (registerAccess == RegisterAccess.DETAIL) {
            readImplicitRegisters();
        } else {
            // forget what readOperands collected, so that only Capstone's answer counts
            draft.clearRegisters();
            readRegisterAccessFromCapstone();
        }
        draft.eflags = detail.getLong(DETAIL_X86 + X86_EFLAGS);
        CapstoneCorrections.apply(draft);

        return new Instruction(address, bytes, draft.mnemonic, operandText, draft.groupSet(), operands,
                draft.registersReadSet(), draft.registersWrittenSet(), draft.flagsRead, draft.flagsWritten,
                draft.flagsUndefined, readEncoding());
    }

    /**
     * The implicit registers of cs_detail; {@link #readOperands()} adds the explicit ones as
     * X86_reg_access does: register operands by their access, memory operands' segment, base and
     * index as read.
     */
    private void readImplicitRegisters() {
        int reads = detail.get(DETAIL_REGS_READ_COUNT) & 0xff;
        for (int i = 0; i < reads; i++) {
            draft.addRead(ids.register(detail.getShort(DETAIL_REGS_READ + 2 * i) & 0xffff));
        }
        int writes = detail.get(DETAIL_REGS_WRITE_COUNT) & 0xff;
        for (int i = 0; i < writes; i++) {
            draft.addWritten(ids.register(detail.getShort(DETAIL_REGS_WRITE + 2 * i) & 0xffff));
        }
    }

    private void readRegisterAccessFromCapstone() {
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
                case OP_TYPE_REG -> {
                    Register register = ids.register(detail.getInt(op + OP_REG));
                    if (access.reads()) {
                        draft.addRead(register);
                    }
                    if (access.writes()) {
                        draft.addWritten(register);
                    }
                    yield new RegisterOperand(register, size, access);
                }
                case OP_TYPE_IMM -> new ImmediateOperand(detail.getLong(op + OP_IMM), size);
                case OP_TYPE_MEM -> {
                    int mem = op + OP_MEM;
                    Optional<Register> segment = addressRegister(detail.getInt(mem + MEM_SEGMENT));
                    Optional<Register> base = addressRegister(detail.getInt(mem + MEM_BASE));
                    Optional<Register> index = addressRegister(detail.getInt(mem + MEM_INDEX));
                    yield new MemoryOperand(segment, base, index, detail.getInt(mem + MEM_SCALE),
                            detail.getLong(mem + MEM_DISP), size, access);
                }
                default -> throw new IllegalStateException("Capstone returned operand type " + type
                        + " for " + draft.mnemonic);
            };
        }
        // List.of with one or two elements keeps them in fields instead of copying an array
        return switch (count) {
            case 1 -> List.of(operands[0]);
            case 2 -> List.of(operands[0], operands[1]);
            default -> List.of(operands);
        };
    }

    /** A register used to form an address, which the instruction reads; empty for id 0 (none). */
    private Optional<Register> addressRegister(int id) {
        if (id != 0) {
            draft.addRead(ids.register(id));
        }
        return ids.optionalRegister(id);
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
        return encodings.get(modrm, dispOffset, dispSize, immOffset, immSize);
    }

    @Override
    public String toString() {
        return "CapstoneDecoder[" + (closed ? "closed" : "open") + "]";
    }
}

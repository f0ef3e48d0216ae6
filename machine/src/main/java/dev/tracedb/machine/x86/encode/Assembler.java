package dev.tracedb.machine.x86.encode;

import dev.tracedb.machine.x86.encode.AssemblerBase.Op;
import dev.tracedb.machine.x86.encode.AssemblerBase.Size;

/**
 * One method per instruction form that the recorder and the trace compiler emit, in Intel operand
 * order (destination first). Unqualified names operate on 64 bits; {@code mov32} forms on 32 bits
 * (a 32-bit register write zero-extends). Branches come in rel32 (patchable, fixed size) and
 * explicit {@code Short} rel8 forms. A form that cannot encode its operands throws and emits
 * nothing. Not thread-safe: one assembler per buffer.
 */
public final class Assembler extends AssemblerBase {
    // Opcode tables by operand shape (Graal style). RM: ModRM.reg is the destination register.
    private static final Op MOV_LOAD = new Op(Size.QWORD, 0x8B);
    private static final Op MOV32_LOAD = new Op(Size.DEFAULT, 0x8B);
    private static final Op LEA = new Op(Size.QWORD, 0x8D);
    private static final Op XCHG = new Op(Size.QWORD, 0x87);
    // MR: ModRM.reg is the source register, r/m the destination.
    private static final Op MOV_STORE = new Op(Size.QWORD, 0x89);
    private static final Op MOV32_STORE = new Op(Size.DEFAULT, 0x89);
    private static final Op TEST = new Op(Size.QWORD, 0x85);
    private static final Op CMPXCHG = new Op(Size.QWORD, 0x0FB1);
    private static final Op XADD = new Op(Size.QWORD, 0x0FC1);
    // M and MI: ModRM.reg is an opcode extension (/digit).
    private static final Op MOV_IMM32 = new Op(Size.QWORD, 0xC7);      // /0 id, sign-extended
    private static final Op ALU_IMM32 = new Op(Size.QWORD, 0x81);      // /AluOp id
    private static final Op ALU_IMM8 = new Op(Size.QWORD, 0x83);       // /AluOp ib
    private static final Op INC_DEC = new Op(Size.QWORD, 0xFF);        // /0 inc, /1 dec
    private static final Op BRANCH_INDIRECT = new Op(Size.DEFAULT, 0xFF); // /2 call, /4 jmp; 64-bit by default
    // O: the register is added to the opcode.
    private static final Op MOV_IMM64 = new Op(Size.QWORD, 0xB8);
    private static final Op MOV32_IMM = new Op(Size.DEFAULT, 0xB8);
    private static final Op PUSH = new Op(Size.DEFAULT, 0x50);
    private static final Op POP = new Op(Size.DEFAULT, 0x58);

    private static final int CALL_DIGIT = 2;
    private static final int JMP_DIGIT = 4;

    /** The recommended multi-byte nops (Intel SDM, NOP), indexed by length 1..9. */
    private static final int[][] NOPS = {
        {},
        {0x90},
        {0x66, 0x90},
        {0x0F, 0x1F, 0x00},
        {0x0F, 0x1F, 0x40, 0x00},
        {0x0F, 0x1F, 0x44, 0x00, 0x00},
        {0x66, 0x0F, 0x1F, 0x44, 0x00, 0x00},
        {0x0F, 0x1F, 0x80, 0x00, 0x00, 0x00, 0x00},
        {0x0F, 0x1F, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00},
        {0x66, 0x0F, 0x1F, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00},
    };

    /** An assembler appending to {@code buffer}. */
    public Assembler(CodeBuffer buffer) {
        super(buffer);
    }

    /** The buffer this assembler appends to. */
    public CodeBuffer buffer() {
        return buf;
    }

    /** The offset of the next instruction. */
    public int position() {
        return buf.position();
    }

    /** Binds {@code label} to the next instruction and patches the uses seen so far. */
    public void bind(Label label) {
        bindHere(label);
    }

    /** Binds {@code label} to the position of {@code bound}, an already bound label (an alias). */
    public void bindAt(Label label, Label bound) {
        label.bind(buf, bound.position());
    }

    /** Checks that every referenced label is bound and returns the code. */
    public byte[] finish() {
        checkLabelsBound();
        return buf.toByteArray();
    }

    // ---- data movement

    /** {@code mov dst, src} (64-bit). */
    public void mov(Gpr dst, Gpr src) {
        emitRr(MOV_STORE, src.encoding(), dst);
    }

    /** Loads a 64-bit constant with the shortest form: mov r32 (zero-extends), mov r64 simm32, or movabs. */
    public void mov(Gpr dst, long imm) {
        if (imm == (imm & 0xFFFF_FFFFL)) {
            mov32(dst, (int) imm);
        } else if (imm == (int) imm) {
            emitRr(MOV_IMM32, 0, dst);
            buf.emit32((int) imm);
        } else {
            movabs(dst, imm);
        }
    }

    /** {@code movabs dst, imm64}: always 10 bytes, so the constant can be patched in place. */
    public void movabs(Gpr dst, long imm) {
        emitO(MOV_IMM64, dst);
        buf.emit64(imm);
    }

    /** {@code mov dst32, imm32}; zero-extends into the upper half. */
    public void mov32(Gpr dst, int imm) {
        emitO(MOV32_IMM, dst);
        buf.emit32(imm);
    }

    /** {@code mov dst, qword [src]}. */
    public void mov(Gpr dst, Mem src) {
        emitRm(MOV_LOAD, dst.encoding(), src, 0);
    }

    /** {@code mov qword [dst], src}. */
    public void mov(Mem dst, Gpr src) {
        emitRm(MOV_STORE, src.encoding(), dst, 0);
    }

    /** {@code mov qword [dst], imm32} with the immediate sign-extended to 64 bits. */
    public void mov(Mem dst, int imm) {
        emitRm(MOV_IMM32, 0, dst, 4);
        buf.emit32(imm);
    }

    /** {@code mov dst32, dword [src]}; zero-extends into the upper half. */
    public void mov32(Gpr dst, Mem src) {
        emitRm(MOV32_LOAD, dst.encoding(), src, 0);
    }

    /** {@code mov dword [dst], src32}. */
    public void mov32(Mem dst, Gpr src) {
        emitRm(MOV32_STORE, src.encoding(), dst, 0);
    }

    /** {@code lea dst, [src]}: address arithmetic that leaves the flags alone. */
    public void lea(Gpr dst, Mem src) {
        emitRm(LEA, dst.encoding(), src, 0);
    }

    /** {@code xchg reg, qword [m]}; implicitly locked by the processor. */
    public void xchg(Gpr reg, Mem m) {
        emitRm(XCHG, reg.encoding(), m, 0);
    }

    /** {@code lock cmpxchg qword [m], src}: compares with rax, stores src if equal, else loads rax. */
    public void lockCmpxchg(Mem m, Gpr src) {
        emitLockedRm(CMPXCHG, src.encoding(), m);
    }

    /** {@code lock xadd qword [m], reg}: atomically adds reg to memory and returns the old value in reg. */
    public void lockXadd(Mem m, Gpr reg) {
        emitLockedRm(XADD, reg.encoding(), m);
    }

    /** {@code push src}. */
    public void push(Gpr src) {
        emitO(PUSH, src);
    }

    /** {@code pop dst}. */
    public void pop(Gpr dst) {
        emitO(POP, dst);
    }

    /** {@code push imm} sign-extended to 64 bits; the 2-byte form when it fits in 8 bits. */
    public void push(int imm) {
        if (isByte(imm)) {
            buf.emit8(0x6A);
            buf.emit8(imm);
        } else {
            buf.emit8(0x68);
            buf.emit32(imm);
        }
    }

    /** {@code pushfq}. */
    public void pushfq() {
        buf.emit8(0x9C);
    }

    /** {@code popfq}. */
    public void popfq() {
        buf.emit8(0x9D);
    }

    // ---- arithmetic

    /** {@code op dst, src} (64-bit), e.g. {@code add rax, rbx}. */
    public void alu(AluOp op, Gpr dst, Gpr src) {
        emitRr(new Op(Size.QWORD, op.mrOpcode()), src.encoding(), dst);
    }

    /** {@code op dst, imm} with imm sign-extended; 0x83 ib when it fits in 8 bits, else 0x81 id. */
    public void alu(AluOp op, Gpr dst, int imm) {
        boolean small = isByte(imm);
        emitRr(small ? ALU_IMM8 : ALU_IMM32, op.digit(), dst);
        emitImm(imm, small);
    }

    /** {@code op qword [dst], imm} with imm sign-extended; 0x83 ib when it fits in 8 bits, else 0x81 id. */
    public void alu(AluOp op, Mem dst, int imm) {
        boolean small = isByte(imm);
        emitRm(small ? ALU_IMM8 : ALU_IMM32, op.digit(), dst, small ? 1 : 4);
        emitImm(imm, small);
    }

    /** {@code add dst, src}. */
    public void add(Gpr dst, Gpr src) { alu(AluOp.ADD, dst, src); }

    /** {@code add dst, imm}. */
    public void add(Gpr dst, int imm) { alu(AluOp.ADD, dst, imm); }

    /** {@code sub dst, src}. */
    public void sub(Gpr dst, Gpr src) { alu(AluOp.SUB, dst, src); }

    /** {@code sub dst, imm}. */
    public void sub(Gpr dst, int imm) { alu(AluOp.SUB, dst, imm); }

    /** {@code cmp a, b}. */
    public void cmp(Gpr a, Gpr b) { alu(AluOp.CMP, a, b); }

    /** {@code cmp a, imm}. */
    public void cmp(Gpr a, int imm) { alu(AluOp.CMP, a, imm); }

    /** {@code cmp qword [m], imm}. */
    public void cmp(Mem m, int imm) { alu(AluOp.CMP, m, imm); }

    /** {@code and dst, src}. */
    public void and(Gpr dst, Gpr src) { alu(AluOp.AND, dst, src); }

    /** {@code and dst, imm}. */
    public void and(Gpr dst, int imm) { alu(AluOp.AND, dst, imm); }

    /** {@code or dst, src}. */
    public void or(Gpr dst, Gpr src) { alu(AluOp.OR, dst, src); }

    /** {@code or dst, imm}. */
    public void or(Gpr dst, int imm) { alu(AluOp.OR, dst, imm); }

    /** {@code xor dst, src}. */
    public void xor(Gpr dst, Gpr src) { alu(AluOp.XOR, dst, src); }

    /** {@code xor dst, imm}. */
    public void xor(Gpr dst, int imm) { alu(AluOp.XOR, dst, imm); }

    /** {@code test a, b}: sets flags from {@code a & b}. */
    public void test(Gpr a, Gpr b) {
        emitRr(TEST, b.encoding(), a);
    }

    /** {@code inc qword [m]}. */
    public void inc(Mem m) {
        emitRm(INC_DEC, 0, m, 0);
    }

    /** {@code dec qword [m]}. */
    public void dec(Mem m) {
        emitRm(INC_DEC, 1, m, 0);
    }

    // ---- control flow

    /** {@code jmp rel32} to {@code target}. */
    public void jmp(Label target) {
        emitBranch(0xE9, target, 4);
    }

    /** {@code jmp rel8} to {@code target}; fails if it is more than a signed byte away. */
    public void jmpShort(Label target) {
        emitBranch(0xEB, target, 1);
    }

    /** {@code jmp rel32} to the run-time address {@code target}. */
    public void jmp(long target) {
        emitBranch32(0xE9, target);
    }

    /** {@code jmp target} through a register. */
    public void jmp(Gpr target) {
        emitRr(BRANCH_INDIRECT, JMP_DIGIT, target);
    }

    /** {@code jmp qword [target]}. */
    public void jmp(Mem target) {
        emitRm(BRANCH_INDIRECT, JMP_DIGIT, target, 0);
    }

    /** {@code call rel32} to {@code target}. */
    public void call(Label target) {
        emitBranch(0xE8, target, 4);
    }

    /** {@code call rel32} to the run-time address {@code target}. */
    public void call(long target) {
        emitBranch32(0xE8, target);
    }

    /** {@code call target} through a register. */
    public void call(Gpr target) {
        emitRr(BRANCH_INDIRECT, CALL_DIGIT, target);
    }

    /** {@code call qword [target]}. */
    public void call(Mem target) {
        emitRm(BRANCH_INDIRECT, CALL_DIGIT, target, 0);
    }

    /** {@code jcc rel32} to {@code target}. */
    public void jcc(Condition cc, Label target) {
        emitBranch(0x0F80 + cc.code(), target, 4);
    }

    /** {@code jcc rel8} to {@code target}; fails if it is more than a signed byte away. */
    public void jccShort(Condition cc, Label target) {
        emitBranch(0x70 + cc.code(), target, 1);
    }

    /** {@code jcc rel32} to the run-time address {@code target}. */
    public void jcc(Condition cc, long target) {
        emitBranch32(0x0F80 + cc.code(), target);
    }

    /** {@code jrcxz rel8}: jumps if rcx is zero, without reading or writing the flags. */
    public void jrcxz(Label target) {
        emitBranch(0xE3, target, 1);
    }

    /** {@code ret}. */
    public void ret() {
        buf.emit8(0xC3);
    }

    /** {@code syscall}. */
    public void syscall() {
        buf.emit8(0x0F);
        buf.emit8(0x05);
    }

    /** {@code int3}: a breakpoint trap. */
    public void int3() {
        buf.emit8(0xCC);
    }

    /** {@code ud2}: a guaranteed invalid-opcode trap, for code that must never be reached. */
    public void ud2() {
        buf.emit8(0x0F);
        buf.emit8(0x0B);
    }

    /** A one-byte {@code nop}. */
    public void nop() {
        nop(1);
    }

    /** One nop instruction of exactly {@code length} bytes, 1 to 9. */
    public void nop(int length) {
        if (length < 1 || length >= NOPS.length) {
            throw new IllegalArgumentException("nop length must be 1..9: " + length);
        }
        for (int b : NOPS[length]) {
            buf.emit8(b);
        }
    }

    /** Pads with as few nops as possible until the position is a multiple of {@code alignment}. */
    public void align(int alignment) {
        if (Integer.bitCount(alignment) != 1) {
            throw new IllegalArgumentException("alignment must be a power of two: " + alignment);
        }
        int pad = -buf.position() & (alignment - 1);
        while (pad > 0) {
            int n = Math.min(pad, NOPS.length - 1);
            nop(n);
            pad -= n;
        }
    }

    private void emitImm(int imm, boolean small) {
        if (small) {
            buf.emit8(imm);
        } else {
            buf.emit32(imm);
        }
    }
}

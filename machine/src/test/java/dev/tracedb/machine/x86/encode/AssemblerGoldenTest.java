package dev.tracedb.machine.x86.encode;

import static dev.tracedb.machine.x86.encode.Gpr.*;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.HexFormat;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * Golden bytes, one instruction per line (asmjit style). The register and operand forms were
 * produced by GNU as from the Intel text of the same instruction; branch, label and nop bytes are
 * written out from the SDM.
 */
class AssemblerGoldenTest {
    /** Where the test buffers pretend to live, for rel32 and RIP targets given as addresses. */
    private static final long BASE = 0x400000L;

    private static void golden(String hex, Consumer<Assembler> emit) {
        Assembler a = new Assembler(new CodeBuffer(BASE));
        emit.accept(a);
        assertEquals(hex, HexFormat.of().withUpperCase().formatHex(a.finish()));
    }

    @Test
    void movesAndAtomics() {
        golden("4889D8", a -> a.mov(RAX, RBX));
        golden("4989C0", a -> a.mov(R8, RAX));
        golden("4C89C0", a -> a.mov(RAX, R8));
        golden("4D89E7", a -> a.mov(R15, R12));
        golden("4889EC", a -> a.mov(RSP, RBP));
        golden("48B88877665544332211", a -> a.movabs(RAX, 0x1122334455667788L));
        golden("49B9FFFFFFFFFFFFFFFF", a -> a.movabs(R9, -1L));
        golden("48BA0000000000000000", a -> a.movabs(RDX, 0L));
        golden("B801000000", a -> a.mov32(RAX, 1));
        golden("41BA78563412", a -> a.mov32(R10, 0x12345678));
        golden("B905000000", a -> a.mov(RCX, 5L));
        golden("B9FFFFFFFF", a -> a.mov(RCX, 0xFFFFFFFFL));
        golden("48C7C1FFFFFFFF", a -> a.mov(RCX, -1L));
        golden("49C7C600000080", a -> a.mov(R14, -0x80000000L));
        golden("49BB0000000001000000", a -> a.mov(R11, 0x100000000L));
        golden("488B03", a -> a.mov(RAX, Mem.of(RBX)));
        golden("488B0424", a -> a.mov(RAX, Mem.of(RSP)));
        golden("498B0424", a -> a.mov(RAX, Mem.of(R12)));
        golden("488B4500", a -> a.mov(RAX, Mem.of(RBP)));
        golden("498B4500", a -> a.mov(RAX, Mem.of(R13)));
        golden("488B5508", a -> a.mov(RDX, Mem.of(RBP, 8)));
        golden("488B542408", a -> a.mov(RDX, Mem.of(RSP, 8)));
        golden("4D8B4424F8", a -> a.mov(R8, Mem.of(R12, -8)));
        golden("4D8BBD00100000", a -> a.mov(R15, Mem.of(R13, 0x1000)));
        golden("488B777F", a -> a.mov(RSI, Mem.of(RDI, 127)));
        golden("488BB780000000", a -> a.mov(RSI, Mem.of(RDI, 128)));
        golden("488B7780", a -> a.mov(RSI, Mem.of(RDI, -128)));
        golden("488BB77FFFFFFF", a -> a.mov(RSI, Mem.of(RDI, -129)));
        golden("4C8B4CD810", a -> a.mov(R9, Mem.of(RAX, RBX, 8, 0x10)));
        golden("488B042C", a -> a.mov(RAX, Mem.of(RSP, RBP, 1, 0)));
        golden("4B8B04AC", a -> a.mov(RAX, Mem.of(R12, R13, 4, 0)));
        golden("4A8B446500", a -> a.mov(RAX, Mem.of(RBP, R12, 2, 0)));
        golden("498B440500", a -> a.mov(RAX, Mem.of(R13, RAX, 1, 0)));
        golden("4A8B8CE000FFFFFF", a -> a.mov(RCX, Mem.of(RAX, R12, 8, -0x100)));
        golden("488B04CD00010000", a -> a.mov(RAX, Mem.indexed(RCX, 8, 0x100)));
        golden("4A8B044D00000000", a -> a.mov(RAX, Mem.indexed(R9, 2, 0)));
        golden("488B042500100000", a -> a.mov(RAX, Mem.absolute(0x1000)));
        golden("4C8B0425F8FFFFFF", a -> a.mov(R8, Mem.absolute(-8)));
        golden("48897708", a -> a.mov(Mem.of(RDI, 8), RSI));
        golden("4D893C24", a -> a.mov(Mem.of(R12), R15));
        golden("488945F0", a -> a.mov(Mem.of(RBP, -16), RAX));
        golden("48C700FFFFFFFF", a -> a.mov(Mem.of(RAX), -1));
        golden("49C7450878563412", a -> a.mov(Mem.of(R13, 8), 0x12345678));
        golden("48C7042400000000", a -> a.mov(Mem.of(RSP), 0));
        golden("8B07", a -> a.mov32(RAX, Mem.of(RDI)));
        golden("458B4104", a -> a.mov32(R8, Mem.of(R9, 4)));
        golden("894C2404", a -> a.mov32(Mem.of(RSP, 4), RCX));
        golden("448938", a -> a.mov32(Mem.of(RAX), R15));
        golden("488D444007", a -> a.lea(RAX, Mem.of(RAX, RAX, 2, 7)));
        golden("4C8DA42400010000", a -> a.lea(R12, Mem.of(RSP, 0x100)));
        golden("488D6424F8", a -> a.lea(RSP, Mem.of(RSP, -8)));
        golden("4B8D7CF500", a -> a.lea(RDI, Mem.of(R13, R14, 8, 0)));
        golden("488703", a -> a.xchg(RAX, Mem.of(RBX)));
        golden("4C87542410", a -> a.xchg(R10, Mem.of(RSP, 16)));
        golden("F0480FB117", a -> a.lockCmpxchg(Mem.of(RDI), RDX));
        golden("F04D0FB14C2408", a -> a.lockCmpxchg(Mem.of(R12, 8), R9));
        golden("F04D0FC14810", a -> a.lockXadd(Mem.of(R8, 16), R9));
        golden("F0480FC14500", a -> a.lockXadd(Mem.of(RBP), RAX));
    }

    @Test
    void stackAndArithmetic() {
        golden("55", a -> a.push(RBP));
        golden("4154", a -> a.push(R12));
        golden("415F", a -> a.pop(R15));
        golden("58", a -> a.pop(RAX));
        golden("6A01", a -> a.push(1));
        golden("6AFF", a -> a.push(-1));
        golden("6878563412", a -> a.push(0x12345678));
        golden("6800000080", a -> a.push(-0x80000000));
        golden("9C", a -> a.pushfq());
        golden("9D", a -> a.popfq());
        golden("4883C101", a -> a.add(RCX, 1));
        golden("4801D8", a -> a.add(RAX, RBX));
        golden("4881C100100000", a -> a.add(RCX, 0x1000));
        golden("4983C180", a -> a.add(R9, -128));
        golden("4981C180000000", a -> a.add(R9, 128));
        golden("4D29C8", a -> a.sub(R8, R9));
        golden("4883EC08", a -> a.sub(RSP, 8));
        golden("4881EBFFFFFF7F", a -> a.sub(RBX, 0x7fffffff));
        golden("4839F7", a -> a.cmp(RDI, RSI));
        golden("4983FF80", a -> a.cmp(R15, -128));
        golden("4881FD00000100", a -> a.cmp(RBP, 0x10000));
        golden("4C21F8", a -> a.and(RAX, R15));
        golden("4883E4F0", a -> a.and(RSP, -16));
        golden("4981E2FF0F0000", a -> a.and(R10, 0xfff));
        golden("4909E4", a -> a.or(R12, RSP));
        golden("4981CB80000000", a -> a.or(R11, 0x80));
        golden("4831C0", a -> a.xor(RAX, RAX));
        golden("4983F27F", a -> a.xor(R10, 127));
        golden("4D29ED", a -> a.alu(AluOp.SUB, R13, R13));
        golden("48833800", a -> a.cmp(Mem.of(RAX), 0));
        golden("49817C240800100000", a -> a.cmp(Mem.of(R12, 8), 0x1000));
        golden("48837CCD00FF", a -> a.cmp(Mem.of(RBP, RCX, 8, 0), -1));
        golden("488344240801", a -> a.alu(AluOp.ADD, Mem.of(RSP, 8), 1));
        golden("4981750055555555", a -> a.alu(AluOp.XOR, Mem.of(R13), 0x55555555));
        golden("4885C0", a -> a.test(RAX, RAX));
        golden("4985D0", a -> a.test(R8, RDX));
        golden("48FF00", a -> a.inc(Mem.of(RAX)));
        golden("48FF442408", a -> a.inc(Mem.of(RSP, 8)));
    }

    @Test
    void indirectBranchesAndTraps() {
        golden("49FF4D00", a -> a.dec(Mem.of(R13)));
        golden("48FF4CB340", a -> a.dec(Mem.of(RBX, RSI, 4, 0x40)));
        golden("FFE0", a -> a.jmp(RAX));
        golden("41FFE3", a -> a.jmp(R11));
        golden("FF6008", a -> a.jmp(Mem.of(RAX, 8)));
        golden("41FF24CC", a -> a.jmp(Mem.of(R12, RCX, 8, 0)));
        golden("41FF6500", a -> a.jmp(Mem.of(R13)));
        golden("FFD0", a -> a.call(RAX));
        golden("41FFD7", a -> a.call(R15));
        golden("FF13", a -> a.call(Mem.of(RBX)));
        golden("FF542408", a -> a.call(Mem.of(RSP, 8)));
        golden("41FF54C120", a -> a.call(Mem.of(R9, RAX, 8, 0x20)));
        golden("C3", a -> a.ret());
        golden("0F05", a -> a.syscall());
        golden("CC", a -> a.int3());
        golden("0F0B", a -> a.ud2());
    }

    @Test
    void branchesToLabels() {
        golden("EBFE", a -> { Label l = new Label(); a.bind(l); a.jmpShort(l); });
        golden("EB0190", a -> { Label l = new Label(); a.jmpShort(l); a.nop(); a.bind(l); });
        golden("E900000000", a -> { Label l = new Label(); a.jmp(l); a.bind(l); });
        golden("E9FBFFFFFF", a -> { Label l = new Label(); a.bind(l); a.jmp(l); });
        golden("E8FBFFFFFF", a -> { Label l = new Label(); a.bind(l); a.call(l); });
        golden("E80100000090", a -> { Label l = new Label(); a.call(l); a.nop(); a.bind(l); });
        golden("0F84FAFFFFFF", a -> { Label l = new Label(); a.bind(l); a.jcc(Condition.E, l); });
        golden("7500", a -> { Label l = new Label(); a.jccShort(Condition.NE, l); a.bind(l); });
        golden("E3FE", a -> { Label l = new Label(); a.bind(l); a.jrcxz(l); });
        golden("E302EBFC", a -> { Label l = new Label(); Label m = new Label(); a.bind(m); a.jrcxz(l); a.jmpShort(m); a.bind(l); });
        golden("EB80", a -> { Label l = new Label(); a.bind(l); for (int i = 0; i < 126; i++) a.nop(); a.jmpShort(l); }, 126);
        golden("EB7F", a -> { Label l = new Label(); a.jmpShort(l); for (int i = 0; i < 127; i++) a.nop(); a.bind(l); }, 0);
    }

    /** Like {@link #golden} but compares only the {@code length} bytes at {@code offset}. */
    private static void golden(String hex, Consumer<Assembler> emit, int offset) {
        Assembler a = new Assembler(new CodeBuffer(BASE));
        emit.accept(a);
        byte[] code = a.finish();
        assertEquals(hex, HexFormat.of().withUpperCase().formatHex(code, offset, offset + hex.length() / 2));
    }

    @Test
    void everyConditionCode() {
        golden("70FE", a -> shortLoop(a, Condition.O));
        golden("71FE", a -> shortLoop(a, Condition.NO));
        golden("72FE", a -> shortLoop(a, Condition.B));
        golden("73FE", a -> shortLoop(a, Condition.AE));
        golden("74FE", a -> shortLoop(a, Condition.E));
        golden("75FE", a -> shortLoop(a, Condition.NE));
        golden("76FE", a -> shortLoop(a, Condition.BE));
        golden("77FE", a -> shortLoop(a, Condition.A));
        golden("78FE", a -> shortLoop(a, Condition.S));
        golden("79FE", a -> shortLoop(a, Condition.NS));
        golden("7AFE", a -> shortLoop(a, Condition.P));
        golden("7BFE", a -> shortLoop(a, Condition.NP));
        golden("7CFE", a -> shortLoop(a, Condition.L));
        golden("7DFE", a -> shortLoop(a, Condition.GE));
        golden("7EFE", a -> shortLoop(a, Condition.LE));
        golden("7FFE", a -> shortLoop(a, Condition.G));
        golden("0F80FAFFFFFF", a -> a.jcc(Condition.O, BASE));
        golden("0F81FAFFFFFF", a -> a.jcc(Condition.NO, BASE));
        golden("0F82FAFFFFFF", a -> a.jcc(Condition.B, BASE));
        golden("0F83FAFFFFFF", a -> a.jcc(Condition.AE, BASE));
        golden("0F84FAFFFFFF", a -> a.jcc(Condition.E, BASE));
        golden("0F85FAFFFFFF", a -> a.jcc(Condition.NE, BASE));
        golden("0F86FAFFFFFF", a -> a.jcc(Condition.BE, BASE));
        golden("0F87FAFFFFFF", a -> a.jcc(Condition.A, BASE));
        golden("0F88FAFFFFFF", a -> a.jcc(Condition.S, BASE));
        golden("0F89FAFFFFFF", a -> a.jcc(Condition.NS, BASE));
        golden("0F8AFAFFFFFF", a -> a.jcc(Condition.P, BASE));
        golden("0F8BFAFFFFFF", a -> a.jcc(Condition.NP, BASE));
        golden("0F8CFAFFFFFF", a -> a.jcc(Condition.L, BASE));
        golden("0F8DFAFFFFFF", a -> a.jcc(Condition.GE, BASE));
        golden("0F8EFAFFFFFF", a -> a.jcc(Condition.LE, BASE));
        golden("0F8FFAFFFFFF", a -> a.jcc(Condition.G, BASE));
    }

    private static void shortLoop(Assembler a, Condition cc) {
        Label l = new Label();
        a.bind(l);
        a.jccShort(cc, l);
    }

    @Test
    void absoluteTargetsResolveAgainstTheBufferAddress() {
        golden("E9FBFFFFFF", a -> a.jmp(BASE));
        golden("E9FB0F0000", a -> a.jmp(BASE + 0x1000));
        golden("E8FB0F0000", a -> a.call(BASE + 0x1000));
        golden("0F85FAEFFFFF", a -> a.jcc(Condition.NE, BASE - 0x1000));
        golden("90E9FAFFFFFF", a -> { a.nop(); a.jmp(BASE); });
        golden("488B05F9000000", a -> a.mov(RAX, Mem.rip(BASE + 0x100)));
        golden("FF25FA000000", a -> a.jmp(Mem.rip(BASE + 0x100)));
        golden("48C705F5FF0F0005000000", a -> a.mov(Mem.rip(BASE + 0x100000), 5));
    }

    @Test
    void ripRelativeLabelsCountTheImmediate() {
        golden("488B0500000000", a -> { Label l = new Label(); a.mov(RAX, Mem.rip(l)); a.bind(l); });
        golden("4C8D3DF9FFFFFF", a -> { Label l = new Label(); a.bind(l); a.lea(R15, Mem.rip(l)); });
        golden("48C705F5FFFFFF05000000", a -> { Label l = new Label(); a.bind(l); a.mov(Mem.rip(l), 5); });
        golden("48833DF8FFFFFF01", a -> { Label l = new Label(); a.bind(l); a.cmp(Mem.rip(l), 1); });
        golden("48813D0000000000100000", a -> { Label l = new Label(); a.cmp(Mem.rip(l), 0x1000); a.bind(l); });
        golden("48FF05F9FFFFFF", a -> { Label l = new Label(); a.bind(l); a.inc(Mem.rip(l)); });
        golden("FF1500000000", a -> { Label l = new Label(); a.call(Mem.rip(l)); a.bind(l); });
    }

    @Test
    void nopsOfEveryLength() {
        golden("90", a -> a.nop());
        golden("90", a -> a.nop(1));
        golden("6690", a -> a.nop(2));
        golden("0F1F00", a -> a.nop(3));
        golden("0F1F4000", a -> a.nop(4));
        golden("0F1F440000", a -> a.nop(5));
        golden("660F1F440000", a -> a.nop(6));
        golden("0F1F8000000000", a -> a.nop(7));
        golden("0F1F840000000000", a -> a.nop(8));
        golden("660F1F840000000000", a -> a.nop(9));
        golden("C3660F1F840000000000660F1F440000", a -> { a.ret(); a.align(16); });
        golden("C3", a -> { a.ret(); a.align(1); });
        golden("", a -> a.align(16));
    }
}

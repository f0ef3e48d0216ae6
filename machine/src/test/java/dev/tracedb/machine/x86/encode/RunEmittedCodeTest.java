package dev.tracedb.machine.x86.encode;

import static dev.tracedb.machine.x86.encode.Gpr.*;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.sun.jna.Function;
import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Emitted SysV functions called through JNA (Graal's SimpleAssemblerTest idea): the processor is
 * the final judge of the encoding. Arguments arrive in rdi, rsi, rdx; the result leaves in rax;
 * rbx, rbp and r12-r15 are saved when used.
 */
class RunEmittedCodeTest {
    private ExecutablePage page;

    @BeforeEach
    void map() {
        page = new ExecutablePage(1 << 16);
    }

    @AfterEach
    void unmap() {
        page.close();
    }

    private static long call(Function f, Object... args) {
        return f.invokeLong(args);
    }

    @Test
    void maxTimesThreePlusSevenWithCompareAndForwardBranch() {
        Function f = page.load(a -> {
            Label done = new Label("done");
            a.mov(RAX, RDI);
            a.cmp(RDI, RSI);
            a.jccShort(Condition.GE, done);
            a.mov(RAX, RSI);
            a.bind(done);
            a.lea(RAX, Mem.of(RAX, RAX, 2, 7));
            a.ret();
        });
        assertEquals(34L, call(f, 3L, 9L));
        assertEquals(-8L, call(f, -5L, -9L));
        assertEquals(3L * (1L << 40) + 7, call(f, 1L << 40, 0L));
    }

    @Test
    void sumToNWithABackwardLoop() {
        Function f = page.load(a -> {
            Label loop = new Label("loop");
            Label done = new Label("done");
            a.xor(RAX, RAX);
            a.test(RDI, RDI);
            a.jcc(Condition.LE, done);
            a.bind(loop);
            a.add(RAX, RDI);
            a.sub(RDI, 1);
            a.jccShort(Condition.NE, loop);
            a.bind(done);
            a.ret();
        });
        assertEquals(0L, call(f, 0L));
        assertEquals(0L, call(f, -3L));
        assertEquals(1L, call(f, 1L));
        assertEquals(5050L, call(f, 100L));
        assertEquals(5_000_050_000L, call(f, 100_000L));
    }

    @Test
    void sumToNWithJrcxzAndShortJumps() {
        Function f = page.load(a -> {
            Label loop = new Label("loop");
            Label done = new Label("done");
            a.mov(RCX, RDI);
            a.mov(RAX, 0L);
            a.bind(loop);
            a.jrcxz(done);
            a.add(RAX, RCX);
            a.sub(RCX, 1);
            a.jmpShort(loop);
            a.bind(done);
            a.ret();
        });
        assertEquals(0L, call(f, 0L));
        assertEquals(55L, call(f, 10L));
    }

    @Test
    void pushfqAndPopfqPreserveTheCarryAcrossCode() {
        // cmp sets CF iff a < b unsigned; xor clears it; popfq must bring it back for jb.
        Function f = page.load(a -> {
            Label below = new Label("below");
            a.cmp(RDI, RSI);
            a.pushfq();
            a.xor(RAX, RAX);
            a.popfq();
            a.mov(RAX, 0L);
            a.jccShort(Condition.B, below);
            a.ret();
            a.bind(below);
            a.mov(RAX, 1L);
            a.ret();
        });
        Function carry = page.load(a -> {
            a.cmp(RDI, RSI);
            a.pushfq();
            a.pop(RAX);
            a.and(RAX, 1);
            a.ret();
        });
        assertEquals(1L, call(f, 1L, 2L));
        assertEquals(0L, call(f, 2L, 1L));
        assertEquals(0L, call(f, -1L, 1L));
        assertEquals(1L, call(carry, 1L, -1L));
        assertEquals(0L, call(carry, 5L, 5L));
    }

    @Test
    void atomicsOnAMemoryArgument() {
        Function fetchAdd = page.load(a -> {
            a.mov(RAX, RSI);
            a.lockXadd(Mem.of(RDI), RAX);
            a.ret();
        });
        Function cas = page.load(a -> {
            a.mov(RAX, RSI);
            a.lockCmpxchg(Mem.of(RDI), RDX);
            a.ret();
        });
        Function swap = page.load(a -> {
            a.mov(R8, RSI);
            a.xchg(R8, Mem.of(RDI, 8));
            a.mov(RAX, R8);
            a.ret();
        });
        try (Memory cell = new Memory(16)) {
            cell.setLong(0, 40);
            assertEquals(40L, call(fetchAdd, cell, 2L));
            assertEquals(42L, cell.getLong(0));
            assertEquals(42L, call(cas, cell, 42L, 7L));
            assertEquals(7L, cell.getLong(0));
            assertEquals(7L, call(cas, cell, 42L, 9L));
            assertEquals(7L, cell.getLong(0));
            cell.setLong(8, 11);
            assertEquals(11L, call(swap, cell, 12L));
            assertEquals(12L, cell.getLong(8));
        }
    }

    @Test
    void memoryStoresIncDecAndCompare() {
        Function f = page.load(a -> {
            Label bad = new Label("bad");
            a.mov(Mem.of(RDI), -5);
            a.inc(Mem.of(RDI));
            a.inc(Mem.of(RDI));
            a.dec(Mem.of(RDI, RSI, 8, 0));
            a.cmp(Mem.of(RDI), -3);
            a.jcc(Condition.NE, bad);
            a.mov32(Mem.of(RDI, 16), RDI);
            a.mov(RAX, Mem.of(RDI, 8));
            a.ret();
            a.bind(bad);
            a.mov(RAX, -999L);
            a.ret();
        });
        Function load32 = page.load(a -> {
            a.movabs(RAX, -1L);
            a.mov32(RAX, Mem.of(RDI));
            a.ret();
        });
        try (Memory m = new Memory(24)) {
            m.setLong(8, 100);
            m.setLong(16, -1);
            assertEquals(99L, call(f, m, 1L));
            assertEquals(-3L, m.getLong(0));
            assertEquals((int) Pointer.nativeValue(m), m.getInt(16));
            assertEquals(-1, m.getInt(20));
            assertEquals(0xFFFF_FFFDL, call(load32, m));
        }
    }

    @Test
    void immediatesAndTheStack() {
        Function f = page.load(a -> {
            a.push(R12);
            a.push(R13);
            a.mov(R12, RDI);
            a.mov(R13, RSI);
            a.push(-7);
            a.push(0x12345678);
            a.pop(R9);
            a.pop(RAX);
            a.add(RAX, R9);
            a.add(RAX, R12);
            a.add(RAX, R13);
            a.pop(R13);
            a.pop(R12);
            a.ret();
        });
        Function constants = page.load(a -> {
            a.movabs(RAX, -1L);
            a.mov32(RAX, 5);     // a 32-bit write clears the upper half
            a.mov(RCX, -2L);
            a.add(RAX, RCX);
            a.mov(R10, 1L << 40);
            a.or(RAX, R10);
            a.ret();
        });
        assertEquals(0x12345678L - 7 + 100 + 1000, call(f, 100L, 1000L));
        assertEquals((1L << 40) | 3L, call(constants));
    }

    @Test
    void callsAndJumpsThroughEveryForm() {
        Function f = page.load(a -> {
            Label helper = new Label("helper");
            Label table = new Label("table");
            Label thousand = new Label("thousand");
            Label viaRegister = new Label("viaRegister");
            a.call(helper);                                // a+1
            a.mov(RDI, RAX);
            a.lea(R11, Mem.rip(helper));
            a.call(R11);                                   // a+2
            a.mov(RDI, RAX);
            a.call(Mem.rip(table));                        // a+3
            a.mov(RDI, RAX);
            a.mov(RCX, Mem.rip(thousand));
            a.add(RDI, RCX);                               // a+1003
            a.lea(RDX, Mem.rip(viaRegister));
            a.jmp(RDX);
            a.ud2();
            a.bind(viaRegister);
            a.jmp(Mem.rip(table));                         // tail call: helper returns a+1004
            a.bind(helper);
            a.lea(RAX, Mem.of(RDI, 1));
            a.ret();
            a.align(8);
            a.bind(table);
            a.buffer().emit64(a.buffer().baseAddress() + helper.position());
            a.bind(thousand);
            a.buffer().emit64(1000);
        });
        assertEquals(1004L, call(f, 0L));
        assertEquals(-996L, call(f, -2000L));
    }

    @Test
    void absoluteTargetsAndLongForwardBranches() {
        Function helper = page.load(a -> {
            a.lea(RAX, Mem.of(RDI, RDI, 1, 0));
            a.ret();
        });
        long helperAddress = Pointer.nativeValue(helper);
        Function f = page.load(a -> {
            Label far = new Label("far");
            a.cmp(RDI, 0);
            a.jcc(Condition.L, helperAddress);             // negative: tail-jump to the doubler
            a.jmp(far);
            for (int i = 0; i < 40; i++) {
                a.nop(9);
            }
            a.int3();
            a.bind(far);
            a.call(helperAddress);
            a.mov(RDI, RAX);
            a.jmp(helperAddress);
        });
        assertEquals(12L, call(f, 3L));
        assertEquals(-6L, call(f, -3L));
    }

    @Test
    void everyNopLengthExecutes() {
        Function f = page.load(a -> {
            for (int n = 1; n <= 9; n++) {
                a.nop(n);
            }
            a.align(16);
            a.mov(RAX, 42L);
            a.ret();
        });
        assertEquals(42L, call(f));
    }

    @Test
    void syscallGetpid() {
        Function f = page.load(a -> {
            a.mov32(RAX, 39); // __NR_getpid on x86-64
            a.syscall();
            a.ret();
        });
        assertEquals(ProcessHandle.current().pid(), call(f));
    }
}

package dev.tracedb.machine.x86.encode;

import static dev.tracedb.machine.x86.encode.Gpr.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** What the encoder refuses, and that it refuses it when the problem becomes knowable. */
class AssemblerErrorTest {
    private final Assembler a = new Assembler(new CodeBuffer(0x400000L));

    @Test
    void forwardRel8BeyondReachFailsWhenBound() {
        Label far = new Label("far");
        a.jmpShort(far);
        for (int i = 0; i < 128; i++) {
            a.nop();
        }
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> a.bind(far));
        assertTrue(e.getMessage().contains("far"), e.getMessage());
    }

    @Test
    void backwardRel8BeyondReachFailsWhenEmittedAndEmitsNothing() {
        Label back = new Label("back");
        a.bind(back);
        for (int i = 0; i < 127; i++) {
            a.nop();
        }
        assertThrows(IllegalStateException.class, () -> a.jccShort(Condition.E, back));
        assertThrows(IllegalStateException.class, () -> a.jmpShort(back));
        assertEquals(127, a.position(), "a failed short branch leaves no bytes");
        a.jmp(back);
        assertEquals(132, a.position());
    }

    @Test
    void jrcxzIsRel8Only() {
        Label far = new Label();
        a.jrcxz(far);
        for (int i = 0; i < 15; i++) {
            a.nop(9);
        }
        assertThrows(IllegalStateException.class, () -> a.bind(far));
    }

    @Test
    void aLabelUsedButNeverBoundFailsAtFinish() {
        Label exit = new Label("exit");
        a.jcc(Condition.NE, exit);
        a.ret();
        IllegalStateException e = assertThrows(IllegalStateException.class, a::finish);
        assertTrue(e.getMessage().contains("exit"), e.getMessage());
    }

    @Test
    void anUnboundRipLabelFailsAtFinish() {
        a.mov(RAX, Mem.rip(new Label("data")));
        assertThrows(IllegalStateException.class, a::finish);
    }

    @Test
    void aLabelBindsOnce() {
        Label l = new Label();
        a.bind(l);
        assertThrows(IllegalStateException.class, () -> a.bind(l));
        assertThrows(IllegalStateException.class, () -> new Label().position());
    }

    @Test
    void absoluteTargetsOutOfRel32RangeFailWithoutEmitting() {
        assertThrows(IllegalArgumentException.class, () -> a.jmp(0x400000L + 0x80000005L));
        assertThrows(IllegalArgumentException.class, () -> a.call(0x7fff_0000_0000L));
        assertThrows(IllegalArgumentException.class, () -> a.jcc(Condition.L, 0x400000L - 0x80000000L));
        assertThrows(IllegalArgumentException.class, () -> a.mov(RAX, Mem.rip(0x400000L - 0x80000000L)));
        assertThrows(IllegalArgumentException.class, () -> a.lockXadd(Mem.rip(0x400000L + 0x80000009L), RAX));
        assertEquals(0, a.position());
        a.jmp(0x400000L + 0x80000004L); // the farthest forward target a 5-byte jmp at offset 0 reaches
        assertEquals(5, a.position());
    }

    @Test
    void operandsThatHaveNoEncoding() {
        assertThrows(IllegalArgumentException.class, () -> Mem.of(RAX, RSP, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> Mem.of(RAX, RBX, 3, 0));
        assertThrows(IllegalArgumentException.class, () -> Mem.indexed(RCX, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> a.nop(0));
        assertThrows(IllegalArgumentException.class, () -> a.nop(10));
        assertThrows(IllegalArgumentException.class, () -> a.align(3));
    }

    @Test
    void conditionsInvertInPairs() {
        Condition[][] pairs = {
            {Condition.O, Condition.NO}, {Condition.B, Condition.AE}, {Condition.E, Condition.NE},
            {Condition.BE, Condition.A}, {Condition.S, Condition.NS}, {Condition.P, Condition.NP},
            {Condition.L, Condition.GE}, {Condition.LE, Condition.G},
        };
        for (Condition[] pair : pairs) {
            assertEquals(pair[1], pair[0].negate());
            assertEquals(pair[0], pair[1].negate());
        }
    }

    @Test
    void registerNames() {
        assertEquals("rax", RAX.name64());
        assertEquals("eax", RAX.name32());
        assertEquals("esp", RSP.name32());
        assertEquals("r9d", R9.name32());
        assertEquals(13, R13.encoding());
    }
}

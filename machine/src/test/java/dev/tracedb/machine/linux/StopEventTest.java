package dev.tracedb.machine.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Decoding of raw waitpid statuses, with the values the kernel produces. */
class StopEventTest {
    @Test
    void exited() {
        StopEvent e = StopEvent.decode(42 << 8);
        assertEquals(new StopEvent.Exited(42), e);
        assertTrue(e.isTerminal());
    }

    @Test
    void killedWithAndWithoutCore() {
        assertEquals(new StopEvent.Killed(Signal.SIGKILL, false), StopEvent.decode(9));
        assertEquals(new StopEvent.Killed(Signal.SIGSEGV, true), StopEvent.decode(0x80 | 11));
    }

    @Test
    void signalDeliveryStop() {
        StopEvent e = StopEvent.decode((11 << 8) | 0x7f);
        assertEquals(new StopEvent.SignalStop(Signal.SIGSEGV), e);
        assertFalse(e.isTerminal());
    }

    @Test
    void syscallStopNeedsTraceSysGood() {
        assertEquals(new StopEvent.SyscallStop(), StopEvent.decode((0x85 << 8) | 0x7f));
        assertEquals(new StopEvent.SignalStop(Signal.SIGTRAP), StopEvent.decode((5 << 8) | 0x7f));
    }

    @Test
    void ptraceEvents() {
        for (PtraceEvent event : PtraceEvent.values()) {
            int status = (event.code << 16) | (5 << 8) | 0x7f;
            assertEquals(new StopEvent.EventStop(event), StopEvent.decode(status));
        }
    }

    @Test
    void groupStopAndInterrupt() {
        assertEquals(new StopEvent.GroupStop(Signal.SIGSTOP), StopEvent.decode((128 << 16) | (19 << 8) | 0x7f));
        assertEquals(new StopEvent.GroupStop(Signal.SIGTRAP), StopEvent.decode((128 << 16) | (5 << 8) | 0x7f));
    }

    @Test
    void signalNames() {
        assertEquals("SIGSEGV", Signal.SIGSEGV.name());
        assertEquals("SIGRTMIN+2", Signal.of(36).name());
    }
}

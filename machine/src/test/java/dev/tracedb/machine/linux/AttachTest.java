package dev.tracedb.machine.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Attaching to processes we did not launch. The victims are started untraced with posix_spawn
 * (not ProcessBuilder, whose reaper would steal the stops) and reaped here after detach.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AttachTest extends NoStrayProcesses {
    private static final long SLEEP_MS = 1000;
    private static final int CLOCK_NANOSLEEP = 230;

    private static Tracer tracer;

    @BeforeAll
    static void startTracer() {
        tracer = Tracer.start("attach-test");
    }

    @AfterAll
    static void stopTracer() {
        tracer.close();
    }

    /** Spawns {@code sleep 1} and returns once it sleeps in clock_nanosleep (exec done). */
    private static int spawnSleep() throws IOException, InterruptedException {
        int pid = Spawner.spawn("/bin/sleep", List.of("sleep", "1"), List.of(), Spawner.Stdio.INHERIT);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (System.nanoTime() < deadline) {
            String syscall = Files.readString(Path.of("/proc/" + pid + "/syscall"));
            if (syscall.startsWith(CLOCK_NANOSLEEP + " ")) {
                return pid;
            }
            Thread.sleep(1);
        }
        LibC.kill(pid, Signal.SIGKILL.number());
        LibC.waitpid(pid, new int[1], 0);
        throw new IllegalStateException("sleep did not start sleeping");
    }

    /** Reaps the untraced child; kills it first if it has not ended in time. */
    private static StopEvent reap(int pid) {
        int[] status = new int[1];
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (LibC.waitpid(pid, status, LibC.WNOHANG) == 0) {
            if (System.nanoTime() > deadline) {
                LibC.kill(pid, Signal.SIGKILL.number());
                LibC.waitpid(pid, status, 0);
                return StopEvent.decode(status[0]);
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return StopEvent.decode(status[0]);
    }

    @Test
    void attachReadDetachAndTheProcessCarriesOn() throws Exception {
        long start = System.nanoTime();
        int pid = spawnSleep();
        try {
            Tracee t = Tracee.attach(tracer, pid);
            assertInstanceOf(StopEvent.GroupStop.class, t.lastStop());
            assertTrue(t.registers().rip().value() != 0);
            t.detach();
            assertEquals(List.of(), tracer.tracees());
        } finally {
            assertEquals(new StopEvent.Exited(0), reap(pid), "sleep finished normally");
        }
        long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(elapsedMs >= SLEEP_MS, "the interrupted sleep was restarted, slept " + elapsedMs + " ms");
    }

    @Test
    void remoteSyscallInsideAnInterruptedSleepRestartsIt() throws Exception {
        long start = System.nanoTime();
        int pid = spawnSleep();
        try (Tracee t = Tracee.attach(tracer, pid)) {
            try (RemoteSyscalls remote = new RemoteSyscalls(t)) {
                assertEquals(pid, remote.getpid());
            }
            // Continue under ptrace rather than detach: detaching wakes the tracee with
            // TIF_SIGPENDING, which would make the kernel restart the sleep by itself.
            assertEquals(new StopEvent.EventStop(PtraceEvent.EXIT), t.cont());
            assertEquals(0, t.eventMessage(), "wait status at exit: sleep exited 0");
        } finally {
            assertEquals(new StopEvent.Exited(0), reap(pid), "nanosleep did not fail with a bogus errno");
        }
        assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) >= SLEEP_MS);
    }

    @Test
    void attachingToNoProcessSaysSo() {
        ErrnoException e = assertThrows(ErrnoException.class, () -> Tracee.attach(tracer, Integer.MAX_VALUE));
        assertEquals(LibC.ESRCH, e.errno());
        assertEquals("ptrace(PTRACE_SEIZE, " + Integer.MAX_VALUE + "): No such process (errno 3)", e.getMessage());
    }

    @Test
    void detachWhileRunning() throws Exception {
        int pid = spawnSleep();
        try {
            Tracee t = Tracee.attach(tracer, pid);
            t.resume(Resume.CONTINUE, null);
            t.detach();
        } finally {
            assertEquals(new StopEvent.Exited(0), reap(pid));
        }
    }
}

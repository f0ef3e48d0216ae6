package dev.tracedb.machine.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pieces a recorder needs to follow one process among its children: children attached at
 * birth and waited for by their own pid (never confused with the parent's stops), detached to
 * run on; a launched process let go at its exec and still waited for as our child.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ChildFollowingTest extends NoStrayProcesses {
    private static Tracer tracer;

    @TempDir
    Path tmp;

    @BeforeAll
    static void startTracer() {
        tracer = Tracer.start("child-following-test");
    }

    @AfterAll
    static void stopTracer() {
        tracer.close();
    }

    @Test
    void everyChildStopsAtBirthAndRunsOnOnceDetached() throws IOException {
        Path out = tmp.resolve("forks.out");
        Set<TraceOption> options = TraceOption.defaults();
        options.addAll(EnumSet.of(TraceOption.TRACEFORK, TraceOption.TRACEVFORK, TraceOption.TRACECLONE));
        try (Tracee parent = Tracee.launch(tracer, LaunchOptions.builder(TestPrograms.program("forks-static"))
                .environment(java.util.List.of("PATH=/usr/bin:/bin")).stdout(out).build())) {
            parent.setOptions(options);
            int children = 0;
            StopEvent stop = parent.cont();
            while (!stop.isTerminal()) {
                if (stop instanceof StopEvent.EventStop e && e.event() != PtraceEvent.EXIT) {
                    Tracee child = Tracee.autoAttached(parent, (int) parent.eventMessage());
                    StopEvent birth = child.waitForStop();
                    assertInstanceOf(StopEvent.GroupStop.class, birth, "a seized child's first stop");
                    assertEquals(0, child.registers().rax(), "the child's side of the fork returns 0");
                    child.detach();
                    children++;
                }
                stop = parent.cont(stop instanceof StopEvent.SignalStop s ? s.signal() : null);
            }
            assertEquals(new StopEvent.Exited(0), stop);
            // fork twice, posix_spawn, system (posix_spawn), vfork
            assertEquals(5, children);
        }
        assertTrue(Files.readString(out).endsWith("vfork+exec: exited 0\nparent: done\n"), Files.readString(out));
    }

    @Test
    void aProcessLetGoAtItsExecIsStillWaitedForAsOurChild() throws IOException {
        Path out = tmp.resolve("execs.out");
        try (Tracee tracee = Tracee.launch(tracer, LaunchOptions.builder(TestPrograms.program("execs-static"))
                .stdout(out).build())) {
            StopEvent stop = tracee.cont();
            while (!(stop instanceof StopEvent.EventStop e && e.event() == PtraceEvent.EXEC)) {
                assertTrue(!stop.isTerminal(), "ended without its exec: " + stop);
                stop = tracee.cont();
            }
            assertEquals(new StopEvent.Exited(7), tracee.detachAndAwaitExit());
            assertTrue(!tracee.isAlive());
        }
        assertEquals("before exec\nafter exec\n", Files.readString(out));
    }
}

package dev.tracedb.machine.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TraceeTest extends NoStrayProcesses {
    private static final int AT_BASE = 7;
    private static final int AT_ENTRY = 9;

    private static Tracer tracer;

    @TempDir
    Path tmp;

    @BeforeAll
    static void startTracer() {
        tracer = Tracer.start("tracee-test");
    }

    @AfterAll
    static void stopTracer() {
        tracer.close();
    }

    private static LaunchOptions.Builder options(String program, String... args) {
        return LaunchOptions.builder(TestPrograms.program(program)).args(args).environment(TestPrograms.ENV);
    }

    @Test
    void staticProgramStopsAtElfEntryStepsAndExits() throws IOException {
        Path out = tmp.resolve("out");
        try (Tracee t = Tracee.launch(tracer, options("loops-static", "3").stdout(out).build())) {
            long entry = TestPrograms.elfEntry(TestPrograms.path("loops-static"));
            Registers regs = t.registers();
            assertEquals(RemoteAddress.of(entry), regs.rip());
            assertEquals(entry, TestPrograms.auxv(t.pid(), AT_ENTRY));
            assertEquals(TestPrograms.ENV.size(), 2);

            RemoteAddress previous = regs.rip();
            int moved = 0;
            for (int i = 0; i < 20; i++) {
                assertEquals(new StopEvent.SignalStop(Signal.SIGTRAP), t.step());
                RemoteAddress rip = t.registers().rip();
                moved += rip.equals(previous) ? 0 : 1;
                previous = rip;
            }
            assertEquals(20, moved, "every step of straight-line startup code moves rip");

            assertEquals(new StopEvent.EventStop(PtraceEvent.EXIT), t.cont());
            assertEquals(0, t.eventMessage(), "exit status at PTRACE_EVENT_EXIT");
            assertEquals(new StopEvent.Exited(0), t.cont());
            assertFalse(t.isAlive());
        }
        assertTrue(Files.readString(out).endsWith("EXIT-SUCCESS\n"), Files.readString(out));
    }

    @Test
    void dynamicProgramStopsAtLoaderEntry() throws IOException {
        try (Tracee t = Tracee.launch(tracer, options("loops").stdout(tmp.resolve("out")).build())) {
            long loaderBase = TestPrograms.auxv(t.pid(), AT_BASE);
            Path loader = Path.of("/lib64/ld-linux-x86-64.so.2").toRealPath();
            assertEquals(RemoteAddress.of(loaderBase + TestPrograms.elfEntry(loader)), t.registers().rip());
            assertEquals(new StopEvent.SignalStop(Signal.SIGTRAP), t.step());
        }
    }

    @Test
    void exitCodeAndArgumentsArrive() {
        try (Tracee t = Tracee.launch(tracer, options("exitcode").build())) {
            assertEquals(new StopEvent.Exited(42), runToEnd(t));
        }
        try (Tracee t = Tracee.launch(tracer, options("exitcode", "7").build())) {
            assertEquals(new StopEvent.Exited(7), runToEnd(t));
        }
    }

    @Test
    void argvAndEnvironmentArriveExactlyInOrder() throws IOException {
        Path out = tmp.resolve("env");
        LaunchOptions o = LaunchOptions.builder("/usr/bin/env").environment(List.of("ZZ=1", "AA=2", "MM=x y"))
                .stdout(out).build();
        try (Tracee t = Tracee.launch(tracer, o)) {
            assertEquals(new StopEvent.Exited(0), runToEnd(t));
        }
        assertEquals("ZZ=1\nAA=2\nMM=x y\n", Files.readString(out), "no sorting, no PWD added");
    }

    @Test
    void workingDirectory() throws IOException {
        Path out = tmp.resolve("pwd");
        Path dir = Files.createDirectory(tmp.resolve("work dir"));
        LaunchOptions o = LaunchOptions.builder("pwd").environment(TestPrograms.ENV)
                .workingDirectory(dir).stdout(out).build();
        try (Tracee t = Tracee.launch(tracer, o)) {
            assertEquals(new StopEvent.Exited(0), runToEnd(t));
        }
        assertEquals(dir.toRealPath() + "\n", Files.readString(out));
    }

    @Test
    void stepCountIsDeterministicWithAslrOff() {
        long first = countSteps();
        long second = countSteps();
        System.out.println("loops-static 1: " + first + " single-steps to exit");
        assertTrue(first > 1000, "a static glibc program runs thousands of instructions: " + first);
        assertEquals(first, second);
    }

    private long countSteps() {
        LaunchOptions o = options("loops-static", "1").stdout(tmp.resolve("steps"))
                .randomization(AddressRandomization.DISABLED).build();
        try (Tracee t = Tracee.launch(tracer, o)) {
            return tracer.call(() -> {
                long steps = 0;
                StopEvent stop;
                while ((stop = t.step()).equals(new StopEvent.SignalStop(Signal.SIGTRAP))) {
                    steps++;
                }
                assertEquals(new StopEvent.EventStop(PtraceEvent.EXIT), stop);
                return steps;
            });
        }
    }

    @Test
    void aslrCanBeDisabled() throws IOException {
        Registers a = stackAndLoaderAt(AddressRandomization.DISABLED);
        Registers b = stackAndLoaderAt(AddressRandomization.DISABLED);
        assertEquals(a.rsp(), b.rsp());
        assertEquals(a.rip(), b.rip());
        if (!Files.readString(Path.of("/proc/sys/kernel/randomize_va_space")).trim().equals("0")) {
            Registers c = stackAndLoaderAt(AddressRandomization.SYSTEM_DEFAULT);
            Registers d = stackAndLoaderAt(AddressRandomization.SYSTEM_DEFAULT);
            assertNotEquals(c.rsp(), d.rsp(), "randomized stacks (fails with chance ~2^-30)");
        }
    }

    private Registers stackAndLoaderAt(AddressRandomization randomization) {
        try (Tracee t = Tracee.launch(tracer, options("loops").randomization(randomization).build())) {
            return t.registers();
        }
    }

    @Test
    void segfaultIsReportedThenKills() {
        LaunchOptions o = options("crash").stderr(tmp.resolve("err")).build();
        try (Tracee t = Tracee.launch(tracer, o)) {
            assertEquals(new StopEvent.SignalStop(Signal.SIGSEGV), t.cont());
            SignalInfo info = t.signalInfo();
            assertEquals(Signal.SIGSEGV, info.signal());
            assertEquals(SignalInfo.SEGV_MAPERR, info.code());
            assertEquals(RemoteAddress.NULL, info.faultAddress());
            assertEquals(new StopEvent.EventStop(PtraceEvent.EXIT), t.cont(Signal.SIGSEGV));
            StopEvent end = t.cont();
            assertInstanceOf(StopEvent.Killed.class, end);
            assertEquals(Signal.SIGSEGV, ((StopEvent.Killed) end).signal());
        }
    }

    @Test
    void closeKillsAndReapsStoppedOrRunningTracee() throws IOException {
        Tracee stopped = Tracee.launch(tracer, options("loops", "100000000").build());
        int stoppedPid = stopped.pid();
        assertTrue(children().stream().anyMatch(c -> c.startsWith(stoppedPid + " ")),
                "the leak check sees our tracee: " + children());
        stopped.step();
        stopped.close();
        assertFalse(exists(stoppedPid), "no process, not even a zombie");

        Tracee running = Tracee.launch(tracer, options("loops", "100000000").build());
        int runningPid = running.pid();
        running.resume(Resume.CONTINUE, null);
        running.close();
        assertFalse(exists(runningPid));
    }

    @Test
    void closingTheTracerKillsItsTracees() {
        Tracer own = Tracer.start("short-lived");
        int pid;
        try {
            Tracee t = Tracee.launch(own, options("loops", "100000000").build());
            pid = t.pid();
            t.resume(Resume.CONTINUE, null);
        } finally {
            own.close();
        }
        assertFalse(exists(pid));
        assertThrows(IllegalStateException.class, () -> own.call(() -> 1));
    }

    @Test
    void closingATracerBlockedInWaitKillsTheTracee() {
        Tracer own = Tracer.start("blocked");
        Tracee t = Tracee.launch(own, options("loops", "100000000").build());
        CompletableFuture<StopEvent> end = own.submit(t::cont); // blocks the tracer thread in waitpid
        own.close();
        // The kill ends the wait: with a PTRACE_EVENT_EXIT stop (this kernel) or the death itself.
        StopEvent ended = end.join();
        assertTrue(ended.equals(new StopEvent.EventStop(PtraceEvent.EXIT))
                || ended.equals(new StopEvent.Killed(Signal.SIGKILL, false)), ended.toString());
        assertFalse(exists(t.pid()));
    }

    @Test
    void missingProgramFailsClearlyBeforeAnythingRuns() throws IOException {
        LaunchException e = assertThrows(LaunchException.class,
                () -> Tracee.launch(tracer, "/nonexistent/program"));
        assertEquals("no such program: /nonexistent/program", e.getMessage());

        e = assertThrows(LaunchException.class, () -> Tracee.launch(tracer,
                LaunchOptions.builder("no-such-tracedb-program").environment(TestPrograms.ENV).build()));
        assertTrue(e.getMessage().startsWith("no such program: no-such-tracedb-program"), e.getMessage());

        Path text = Files.writeString(tmp.resolve("not-executable"), "hello\n");
        e = assertThrows(LaunchException.class, () -> Tracee.launch(tracer, text.toString()));
        assertEquals("not executable: " + text, e.getMessage());
        assertEquals(List.of(), tracer.tracees());
    }

    @Test
    void execFailureIsDetected() throws IOException {
        // Executable bits but no ELF and no #! line: the kernel refuses with ENOEXEC.
        Path garbage = Files.write(tmp.resolve("garbage"), new byte[] {1, 2, 3, 4});
        assertTrue(garbage.toFile().setExecutable(true));
        LaunchException e = assertThrows(LaunchException.class, () -> Tracee.launch(tracer, garbage.toString()));
        assertEquals("cannot execute " + garbage + ": Exec format error (errno 8)", e.getMessage());
        assertEquals(List.of(), tracer.tracees());
    }

    @Test
    void ptraceIsRefusedOffTheTracerThread() {
        assertThrows(IllegalStateException.class, () -> tracer.checkThread());
        assertTrue(tracer.call(tracer::isTracerThread));
        // A nested call from inside a task runs inline instead of deadlocking.
        assertEquals(7, tracer.call(() -> tracer.call(() -> 7)));
    }

    @Test
    void memoryReadsCodeAndWritesReadOnlyPages() {
        try (Tracee t = Tracee.launch(tracer, options("exitcode").build())) {
            RemoteAddress rip = t.registers().rip();
            byte[] original = t.memory().read(rip, 16);
            // ld.so's text is mapped read-only: process_vm_writev fails, /proc/PID/mem works.
            byte[] patched = original.clone();
            patched[0] = (byte) 0xcc;
            t.memory().write(rip, patched);
            assertEquals((byte) 0xcc, t.memory().read(rip, 1)[0]);
            t.memory().write(rip, original);
            assertEquals(new StopEvent.Exited(42), runToEnd(t));
        }
    }

    @Test
    void singleStepRate() {
        for (boolean pinned : new boolean[] {false, true}) {
            try (Tracer own = pinned ? Tracer.startPinned("pinned", 0) : Tracer.start("unpinned")) {
                LaunchOptions o = options("loops-static", "1000000").stdout(tmp.resolve("rate")).build();
                try (Tracee t = Tracee.launch(own, o)) {
                    int steps = 30_000;
                    long nanos = own.call(() -> {
                        long start = System.nanoTime();
                        for (int i = 0; i < steps; i++) {
                            t.step();
                        }
                        return System.nanoTime() - start;
                    });
                    System.out.printf("single-step rate (%s): %.0f steps/s, %.1f us/step%n",
                            pinned ? "tracer and tracee on cpu 0" : "unpinned",
                            steps * 1e9 / nanos, nanos / 1e3 / steps);
                }
            }
        }
    }

    /** Continues through every stop (passing signals on) until the process ends. */
    static StopEvent runToEnd(Tracee t) {
        StopEvent stop = t.cont();
        while (!stop.isTerminal()) {
            stop = stop instanceof StopEvent.SignalStop s ? t.cont(s.signal()) : t.cont();
        }
        return stop;
    }
}

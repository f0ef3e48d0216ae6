package dev.tracedb.recorder.inputs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tracedb.recorder.EngineKind;
import dev.tracedb.recorder.Progress;
import dev.tracedb.recorder.RecordOptions;
import dev.tracedb.recorder.RecordOutcome;
import dev.tracedb.recorder.Recorder;
import dev.tracedb.recorder.TestPrograms;
import dev.tracedb.store.EventVisitor;
import dev.tracedb.store.FileMapped;
import dev.tracedb.store.MemoryWritten;
import dev.tracedb.store.RunEnded;
import dev.tracedb.store.RunReader;
import dev.tracedb.store.RunStarted;
import dev.tracedb.store.SignalDelivered;
import dev.tracedb.store.SyscallResult;
import dev.tracedb.store.TimestampRead;
import dev.tracedb.store.TraceDatabase;
import dev.tracedb.store.format.EventType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The native recorder ({@code tracedb-record}, C) against the Java inputs engine, its reference:
 * the same program recorded by both gives the same log, event by event, and runs as it does
 * plainly. The journal's frames are decoded with the store's EventCodec, the Java run's events
 * read through RunReader.
 *
 * <p>What legitimately differs between two recordings of one program, and is left out of the
 * comparison: the start and end times; the bytes of calls that report the time, randomness or
 * per-run identities (AT_RANDOM, clock_gettime, gettimeofday, time, times, getrandom, getrusage,
 * sysinfo, wait4's rusage, getdents64's padding between entries, the time left of sleeps and polls, and the stat family, whose atimes
 * and pipe inodes differ); process ids (results of getpid, gettid, getppid, fork, clone, wait4,
 * set_tid_address, and the pid arguments of kill, tkill, tgkill, wait4); the rdtsc values (which
 * are the recorder's clock); time's result; where a SIGCHLD lands (when the child ends is its
 * scheduling: they are compared as a list after the rest); the registers past a call's arguments, which hold
 * whatever the program left there (hash values derived from random seeds, times). Everything else must be equal: every syscall's number, arguments and
 * result, every written range's address and length, the files mapped, the signals, the order.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class NativeRecorderTest {
    /** Syscalls whose result is a process or thread id, different in every run. */
    private static final Set<Integer> PID_RESULTS = Set.of(39, 186, 218, 56, 57, 58, 435, 61, 110);
    /**
     * The arguments each common call takes (x86-64 Linux): the registers past them hold whatever the
     * program left there (hash values, times), not inputs; a call not in the map is compared on all six.
     */
    private static final Map<Integer, Integer> ARITY = Map.ofEntries(Map.entry(0, 3), Map.entry(1, 3), Map.entry(2, 3), Map.entry(3, 1), Map.entry(4, 2), Map.entry(5, 2), Map.entry(6, 2), Map.entry(7, 3), Map.entry(8, 3), Map.entry(9, 6), Map.entry(10, 3), Map.entry(11, 2), Map.entry(12, 1), Map.entry(13, 4), Map.entry(14, 4), Map.entry(15, 0), Map.entry(16, 3), Map.entry(17, 4), Map.entry(19, 3), Map.entry(20, 3), Map.entry(21, 2), Map.entry(22, 1), Map.entry(23, 5), Map.entry(24, 0), Map.entry(25, 5), Map.entry(27, 3), Map.entry(28, 3), Map.entry(32, 1), Map.entry(33, 2), Map.entry(35, 2), Map.entry(37, 1), Map.entry(38, 3), Map.entry(39, 0), Map.entry(40, 4), Map.entry(41, 3), Map.entry(42, 3), Map.entry(53, 4), Map.entry(56, 5), Map.entry(57, 0), Map.entry(58, 0), Map.entry(59, 3), Map.entry(60, 1), Map.entry(61, 4), Map.entry(62, 2), Map.entry(63, 1), Map.entry(72, 3), Map.entry(78, 3), Map.entry(79, 2), Map.entry(80, 1), Map.entry(82, 2), Map.entry(83, 2), Map.entry(87, 1), Map.entry(89, 3), Map.entry(95, 1), Map.entry(96, 2), Map.entry(97, 2), Map.entry(98, 2), Map.entry(99, 1), Map.entry(100, 1), Map.entry(102, 0), Map.entry(104, 0), Map.entry(107, 0), Map.entry(108, 0), Map.entry(109, 2), Map.entry(110, 0), Map.entry(111, 0), Map.entry(112, 0), Map.entry(115, 2), Map.entry(118, 3), Map.entry(120, 3), Map.entry(121, 1), Map.entry(124, 1), Map.entry(131, 2), Map.entry(137, 2), Map.entry(138, 2), Map.entry(157, 5), Map.entry(158, 2), Map.entry(186, 0), Map.entry(200, 2), Map.entry(201, 1), Map.entry(202, 6), Map.entry(204, 3), Map.entry(217, 3), Map.entry(218, 1), Map.entry(228, 2), Map.entry(230, 4), Map.entry(231, 1), Map.entry(232, 4), Map.entry(233, 4), Map.entry(234, 3), Map.entry(257, 4), Map.entry(262, 4), Map.entry(263, 3), Map.entry(267, 4), Map.entry(269, 3), Map.entry(270, 6), Map.entry(271, 5), Map.entry(273, 2), Map.entry(290, 2), Map.entry(291, 1), Map.entry(293, 2), Map.entry(302, 4), Map.entry(309, 3), Map.entry(318, 3), Map.entry(319, 2), Map.entry(322, 5), Map.entry(332, 5), Map.entry(334, 4), Map.entry(435, 2), Map.entry(436, 3), Map.entry(439, 4));
    /** Syscalls whose written bytes are a time, random, or per-run (see the class comment). */
    private static final Set<Integer> VOLATILE_BYTES = Set.of(228, 96, 201, 100, 318, 98, 99, 61, 35, 230, 7, 271,
            23, 270, 4, 5, 6, 262, 332, 137, 138);

    @TempDir
    Path tmp;

    @AfterEach
    void noProgramLeftBehind() {
        assertEquals(List.of(), ProcessHandle.current().children().map(p -> p.pid() + " " + p.info().command())
                .toList());
    }

    /** What a run printed and how it ended. */
    record Ran(String stdout, String stderr, int status) {}

    static Path binary() {
        String configured = System.getProperty("tracedb.record.native");
        Path binary = Path.of(configured != null ? configured : "target/native/tracedb-record");
        assertTrue(Files.isExecutable(binary), "native recorder not built: " + binary);
        return binary;
    }

    private static List<String> argv(String command) {
        List<String> argv = new ArrayList<>(Arrays.asList(command.split(" ")));
        String program = argv.get(0);
        Path root = Path.of(TestPrograms.program("loops")).getParent().resolve("../../..").normalize();
        if (!program.startsWith("/") && !program.contains("lua") && !program.contains("python")) {
            argv.set(0, TestPrograms.program(program));
        }
        for (int i = 1; i < argv.size(); i++) {
            if (argv.get(i).contains(";")) {
                argv.set(i, argv.get(i).replace('_', ' ')); // a shell command: words joined by _
            } else if (argv.get(i).startsWith("bench/")) {
                argv.set(i, root.resolve(argv.get(i)).toString());
            }
        }
        return argv;
    }

    /**
     * The tests' environment, and for Python a fixed hash seed: its random one changes what its
     * buffers held before a call (bytes the kernel leaves alone) and could change its allocations;
     * the comparison is of the recorders, not of Python's randomness.
     */
    private static List<String> environment(List<String> argv) {
        List<String> env = new ArrayList<>(TestPrograms.ENV);
        if (argv.get(0).contains("python")) {
            env.add("PYTHONHASHSEED=0");
        }
        return env;
    }

    private Ran run(List<String> command, Path stdout) throws IOException, InterruptedException {
        Path stderr = Files.createTempFile(tmp, "stderr", ".txt");
        ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(stdout.toFile()).redirectError(stderr.toFile());
        builder.environment().clear();
        Process process = builder.start();
        assertTrue(process.waitFor(240, TimeUnit.SECONDS), "ended: " + command);
        return new Ran(Files.readString(stdout), Files.readString(stderr), process.exitValue());
    }

    /** A plain run, with the tests' environment. */
    private Ran plain(List<String> argv) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("/usr/bin/env", "-i"));
        command.addAll(environment(argv));
        command.addAll(argv);
        return run(command, Files.createTempFile(tmp, "plain", ".out"));
    }

    /**
     * The native recorder, from an empty environment plus the tests' (--env, in order): the program
     * receives exactly the environment the Java recording gives it.
     */
    private Ran recordNatively(Path db, List<String> argv) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(binary().toString(), "record", "--db", db.toString(), "--engine", "inputs"));
        for (String entry : environment(argv)) {
            command.add("--env");
            command.add(entry);
        }
        command.add("--");
        command.addAll(argv);
        return run(command, Files.createTempFile(tmp, "native", ".out"));
    }

    private static String runId(Ran ran) {
        Matcher m = Pattern.compile("\\b(r\\d{4,})\\b").matcher(ran.stderr());
        assertTrue(m.find(), "a run id in: " + ran.stderr());
        return m.group(1);
    }

    /** The events of a Java inputs recording, read back through the store, in log order. */
    private static List<Object> javaEvents(TraceDatabase db, RecordOutcome outcome) {
        try (RunReader reader = db.openRun(outcome.runId())) {
            List<Object> events = new ArrayList<>();
            events.add(reader.started());
            if (reader.info().inputsOnly()) {
                events.add(EventType.INPUTS_ONLY);
            }
            reader.replay(new EventVisitor() {
                @Override public void syscall(SyscallResult e) { events.add(e); }
                @Override public void memoryWritten(MemoryWritten e) { events.add(e); }
                @Override public void fileMapped(FileMapped e) { events.add(e); }
                @Override public void timestampRead(TimestampRead e) { events.add(e); }
                @Override public void signal(SignalDelivered e) { events.add(e); }
                @Override public void unplacedStop() { events.add(EventType.UNPLACED_STOP); }
            });
            reader.ended().ifPresent(events::add);
            return events;
        }
    }

    /** One line per event, without what legitimately differs between two recordings (class comment). */
    static List<String> comparable(List<Object> events) {
        List<String> lines = new ArrayList<>();
        List<String> childSignals = new ArrayList<>();
        int lastSyscall = -1;
        for (Object e : events) {
            if (e instanceof RunStarted s) {
                lines.add("started cwd=" + s.cwd() + " argv=" + s.argv() + " env=" + s.environment() + " " + s.machine());
            } else if (e instanceof SyscallResult s) {
                lastSyscall = s.number();
                long[] args = s.args().clone();
                for (int i = ARITY.getOrDefault(s.number(), 6); i < 6; i++) {
                    args[i] = 0;
                }
                switch (s.number()) {
                    case 61, 62, 200 -> args[0] = 0; // wait4, kill, tkill: a pid
                    case 234 -> { args[0] = 0; args[1] = 0; } // tgkill
                    default -> { }
                }
                String result = PID_RESULTS.contains(s.number()) ? "PID" : s.number() == 100 || s.number() == 201 ? "TIME" : Long.toString(s.result());
                lines.add("syscall " + s.number() + " at " + s.blockEvent() + " " + Arrays.toString(args) + " = " + result);
            } else if (e instanceof MemoryWritten m) {
                boolean volatileBytes = lastSyscall == -1 || VOLATILE_BYTES.contains(lastSyscall);
                lines.add("memory at " + m.blockEvent() + " 0x" + Long.toHexString(m.address()) + " " + m.bytes().length
                        + (volatileBytes ? "" : " " + digest(lastSyscall == 217 ? direntsWithoutPadding(m.bytes()) : m.bytes())));
            } else if (e instanceof FileMapped f) {
                lines.add(f.toString());
            } else if (e instanceof TimestampRead t) {
                lines.add("timestamp at " + t.blockEvent() + (t.withAux() ? " rdtscp aux " + t.aux() : " rdtsc"));
            } else if (e instanceof SignalDelivered g && g.signo() == 17) {
                childSignals.add(g.toString()); // where it lands is the child's scheduling, not the recorder's
            } else if (e instanceof SignalDelivered g) {
                lines.add(g.toString());
            } else if (e instanceof RunEnded r) {
                lines.add("ended " + r.status() + " " + r.blockEvents() + " block events " + r.instructions() + " instructions");
            } else if (e == EventType.INPUTS_ONLY || e == EventType.UNPLACED_STOP) {
                lines.add(e.toString());
            } else {
                lines.add("unexpected " + e);
            }
        }
        lines.addAll(childSignals);
        return lines;
    }

    /**
     * getdents64's entries (inode, offset, length, type, name) without the alignment padding after
     * each name: the kernel does not write those bytes, which keep what the program's buffer held
     * before (Python's differ from run to run: its hash seed is random).
     */
    private static byte[] direntsWithoutPadding(byte[] bytes) {
        java.nio.ByteBuffer in = java.nio.ByteBuffer.wrap(bytes).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (int at = 0; at + 19 <= bytes.length; ) {
            int length = in.getShort(at + 16) & 0xffff;
            int nameEnd = at + 19;
            while (nameEnd < at + length && bytes[nameEnd] != 0) {
                nameEnd++;
            }
            out.write(bytes, at, nameEnd - at);
            if (length == 0) {
                break;
            }
            at += length;
        }
        return out.toByteArray();
    }

    private static String digest(byte[] bytes) {
        if (bytes.length <= 48) {
            return HexFormat.of().formatHex(bytes);
        }
        try {
            return "sha256:" + HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    /** Both recorders on one program: each runs it as a plain run does, and their logs are the same. */
    private InputsJournal compare(String command) throws Exception {
        List<String> argv = argv(command);
        Ran plain = plain(argv);
        Path db = tmp.resolve("db");
        Ran ran = recordNatively(db, argv);
        assertEquals(plain.stdout(), ran.stdout(), command + ": output");
        assertEquals(plain.status(), ran.status(), command + ": exit status; " + ran.stderr());
        InputsJournal journal = InputsJournal.read(db.resolve("runs").resolve(runId(ran)).resolve("inputs.journal"));
        assertEquals(0, journal.tornBytes, "a journal of whole frames");
        try (TraceDatabase javaDb = TraceDatabase.open(tmp.resolve("java-db"))) {
            Path out = Files.createTempFile(tmp, "java", ".out");
            RecordOptions options = RecordOptions.builder(argv).engine(EngineKind.INPUTS)
                    .launch(l -> l.environment(environment(argv)).stdout(out).stderr(tmp.resolve("java-stderr"))).build();
            RecordOutcome outcome = new Recorder(javaDb).record(options, new Progress());
            assertEquals(plain.stdout(), Files.readString(out), command + ": output under the Java engine");
            List<String> expected = comparable(javaEvents(javaDb, outcome));
            List<String> actual = comparable(journal.events);
            assertEquals(String.join("\n", expected), String.join("\n", actual), command + ": the logs");
            assertEquals(outcome.complete(), ran.stderr().contains("the program's inputs only"), ran.stderr());
            if (!outcome.complete()) {
                assertTrue(ran.stderr().contains("tracedb: " + outcome.steppedAside() + "; run "), ran.stderr()
                        + " vs the Java engine's " + outcome.steppedAside());
            }
        }
        return journal;
    }

    @ParameterizedTest
    @ValueSource(strings = {"/bin/true", "loops", "loops-static", "interp", "control", "inputs /etc/passwd", "rdtsc 50",
        "rdtsc 20 fork", "forks", "signal", "syscalls /etc/passwd", "crash"})
    void theNativeLogIsTheJavaEnginesEventByEvent(String command) throws Exception {
        InputsJournal journal = compare(command);
        assertInstanceOf(RunEnded.class, journal.events.get(journal.events.size() - 1), "recorded to the end");
    }

    @ParameterizedTest
    @ValueSource(strings = {"lua5.4 bench/workloads/interp.lua 16", "lua5.4 bench/workloads/lua/strings.lua",
        "/usr/bin/python3 bench/workloads/interp.py 12", "/usr/bin/python3 bench/workloads/python/objects.py"})
    void interpretersToo(String command) throws Exception {
        InputsJournal journal = compare(command);
        assertInstanceOf(RunEnded.class, journal.events.get(journal.events.size() - 1), "recorded to the end");
    }

    /**
     * A thread, an exec, a writable shared file mapping, a syscall outside the table: the same
     * step-aside, at the same call, as the Java engine.
     */
    @ParameterizedTest
    @ValueSource(strings = {"rdtsc 20 thread", "threads", "execs", "inputs /etc/passwd shared", "inputs /etc/passwd unsupported"})
    void itStepsAsideWhereTheJavaEngineDoes(String command) throws Exception {
        if (command.endsWith("shared")) {
            Path file = tmp.resolve("shared.txt");
            Files.writeString(file, "one\ntwo\nthree\n");
            command = "inputs " + file + " shared";
        }
        InputsJournal journal = compare(command);
        assertFalse(journal.events.get(journal.events.size() - 1) instanceof RunEnded, "left incomplete");
    }

    /** The native recorder alone on a program whose signals land where they will (no event-by-event twin). */
    private record Recorded(Ran ran, InputsJournal journal) {
        List<SignalDelivered> signals() {
            return journal.events.stream().filter(e -> e instanceof SignalDelivered).map(e -> (SignalDelivered) e).toList();
        }

        List<SyscallResult> syscalls() {
            return journal.events.stream().filter(e -> e instanceof SyscallResult).map(e -> (SyscallResult) e).toList();
        }

        boolean complete() {
            return journal.events.get(journal.events.size() - 1) instanceof RunEnded;
        }
    }

    private Recorded recordAlone(String command) throws Exception {
        List<String> argv = argv(command);
        Ran plain = plain(argv);
        Path db = tmp.resolve("db-" + System.nanoTime());
        Ran ran = recordNatively(db, argv);
        assertEquals(plain.stdout(), ran.stdout(), command + ": output");
        assertEquals(plain.status(), ran.status(), command + ": exit status; " + ran.stderr());
        return new Recorded(ran, InputsJournal.read(db.resolve("runs").resolve(runId(ran)).resolve("inputs.journal")));
    }

    /**
     * Caught SIGALRMs that arrive between system calls are held and delivered at the end of the next
     * one: recorded to the end, every signal right after a system call, with the kernel's si_code
     * (the program exits 4 if its handler sees the recorder's kill instead). Retried (up to 5 times)
     * only when it ended at the 20 ms wall-clock bound, which a loaded machine can exceed.
     */
    @Test
    void heldSignalsAreDeliveredAtTheNextSystemCallWithTheirOwnSiginfo() throws Exception {
        Recorded recorded = recordAlone("signal-defer 30");
        for (int attempt = 2; !recorded.complete() && attempt <= 5; attempt++) {
            assertTrue(recorded.ran().stderr().contains("no system call within 20 ms"), recorded.ran().stderr());
            recorded = recordAlone("signal-defer 30");
        }
        assertTrue(recorded.complete(), recorded.ran().stderr());
        assertEquals("ticks enough, bursts some\nsum parity 1\n", recorded.ran().stdout());
        assertTrue(recorded.signals().size() >= 30, "every handled tick is logged: " + recorded.signals().size());
        for (SignalDelivered alarm : recorded.signals()) {
            assertEquals(14, alarm.signo());
            assertEquals(0x80, alarm.code(), "SI_KERNEL, setitimer's, not the recorder's SI_USER");
        }
        List<Object> events = recorded.journal().events;
        long afterGetppid = 0;
        for (int i = 1; i < events.size(); i++) {
            if (events.get(i) instanceof SignalDelivered) {
                Object before = events.get(i - 1);
                assertTrue(before instanceof SyscallResult || before instanceof MemoryWritten || before instanceof SignalDelivered,
                        "a signal follows a system call: " + before);
                if (before instanceof SyscallResult s && s.number() == 110) {
                    afterGetppid++;
                }
            }
        }
        assertTrue(afterGetppid > 0, "some ticks were held for the next getppid");
    }

    /** A held signal that the next call would lose (its handler set to SIG_IGN) is delivered before it. */
    @Test
    void aHeldSignalIsDeliveredBeforeACallThatWouldLoseIt() throws Exception {
        Recorded recorded = recordAlone("signal-defer ignore");
        assertEquals("ticked, sum parity 1\n", recorded.ran().stdout());
        assertFalse(recorded.complete());
        String stderr = recorded.ran().stderr();
        assertTrue(stderr.contains("asynchronous SIGALRM to a handler, held for the next system call, and that call"
                + " (rt_sigaction) would lose it") || stderr.contains("no system call within 20 ms"), stderr);
        assertTrue(stderr.endsWith("left incomplete with the inputs up to there; the program went on natively: exit 0\n"),
                stderr);
        List<SyscallResult> syscalls = recorded.syscalls();
        assertEquals(38, syscalls.get(syscalls.size() - 1).number(), "setitimer is the last call logged");
    }

    /** A program that computes with a 1 ms timer running: no system call within the bound, so it steps aside. */
    @Test
    void aHeldSignalWithNoSystemCallWithinTheBoundEndsTheRecordingAndTheProgramGoesOn() throws Exception {
        Recorded recorded = recordAlone("signal-timer 3");
        assertFalse(recorded.complete());
        assertTrue(recorded.ran().stderr().matches("(?s)tracedb: inputs recording ends at syscall \\d+: asynchronous SIGALRM"
                + " to a handler, between system calls, and no system call within 20 ms to deliver it at .*"),
                recorded.ran().stderr());
        assertEquals(EventType.UNPLACED_STOP, recorded.journal().events.get(recorded.journal().events.size() - 1),
                "the stop the log cannot place is marked");
    }

    @Test
    void aSignalWhoseDefaultKillsEndsTheRunWithIt() throws Exception {
        Recorded recorded = recordAlone("/bin/sh -c echo_before;kill_-TERM_$$;echo_after");
        assertEquals(128 + 15, recorded.ran().status());
        assertTrue(recorded.complete());
        assertEquals(List.of(15), recorded.signals().stream().map(SignalDelivered::signo).toList());
    }

    /**
     * A run that stepped aside lets go of its writer lock as soon as its journal is closed, before
     * the program, going on natively, ends: the next opening of the database can import it meanwhile
     * (as the Java recorder closes its log before waiting).
     */
    @Test
    void aRunThatSteppedAsideIsReleasedWhileTheProgramGoesOn() throws Exception {
        Path db = tmp.resolve("db");
        List<String> command = List.of(binary().toString(), "record", "--db", db.toString(), "--engine", "inputs", "--",
                "/usr/bin/python3", "-c", "import threading, time\nthreading.Thread(target=print).start()\ntime.sleep(3)");
        Process recorder = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        Path lock = db.resolve("runs/r0001/writer.lock");
        boolean released = false;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!released && recorder.isAlive() && System.nanoTime() < deadline) {
            if (Files.exists(lock)) {
                try (java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(lock,
                        java.nio.file.StandardOpenOption.WRITE);
                     java.nio.channels.FileLock held = channel.tryLock()) {
                    released = held != null && recorder.isAlive();
                }
            }
            Thread.sleep(20);
        }
        assertTrue(released, "writer.lock free while the program still ran natively");
        assertTrue(recorder.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, recorder.exitValue());
        assertFalse(InputsJournal.read(db.resolve("runs/r0001/inputs.journal")).events.stream()
                .anyMatch(e -> e instanceof RunEnded), "incomplete");
    }

    @Test
    void theSummaryLineIsTheJavaCommandsAndTheRunDirectoryTheStoresLayout() throws Exception {
        Path db = tmp.resolve("db");
        Ran first = recordNatively(db, List.of("/bin/true"));
        Ran second = recordNatively(db, List.of("/bin/true"));
        assertEquals(0, first.status());
        assertTrue(first.stderr().matches("tracedb: recorded r0001, the program's inputs only: exit 0, \\d+ ms, [\\d,]+ ptrace stops\n"),
                first.stderr());
        assertTrue(second.stderr().startsWith("tracedb: recorded r0002,"), second.stderr());
        assertTrue(Files.exists(db.resolve("runs/r0002/writer.lock")));
        assertTrue(Files.exists(db.resolve("catalog.lock")));
        assertEquals("true", InputsJournal.read(db.resolve("runs/r0001/inputs.journal")).runName);
    }

    @Test
    void aMissingProgramGivesOneLineAndExit127AndCreatesNothing() throws Exception {
        Path db = tmp.resolve("db");
        Ran missing = recordNatively(db, List.of("no-such-program-here"));
        assertEquals(127, missing.status());
        assertEquals(1, missing.stderr().lines().count(), missing.stderr());
        assertTrue(missing.stderr().startsWith("tracedb: no such program: no-such-program-here (not found in PATH "),
                missing.stderr());
        Ran notExecutable = recordNatively(db, List.of("/etc/passwd"));
        assertEquals(126, notExecutable.status());
        assertEquals("tracedb: not executable: /etc/passwd\n", notExecutable.stderr());
        assertFalse(Files.exists(db), "nothing created");
    }

    @Test
    void killingTheRecorderKillsTheProgramAndLeavesAJournalReadableToItsLastFrame() throws Exception {
        Path db = tmp.resolve("db");
        List<String> command = new ArrayList<>(List.of(binary().toString(), "record", "--db", db.toString(), "--quiet",
                "--engine", "inputs", "--", "/usr/bin/python3", "-c",
                "import os, time\nprint(os.getpid(), flush=True)\nwhile True: time.sleep(0.001)"));
        Process recorder = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String pid = new java.io.BufferedReader(new java.io.InputStreamReader(recorder.getInputStream())).readLine();
        assertTrue(pid != null && pid.matches("\\d+"), "the program runs: " + pid);
        Thread.sleep(200);
        recorder.destroyForcibly();
        assertTrue(recorder.waitFor(10, TimeUnit.SECONDS));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (ProcessHandle.of(Long.parseLong(pid)).map(ProcessHandle::isAlive).orElse(false)) {
            assertTrue(System.nanoTime() < deadline, "the program died with its recorder");
            Thread.sleep(20);
        }
        InputsJournal journal = InputsJournal.read(db.resolve("runs/r0001/inputs.journal"));
        assertInstanceOf(RunStarted.class, journal.events.get(0));
        assertEquals(EventType.INPUTS_ONLY, journal.events.get(1));
        long nanosleeps = journal.events.stream().filter(e -> e instanceof SyscallResult s && s.number() == 230).count();
        assertTrue(nanosleeps > 10, "the sleeps up to the kill are in it: " + nanosleeps);
        assertFalse(journal.events.get(journal.events.size() - 1) instanceof RunEnded, "incomplete");
    }
}

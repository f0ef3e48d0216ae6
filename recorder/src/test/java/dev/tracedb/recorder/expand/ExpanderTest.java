package dev.tracedb.recorder.expand;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tracedb.recorder.EngineKind;
import dev.tracedb.recorder.Progress;
import dev.tracedb.recorder.RecordOptions;
import dev.tracedb.recorder.RecordOutcome;
import dev.tracedb.recorder.Recorder;
import dev.tracedb.recorder.TestPrograms;
import dev.tracedb.machine.x86.decode.Decoder;
import dev.tracedb.machine.x86.decode.Instruction;
import dev.tracedb.store.BlockDefined;
import dev.tracedb.store.EventVisitor;
import dev.tracedb.store.ExecBatchHeader;
import dev.tracedb.store.FileMapped;
import dev.tracedb.store.MemoryWritten;
import dev.tracedb.store.RunId;
import dev.tracedb.store.RunReader;
import dev.tracedb.store.RunStarted;
import dev.tracedb.store.RunWriter;
import dev.tracedb.store.SignalDelivered;
import dev.tracedb.store.SyscallResult;
import dev.tracedb.store.TimestampRead;
import dev.tracedb.store.TraceDatabase;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Expansion on real programs: an inputs-only recording, re-executed under the DBI engine, gives the
 * run a DBI recording of the same program gives (launched the same way: ASLR off, no vDSO): the
 * same blocks in the same order, hence the same instructions; its syscalls are the inputs run's,
 * results included; nothing is printed again; a changed program file is refused in one line.
 */
@Timeout(value = 600, unit = TimeUnit.SECONDS)
class ExpanderTest {
    @TempDir
    Path tmp;

    @AfterEach
    void noProgramLeftBehind() {
        assertEquals(List.of(), ProcessHandle.current().children().map(p -> p.pid() + " " + p.info().command())
                .toList());
    }

    private static List<String> argv(String program, String... args) {
        List<String> argv = new ArrayList<>();
        argv.add(program.startsWith("/") ? program : TestPrograms.program(program));
        argv.addAll(List.of(args));
        return argv;
    }

    private RecordOutcome record(TraceDatabase db, EngineKind engine, List<String> argv, Path stdout) {
        RecordOptions options = RecordOptions.builder(argv).engine(engine).launch(l -> l.environment(TestPrograms.ENV)
                .hideVdso(true).stdout(stdout).stderr(tmp.resolve("stderr-" + engine))).build();
        RecordOutcome outcome = new Recorder(db).record(options, new Progress());
        assertTrue(outcome.complete(), argv + " recorded to its end with " + engine + ": " + outcome.steppedAside());
        return outcome;
    }

    /**
     * An inputs recording of a program whose caught signals are held for its next syscall, to its
     * end. The hold's 20 ms bound is wall-clock time: on a loaded machine (two cores, this JVM's
     * compiler threads busy at its start) the tracee may not get the CPU for its next syscall within
     * it, and the recording then ends there, as documented; only that end is retried, a few times.
     */
    private RecordOutcome recordHoldingSignals(TraceDatabase db, List<String> argv, Path stdout) {
        for (int attempt = 1; ; attempt++) {
            RecordOptions options = RecordOptions.builder(argv).engine(EngineKind.INPUTS).launch(l -> l.environment(TestPrograms.ENV)
                    .hideVdso(true).stdout(stdout).stderr(tmp.resolve("stderr-inputs"))).build();
            RecordOutcome outcome = new Recorder(db).record(options, new Progress());
            if (outcome.complete() || attempt == 5) {
                assertTrue(outcome.complete(), argv + " recorded to its end in " + attempt + " attempts: "
                        + outcome.steppedAside());
                return outcome;
            }
            assertTrue(outcome.steppedAside().contains("no system call within 20 ms"), outcome.steppedAside());
        }
    }

    private RecordOutcome expand(TraceDatabase db, RunId inputs) {
        RecordOutcome expanded = new Expander(db).expand(inputs, null, new Progress());
        assertTrue(expanded.complete());
        return expanded;
    }

    @ParameterizedTest
    @ValueSource(strings = {"/bin/true", "loops", "loops-static", "interp", "control", "inputs /etc/passwd", "signal",
        "forks", "dbi-simple 20", "counter", "rdtsc 20", "crash", "syscall-loop", "syscalls /etc/passwd",
        "signal-timer 3 0", "rdtsc 20 fork"})
    void theExpandedRunIsTheDbiRecordingOfTheSameProgram(String command) throws IOException {
        String[] words = command.split(" ");
        List<String> argv = argv(words[0], Arrays.copyOfRange(words, 1, words.length));
        try (TraceDatabase db = TraceDatabase.open(tmp.resolve("db"))) {
            RecordOutcome inputs = record(db, EngineKind.INPUTS, argv, tmp.resolve("inputs.out"));
            RecordOutcome dbi = record(db, EngineKind.DBI, argv, tmp.resolve("dbi.out"));
            RecordOutcome expanded = expand(db, inputs.runId());

            assertEquals(inputs.status(), expanded.status(), "the recorded exit status");
            BlockStream direct = BlockStream.of(db, dbi.runId());
            BlockStream replayed = BlockStream.of(db, expanded.runId());
            assertTrue(direct.events() > 100, "a real stream: " + direct.events() + " block events");
            assertEquals(direct.firstDifference(replayed), replayed.firstDifference(direct));
            assertEquals(direct.head(), replayed.head(), command + ": the first block events");
            assertEquals(direct.events(), replayed.events(), command + ": block events");
            assertEquals(direct.instructions(), replayed.instructions(), command + ": instructions");
            assertEquals(direct.digest(), replayed.digest(), command + ": the whole block stream");

            BlockStream recordedInputs = BlockStream.of(db, inputs.runId());
            assertEquals(0, recordedInputs.events(), "the inputs run has no blocks");
            assertEquals(recordedInputs.syscalls(), replayed.syscalls(), command + ": the inputs run's syscalls");
            assertEquals(Files.readString(tmp.resolve("inputs.out")), Files.readString(tmp.resolve("dbi.out")));
            try (RunReader in = db.openRun(inputs.runId()); RunReader out = db.openRun(expanded.runId())) {
                RunStarted started = in.started();
                assertEquals(started, out.started(), "the expanded run starts as the inputs run");
                assertFalse(out.info().inputsOnly());
                assertTrue(in.info().inputsOnly(), "the inputs run is left as it was");
            }
        }
    }

    /**
     * The expansion's own stdout and stderr are /dev/null, and every write is emulated: the
     * test's captured output gets nothing from the re-executed program.
     */
    @Test
    void theProgramsOutputIsNotProducedAgain() throws IOException {
        Path file = tmp.resolve("written.txt");
        try (TraceDatabase db = TraceDatabase.open(tmp.resolve("db"))) {
            // sh -c writes a file through a redirection: an open (O_CREAT|O_TRUNC) and a write.
            RecordOutcome inputs = record(db, EngineKind.INPUTS, List.of("/bin/sh", "-c", "echo once >> " + file),
                    tmp.resolve("sh.out"));
            assertEquals("once\n", Files.readString(file));
            expand(db, inputs.runId());
            assertEquals("once\n", Files.readString(file), "the expansion neither truncated nor appended");
        }
    }

    /** A program binary changed between the recording and the expansion: one line, nothing created. */
    @Test
    void aChangedProgramIsRefused() throws IOException {
        Path copy = tmp.resolve("loops-copy");
        Files.copy(Path.of(TestPrograms.program("loops")), copy, StandardCopyOption.COPY_ATTRIBUTES);
        try (TraceDatabase db = TraceDatabase.open(tmp.resolve("db"))) {
            RecordOutcome inputs = record(db, EngineKind.INPUTS, List.of(copy.toString()), tmp.resolve("out"));
            byte[] bytes = Files.readAllBytes(copy);
            bytes[bytes.length - 1] ^= 1; // the end of the section headers' table's last entry: still runs
            Files.write(copy, bytes);
            int runs = db.runs().size();
            IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                    () -> new Expander(db).expand(inputs.runId(), null, new Progress()));
            assertTrue(refused.getMessage().startsWith("the file " + copy + " changed since the inputs were recorded"),
                    refused.getMessage());
            assertFalse(refused.getMessage().contains("\n"));
            assertEquals(runs, db.runs().size(), "no run created");
        }
    }

    /** Records {@code loops}' inputs with a copy of libc at {@code libc}, which a test may then change. */
    private RecordOutcome recordLoopsWithItsOwnLibc(TraceDatabase db, Path libc) throws IOException {
        Files.createDirectories(libc.getParent());
        Files.copy(Path.of("/lib/x86_64-linux-gnu/libc.so.6"), libc);
        List<String> env = new ArrayList<>(TestPrograms.ENV);
        env.add("LD_LIBRARY_PATH=" + libc.getParent());
        RecordOptions options = RecordOptions.builder(argv("loops")).engine(EngineKind.INPUTS)
                .launch(l -> l.environment(env).stdout(tmp.resolve("out"))).build();
        RecordOutcome inputs = new Recorder(db).record(options, new Progress());
        assertTrue(inputs.complete());
        return inputs;
    }

    /** A library the program maps (a FileMapped event) replaced since: refused with both states. */
    @Test
    void aChangedMappedLibraryIsRefused() throws IOException {
        Path libc = tmp.resolve("lib").resolve("libc.so.6");
        try (TraceDatabase db = TraceDatabase.open(tmp.resolve("db"))) {
            RecordOutcome inputs = recordLoopsWithItsOwnLibc(db, libc);
            Files.copy(Path.of("/lib/x86_64-linux-gnu/libc.so.6"), libc, StandardCopyOption.REPLACE_EXISTING);
            IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                    () -> new Expander(db).expand(inputs.runId(), null, new Progress()));
            assertTrue(refused.getMessage().startsWith("the file " + libc.toRealPath() + " changed since the inputs were"
                    + " recorded ("), refused.getMessage());
        }
    }

    /**
     * A mapped library whose bytes changed in place with its size, mtime and inode kept (the mtime
     * put back with utimensat): only its inode change time tells, and the expansion is refused up
     * front, naming the file and that field, with nothing created.
     */
    @Test
    void aLibraryRewrittenInPlaceWithItsMtimeRestoredIsRefusedByItsChangeTime() throws IOException {
        Path libc = tmp.resolve("lib").resolve("libc.so.6");
        try (TraceDatabase db = TraceDatabase.open(tmp.resolve("db"))) {
            RecordOutcome inputs = recordLoopsWithItsOwnLibc(db, libc);
            Object inode = Files.getAttribute(libc, "unix:ino");
            FileTime modified = Files.getLastModifiedTime(libc);
            long size = Files.size(libc);
            try (FileChannel file = FileChannel.open(libc, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                ByteBuffer last = ByteBuffer.allocate(1);
                file.read(last, size - 1);
                last.put(0, (byte) (last.get(0) ^ 1));
                file.write(last.rewind(), size - 1);
            }
            Files.setLastModifiedTime(libc, modified);
            assertEquals(List.of(size, modified, inode), List.of(Files.size(libc), Files.getLastModifiedTime(libc),
                    Files.getAttribute(libc, "unix:ino")), "size, mtime and inode as recorded");
            int runs = db.runs().size();
            IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                    () -> new Expander(db).expand(inputs.runId(), null, new Progress()));
            assertTrue(refused.getMessage().matches("the file " + Pattern.quote(libc.toRealPath().toString())
                    + " changed since the inputs were recorded \\(ctime \\d+ ns then, \\d+ ns now\\); the run cannot be"
                    + " expanded"), refused.getMessage());
            assertEquals(runs, db.runs().size(), "no run created");
        }
    }

    /**
     * A run whose FILE_MAPPED frames are version 1 (written before the change time and device were
     * logged; made here by copying a real inputs run with those two left unknown) still expands,
     * its files checked by size, mtime and inode only, and the expansion says so once.
     */
    @Test
    void aRunRecordedWithoutChangeTimesExpandsAndSaysSoOnce() throws IOException {
        try (TraceDatabase db = TraceDatabase.open(tmp.resolve("db"))) {
            RecordOutcome inputs = record(db, EngineKind.INPUTS, argv("loops"), tmp.resolve("out"));
            List<FileMapped> recorded = new ArrayList<>();
            RunId old;
            try (RunReader in = db.openRun(inputs.runId()); RunWriter copy = db.createRun("version-1", in.started())) {
                old = copy.id();
                copy.inputsOnly();
                in.replay(new EventVisitor() {
                    @Override public void syscall(SyscallResult e) { copy.syscall(e.number(), e.args(), e.result()); }
                    @Override public void memoryWritten(MemoryWritten e) { copy.memoryWritten(e.address(), e.bytes()); }
                    @Override public void timestampRead(TimestampRead e) { copy.timestampRead(e.value(), e.aux(), e.withAux()); }
                    @Override public void signal(SignalDelivered e) { copy.signal(e.signo(), e.code(), e.address()); }
                    @Override public void fileMapped(FileMapped e) {
                        recorded.add(e);
                        copy.fileMapped(e.path(), e.size(), e.modifiedNanos(), e.inode(), FileMapped.UNKNOWN, FileMapped.UNKNOWN);
                    }
                });
                copy.end(in.ended().orElseThrow().status());
            }
            assertFalse(recorded.isEmpty(), "loops maps libc");
            assertTrue(recorded.stream().allMatch(FileMapped::hasChangeTimeAndDevice), "recorded with them");
            List<FileMapped> copied = new ArrayList<>();
            try (RunReader in = db.openRun(old)) {
                in.replay(new EventVisitor() {
                    @Override public void fileMapped(FileMapped e) { copied.add(e); }
                });
            }
            assertEquals(recorded.size(), copied.size());
            assertTrue(copied.stream().noneMatch(FileMapped::hasChangeTimeAndDevice), "version 1 frames: " + copied);

            List<String> notes = new ArrayList<>();
            RecordOutcome expanded = new Expander(db, notes::add).expand(old, null, new Progress());
            assertTrue(expanded.complete());
            assertEquals(inputs.status(), expanded.status());
            assertEquals(1, notes.size(), notes::toString);
            assertTrue(notes.get(0).startsWith("note: " + old + " was recorded before mapped files' change times were"
                    + " logged: its "), notes.get(0));
            assertTrue(notes.get(0).contains("checked by size, mtime and inode only"), notes.get(0));

            notes.clear();
            assertTrue(new Expander(db, notes::add).expand(inputs.runId(), null, new Progress()).complete());
            assertEquals(List.of(), notes, "nothing to say of a run that has them");
        }
    }

    /**
     * The expansion plays logged counter reads through the translator's substitutes (rdtsc copied as
     * ud2, rdtscp as ud1), whatever the machine: the inputs run of {@code rdtsc 20} is rewritten with
     * one logged read per rdtsc/rdtscp that the DBI recording of the same program ran, each placed
     * before the syscall it preceded there (on a machine that traps rdtsc the recorder's own reads are
     * replaced; on one that does not, where the inputs run has none, they are added). Increasing
     * values expand to the DBI recording's stream, every read consumed; values that go down make the
     * program print "NOT increasing", a longer write, at which the expansion diverges: what the
     * program read was the log's.
     */
    @Test
    void loggedCounterReadsArePlayedFromTheLog() throws IOException {
        try (TraceDatabase db = TraceDatabase.open(tmp.resolve("db"))) {
            List<String> argv = argv("rdtsc", "20");
            RecordOutcome inputs = record(db, EngineKind.INPUTS, argv, tmp.resolve("inputs.out"));
            RecordOutcome dbi = record(db, EngineKind.DBI, argv, tmp.resolve("dbi.out"));
            List<List<Boolean>> reads = counterReadsBeforeEachSyscall(db, dbi.runId());
            long total = reads.stream().mapToLong(List::size).sum();
            assertTrue(total >= 20, "the program's 20 reads and the loader's: " + total);

            RunId increasing = withCounterReads(db, inputs.runId(), reads, "increasing", i -> 1_000_000L + 1000L * i);
            RecordOutcome expanded = new Expander(db).expand(increasing, null, new Progress());
            assertTrue(expanded.complete());
            BlockStream direct = BlockStream.of(db, dbi.runId());
            BlockStream replayed = BlockStream.of(db, expanded.runId());
            assertEquals(direct.firstDifference(replayed), replayed.firstDifference(direct));
            assertEquals(direct.digest(), replayed.digest(), "the whole block stream");

            RunId decreasing = withCounterReads(db, inputs.runId(), reads, "decreasing", i -> 1_000_000L - 1000L * i);
            ExpansionFailedException diverged = assertThrows(ExpansionFailedException.class,
                    () -> new Expander(db).expand(decreasing, null, new Progress()));
            assertTrue(diverged.getMessage().matches("expansion diverged at syscall \\d+: recorded syscall 1\\(0x1, .*"),
                    diverged.getMessage());
        }
    }

    /** Per syscall of {@code run} (and one list after the last), the counter reads its blocks ran before it: true for rdtscp. */
    private static List<List<Boolean>> counterReadsBeforeEachSyscall(TraceDatabase db, RunId run) {
        Map<Integer, List<Boolean>> readsOfBlock = new HashMap<>();
        List<List<Boolean>> reads = new ArrayList<>(List.of(new ArrayList<>()));
        try (RunReader reader = db.openRun(run); Decoder decoder = Decoder.open()) {
            reader.replay(new EventVisitor() {
                @Override
                public void blockDefined(BlockDefined b) {
                    List<Boolean> found = new ArrayList<>();
                    for (int at = 0, n = 0; n < b.instructionCount(); n++) {
                        Instruction insn = decoder.decode(b.bytes(), 0, at);
                        if (insn.mnemonic().equals("rdtsc") || insn.mnemonic().equals("rdtscp")) {
                            found.add(insn.mnemonic().equals("rdtscp"));
                        }
                        at += insn.length();
                    }
                    readsOfBlock.put(b.blockId(), found);
                }

                @Override
                public void execBatch(ExecBatchHeader header, int[] ids) {
                    for (int i = 0; i < header.eventCount(); i++) {
                        reads.get(reads.size() - 1).addAll(readsOfBlock.get(ids[i]));
                    }
                }

                @Override
                public void syscall(SyscallResult s) {
                    reads.add(new ArrayList<>());
                }
            });
        }
        return reads;
    }

    /** A copy of inputs run {@code run} whose counter reads are {@code reads}, the i-th (from 0) reading {@code value(i)}. */
    private static RunId withCounterReads(TraceDatabase db, RunId run, List<List<Boolean>> reads, String name,
                                          java.util.function.LongUnaryOperator value) {
        try (RunReader in = db.openRun(run); RunWriter copy = db.createRun(name, in.started())) {
            copy.inputsOnly();
            long[] next = {0};
            int[] syscall = {0};
            java.util.function.IntConsumer readsBefore = k -> {
                for (boolean withAux : reads.get(k)) {
                    copy.timestampRead(value.applyAsLong(next[0]++), 0, withAux);
                }
            };
            in.replay(new EventVisitor() {
                @Override public void syscall(SyscallResult e) {
                    readsBefore.accept(syscall[0]++);
                    copy.syscall(e.number(), e.args(), e.result());
                }
                @Override public void memoryWritten(MemoryWritten e) { copy.memoryWritten(e.address(), e.bytes()); }
                @Override public void signal(SignalDelivered e) { copy.signal(e.signo(), e.code(), e.address()); }
                @Override public void fileMapped(FileMapped e) {
                    copy.fileMapped(e.path(), e.size(), e.modifiedNanos(), e.inode(), e.changedNanos(), e.device());
                }
            });
            assertEquals(reads.size() - 1, syscall[0], "the DBI recording made the inputs run's syscalls");
            readsBefore.accept(syscall[0]);
            copy.end(in.ended().orElseThrow().status());
            return copy.id();
        }
    }

    /**
     * An inputs run that stopped early (the program made a thread and went on natively) expands
     * up to the same point: one line, the expanded run incomplete with the inputs run's syscalls.
     */
    @Test
    void anIncompleteInputsRunExpandsToWhereItsRecordingStopped() throws IOException {
        try (TraceDatabase db = TraceDatabase.open(tmp.resolve("db"))) {
            RecordOptions options = RecordOptions.builder(argv("rdtsc", "20", "thread")).engine(EngineKind.INPUTS)
                    .launch(l -> l.environment(TestPrograms.ENV).stdout(tmp.resolve("out"))).build();
            RecordOutcome inputs = new Recorder(db).record(options, new Progress());
            assertFalse(inputs.complete(), "the inputs recording stops at the thread");
            ExpansionFailedException stopped = assertThrows(ExpansionFailedException.class,
                    () -> new Expander(db).expand(inputs.runId(), null, new Progress()));
            assertTrue(stopped.getMessage().contains("creates a thread"), stopped.getMessage());
            assertFalse(stopped.getMessage().contains("\n"));
            BlockStream expanded = BlockStream.of(db, stopped.runId());
            assertTrue(expanded.events() > 1000, expanded.events() + " block events up to there");
            assertEquals(BlockStream.of(db, inputs.runId()).syscalls(), expanded.syscalls());
            try (RunReader reader = db.openRun(stopped.runId())) {
                assertFalse(reader.isComplete());
            }
        }
    }

    /**
     * A caught SIGALRM that lands between syscalls is held by the inputs engine and delivered at the
     * end of the next syscall, logged after it with the kernel's si_code (SI_KERNEL): the expansion
     * sends each one after that syscall's inputs with that si_code, so its syscalls (number,
     * arguments, result) and its signals (number, si_code, place among the syscalls) are the
     * inputs run's, to the program's end.
     */
    @Test
    void heldSignalsExpandAtTheSyscallsTheyWereDeliveredAfter() throws IOException {
        try (TraceDatabase db = TraceDatabase.open(tmp.resolve("db"))) {
            RecordOutcome inputs = recordHoldingSignals(db, argv("signal-defer"), tmp.resolve("inputs.out"));
            assertEquals("ticks enough, bursts some\nsum parity 1\n", Files.readString(tmp.resolve("inputs.out")));
            RecordOutcome expanded = expand(db, inputs.runId());

            assertEquals(inputs.status(), expanded.status(), "the recorded exit status");
            BlockStream recorded = BlockStream.of(db, inputs.runId());
            BlockStream replayed = BlockStream.of(db, expanded.runId());
            List<String> log = recorded.inputs();
            long alarms = log.stream().filter(line -> line.equals("signal 14 code 128 at 0x0")).count();
            assertTrue(alarms >= 30, "the held SIGALRMs (SI_KERNEL) are in the inputs run: " + alarms);
            assertEquals(alarms, log.stream().filter(line -> line.startsWith("signal ")).count(), "no other signal");
            assertTrue(log.get(0).startsWith("syscall "), log.get(0));
            for (int i = 1; i < log.size(); i++) {
                if (log.get(i).startsWith("signal ")) {
                    assertTrue(log.get(i - 1).startsWith("syscall "), "each held signal follows a syscall, at " + i);
                }
            }
            assertEquals(log, replayed.inputs(), "the expansion's syscalls and signals, in order, are the inputs run's");
            assertTrue(replayed.instructions() > 10_000_000, replayed.instructions() + " instructions (the bursts)");
        }
    }

    /**
     * {@code signal-defer ignore}: a tick held through the burst reaches {@code signal(SIGALRM,
     * SIG_IGN)}, whose rt_sigaction would lose it; the inputs recording ends before that call (not
     * logged, nor the tick, delivered natively before it). The expansion runs the burst up to that
     * rt_sigaction and stops there: the same syscalls, no signal, the expanded run incomplete.
     * (Under heavy load the burst may outlast the 20 ms bound: then the tick lands in it, and the
     * expansion stops at the setitimer before.)
     */
    @Test
    void aSignalHeldUpToAChangeOfItsHandlerExpandsToThatChange() throws IOException {
        try (TraceDatabase db = TraceDatabase.open(tmp.resolve("db"))) {
            RecordOptions options = RecordOptions.builder(argv("signal-defer", "ignore")).engine(EngineKind.INPUTS)
                    .launch(l -> l.environment(TestPrograms.ENV).hideVdso(true).stdout(tmp.resolve("out"))).build();
            RecordOutcome inputs = new Recorder(db).record(options, new Progress());
            assertEquals("ticked, sum parity 1\n", Files.readString(tmp.resolve("out")));
            assertFalse(inputs.complete(), "the inputs recording stops at the held SIGALRM");
            ExpansionFailedException stopped = assertThrows(ExpansionFailedException.class,
                    () -> new Expander(db).expand(inputs.runId(), null, new Progress()));
            assertTrue(stopped.getMessage().contains("the inputs run ends before syscall")
                    && stopped.getMessage().contains("(syscall 13(0xe, ")
                    || inputs.steppedAside().contains("no system call within 20 ms") && stopped.getMessage().contains(
                    "at a point its log cannot place (a signal between syscalls): the expansion stops at its last input"),
                    stopped.getMessage());
            assertFalse(stopped.getMessage().contains("\n"));
            BlockStream recorded = BlockStream.of(db, inputs.runId());
            BlockStream expanded = BlockStream.of(db, stopped.runId());
            assertTrue(recorded.syscalls().get(recorded.syscalls().size() - 1).startsWith("38 "),
                    "setitimer is the last call logged: " + recorded.syscalls());
            assertTrue(recorded.inputs().stream().noneMatch(line -> line.startsWith("signal ")), "no signal logged");
            assertEquals(recorded.inputs(), expanded.inputs());
            try (RunReader reader = db.openRun(stopped.runId())) {
                assertFalse(reader.isComplete());
            }
        }
    }

    /**
     * {@code python3 timer.py 300000 1}: its 1 ms SIGALRM ticks are held for the next syscall while
     * the interpreter starts, and then one lands in the hot loop, which makes no syscall within the
     * 20 ms bound: the inputs recording ends there, at a point after its last syscall that its log
     * cannot place. The expansion has the inputs run's syscalls and signals and stops right after
     * that last syscall: it does not run on through the loop, whose instructions ran natively with
     * the handler somewhere among them (to the next syscall, the setitimer after the loop, it made
     * 1.4 billion instructions without the handler; now 48 million, the interpreter's start-up).
     */
    @Test
    void pythonsTimerHeldPastTheBoundExpandsToWhereItsRecordingStopped() throws IOException {
        Path root = Path.of(TestPrograms.program("loops")).getParent().resolve("../../..").normalize();
        List<String> argv = List.of("/usr/bin/python3", root.resolve("bench/workloads/python/timer.py").toString(),
                "300000", "1");
        try (TraceDatabase db = TraceDatabase.open(tmp.resolve("db"))) {
            RecordOptions options = RecordOptions.builder(argv).engine(EngineKind.INPUTS)
                    .launch(l -> l.environment(TestPrograms.ENV).hideVdso(true).stdout(tmp.resolve("out"))).build();
            RecordOutcome inputs = new Recorder(db).record(options, new Progress());
            assertEquals("timer 300000 78778 1051263 101\n", Files.readString(tmp.resolve("out")));
            assertFalse(inputs.complete());
            assertTrue(inputs.steppedAside().contains("asynchronous SIGALRM to a handler"), inputs.steppedAside());
            ExpansionFailedException stopped = assertThrows(ExpansionFailedException.class,
                    () -> new Expander(db).expand(inputs.runId(), null, new Progress()));
            assertTrue(stopped.getMessage().startsWith("the inputs run ends after syscall "
                    + BlockStream.of(db, inputs.runId()).syscalls().size() + " at a point its log cannot place (a signal"
                    + " between syscalls): the expansion stops at its last input"), stopped.getMessage());
            BlockStream recorded = BlockStream.of(db, inputs.runId());
            BlockStream expanded = BlockStream.of(db, stopped.runId());
            assertTrue(recorded.syscalls().size() > 500, recorded.syscalls().size() + " syscalls");
            assertEquals(recorded.inputs(), expanded.inputs(), "the syscalls and signals, in order");
            assertTrue(expanded.instructions() < 200_000_000, expanded.instructions() + " instructions: not the loop");
        }
    }

    /** Not an inputs-only run: nothing to expand. */
    @Test
    void anOrdinaryRunIsRefused() throws IOException {
        try (TraceDatabase db = TraceDatabase.open(tmp.resolve("db"))) {
            RecordOutcome dbi = record(db, EngineKind.DBI, argv("loops"), tmp.resolve("out"));
            IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                    () -> new Expander(db).expand(dbi.runId(), null, new Progress()));
            assertEquals("run " + dbi.runId() + " is not an inputs-only run (it holds its blocks already): there is"
                    + " nothing to expand", refused.getMessage());
        }
    }

    /**
     * CPython seeds its string hashes from getrandom, which the expansion replays: two expansions
     * of one inputs run are the same execution, block for block, and their syscalls the inputs run's.
     */
    @Test
    void pythonExpandsTwiceToTheSameStream() throws IOException {
        Path script = tmp.resolve("work.py");
        Files.writeString(script, String.join("\n",
                "words = {}",
                "for i in range(20000):",
                "    w = 'w%d' % (i * 7919 % 1000)",
                "    words[w] = words.get(w, 0) + 1",
                "print(len(words), sorted(words.items())[:3], hash('tracedb') != 0)", ""));
        try (TraceDatabase db = TraceDatabase.open(tmp.resolve("db"))) {
            RecordOutcome inputs = record(db, EngineKind.INPUTS, List.of("/usr/bin/python3", script.toString()),
                    tmp.resolve("out"));
            BlockStream first = BlockStream.of(db, expand(db, inputs.runId()).runId());
            BlockStream second = BlockStream.of(db, expand(db, inputs.runId()).runId());
            assertTrue(first.instructions() > 10_000_000, first.instructions() + " instructions");
            assertEquals(first.firstDifference(second), second.firstDifference(first));
            assertEquals(first.digest(), second.digest());
            assertEquals(first.instructions(), second.instructions());
            assertEquals(BlockStream.of(db, inputs.runId()).syscalls(), first.syscalls());
        }
    }
}

package dev.tracedb.cli;

import static dev.tracedb.cli.CliRun.tracedb;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tracedb.machine.elf.ElfImage;
import dev.tracedb.machine.elf.Segment;
import dev.tracedb.machine.elf.SegmentType;
import dev.tracedb.store.EventVisitor;
import dev.tracedb.store.FileMapped;
import dev.tracedb.store.MemoryWritten;
import dev.tracedb.store.RunId;
import dev.tracedb.store.RunReader;
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
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The commands that read blocks, given an inputs-only run ({@code record --engine inputs}), expand
 * it themselves the first time, once, and read the expanded run from then on; a failed expansion
 * links nothing; {@code --no-expand} refuses instead. Real programs, recorded in process.
 */
class ExpandOnFirstUseTest {
    private static final String LOOPS_ROUNDS = "300";

    @TempDir
    Path files;

    @AfterEach
    void noProgramLeftBehind() {
        assertEquals(List.of(), ProcessHandle.current().children().map(p -> p.pid() + " " + p.info().command().orElse("?"))
                .toList(), "child processes left behind");
    }

    private static void recordInputs(Path db, String... programAndArgs) {
        String[] args = Stream.concat(Stream.of("record", "--engine", "inputs", "--env", Programs.TUNABLES, "--"),
                Stream.of(programAndArgs)).toArray(String[]::new);
        CliRun run = tracedb(db, args);
        assertEquals(0, run.status(), run::toString);
        assertTrue(run.err().contains("the program's inputs only: exit 0"), run::toString);
    }

    private static List<String> runIds(Path db) {
        CliRun runs = tracedb(db, "runs");
        assertEquals(0, runs.status(), runs::toString);
        return runs.out().lines().skip(1).map(l -> l.split(" ")[0]).toList();
    }

    private static CliRun ok(Path db, String... args) {
        CliRun run = tracedb(db, args);
        assertEquals(0, run.status(), () -> String.join(" ", args) + ": " + run);
        return run;
    }

    /** What the commands print on stdout, the cache's path (which differs by database) taken out. */
    private List<String> commandOutputs(Path db, String run, Path cache) {
        List<String> outputs = new ArrayList<>();
        outputs.add(ok(db, "verify", run).out());
        outputs.add(ok(db, "replay", run, "--from", "20000", "--count", "300", "--disasm").out());
        outputs.add(ok(db, "top", run, "--by", "function", "--limit", "8").out());
        outputs.add(ok(db, "compile", "--quiet", run, "-o", cache.toString()).out().replace(cache.toString(), "CACHE"));
        return outputs;
    }

    @Test
    void theFirstCommandExpandsOnceAndEveryCommandGivesWhatAnExplicitExpansionGives() throws IOException {
        String loops = Programs.path("loops");
        Path explicit = files.resolve("explicit");
        recordInputs(explicit, loops, LOOPS_ROUNDS);
        CliRun expand = ok(explicit, "expand", "r0001");
        assertEquals("r0002\n", expand.out(), expand::toString);
        List<String> expected = commandOutputs(explicit, "r0002", files.resolve("explicit.tcache"));
        assertTrue(expected.get(0).startsWith("r0002: clean: "), expected::toString);

        Path implicit = files.resolve("implicit");
        recordInputs(implicit, loops, LOOPS_ROUNDS);
        CliRun first = ok(implicit, "verify", "r0001");
        assertTrue(first.err().startsWith("tracedb: r0001 holds inputs only; expanding it into r0002 (once)...\n"
                + "tracedb: expanded r0001 into r0002: "), first::toString);
        assertEquals(expected.get(0), first.out(), "verify");
        assertEquals(List.of("r0001", "r0002"), runIds(implicit));

        List<String> later = commandOutputs(implicit, "r0001", files.resolve("implicit.tcache"));
        assertEquals(expected, later, "every command on the inputs run reads the expansion");
        assertEquals(List.of("r0001", "r0002"), runIds(implicit), "expanded once: the later commands read the link");
        CliRun linked = ok(implicit, "replay", "r0001", "--count", "1");
        assertEquals("tracedb: note: r0001 holds inputs only; reading r0002, its expansion\n", linked.err(), linked::toString);
        assertEquals(Files.size(files.resolve("explicit.tcache")), Files.size(files.resolve("implicit.tcache")));
    }

    @Test
    void expandOfAnExpandedRunNamesItsRunAndExpandsAgainOnlyWhenAsked() {
        Path db = files.resolve("db");
        recordInputs(db, "/bin/true");
        ok(db, "verify", "r0001");
        CliRun expand = ok(db, "expand", "r0001");
        assertEquals("r0002\n", expand.out(), expand::toString);
        assertEquals("tracedb: r0001 is expanded already, as r0002 (tracedb expand --again r0001 expands it once more)\n",
                expand.err(), expand::toString);
        assertEquals(List.of("r0001", "r0002"), runIds(db));

        CliRun again = ok(db, "expand", "--again", "--name", "true-again", "r0001");
        assertEquals("r0003\n", again.out(), again::toString);
        assertEquals(List.of("r0001", "r0002", "r0003"), runIds(db));
        CliRun verify = ok(db, "verify", "r0001");
        assertTrue(verify.out().startsWith("r0003: clean: "), "the link moved to the newest expansion: " + verify);
        CliRun quiet = ok(db, "expand", "--quiet", "r0001");
        assertEquals("r0003\n", quiet.out(), quiet::toString);
        assertEquals("", quiet.err(), quiet::toString);
    }

    @Test
    void infoAndRunsShowTheLinkBothWays() {
        Path db = files.resolve("db");
        recordInputs(db, "/bin/true");
        CliRun before = ok(db, "runs");
        assertFalse(before.out().contains("EXPANDED"), "no column before any expansion: " + before);
        assertTrue(ok(db, "info", "r0001").out().contains("expanded     not yet (the first command that reads blocks expands it, once)"));
        ok(db, "top", "r0001");
        List<String> runs = ok(db, "runs").out().lines().toList();
        assertTrue(runs.get(0).matches("RUN +NAME +STATE +EXIT +STARTED +DURATION +EXPANDED +PROGRAM"), runs::toString);
        assertTrue(runs.get(1).matches("r0001 +true +complete .* as r0002 +/bin/true"), runs::toString);
        assertTrue(runs.get(2).matches("r0002 +true-expanded +complete .* from r0001 +/bin/true"), runs::toString);
        assertTrue(ok(db, "info", "r0001").out().contains("expanded     as r0002 (the commands that read blocks read it)"));
        assertTrue(ok(db, "info", "r0002").out().contains("expanded      from r0001, whose inputs it re-executed"));
    }

    /**
     * A real failure after the expanded run exists. As below, {@code mix}'s first instruction in a
     * mapped copy of {@code libhot.so} is overwritten with {@code ud2} in place and the file's mtime
     * put back, but the run is a copy of the recording with its FILE_MAPPED frames at version 1
     * (written before the change time was logged), so the expansion checks size, mtime and inode
     * only, as it says once: it maps the changed code, faults where the recording did not, and
     * stops (a divergence): the expanded run is left incomplete and not linked, and the next
     * command expands again (and fails the same way).
     */
    @Test
    void aFailedExpansionLeavesNoLinkAndTheNextCommandTriesAgain() throws IOException {
        Path db = files.resolve("db");
        Path library = files.resolve("libcopy.so");
        Files.copy(Path.of(Programs.path("libhot.so")), library);
        recordInputs(db, Programs.path("dlopen-host"), library.toString(), "1000");
        copyAsVersion1(db, new RunId(1));
        overwriteMixWithUd2KeepingMtime(library);
        for (String expanded : List.of("r0003", "r0004")) {
            CliRun verify = tracedb(db, "verify", "r0002");
            assertEquals(TraceDbCommand.EXIT_FAILED, verify.status(), verify::toString);
            List<String> err = verify.err().lines().toList();
            assertEquals(3, err.size(), verify::toString);
            assertTrue(err.get(0).matches("tracedb: note: r0002 was recorded before mapped files' change times were"
                    + " logged: its \\d+ mapped file\\(s\\) are checked by size, mtime and inode only .*"), verify::toString);
            assertEquals("tracedb: r0002 holds inputs only; expanding it into " + expanded + " (once)...", err.get(1));
            assertTrue(err.get(2).startsWith("tracedb: ") && err.get(2).endsWith("(expanded run " + expanded + " left incomplete)"),
                    verify::toString);
            assertFalse(ok(db, "runs").out().contains("EXPANDED"), "nothing linked");
        }
        assertTrue(ok(db, "info", "r0002").out().contains("expanded     not yet"));
    }

    /** {@code mix}'s first instruction in the library overwritten with {@code ud2}, in place, its mtime put back. */
    private static void overwriteMixWithUd2KeepingMtime(Path library) throws IOException {
        FileTime recorded = Files.getLastModifiedTime(library);
        long size = Files.size(library);
        ElfImage elf = ElfImage.read(library);
        long mix = elf.symbols().stream().filter(sym -> sym.name().equals("mix") && sym.defined()).findFirst().orElseThrow().value();
        Segment code = elf.segments().stream().filter(seg -> seg.type() == SegmentType.LOAD && seg.contains(mix)).findFirst()
                .orElseThrow();
        try (FileChannel file = FileChannel.open(library, StandardOpenOption.WRITE)) {
            file.write(ByteBuffer.wrap(new byte[] {0x0f, 0x0b}), mix - code.virtualAddress() + code.fileOffset()); // ud2
        }
        Files.setLastModifiedTime(library, recorded);
        assertEquals(size, Files.size(library));
        assertEquals(recorded, Files.getLastModifiedTime(library));
    }

    /**
     * A copy of an inputs run as a build before the change time and device were logged wrote it:
     * every event the same, its FILE_MAPPED frames at version 1 (those two unknown).
     */
    private static void copyAsVersion1(Path dbDir, RunId inputs) {
        try (TraceDatabase db = TraceDatabase.open(dbDir);
             RunReader in = db.openRun(inputs);
             RunWriter copy = db.createRun("version-1", in.started())) {
            copy.inputsOnly();
            in.replay(new EventVisitor() {
                @Override public void syscall(SyscallResult e) { copy.syscall(e.number(), e.args(), e.result()); }
                @Override public void memoryWritten(MemoryWritten e) { copy.memoryWritten(e.address(), e.bytes()); }
                @Override public void timestampRead(TimestampRead e) { copy.timestampRead(e.value(), e.aux(), e.withAux()); }
                @Override public void signal(SignalDelivered e) { copy.signal(e.signo(), e.code(), e.address()); }
                @Override public void fileMapped(FileMapped e) {
                    copy.fileMapped(e.path(), e.size(), e.modifiedNanos(), e.inode(), FileMapped.UNKNOWN, FileMapped.UNKNOWN);
                }
            });
            copy.end(in.ended().orElseThrow().status());
        }
    }

    /**
     * {@code dlopen-host} loads a copy of {@code libhot.so}, recorded inputs-only; then {@code mix}'s
     * first instruction in the copy is overwritten with {@code ud2}, in place, and the file's mtime
     * put back, so its size, mtime and inode are the recorded ones. Its inode change time is not
     * (a write and the utimensat both move it, and nothing sets it back): every command that would
     * expand the run is refused up front, one line naming the file and its ctime then and now, and
     * nothing is created or linked (before the change time was logged, this expanded, faulted where
     * the recording did not, and left an incomplete run).
     */
    @Test
    void aLibraryRewrittenBehindItsMtimeIsRefusedUpFrontByItsChangeTime() throws IOException {
        Path db = files.resolve("db");
        Path library = files.resolve("libcopy.so");
        Files.copy(Path.of(Programs.path("libhot.so")), library);
        recordInputs(db, Programs.path("dlopen-host"), library.toString(), "1000");
        overwriteMixWithUd2KeepingMtime(library);
        for (int attempt = 0; attempt < 2; attempt++) {
            CliRun verify = tracedb(db, "verify", "r0001");
            assertEquals(TraceDbCommand.EXIT_FAILED, verify.status(), verify::toString);
            assertEquals(1, verify.err().lines().count(), verify::toString);
            assertTrue(verify.err().matches("tracedb: the file " + java.util.regex.Pattern.quote(library.toRealPath().toString())
                    + " changed since the inputs were recorded \\(ctime \\d+ ns then, \\d+ ns now\\); the run cannot be"
                    + " expanded\n"), verify::toString);
            assertEquals(List.of("r0001"), runIds(db), "nothing created");
            assertFalse(ok(db, "runs").out().contains("EXPANDED"), "nothing linked");
        }
        assertTrue(ok(db, "info", "r0001").out().contains("expanded     not yet"));
    }

    /**
     * {@code threads} recorded inputs-only ends at its second thread, incomplete: its expansion can
     * only be incomplete, so the commands do not expand it on first use (they would at each
     * command); {@code expand} makes the partial run, which is not linked but reads by its id.
     */
    @Test
    void anInputsRunThatEndedEarlyIsNotExpandedOnFirstUse() {
        Path db = files.resolve("db");
        CliRun record = tracedb(db, "record", "--engine", "inputs", "--env", Programs.TUNABLES, "--", Programs.path("threads"));
        assertTrue(record.err().contains("run r0001 left incomplete"), record::toString);
        String refusal = "tracedb: run r0001 holds its inputs only and its recording ended early (incomplete): its expansion"
                + " would be incomplete too, so it is not expanded on first use; tracedb expand r0001 makes that partial run"
                + " once, to read by its id\n";
        CliRun verify = tracedb(db, "verify", "r0001");
        assertEquals(TraceDbCommand.EXIT_FAILED, verify.status(), verify::toString);
        assertEquals(refusal, verify.err(), verify::toString);
        assertEquals(List.of("r0001"), runIds(db));
        CliRun expand = tracedb(db, "expand", "r0001");
        assertEquals(TraceDbCommand.EXIT_FAILED, expand.status(), expand::toString);
        assertTrue(expand.err().startsWith("tracedb: the program creates a thread")
                && expand.err().endsWith("(expanded run r0002 left incomplete)\n"), expand::toString);
        assertFalse(ok(db, "runs").out().contains("EXPANDED"), "an incomplete run is not linked");
        CliRun partial = ok(db, "verify", "r0002");
        assertTrue(partial.out().startsWith("r0002: clean: "), partial::toString);
    }

    /** A refusal before anything is created: the program file changed since its inputs were recorded. */
    @Test
    void aChangedProgramIsOneLineAndCreatesNothing() throws IOException {
        Path db = files.resolve("db");
        Path program = files.resolve("loops-copy");
        Files.copy(Path.of(Programs.path("loops")), program, StandardCopyOption.COPY_ATTRIBUTES);
        recordInputs(db, program.toString(), "3");
        Files.setPosixFilePermissions(program, PosixFilePermissions.fromString("rwxr-x---")); // changes its ctime
        CliRun replay = tracedb(db, "replay", "r0001", "--count", "5");
        assertEquals(TraceDbCommand.EXIT_FAILED, replay.status(), replay::toString);
        assertEquals(1, replay.err().lines().count(), replay::toString);
        assertTrue(replay.err().startsWith("tracedb: the file " + program + " changed since the inputs were recorded"), replay::toString);
        assertEquals(List.of("r0001"), runIds(db));
        assertFalse(Files.exists(db.resolve("runs/r0001/expanded-as")));
    }

    @Test
    void twoCommandsAtOnceExpandOnce() throws Exception {
        Path db = files.resolve("db");
        recordInputs(db, Programs.path("loops"), LOOPS_ROUNDS);
        CyclicBarrier start = new CyclicBarrier(2);
        List<CompletableFuture<CliRun>> commands = new ArrayList<>();
        for (String[] command : List.of(new String[] {"verify", "r0001"}, new String[] {"loops", "r0001"})) {
            commands.add(CompletableFuture.supplyAsync(() -> {
                try {
                    start.await();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
                return tracedb(db, command);
            }));
        }
        List<CliRun> done = commands.stream().map(CompletableFuture::join).toList();
        for (CliRun run : done) assertEquals(0, run.status(), run::toString);
        assertEquals(1, done.stream().filter(r -> r.err().contains("expanding it into")).count(), "one expansion: " + done);
        assertEquals(1, done.stream().filter(r -> r.err().contains("expanding it into r0002 (once)")).count(), done::toString);
        CliRun other = done.stream().filter(r -> !r.err().contains("expanding it into")).findFirst().orElseThrow();
        assertTrue(other.err().contains("reading r0002, its expansion"), other::toString);
        assertEquals(List.of("r0001", "r0002"), runIds(db));
        assertTrue(done.get(0).out().startsWith("r0002: clean: "), done::toString);
    }

    @Test
    void noExpandRefusesAnUnexpandedRunWithOneLineAndCreatesNothing() {
        Path db = files.resolve("db");
        recordInputs(db, "/bin/true");
        String line = "tracedb: run r0001 holds its inputs only and is not expanded yet (--no-expand or $TRACEDB_NO_EXPAND"
                + " refuses to expand it here): tracedb expand r0001\n";
        for (String[] command : List.of(new String[] {"replay", "--no-expand", "r0001"}, new String[] {"verify", "--no-expand", "r0001"},
                new String[] {"top", "--no-expand", "r0001"}, new String[] {"show", "--no-expand", "r0001", "--block", "0"},
                new String[] {"loops", "--no-expand", "r0001"}, new String[] {"diff", "--no-expand", "r0001", "r0001"},
                new String[] {"export", "--no-expand", "--table", "exec", "-o", files.resolve("exec.arrow").toString(), "r0001"},
                new String[] {"compile", "--no-expand", "-o", files.resolve("c.tcache").toString(), "r0001"})) {
            CliRun refused = tracedb(db, command);
            assertEquals(TraceDbCommand.EXIT_FAILED, refused.status(), refused::toString);
            assertEquals(line, refused.err(), String.join(" ", command) + ": " + refused);
        }
        assertEquals(List.of("r0001"), runIds(db), "nothing was created");
        CliRun syscalls = ok(db, "export", "--table", "syscalls", "--format", "csv", "-o", files.resolve("s.csv").toString(), "r0001");
        assertEquals(List.of("r0001"), runIds(db), "the syscalls of an inputs run are read as they are: " + syscalls);

        ok(db, "expand", "r0001");
        CliRun linked = ok(db, "verify", "--no-expand", "r0001");
        assertTrue(linked.out().startsWith("r0002: clean: "), "an expanded run is read, not refused: " + linked);
    }

    @Test
    void theEnvironmentVariableRefusesUnlessEmptyOrZero() {
        assertFalse(ExpandOption.environmentRefuses(null));
        assertFalse(ExpandOption.environmentRefuses(""));
        assertFalse(ExpandOption.environmentRefuses("0"));
        assertTrue(ExpandOption.environmentRefuses("1"));
        assertTrue(ExpandOption.environmentRefuses("yes"));
    }
}

package dev.tracedb.recorder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tracedb.machine.elf.ElfImage;
import dev.tracedb.store.BlockDefined;
import dev.tracedb.store.EventVisitor;
import dev.tracedb.store.ExitStatus;
import dev.tracedb.store.ModuleMapped;
import dev.tracedb.store.RunReader;
import dev.tracedb.store.RunState;
import dev.tracedb.store.Terminator;
import dev.tracedb.store.TraceDatabase;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The recorder framework around the step engine: what a run's log holds, and how recording stops. */
class RecorderTest {

    @TempDir
    Path tmp;

    @AfterEach
    void noProgramLeftBehind() {
        assertEquals(List.of(), ProcessHandle.current().children().map(p -> p.pid() + " " + p.info().command())
                .toList());
    }

    private RecordOutcome record(TraceDatabase db, List<String> env, String... argv) {
        return new Recorder(db).record(RecordOptions.builder(List.of(argv))
                .launch(l -> l.environment(env).stdout(tmp.resolve("stdout")).stderr(tmp.resolve("stderr"))).build(),
                new Progress());
    }

    @Test
    void aStaticProgramIsOneModuleWithItsBuildIdAndBlocksRelativeToIt() {
        String program = TestPrograms.program("counted");
        try (TraceDatabase db = TraceDatabase.open(tmp.resolve("db"))) {
            Progress progress = new Progress();
            RecordOutcome outcome = new Recorder(db).record(RecordOptions.builder(List.of(program))
                    .launch(l -> l.environment(TestPrograms.ENV)).build(), progress);
            assertEquals(ExitStatus.exited(0), outcome.status());
            assertEquals(210, outcome.instructions());
            assertEquals(210, progress.instructions(), "the last progress is the final count");
            assertEquals(1, outcome.modules());

            List<ModuleMapped> modules = new ArrayList<>();
            List<BlockDefined> blocks = new ArrayList<>();
            try (RunReader reader = db.openRun(outcome.runId())) {
                reader.replay(new EventVisitor() {
                    @Override
                    public void moduleMapped(ModuleMapped event) {
                        modules.add(event);
                    }

                    @Override
                    public void blockDefined(BlockDefined event) {
                        blocks.add(event);
                    }
                });
                assertEquals(List.of("/usr/bin:/bin"), reader.started().environment().stream()
                        .filter(e -> e.startsWith("PATH=")).map(e -> e.substring(5)).toList());
            }
            ModuleMapped module = modules.get(0);
            ElfImage elf = ElfImage.read(Path.of(program));
            assertEquals(program, module.path());
            assertEquals(0x400000, module.base());
            assertArrayEquals(HexFormat.of().parseHex(elf.buildId().orElseThrow()), module.buildId());
            assertEquals(32, module.contentHash().length);
            // from the entry through the first jnz, the loop body (entered at dec), up to the call, f,
            // the exit sequence: each defined once, however often it ran
            assertEquals(List.of(Terminator.CONDITIONAL, Terminator.CONDITIONAL, Terminator.CALL, Terminator.RETURN,
                    Terminator.SYSCALL),
                    blocks.stream().map(BlockDefined::terminator).toList());
            assertEquals(elf.entry() - 0x400000, blocks.get(0).offset());
        }
    }

    /**
     * A process created with CLONE_UNTRACED could not be followed (nor stepped aside for: it would
     * start in the code cache): refused before it exists, the program killed, the run incomplete.
     */
    @Test
    void anUnsupportedSyscallKillsTheProgramAndLeavesTheRunIncomplete() throws java.io.IOException {
        try (TraceDatabase db = TraceDatabase.open(tmp.resolve("db"))) {
            RecordingFailedException e = assertThrows(RecordingFailedException.class,
                    () -> record(db, TestPrograms.ENV, TestPrograms.program("threads-static"), "untraced"));
            assertTrue(e.getMessage().contains("the program creates a process with CLONE_UNTRACED (clone)"), e.getMessage());
            assertEquals(RunState.INCOMPLETE, db.find(e.runId()).orElseThrow().state());
            assertEquals("", java.nio.file.Files.readString(tmp.resolve("stdout")), "killed before the clone ran");
        }
    }

    /**
     * Without the glibc tunables, libc picks AVX-512 string functions whose opmask instructions
     * Capstone 4.0.2 cannot decode: the recording must then stop at the first one with a clear
     * message (or, once the decoder has its fallback, record the program completely).
     */
    @Test
    void anUndecodableInstructionStopsTheRecordingClearly() {
        try (TraceDatabase db = TraceDatabase.open(tmp.resolve("db"))) {
            try {
                RecordOutcome outcome = record(db, List.of("PATH=/usr/bin:/bin"), "/bin/true");
                assertEquals(ExitStatus.exited(0), outcome.status(), "recorded completely: the decoder knows them now");
            } catch (RecordingFailedException e) {
                assertTrue(e.getMessage().matches("recording stopped: execution reached an instruction the decoder does not know,"
                        + " at libc\\.so\\.6\\+0x[0-9a-f]+: cannot decode .*"), e.getMessage());
                assertEquals(RunState.INCOMPLETE, db.find(e.runId()).orElseThrow().state());
            }
        }
    }
}

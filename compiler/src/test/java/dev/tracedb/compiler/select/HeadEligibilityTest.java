package dev.tracedb.compiler.select;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tracedb.compiler.Recordings;
import dev.tracedb.compiler.TraceChecks;
import dev.tracedb.compiler.mining.BlockCatalog;
import dev.tracedb.compiler.mining.BlockProfile;
import dev.tracedb.compiler.mining.ProgressListener;
import dev.tracedb.machine.x86.decode.BasicBlock;
import dev.tracedb.machine.x86.decode.Decoder;
import dev.tracedb.machine.x86.decode.Instruction;
import dev.tracedb.store.RunReader;
import dev.tracedb.store.Terminator;
import dev.tracedb.store.TraceDatabase;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Head-patch safety for every block of a real lua5.4 recording (program, ld.so, libc, the vDSO),
 * judged against an independent computation: the block's instructions by the decoder, every block
 * start of the log, the instruction boundaries of blocks that run through a head, and objdump's
 * branch targets and return addresses.
 */
class HeadEligibilityTest {
    @TempDir
    Path tmp;

    @Test
    void aBlockIsAnEligibleHeadOnlyIfItsPatchBytesAreProvablyUnreachableFromElsewhere() {
        try (TraceDatabase db = TraceDatabase.open(tmp.resolve("db"));
             Decoder decoder = Decoder.open()) {
            Recordings.Recorded recorded = Recordings.record(db, tmp, "/usr/bin/lua5.4", "-e",
                    String.format(Recordings.LUA_LOOP, 2000));
            try (RunReader run = db.openRun(recorded.run())) {
                BlockCatalog catalog = new BlockCatalog();
                BlockProfile.mine(List.of(run), catalog, ProgressListener.NONE);
                HeadEligibility eligibility = new HeadEligibility(catalog, decoder);
                Map<Integer, TreeSet<Long>> starts = new HashMap<>();
                Map<Integer, TreeSet<Long>> targets = new HashMap<>();
                for (int b = 0; b < catalog.size(); b++) {
                    starts.computeIfAbsent(catalog.moduleOf(b), m -> new TreeSet<>()).add(catalog.offset(b));
                }
                int eligible = 0;
                int overcautious = 0;
                for (int b = 0; b < catalog.size(); b++) {
                    int module = catalog.moduleOf(b);
                    String path = catalog.moduleInfo(module).path();
                    String why = eligibility.whyNot(b);
                    Terminator terminator = catalog.terminator(b);
                    long offset = catalog.offset(b);
                    BasicBlock decoded = decoder.decodeBlock(catalog.bytes(b), offset, offset);
                    int patch = 0;
                    for (Instruction i : decoded.instructions()) {
                        if (patch >= 5) break;
                        patch += i.length();
                    }
                    boolean safe = terminator != Terminator.SYSCALL && terminator != Terminator.OTHER && patch >= 5
                            && starts.get(module).subSet(offset + 1, offset + patch).isEmpty()
                            && path.startsWith("/");
                    for (int other = 0; safe && other < catalog.size(); other++) {
                        long start = catalog.offset(other);
                        if (catalog.moduleOf(other) == module && start < offset
                                && start + catalog.length(other) > offset) {
                            // a block falling through the head must meet it at an instruction boundary
                            safe = decoder.decodeBlock(catalog.bytes(other), start, start).instructions().stream()
                                    .anyMatch(i -> i.address() == offset);
                        }
                    }
                    if (safe) {
                        TreeSet<Long> statics = targets.computeIfAbsent(module,
                                m -> TraceChecks.objdumpTargets(Path.of(path)));
                        safe = statics.subSet(offset + 1, offset + patch).isEmpty();
                    }
                    if (!safe) {
                        assertNotNull(why, "block at " + catalog.address(b) + " in " + path + " is refused as a head");
                    } else if (why == null) {
                        eligible++;
                    } else {
                        overcautious++;
                    }
                }
                assertTrue(eligible > catalog.size() / 4, eligible + " of " + catalog.size() + " blocks may be heads");
                // The scan decodes the same bytes as objdump, so it refuses nothing objdump would allow.
                assertEquals(0, overcautious);
            }
        }
    }
}

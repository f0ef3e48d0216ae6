package dev.tracedb.recorder.expand;

import dev.tracedb.store.BlockDefined;
import dev.tracedb.store.EventVisitor;
import dev.tracedb.store.ExecBatchHeader;
import dev.tracedb.store.ModuleMapped;
import dev.tracedb.store.RunId;
import dev.tracedb.store.RunReader;
import dev.tracedb.store.SignalDelivered;
import dev.tracedb.store.SyscallResult;
import dev.tracedb.store.TraceDatabase;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A run's execution as the code it ran, independent of its block ids: for each block event, the
 * block's module file, offset, instruction count and bytes. Equal streams of two runs of the same
 * program at the same addresses (ASLR off) mean the same instructions at the same addresses in
 * the same order. Kept as a digest and a count, and line by line for the first {@link #KEPT}
 * events, so that a difference shows where it starts.
 *
 * @param events       block events
 * @param instructions instructions they make
 * @param digest       a polynomial hash of the sequence of blocks
 * @param head         the first {@link #KEPT} block events as text
 * @param syscalls     the syscalls in order, as text (number, arguments, result)
 * @param inputs       the syscalls and the signals in log order, as text, so that each signal's place
 *                     among the syscalls shows (a signal as number, si_code and address)
 */
record BlockStream(long events, long instructions, long digest, List<String> head, List<String> syscalls,
                   List<String> inputs) {
    static final int KEPT = 200_000;

    static BlockStream of(TraceDatabase db, RunId run) {
        Map<Integer, String> modules = new HashMap<>();
        Map<Integer, String> blocks = new HashMap<>();
        Map<Integer, Integer> lengths = new HashMap<>();
        List<String> head = new ArrayList<>();
        List<String> syscalls = new ArrayList<>();
        List<String> inputs = new ArrayList<>();
        long[] totals = new long[3]; // events, instructions, digest
        try (RunReader reader = db.openRun(run)) {
            reader.replay(new EventVisitor() {
                @Override
                public void moduleMapped(ModuleMapped m) {
                    modules.put(m.moduleId(), m.path());
                }

                @Override
                public void blockDefined(BlockDefined b) {
                    blocks.put(b.blockId(), modules.get(b.moduleId()) + "+0x" + Long.toHexString(b.offset()) + " "
                            + b.instructionCount() + " insns " + Integer.toHexString(Arrays.hashCode(b.bytes())));
                    lengths.put(b.blockId(), b.instructionCount());
                }

                @Override
                public void execBatch(ExecBatchHeader header, int[] ids) {
                    for (int i = 0; i < header.eventCount(); i++) {
                        String block = blocks.get(ids[i]);
                        totals[0]++;
                        totals[1] += lengths.get(ids[i]);
                        totals[2] = totals[2] * 1_000_003 + block.hashCode();
                        if (head.size() < KEPT) {
                            head.add(block);
                        }
                    }
                }

                @Override
                public void syscall(SyscallResult s) {
                    String call = s.number() + " " + Arrays.toString(s.args()) + " = " + s.result();
                    syscalls.add(call);
                    inputs.add("syscall " + call);
                }

                @Override
                public void signal(SignalDelivered s) {
                    inputs.add("signal " + s.signo() + " code " + s.code() + " at 0x" + Long.toHexString(s.address()));
                }
            });
        }
        return new BlockStream(totals[0], totals[1], totals[2], head, syscalls, inputs);
    }

    /** The first block event at which the two heads differ, with both blocks; or "none". */
    String firstDifference(BlockStream other) {
        for (int i = 0; i < Math.min(head.size(), other.head.size()); i++) {
            if (!head.get(i).equals(other.head.get(i))) {
                return "block event " + i + ": " + head.get(i) + " vs " + other.head.get(i);
            }
        }
        return head.size() == other.head.size() ? "none in the first " + head.size() : "one head is shorter";
    }
}

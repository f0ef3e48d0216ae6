package dev.tracedb.recorder.dbi;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Keeps everything the engine reports, in memory: the test-side stand-in for a run log. */
final class CollectingSink implements EventSink {
    final List<Fragment> blocks = new ArrayList<>();
    final List<Integer> syscalls = new ArrayList<>();
    final List<Integer> signals = new ArrayList<>();
    private int[] events = new int[1 << 16];
    private int eventCount;

    @Override
    public void blockDefined(Fragment block) {
        if (block.id() != blocks.size()) {
            throw new AssertionError("block ids must be dense and in order: " + block);
        }
        blocks.add(block);
    }

    @Override
    public void executed(int[] ids, int count) {
        if (eventCount + count > events.length) {
            events = Arrays.copyOf(events, Math.max(events.length * 2, eventCount + count));
        }
        for (int i = 0; i < count; i++) {
            if (ids[i] < 0 || ids[i] >= blocks.size()) {
                throw new AssertionError("event for undefined block " + ids[i] + " at " + (eventCount + i));
            }
        }
        System.arraycopy(ids, 0, events, eventCount, count);
        eventCount += count;
    }

    @Override
    public void syscall(int number, long[] args, long result) {
        syscalls.add(number);
    }

    @Override
    public void signal(int signo, int code, long address) {
        signals.add(signo);
    }

    int eventCount() {
        return eventCount;
    }

    /** The block of the last event. */
    Fragment lastExecuted() {
        return blocks.get(events[eventCount - 1]);
    }

    /** The executed instructions' addresses, block events expanded with each block's instruction list. */
    long[] instructionStream() {
        long total = 0;
        for (int i = 0; i < eventCount; i++) {
            total += blocks.get(events[i]).instructionCount();
        }
        long[] out = new long[Math.toIntExact(total)];
        int pos = 0;
        for (int i = 0; i < eventCount; i++) {
            long[] addresses = blocks.get(events[i]).instructionAddresses();
            System.arraycopy(addresses, 0, out, pos, addresses.length);
            pos += addresses.length;
        }
        return out;
    }
}

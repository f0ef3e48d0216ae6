package dev.tracedb.recorder.inputs;

import dev.tracedb.store.EventVisitor;
import dev.tracedb.store.FileMapped;
import dev.tracedb.store.MemoryWritten;
import dev.tracedb.store.RunId;
import dev.tracedb.store.RunInfo;
import dev.tracedb.store.RunReader;
import dev.tracedb.store.SignalDelivered;
import dev.tracedb.store.SyscallResult;
import dev.tracedb.store.TimestampRead;
import dev.tracedb.store.TraceDatabase;
import java.util.ArrayList;
import java.util.List;

/** What a run's log holds, read back through the store: its events in order, and each kind apart. */
final class InputsLog {
    /** Syscalls whose result is a process or thread id, different in every run. */
    private static final List<Integer> PID_RESULTS = List.of(39, 186, 218, 56, 57, 58, 435, 61, 110);
    /** times returns clock ticks since boot: a time, different in every run. */
    private static final int TIMES = 100;

    final List<Object> events;
    final List<SyscallResult> syscalls;
    final List<MemoryWritten> memory;
    final List<FileMapped> files;
    final List<TimestampRead> timestamps;
    final List<SignalDelivered> signals;
    final RunInfo info;

    private InputsLog(RunInfo info, List<Object> events) {
        this.info = info;
        this.events = List.copyOf(events);
        syscalls = only(SyscallResult.class);
        memory = only(MemoryWritten.class);
        files = only(FileMapped.class);
        timestamps = only(TimestampRead.class);
        signals = only(SignalDelivered.class);
    }

    static InputsLog read(TraceDatabase db, RunId run) {
        try (RunReader reader = db.openRun(run)) {
            List<Object> events = new ArrayList<>();
            reader.replay(new EventVisitor() {
                @Override
                public void syscall(SyscallResult s) {
                    events.add(s);
                }

                @Override
                public void memoryWritten(MemoryWritten m) {
                    events.add(m);
                }

                @Override
                public void fileMapped(FileMapped f) {
                    events.add(f);
                }

                @Override
                public void timestampRead(TimestampRead t) {
                    events.add(t);
                }

                @Override
                public void signal(SignalDelivered s) {
                    events.add(s);
                }
            });
            return new InputsLog(reader.info(), events);
        }
    }

    /** The events of one kind, in order. */
    private <T> List<T> only(Class<T> kind) {
        return events.stream().filter(kind::isInstance).map(kind::cast).toList();
    }

    /** "number = result" per syscall, "PID" for results that are process ids, "TIME" for a time. */
    List<String> syscallResults() {
        return syscalls.stream()
                .map(s -> s.number() + " = " + (PID_RESULTS.contains(s.number()) ? "PID"
                        : s.number() == TIMES ? "TIME" : Long.toString(s.result())))
                .toList();
    }

    /** The bytes logged right after this very {@code syscall} event (two identical reads are two events), concatenated. */
    byte[] writtenAfter(SyscallResult syscall) {
        int at = 0;
        while (events.get(at) != syscall) {
            at++;
        }
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        for (int i = at + 1; i < events.size() && events.get(i) instanceof MemoryWritten m; i++) {
            bytes.writeBytes(m.bytes());
        }
        return bytes.toByteArray();
    }
}

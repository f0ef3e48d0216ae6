package dev.tracedb.recorder.dbi;

import dev.tracedb.store.FileMapped;
import dev.tracedb.store.MemoryWritten;
import dev.tracedb.store.SignalDelivered;
import dev.tracedb.store.SyscallResult;
import dev.tracedb.store.TimestampRead;
import java.util.List;

/**
 * What an inputs-only run recorded, handed to an expansion in log order, one input at a time: a
 * syscall with the bytes the kernel wrote for it (and the file it mapped), a timestamp read, or a
 * signal delivery. Implementations stream the run rather than hold it.
 *
 * <p>Used from one thread, the expansion's tracer thread.
 */
public interface RecordedInputs {
    /** One input of the recorded program. */
    sealed interface Input permits Syscall, Timestamp, Delivery {}

    /**
     * A recorded syscall.
     *
     * @param call    its number, arguments and result
     * @param written the bytes the kernel wrote into the program's memory for it, in order
     * @param file    for an mmap of a file: which file it was; else null
     */
    record Syscall(SyscallResult call, List<MemoryWritten> written, FileMapped file) implements Input {
        public Syscall {
            written = List.copyOf(written);
        }
    }

    /** A recorded rdtsc or rdtscp. */
    record Timestamp(TimestampRead read) implements Input {}

    /** A recorded signal delivery. */
    record Delivery(SignalDelivered signal) implements Input {}

    /**
     * Whether the run logged any rdtsc/rdtscp read. When it did, the expansion plays them (its
     * translator makes each one fault, {@link TimestampReads}). When it did not, either none ran,
     * or the recording machine did not trap them (some hypervisors accept {@code PR_SET_TSC} and let
     * rdtsc run natively): then the expansion's reads run natively too, the only values there are.
     */
    boolean holdsTimestampReads();

    /** The next input, or null after the last one the run holds. */
    Input next();

    /** The input {@link #next} will return, without taking it; null at the end. */
    Input peek();

    /**
     * Once {@link #peek} returned null: whether the recording stopped at a point after the last
     * input that its log cannot place (a signal between syscalls), so that nothing after that
     * input may be re-executed.
     */
    boolean stopsAtLastInput();
}

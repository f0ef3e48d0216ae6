package dev.tracedb.recorder.expand;

import dev.tracedb.recorder.dbi.RecordedInputs;
import dev.tracedb.store.EventVisitor;
import dev.tracedb.store.FileMapped;
import dev.tracedb.store.MemoryWritten;
import dev.tracedb.store.RunId;
import dev.tracedb.store.RunReader;
import dev.tracedb.store.SignalDelivered;
import dev.tracedb.store.SyscallResult;
import dev.tracedb.store.TimestampRead;
import dev.tracedb.store.TraceDatabase;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * The inputs of an inputs-only run, streamed in log order ({@link RecordedInputs}): a reader
 * thread replays the run and groups each syscall with the MemoryWritten and FileMapped events
 * that follow it, handing them over through a small bounded queue, so a long run is never held in
 * memory. The bytes written before the first syscall (AT_RANDOM) are not inputs of the stream:
 * they are written at the start ({@link InputsScan#initialWrites}).
 *
 * <p>{@link #next} is for one consumer thread; {@link #close} stops the reader thread.
 */
final class InputsStream implements RecordedInputs, AutoCloseable {
    /** Inputs read ahead at most: a few reads' worth of bytes, whatever the run's length. */
    private static final int AHEAD = 64;
    private static final Object END = new Object();

    private final BlockingQueue<Object> queue = new ArrayBlockingQueue<>(AHEAD);
    private final Thread reader;
    private boolean ended;
    /** Set by the reader thread before it queues END (the queue orders it before the consumer sees END). */
    private volatile boolean unplacedStop;
    /** The input taken from the queue by {@link #peek} and not yet by {@link #next}. */
    private Input peeked;

    private final boolean holdsTimestampReads;

    private InputsStream(TraceDatabase database, RunId run, boolean holdsTimestampReads) {
        this.holdsTimestampReads = holdsTimestampReads;
        reader = new Thread(() -> read(database, run), "tracedb-expand-inputs");
        reader.setDaemon(true);
        reader.start();
    }

    /** Starts streaming {@code run}'s inputs; {@code scan} is its {@link InputsScan}. */
    static InputsStream open(TraceDatabase database, RunId run, InputsScan scan) {
        return new InputsStream(database, run, scan.timestampReads() > 0);
    }

    @Override
    public boolean holdsTimestampReads() {
        return holdsTimestampReads;
    }

    @Override
    public Input peek() {
        if (peeked == null) {
            peeked = take();
        }
        return peeked;
    }

    @Override
    public boolean stopsAtLastInput() {
        return unplacedStop;
    }

    @Override
    public Input next() {
        Input next = peek();
        peeked = null;
        return next;
    }

    private Input take() {
        if (ended) {
            return null;
        }
        Object item;
        try {
            item = queue.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while reading the inputs run", e);
        }
        if (item == END) {
            ended = true;
            return null;
        }
        if (item instanceof RuntimeException failure) {
            ended = true;
            throw new IllegalStateException("reading the inputs run failed: " + failure.getMessage(), failure);
        }
        return (Input) item;
    }

    private void read(TraceDatabase database, RunId run) {
        try (RunReader reader = database.openRun(run)) {
            Grouper grouper = new Grouper();
            reader.replay(grouper);
            grouper.flush();
            put(END);
        } catch (Stopped stopped) {
            // closed by the consumer
        } catch (RuntimeException e) {
            try {
                put(e);
            } catch (Stopped stopped) {
                // closed by the consumer
            }
        }
    }

    private void put(Object item) {
        try {
            queue.put(item);
        } catch (InterruptedException e) {
            throw new Stopped();
        }
    }

    /** Groups a syscall with the events that describe its effects, in log order. */
    private final class Grouper implements EventVisitor {
        private SyscallResult call;
        private final List<MemoryWritten> written = new ArrayList<>();
        private FileMapped file;

        @Override
        public void syscall(SyscallResult event) {
            flush();
            call = event;
        }

        @Override
        public void memoryWritten(MemoryWritten event) {
            if (call != null) {
                written.add(event);
            }
        }

        @Override
        public void fileMapped(FileMapped event) {
            if (call != null) {
                file = event;
            }
        }

        @Override
        public void timestampRead(TimestampRead event) {
            flush();
            put(new Timestamp(event));
        }

        @Override
        public void signal(SignalDelivered event) {
            flush();
            put(new Delivery(event));
        }

        @Override
        public void unplacedStop() {
            unplacedStop = true;
        }

        void flush() {
            if (call != null) {
                put(new Syscall(call, written, file));
                call = null;
                written.clear();
                file = null;
            }
        }
    }

    /** Ends the reader thread's replay when the consumer closes the stream. */
    private static final class Stopped extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Stopped() {
            super(null, null, false, false);
        }
    }

    @Override
    public void close() {
        reader.interrupt();
        try {
            reader.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

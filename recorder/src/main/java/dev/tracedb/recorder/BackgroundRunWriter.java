package dev.tracedb.recorder;

import dev.tracedb.store.BlockDefined;
import dev.tracedb.store.ExitStatus;
import dev.tracedb.store.ModuleMapped;
import dev.tracedb.store.RunEnded;
import dev.tracedb.store.RunId;
import dev.tracedb.store.RunWriter;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.Function;

/**
 * A run writer that writes on a thread of its own, so that compressing and appending execution
 * batches overlaps the program's execution instead of stopping it: the DBI engine's drain (ring
 * to log) costs a few nanoseconds per block event, seconds per billion, and the tracee would be
 * stopped all that time.
 *
 * <p>Every call is a command applied to the underlying writer in call order, on the writer
 * thread, so the log is exactly the one the underlying writer would write if called directly.
 * Block events are gathered on the caller's side into chunks of {@link #CHUNK_EVENTS}; any other
 * call first sends the events gathered since the last one (the writer thread reads that slice
 * while the caller goes on filling the rest of the chunk), and a full chunk is sent and replaced.
 *
 * <p>Commands travel in batches: handing one over wakes the writer thread (a futex call, tens of
 * microseconds on a loaded machine), too much per block definition while a program warms up. A
 * batch goes when a chunk is full, when {@link #MAX_BATCH} commands are waiting, at the first
 * call after the oldest has waited {@link #MAX_DELAY_NANOS}, and before any question or the close.
 *
 * <p>Memory is bounded: at most {@link #CHUNKS} chunks exist; when the writer thread falls that
 * far behind, the caller waits for a free one (backpressure on the program, never a lost event).
 * Events can also be handed over where the caller keeps them ({@link #appendExec(ByteBuffer,
 * Runnable)}: the DBI engine's ring), read in place on the writer thread and released by a
 * callback; then the caller bounds that memory and waits for its release.
 *
 * <p>Errors: a failure of the underlying writer (say, the disk is full, or an event names an
 * undefined block) is kept and thrown, as it was, by the caller's next call; later commands are
 * then not applied. {@link #blockEvents}, {@link #instructions} and {@link #end} wait for the
 * writer thread to catch up. {@link #close} sends what is gathered, waits for the thread to end
 * and closes the underlying writer.
 *
 * <p>Progress: after each chunk the writer thread publishes the log's counts to the
 * {@link Progress} given, which thus has one writer, this thread.
 *
 * <p>Thread-safety: one caller thread at a time (like any {@link RunWriter}); the writer thread
 * is this class's own. The underlying writer is used only by the writer thread, and by the
 * caller after {@link #close} has joined it.
 */
public final class BackgroundRunWriter implements RunWriter {
    /** Events per chunk: 4 MiB of ids, about one ring's worth for a few chunks. */
    static final int CHUNK_EVENTS = 1 << 20;
    /** Chunks in existence, filling, queued or being written: 24 MiB at most. */
    static final int CHUNKS = 6;
    /** Commands gathered before they are handed over as one batch. */
    static final int MAX_BATCH = 4096;
    /** How long a gathered command waits for more before the next call hands its batch over. */
    static final long MAX_DELAY_NANOS = 100_000_000L;

    private interface Command {
        void apply(RunWriter log);
    }

    /** Ends the writer thread. */
    private static final Command STOP = log -> { };

    private final RunWriter log;
    private final Progress progress;
    private final BlockingQueue<List<Command>> batches = new LinkedBlockingQueue<>();
    /** Commands not handed over yet, and when the first of them was gathered. */
    private List<Command> gathered = new ArrayList<>();
    private long gatheredSince;
    private final BlockingQueue<int[]> freeChunks = new ArrayBlockingQueue<>(CHUNKS);
    private final Thread thread;
    /** The writer thread's first failure; set once, read by the caller. */
    private volatile Throwable failure;
    private int[] chunk;
    /** Events in {@link #chunk}: {@code [0, sent)} are sent, {@code [sent, filled)} gathered. */
    private int sent;
    private int filled;
    private boolean closed;

    /**
     * Starts the writer thread for {@code log}, which from now on belongs to it until
     * {@link #close}; {@code progress} (or null) gets the log's counts after every chunk.
     */
    public BackgroundRunWriter(RunWriter log, Progress progress) {
        this.log = Objects.requireNonNull(log);
        this.progress = progress;
        for (int i = 0; i < CHUNKS - 1; i++) {
            freeChunks.add(new int[CHUNK_EVENTS]);
        }
        this.chunk = new int[CHUNK_EVENTS];
        this.thread = new Thread(this::run, "tracedb-log-writer");
        thread.setDaemon(true);
        thread.start();
    }

    private void run() {
        while (true) {
            List<Command> batch;
            try {
                batch = batches.take();
            } catch (InterruptedException e) {
                // Nobody interrupts this thread but a dying JVM: stop, what is written is written.
                return;
            }
            for (Command command : batch) {
                if (command == STOP) {
                    return;
                }
                execute(command);
            }
        }
    }

    private void execute(Command command) {
        try {
            if (failure == null) {
                command.apply(log);
            } else if (command instanceof Sync sync) {
                sync.fail(failure);
            }
        } catch (Throwable t) {
            failure = t;
            if (command instanceof Sync sync) {
                sync.fail(t);
            }
        } finally {
            if (command instanceof Exec exec && exec.release) {
                freeChunks.add(exec.ids);
            } else if (command instanceof SharedExec shared) {
                try {
                    shared.written.run();
                } catch (Throwable t) {
                    // Kept like the writer's own failures: this thread must live on to answer the caller.
                    if (failure == null) {
                        failure = t;
                    }
                }
            }
        }
    }

    /** Block events read where the caller keeps them; {@code written} runs once they are read. */
    private static final class SharedExec implements Command {
        private final ByteBuffer ids;
        private final Runnable written;
        private final Progress progress;

        SharedExec(ByteBuffer ids, Runnable written, Progress progress) {
            this.ids = ids;
            this.written = written;
            this.progress = progress;
        }

        @Override
        public void apply(RunWriter log) {
            log.appendExec(ids);
            if (progress != null) {
                progress.publish(log.blockEvents(), log.instructions(), 0);
            }
        }
    }

    /** Block events {@code ids[from, to)}; the last slice of a chunk releases it to the pool. */
    private final class Exec implements Command {
        private final int[] ids;
        private final int from;
        private final int to;
        private final boolean release;

        Exec(int[] ids, int from, int to, boolean release) {
            this.ids = ids;
            this.from = from;
            this.to = to;
            this.release = release;
        }

        @Override
        public void apply(RunWriter log) {
            log.appendExec(ids, from, to - from);
            if (progress != null) {
                progress.publish(log.blockEvents(), log.instructions(), 0);
            }
        }
    }

    /** A question for the underlying writer, answered on the writer thread. */
    private static final class Sync implements Command {
        private final Function<RunWriter, Object> question;
        private final CompletableFuture<Object> answer = new CompletableFuture<>();

        Sync(Function<RunWriter, Object> question) {
            this.question = question;
        }

        @Override
        public void apply(RunWriter log) {
            answer.complete(question.apply(log));
        }

        void fail(Throwable t) {
            answer.completeExceptionally(t);
        }
    }

    @Override
    public RunId id() {
        return log.id();
    }

    @Override
    public void moduleMapped(ModuleMapped event) {
        sendGathered();
        send(log -> log.moduleMapped(event));
    }

    @Override
    public void defineBlock(BlockDefined event) {
        sendGathered();
        send(log -> log.defineBlock(event));
    }

    @Override
    public void appendExec(int blockId) {
        checkUsable();
        chunk[filled++] = blockId;
        if (filled == chunk.length) {
            sendFullChunk();
        }
    }

    @Override
    public void appendExec(int[] ids, int off, int len) {
        checkUsable();
        Objects.checkFromIndexSize(off, len, ids.length);
        while (len > 0) {
            int n = Math.min(len, chunk.length - filled);
            System.arraycopy(ids, off, chunk, filled, n);
            filled += n;
            off += n;
            len -= n;
            if (filled == chunk.length) {
                sendFullChunk();
            }
        }
    }

    /**
     * Block events {@code ids} (its remaining bytes, 4 little-endian bytes each: see
     * {@link RunWriter#appendExec(ByteBuffer)}), read on the writer thread where they are instead of
     * copied here: the caller must leave them as they are until {@code written} has run.
     * It runs exactly once, on the writer thread when they have been given to the underlying writer
     * (or skipped after a failure), or here if this call throws. The view is handed over at once,
     * so the caller may wait for {@code written}.
     */
    public void appendExec(ByteBuffer ids, Runnable written) {
        boolean sent = false;
        try {
            sendGathered();
            gathered.add(new SharedExec(ids.duplicate(), written, progress));
            sent = true;
            handOver();
        } finally {
            if (!sent) {
                written.run();
            }
        }
    }

    @Override
    public void syscall(int number, long[] args, long result) {
        long[] copy = args.clone();
        sendGathered();
        send(log -> log.syscall(number, copy, result));
    }

    @Override
    public void signal(int signo, int code, long address) {
        sendGathered();
        send(log -> log.signal(signo, code, address));
    }

    @Override
    public void probeSites(java.util.List<dev.tracedb.store.ProbeSite> sites, long firstEvent) {
        java.util.List<dev.tracedb.store.ProbeSite> copy = java.util.List.copyOf(sites);
        sendGathered();
        send(log -> log.probeSites(copy, firstEvent));
    }

    @Override
    public void probeSamples(long[] blockEvents, int[] sites, long[] values, int count, long coveredTo) {
        // Copied: the caller reuses its arrays as soon as this returns.
        long[] events = java.util.Arrays.copyOf(blockEvents, count);
        int[] siteCopy = java.util.Arrays.copyOf(sites, count);
        long[] valueCopy = java.util.Arrays.copyOf(values, count);
        sendGathered();
        send(log -> log.probeSamples(events, siteCopy, valueCopy, count, coveredTo));
    }

    @Override
    public void probeWindowEnd(long endEvent, boolean cutOff) {
        sendGathered();
        send(log -> log.probeWindowEnd(endEvent, cutOff));
    }

    @Override
    public void flush() {
        sendGathered();
        send(RunWriter::flush);
    }

    @Override
    public long blockEvents() {
        sendGathered();
        return (Long) ask(RunWriter::blockEvents);
    }

    @Override
    public long instructions() {
        sendGathered();
        return (Long) ask(RunWriter::instructions);
    }

    @Override
    public RunEnded end(ExitStatus status) {
        sendGathered();
        return (RunEnded) ask(log -> log.end(status));
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (failure == null && filled > sent) {
                gathered.add(new Exec(chunk, sent, filled, true));
                sent = filled;
            }
        } finally {
            gathered.add(STOP);
            handOver();
            boolean interrupted = false;
            while (thread.isAlive()) {
                try {
                    thread.join();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
            log.close();
        }
    }

    /** Sends the events gathered since the last call, keeping the chunk to fill on. */
    private void sendGathered() {
        checkUsable();
        if (filled > sent) {
            send(new Exec(chunk, sent, filled, false));
            sent = filled;
        }
    }

    /** Sends the rest of the full chunk and takes a free one (waiting for one if need be). */
    private void sendFullChunk() {
        gathered.add(new Exec(chunk, sent, filled, true));
        handOver();
        sent = 0;
        filled = 0;
        try {
            chunk = freeChunks.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the log writer", e);
        }
    }

    private void send(Command command) {
        checkUsable();
        if (gathered.isEmpty()) {
            gatheredSince = System.nanoTime();
        }
        gathered.add(command);
        if (gathered.size() >= MAX_BATCH || System.nanoTime() - gatheredSince > MAX_DELAY_NANOS) {
            handOver();
        }
    }

    /** Hands the gathered commands to the writer thread, in one queue operation. */
    private void handOver() {
        if (!gathered.isEmpty()) {
            batches.add(gathered);
            gathered = new ArrayList<>();
        }
    }

    private Object ask(Function<RunWriter, Object> question) {
        Sync sync = new Sync(question);
        send(sync);
        handOver();
        try {
            return sync.answer.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the log writer", e);
        } catch (ExecutionException e) {
            throw rethrow(e.getCause());
        }
    }

    private void checkUsable() {
        if (closed) {
            throw new IllegalStateException("run " + log.id() + " writer is closed");
        }
        Throwable t = failure;
        if (t != null) {
            throw rethrow(t);
        }
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            throw r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        throw new IllegalStateException(t);
    }
}

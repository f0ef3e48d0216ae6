package dev.tracedb.machine.linux;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The one thread that makes every ptrace and waitpid call for its tracees.
 *
 * <p>Linux ties a tracee to the tracer <em>thread</em> that attached it: ptrace requests from any
 * other thread fail with ESRCH, and when that thread ends the kernel detaches (or, with
 * EXITKILL, kills) its tracees. So each {@code Tracer} owns a dedicated platform thread and runs
 * submitted tasks on it one at a time, in submission order.
 *
 * <p>Thread-safety: every method may be called from any thread. {@link #call} runs the task
 * inline when the caller already is the tracer thread, so tasks may call back into the tracer
 * and into {@link Tracee} methods freely; batch many ptrace operations into one task for speed,
 * since each hand-off between threads costs a wake-up (tens of microseconds on these machines).
 * While the tracer thread blocks in a wait for a running tracee, other tasks queue behind it;
 * {@link Tracee#kill()} does not need the tracer thread and ends such a wait.
 */
public final class Tracer implements AutoCloseable {
    private static final long SHUTDOWN_GRACE_MS = 2_000;

    private final Thread thread;
    private final BlockingQueue<Runnable> queue = new LinkedBlockingQueue<>();
    private final Map<Integer, Tracee> tracees = new ConcurrentHashMap<>();
    private volatile boolean closed;
    private volatile boolean running = true;

    private Tracer(String name, int cpu) {
        CompletableFuture<Void> started = new CompletableFuture<>();
        thread = new Thread(() -> loop(cpu, started), name);
        // A forgotten tracer must not keep the JVM alive; EXITKILL cleans up after it.
        thread.setDaemon(true);
        thread.start();
        join(started);
    }

    /** Starts a tracer thread that may run on any CPU. */
    public static Tracer start(String name) {
        return new Tracer(name, -1);
    }

    /**
     * Starts a tracer thread pinned to one CPU. Children launched from it inherit the pinning, so
     * tracer and tracee share that CPU and a ptrace stop needs no cross-CPU wake-up. STACK.md
     * measured 47 k against 19.5 k steps/s from Java; TraceeTest.singleStepRate saw no gain on
     * a loaded 2-CPU machine (another process may be busy on that CPU), so measure before relying on it.
     */
    public static Tracer startPinned(String name, int cpu) {
        if (cpu < 0 || cpu >= 64) {
            throw new IllegalArgumentException("cpu out of range 0..63: " + cpu);
        }
        return new Tracer(name, cpu);
    }

    private void loop(int cpu, CompletableFuture<Void> started) {
        try {
            if (cpu >= 0 && LibC.sched_setaffinity(0, 8, new long[] {1L << cpu}) != 0) {
                throw LibC.failure("sched_setaffinity(cpu " + cpu + ")");
            }
        } catch (RuntimeException e) {
            running = false;
            started.completeExceptionally(e);
            return;
        }
        started.complete(null);
        while (running) {
            try {
                queue.take().run();
            } catch (InterruptedException e) {
                // Only close() stops the loop: a stray interrupt must not orphan the tracees.
            }
        }
    }

    /** True if the calling thread is this tracer's thread. */
    public boolean isTracerThread() {
        return Thread.currentThread() == thread;
    }

    /**
     * Runs {@code task} on the tracer thread and returns its result, rethrowing what it threw
     * (checked exceptions wrapped in a {@link RuntimeException}).
     */
    public <T> T call(Callable<T> task) {
        if (isTracerThread()) {
            try {
                return task.call();
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        }
        return join(submit(task));
    }

    /** Runs {@code task} on the tracer thread; see {@link #call}. */
    public void run(Runnable task) {
        call(() -> {
            task.run();
            return null;
        });
    }

    /** Queues {@code task} for the tracer thread. Never runs it inline. */
    public <T> CompletableFuture<T> submit(Callable<T> task) {
        if (closed) {
            throw new IllegalStateException("tracer " + thread.getName() + " is closed");
        }
        CompletableFuture<T> result = new CompletableFuture<>();
        queue.add(() -> {
            try {
                result.complete(task.call());
            } catch (Throwable t) {
                result.completeExceptionally(t);
            }
        });
        return result;
    }

    /** Fails unless called on the tracer thread: guards the raw ptrace wrappers. */
    void checkThread() {
        if (!isTracerThread()) {
            throw new IllegalStateException("ptrace call from " + Thread.currentThread().getName()
                    + ", not from tracer thread " + thread.getName());
        }
    }

    void register(Tracee tracee) {
        tracees.put(tracee.pid(), tracee);
    }

    void unregister(Tracee tracee) {
        tracees.remove(tracee.pid(), tracee);
    }

    /** Tracees launched or attached through this tracer that are not closed yet. */
    public List<Tracee> tracees() {
        return new ArrayList<>(tracees.values());
    }

    /**
     * Closes every open tracee (launched ones are killed and reaped, attached ones detached),
     * then ends the thread. If the thread is stuck waiting for a running tracee, launched tracees
     * are killed from the calling thread to end that wait.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        if (isTracerThread()) {
            throw new IllegalStateException("a tracer cannot close itself from its own thread");
        }
        CompletableFuture<Object> done = submit(() -> {
            RuntimeException failure = null;
            for (Tracee tracee : tracees()) {
                try {
                    tracee.close();
                } catch (RuntimeException e) {
                    if (failure == null) {
                        failure = e;
                    } else {
                        failure.addSuppressed(e);
                    }
                }
            }
            running = false;
            if (failure != null) {
                throw failure;
            }
            return null;
        });
        closed = true;
        try {
            done.get(SHUTDOWN_GRACE_MS, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            for (Tracee tracee : tracees()) {
                tracee.kill();
            }
            join(done);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while closing tracer", e);
        } catch (ExecutionException e) {
            throw rethrow(e.getCause());
        }
    }

    private static <T> T join(CompletableFuture<T> future) {
        try {
            return future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the tracer thread", e);
        } catch (ExecutionException e) {
            throw rethrow(e.getCause());
        }
    }

    private static RuntimeException rethrow(Throwable cause) {
        if (cause instanceof RuntimeException r) {
            return r;
        }
        if (cause instanceof Error e) {
            throw e;
        }
        return new RuntimeException(cause);
    }

    @Override
    public String toString() {
        return "Tracer[" + thread.getName() + "]";
    }
}

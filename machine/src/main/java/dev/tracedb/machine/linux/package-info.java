/**
 * Linux process control for the recorder: launching a program stopped at its first instruction,
 * attaching to a running one, registers, memory, single-step and continue, stop events, and
 * system calls run inside the tracee.
 *
 * <h2>Threading contract</h2>
 * Linux binds a tracee to the one <em>thread</em> that attached it. Therefore every ptrace and
 * waitpid call in this package runs on the dedicated thread of a {@link dev.tracedb.machine.linux.Tracer};
 * the raw wrappers check this and fail otherwise. Public methods of
 * {@link dev.tracedb.machine.linux.Tracee} and {@link dev.tracedb.machine.linux.RemoteSyscalls}
 * may be called from any thread: they hand their work to the tracer thread and wait, or run inline
 * when already on it. Batch hot loops (single-stepping) into one {@code Tracer.call} task.
 * {@link dev.tracedb.machine.linux.RemoteMemory} and {@code Tracee.kill()} need no tracer thread
 * (process_vm_readv/writev, /proc/PID/mem and kill(2) only check permissions) and are safe from
 * any thread. Values ({@link dev.tracedb.machine.linux.Registers}, stop events, addresses) are
 * plain data; {@code Registers} is mutable and not shared.
 *
 * <h2>Children</h2>
 * Traced children are started with glibc {@code posix_spawn} from the tracer thread, never with
 * {@link java.lang.ProcessBuilder}, whose reaper thread would steal their ptrace stops. Every
 * {@code AutoCloseable} here restores what it changed: a launched tracee is killed and reaped on
 * close, an attached one detached; {@code RemoteSyscalls} restores registers, code bytes and
 * scratch memory. {@code PTRACE_O_EXITKILL} covers a JVM that dies without closing.
 */
package dev.tracedb.machine.linux;

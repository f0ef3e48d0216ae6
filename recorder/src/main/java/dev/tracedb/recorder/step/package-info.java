/**
 * The step engine: records a program by ptrace single-step, exactly and slowly (one ptrace stop
 * per instruction, ~20,000 instructions per second here). It is the reference the DBI engine's
 * streams are compared against, so it is kept simple: see {@link dev.tracedb.recorder.step.StepSession}
 * for its rules on block entry, {@code rep}, syscalls and signals.
 *
 * <p>Supported: one process with one thread, static and dynamic programs, the vDSO, signal handlers,
 * restarted syscalls; child processes (fork, vfork, posix_spawn), which run natively; an exec, a
 * second thread (CLONE_THREAD), code in anonymous memory (JIT) and a call that would let the program
 * write its own code ({@link dev.tracedb.recorder.CodeWrites}), which end the recording while the
 * program goes on natively. Refused cleanly (the recording stops, the program is killed, the run is
 * left incomplete): instructions the decoder does not know, job-control stops. Not detected:
 * programs that raise SIGTRAP themselves.
 *
 * <p>Thread-safety: an engine may be used for one recording at a time; everything runs on the
 * tracee's tracer thread.
 */
package dev.tracedb.recorder.step;

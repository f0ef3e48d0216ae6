/**
 * The inputs engine ({@code tracedb record --engine inputs}): records only a program's inputs, at
 * close to native speed, for an offline re-execution ({@code tracedb expand}) to turn into a full
 * run. The program runs natively under {@code PTRACE_SYSCALL}: no block events, one stop at each
 * system call's entry and exit, one at each rdtsc/rdtscp and each signal.
 *
 * <p>The log of an inputs-only run ({@code RunInfo.inputsOnly()}): AT_RANDOM's 16 bytes as a
 * {@code MemoryWritten} before anything else; then, in execution order, each system call
 * ({@code SyscallResult}) followed by the bytes it wrote ({@code MemoryWritten},
 * {@link dev.tracedb.recorder.inputs.SyscallEffects}) and, for a file mmap, the file
 * ({@code FileMapped}); each rdtsc/rdtscp with the value the recorder gave it ({@code TimestampRead},
 * {@link dev.tracedb.recorder.inputs.TimestampEmulation}); each signal delivered
 * ({@code SignalDelivered}, {@link dev.tracedb.recorder.inputs.SignalPolicy}).
 *
 * <p>Supported: one thread; the system calls of {@code SyscallEffects}; synchronous faults, signals
 * that are ignored or kill the program, caught signals raised at a system call (raise, kill of
 * itself, an interrupted call, and a second one pending with it); caught signals arriving between
 * system calls, held by the tracer and delivered at the end of the next one
 * ({@link dev.tracedb.recorder.inputs.DeferredSignals}); child processes, which are
 * detached at birth (once the rdtsc trap they inherit is switched off) and run natively. Ending the
 * inputs recording early, with the log kept and the program going on natively (its exit status
 * still reported; {@link dev.tracedb.recorder.inputs.Handover}): any other system call, ioctl or
 * prctl; a thread; a writable shared file mapping; a caught signal held for 20 ms without a
 * system call, or up to a call that would lose it (exec, exit, rt_sigaction);
 * a job-control stop; an exec (like the other engines). Not captured (known gaps): the rseq
 * area's cpu_id, which the kernel updates; memory a vfork or CLONE_VM child writes in the
 * parent's address space; rdtsc after a job-control stop in a program handed over at that stop.
 *
 * <p>Thread-safety: an engine records one program at a time, everything on the tracee's tracer
 * thread; the classes here are confined to it (the tables are immutable), except
 * {@code DeferredSignals}, whose timer thread may send a held signal (kill(2) only, never ptrace).
 */
package dev.tracedb.recorder.inputs;

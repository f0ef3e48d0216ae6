package dev.tracedb.recorder;

import dev.tracedb.store.ExitStatus;

/**
 * Records one launched program from its first instruction to its end. An engine drives the tracee
 * ({@link Recording#tracee()}), and reports what the program executes through the shared services
 * of {@link Recording}: {@link BlockTable#blockAt} defines blocks on first sight,
 * {@link Recording#writer()} receives block events, syscalls and signals.
 *
 * <h2>What the log must say (both engines, so that their streams compare equal)</h2>
 * <ul>
 * <li>A block event means that <em>every</em> instruction of that block retired. When a signal
 *     interrupts a block after {@code k} retired instructions, the engine appends the block
 *     {@link BlockTable#prefix(Block, int) prefix(block, k)} (nothing when {@code k == 0}), then
 *     the signal; execution then continues in a block that starts where it resumes.</li>
 * <li>A {@code rep}-prefixed string instruction counts once per execution, however many
 *     iterations it makes; it retires when its last iteration ends.</li>
 * <li>The syscall instruction is the last of its block: append the block, then
 *     {@link dev.tracedb.store.RunWriter#syscall} with {@code orig_rax}, the six argument registers
 *     and the result in {@code rax}. {@code exit}/{@code exit_group} retire with result 0.</li>
 * <li>{@link dev.tracedb.store.RunWriter#signal} at a signal-delivery-stop, before the signal is
 *     passed on to the program. Its handler is then recorded like any other code.</li>
 * </ul>
 *
 * <p>Processes ({@link ChildProcesses}): the recorded process is followed; a child process it
 * creates is detached before its first instruction and runs natively. A successful exec ends the
 * recording: the engine logs it and throws {@link ProgramExecuted} with the tracee stopped at its
 * exec event, and the {@link Recorder} lets the new program go on natively.
 *
 * <p>What an engine does not support yet (an instruction the decoder does not know)
 * ends the recording by throwing {@link RecordingStoppedException} with a message for the user;
 * the {@link Recorder} then kills the program and leaves the run incomplete. An engine never lets
 * the recorded program run on unrecorded, except where it can go on natively, correctly: it then
 * steps aside ({@link SteppedAside}): after an exec (the new program), before a second thread
 * (the step and DBI engines detach the process on its own {@code clone}, not yet run), at code
 * generated at run time ({@link RunTimeCodeReached}: detached at its first instruction), and
 * wherever the inputs engine cannot go on (the program runs natively there, as it would have
 * under that engine anyway).
 *
 * <p>Threading: {@link #record} is called once, on the tracee's tracer thread, so ptrace calls
 * run inline. The run's writer, the module tracker and the block table are used from that thread
 * only. An engine that {@linkplain #writesLogInBackground writes its log in the background} gets
 * a {@link BackgroundRunWriter}, which applies the same calls, in the same order, on a thread of
 * its own and publishes {@link Recording#progress()} from there. An engine may start its own
 * threads but must join them before {@code record} returns or throws.
 */
public interface Engine {

    /**
     * Whether the recorder should give this engine a {@link BackgroundRunWriter} (the log is
     * compressed and appended beside the program, and progress is published by that writer)
     * rather than the run's writer itself (the engine then publishes progress).
     */
    default boolean writesLogInBackground() {
        return false;
    }

    /**
     * Records until the program has ended.
     *
     * @param recording the stopped tracee at its first instruction (the dynamic loader's entry, or
     *                  the ELF entry of a static program) and the services to record it with
     * @return how the program ended; the {@link Recorder} writes it as {@code RunEnded}
     * @throws RecordingStoppedException when the program does something this engine cannot record
     */
    ExitStatus record(Recording recording);

    /**
     * Records a process attached while it ran ({@link Recorder#attach}), from where it stands,
     * until it ends or {@code stop} is requested; then lets it go on natively.
     *
     * @param recording the stopped tracee, attached, and the services to record it with
     * @return how the process ended while it was recorded
     * @throws Detached when the process was let go natively (stop requested, or something refused)
     */
    default ExitStatus recordAttached(Recording recording, StopRequest stop) {
        throw new UnsupportedOperationException("this engine cannot record a running process; use the dbi engine");
    }

    /** The engine let an attached process go natively; everything up to then is in the log. */
    final class Detached extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public Detached(String reason) {
            super(reason);
        }
    }
}

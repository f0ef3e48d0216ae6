package dev.tracedb.recorder;

/**
 * The recorded process replaced its program (a successful {@code execve}/{@code execveat}): the
 * engine steps aside ({@link SteppedAside}). Everything up to and including the exec's system call is in the log; the
 * tracee is stopped at its exec event, and the {@link Recorder} leaves the run incomplete (the
 * recording did not see the program's end), lets the new program run on natively and still
 * reports its exit status. Recording a second program in the same run would need a second set of
 * modules and a new code cache; one log per program keeps every run's meaning simple.
 */
public class ProgramExecuted extends SteppedAside {
    private static final long serialVersionUID = 1L;

    public ProgramExecuted(String message) {
        super(message);
    }

    /** The exec of {@code program} (the path it named) ended the recording. */
    public static ProgramExecuted of(String program) {
        return new ProgramExecuted("recording ended at the program's exec of " + program + " (one program per run)");
    }
}

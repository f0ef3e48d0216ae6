package dev.tracedb.recorder;

/**
 * Execution reached an address with no executable code: unmapped, or mapped without execute
 * permission (taken away by {@code mprotect} after the code ran, say). Natively the instruction
 * fetch faults there (SIGSEGV at that address). The step engine steps into that fault and records
 * it as a plain run has it; elsewhere this stays the refusal it always was.
 */
public final class NoCodeReached extends RecordingStoppedException {
    private static final long serialVersionUID = 1L;

    public NoCodeReached(String message) {
        super(message);
    }
}

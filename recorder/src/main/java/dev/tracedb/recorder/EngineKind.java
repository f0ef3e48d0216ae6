package dev.tracedb.recorder;

/** Which engine records the program; see {@link Engine} and {@link Engines}. */
public enum EngineKind {
    /** The dynamic binary translator: the program runs translated code natively (package {@code dbi}). */
    DBI,
    /** ptrace single-step: exact, about 20,000 instructions per second; the reference (package {@code step}). */
    STEP,
    /** Natively under ptrace, logging only the program's inputs; to be expanded offline (package {@code inputs}). */
    INPUTS
}

package dev.tracedb.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.ParseResult;

/**
 * Turns any failure into one clear line on stderr and exit status 1; the stack trace only with
 * {@code --debug}. A user who sees a stack trace by default is looking at a bug in this class's callers.
 */
final class OneLineErrors implements IExecutionExceptionHandler {

    private final TraceDbCommand root;

    OneLineErrors(TraceDbCommand root) {
        this.root = root;
    }

    @Override
    public int handleExecutionException(Exception exception, CommandLine commandLine, ParseResult parseResult) {
        PrintWriter err = commandLine.getErr();
        err.println("tracedb: " + describe(exception));
        if (root.debug) {
            exception.printStackTrace(err);
        }
        err.flush();
        return TraceDbCommand.EXIT_FAILED;
    }

    /** The exception's own message, or its type when it has none, following causes that add nothing. */
    static String describe(Throwable exception) {
        Throwable t = exception;
        while (t.getMessage() == null && t.getCause() != null) {
            t = t.getCause();
        }
        String message = t.getMessage();
        return message != null && !message.isBlank() ? message : t.getClass().getSimpleName();
    }
}

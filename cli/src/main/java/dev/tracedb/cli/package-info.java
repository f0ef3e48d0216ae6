/**
 * The {@code tracedb} command: one class per subcommand, registered in {@link dev.tracedb.cli.TraceDbCommand}.
 *
 * <p>Contract for every subcommand: results on stdout (aligned tables for people), diagnostics on
 * stderr, exit status 0 when it did what was asked, 1 when the operation failed (one line on stderr
 * through {@code OneLineErrors}; {@code --debug} adds the stack trace), 2 for bad usage. Commands that
 * only read never create or modify the database.
 *
 * <p>Each invocation runs on the calling thread; nothing here is shared between invocations.
 */
package dev.tracedb.cli;

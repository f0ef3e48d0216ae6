package dev.tracedb.cli;

import dev.tracedb.loader.NativeLoader;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code tracedb run --cache FILE.tcache -- PROGRAM ARGS...}: runs a program natively with a trace
 * cache applied. The work is the native loader's ({@code tracedb-run} and its preload shim); the
 * {@code tracedb} launcher execs it directly without starting a JVM, and this command is the same
 * thing reached through Java (help, tests, or a global option before {@code run}). The exit status
 * is the program's, or the runner's own: 1 a bad cache or an unsupported program, 2 bad usage,
 * 126/127 the program cannot be executed / does not exist.
 */
@Command(name = "run", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Run a program natively with the precompiled traces of a trace cache applied.",
            "A module whose build or relied-on bytes differ from the cache gets no traces (one line says why) and runs as it is.",
            "The program's stdin/stdout/stderr and exit status pass through. Dynamically linked programs only."})
final class RunCommand implements Callable<Integer> {
    @Option(names = "--cache", paramLabel = "FILE", required = true, description = "The trace cache (tracedb compile writes it).")
    Path cache;

    @Option(names = "--stats", description = "Print each trace's entry count on stderr when the program exits.")
    boolean stats;

    @Option(names = "--verbose", description = "Say on stderr which modules got traces.")
    boolean verbose;

    @Parameters(paramLabel = "PROGRAM", arity = "1..*",
            description = "The program and its arguments; put them after -- so that their options are not tracedb's.")
    List<String> command;

    @Override
    public Integer call() throws IOException, InterruptedException {
        List<String> runner = NativeLoader.locate().command(cache, stats, verbose, command);
        Process process = new ProcessBuilder(runner).inheritIO().start();
        return process.waitFor();
    }
}

package dev.tracedb.cli;

import dev.tracedb.compiler.cache.TraceCache;
import dev.tracedb.compiler.cache.TraceCacheFile;
import dev.tracedb.loader.NativeLoader;
import dev.tracedb.loader.ProgramFile;
import dev.tracedb.loader.ptrace.ModuleCounters;
import dev.tracedb.loader.ptrace.PtraceLoader;
import dev.tracedb.loader.stats.CacheId;
import dev.tracedb.loader.stats.TraceStats;
import dev.tracedb.loader.stats.TraceStatsDirectory;
import dev.tracedb.loader.stats.TraceStatsReport;
import dev.tracedb.loader.stats.TraceStatsWriter;
import dev.tracedb.machine.linux.LaunchException;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code tracedb run --cache FILE.tcache -- PROGRAM ARGS...}: runs a program natively with a trace
 * cache applied. Dynamic programs go through the native loader ({@code tracedb-run} and its preload
 * shim), which the {@code tracedb} launcher execs directly without a JVM; this command is the same
 * thing reached through Java. Static programs cannot take the shim: they go through the ptrace path
 * ({@link PtraceLoader}), which needs this JVM (the native runner hands them over with
 * {@code --ptrace}). The exit status is the program's, or 1 a bad cache or an unsupported program,
 * 2 bad usage, 126/127 the program cannot be executed / does not exist.
 */
@Command(name = "run", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Run a program natively with the precompiled traces of a trace cache applied.",
            "A module whose build or relied-on bytes differ from the cache gets no traces (one line says why) and runs as it is.",
            "The program's stdin/stdout/stderr and exit status pass through."})
final class RunCommand implements Callable<Integer> {
    @ParentCommand
    TraceDbCommand root;

    @Option(names = "--cache", paramLabel = "FILE", required = true, description = "The trace cache (tracedb compile writes it).")
    Path cache;

    @Option(names = "--stats", description = {"Run the cache's counting code: per trace its entries, completions and side exits; at exit print them on stderr and keep them in the database",
                "as trace stats (tracedb runs lists them; tracedb export --table traces joins them with the forecast)."})
    boolean stats;

    @Option(names = "--stats-stderr", description = "Count and print like --stats, but keep nothing in the database.")
    boolean statsStderr;

    @Option(names = "--verbose", description = "Say on stderr which modules got traces.")
    boolean verbose;

    @Option(names = "--ptrace", description = "Apply the cache through ptrace (a JVM start; the way for static programs, chosen for them anyway).")
    boolean ptrace;

    @Parameters(paramLabel = "PROGRAM", arity = "1..*",
            description = "The program and its arguments; put them after -- so that their options are not tracedb's.")
    List<String> command;

    @Override
    public Integer call() throws IOException, InterruptedException {
        Optional<Path> program = ProgramFile.resolve(command.get(0));
        if (ptrace || program.map(ProgramFile::isStaticElf).orElse(false)) {
            return viaPtrace();
        }
        NativeLoader loader = NativeLoader.locate();
        List<String> runner = stats ? loader.command(cache, true, root.databaseDirectory(), verbose, command)
                : loader.command(cache, statsStderr, verbose, command);
        Process process = new ProcessBuilder(runner).inheritIO().start();
        return process.waitFor();
    }

    private int viaPtrace() throws IOException {
        PrintStream err = System.err;
        var traceCache = TraceCacheFile.read(cache);
        boolean counting = stats || statsStderr;
        try {
            PtraceLoader loader = new PtraceLoader(err, verbose, counting);
            Instant started = Instant.now();
            int status = loader.run(traceCache, command);
            if (counting) {
                keep(traceCache, loader, started, Instant.now());
            }
            return status;
        } catch (LaunchException e) {
            err.println("tracedb: " + e.getMessage());
            return e.getMessage().startsWith("no such program") ? RecordCommand.EXIT_NOT_FOUND : RecordCommand.EXIT_NOT_EXECUTABLE;
        }
    }

    /**
     * The ptrace path's --stats: the counts the program left in its counters, printed as the shim
     * prints them and (with --stats) kept in the database as the shim keeps them.
     */
    private void keep(TraceCache traceCache, PtraceLoader loader, Instant started, Instant ended) throws IOException {
        Path cacheFile = cache.toAbsolutePath().normalize();
        String program = ProgramFile.resolve(command.get(0)).map(p -> p.toAbsolutePath().toString()).orElse(command.get(0));
        TraceStats measured = new TraceStats("-", cacheFile, CacheId.of(cacheFile), program, command, loader.pid(),
                started, ended, ModuleCounters.measured(traceCache, loader.counters()));
        PrintStream err = System.err;
        TraceStatsReport.print(err, measured);
        if (stats) {
            Path database = root.databaseDirectory().toAbsolutePath();
            String id = TraceStatsWriter.save(database, measured);
            err.println("tracedb: trace stats saved as " + id + " in " + TraceStatsDirectory.of(database).directory());
        }
    }
}

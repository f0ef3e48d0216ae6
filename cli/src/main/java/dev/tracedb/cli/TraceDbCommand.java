package dev.tracedb.cli;

import dev.tracedb.store.TraceDatabase;
import java.io.PrintWriter;
import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * The {@code tracedb} command: the root of every subcommand and the owner of the global options and of
 * the exit-code contract (0 ok, 1 the operation failed, 2 bad usage).
 */
@Command(
        name = "tracedb",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        sortOptions = false,
        usageHelpAutoWidth = true,
        header = "Record, replay and speed up unmodified x86-64 Linux programs.",
        description = "TraceDB keeps an event-sourced database of program runs: every executed basic block, "
                + "the modules and the exit of each run, in one Chronicle Queue log per run.",
        footer = {
            "",
            "Exit status: 0 ok, 1 the operation failed, 2 bad usage. Errors are one line; --debug adds the stack trace.",
            "The database is --db, else $TRACEDB_HOME, else ./tracedb-data.",
        },
        subcommands = {RecordCommand.class, ExpandCommand.class, ReplayCommand.class, VerifyCommand.class, RunsCommand.class,
            InfoCommand.class,
            TopCommand.class, ShowCommand.class, LoopsCommand.class, DiffCommand.class, ExportCommand.class,
            CompileCommand.class, TracesCommand.class, RunCommand.class,
            CommandLine.HelpCommand.class})
public final class TraceDbCommand {

    static final int EXIT_OK = 0;
    static final int EXIT_FAILED = 1;
    static final int EXIT_USAGE = 2;

    @Option(names = "--db", paramLabel = "DIR", scope = ScopeType.INHERIT,
            description = "The trace database directory (default: $TRACEDB_HOME, else ./tracedb-data).")
    Path database;

    @Option(names = "--debug", scope = ScopeType.INHERIT,
            description = "Print the full stack trace when something fails.")
    boolean debug;

    /** The database directory this invocation works on. */
    Path databaseDirectory() {
        return database != null ? database : TraceDatabase.defaultDirectory();
    }

    public static void main(String[] args) {
        System.exit(execute(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs one invocation with the given streams; tests call this instead of {@link #main}. */
    public static int execute(String[] args, PrintWriter out, PrintWriter err) {
        ChronicleQuiet.apply();
        TraceDbCommand root = new TraceDbCommand();
        CommandLine commandLine = new CommandLine(root);
        commandLine.setOut(out);
        commandLine.setErr(err);
        commandLine.setExitCodeExceptionMapper(new ExitCodes());
        commandLine.setExecutionExceptionHandler(new OneLineErrors(root));
        commandLine.setParameterExceptionHandler((ex, ignored) -> {
            err.println("tracedb: " + ex.getMessage());
            err.println("Try '" + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help'.");
            return EXIT_USAGE;
        });
        return commandLine.execute(args);
    }

    /** Maps picocli's exit-code hooks onto our contract. */
    private static final class ExitCodes implements CommandLine.IExitCodeExceptionMapper {
        @Override
        public int getExitCode(Throwable exception) {
            return exception instanceof CommandLine.ParameterException ? EXIT_USAGE : EXIT_FAILED;
        }
    }
}

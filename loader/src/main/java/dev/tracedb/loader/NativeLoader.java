package dev.tracedb.loader;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The native loader: where {@code tracedb-run} and its shim are, and the command that runs a
 * program with a cache. The directory is, in order: the system property {@code tracedb.native},
 * the environment variable {@code TRACEDB_NATIVE}, or {@code loader/target/native} of the source
 * tree this class was loaded from (the jar sits in {@code cli/target} or {@code loader/target}).
 */
public final class NativeLoader {
    public static final String RUNNER = "tracedb-run";
    public static final String SHIM = "libtracedb-preload.so";

    private final Path directory;

    private NativeLoader(Path directory) {
        this.directory = directory;
    }

    /**
     * Finds the native loader.
     *
     * @throws IllegalStateException naming where it looked, when the runner or the shim is missing
     */
    public static NativeLoader locate() {
        Path directory = configured().orElseGet(NativeLoader::besideTheBuild);
        if (!Files.isExecutable(directory.resolve(RUNNER)) || !Files.isReadable(directory.resolve(SHIM))) {
            throw new IllegalStateException("the native loader is not built in " + directory
                    + " (mvn -pl loader -am package builds it; or set TRACEDB_NATIVE)");
        }
        return new NativeLoader(directory);
    }

    private static Optional<Path> configured() {
        String property = System.getProperty("tracedb.native");
        if (property != null) return Optional.of(Path.of(property));
        String env = System.getenv("TRACEDB_NATIVE");
        return env != null ? Optional.of(Path.of(env)) : Optional.empty();
    }

    private static Path besideTheBuild() {
        try {
            Path code = Path.of(NativeLoader.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            // .../MODULE/target/x.jar or .../MODULE/target/classes: the tree root is three levels up
            Path root = code.getParent().getParent().getParent();
            return root.resolve("loader/target/native");
        } catch (URISyntaxException | NullPointerException e) {
            return Path.of("loader/target/native");
        }
    }

    public Path runner() {
        return directory.resolve(RUNNER);
    }

    public Path shim() {
        return directory.resolve(SHIM);
    }

    /**
     * The command line that runs {@code programAndArgs} with {@code cache} applied.
     *
     * @param stats   count each trace's entries and print them on stderr at exit ({@code --stats-stderr}:
     *                nothing is kept; {@link #command(Path, boolean, Path, boolean, List)} keeps them)
     * @param verbose say which modules got traces
     */
    public List<String> command(Path cache, boolean stats, boolean verbose, List<String> programAndArgs) {
        return command(cache, stats ? "--stats-stderr" : null, null, verbose, programAndArgs);
    }

    /**
     * The same, with {@code --stats} when {@code stats}: the counts are printed and kept as trace stats
     * in {@code database} ({@code null}: the runner's default, {@code $TRACEDB_HOME} else
     * {@code ./tracedb-data}).
     */
    public List<String> command(Path cache, boolean stats, Path database, boolean verbose, List<String> programAndArgs) {
        return command(cache, stats ? "--stats" : null, stats ? database : null, verbose, programAndArgs);
    }

    private List<String> command(Path cache, String statsOption, Path database, boolean verbose, List<String> programAndArgs) {
        if (programAndArgs.isEmpty()) throw new IllegalArgumentException("no program to run");
        List<String> command = new ArrayList<>();
        command.add(runner().toString());
        command.add("--cache");
        command.add(cache.toString());
        if (statsOption != null) command.add(statsOption);
        if (database != null) {
            command.add("--db");
            command.add(database.toString());
        }
        if (verbose) command.add("--verbose");
        command.add("--");
        command.addAll(programAndArgs);
        return command;
    }
}

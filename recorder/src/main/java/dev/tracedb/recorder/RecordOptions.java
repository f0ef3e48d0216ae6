package dev.tracedb.recorder;

import dev.tracedb.machine.linux.AddressRandomization;
import dev.tracedb.machine.linux.LaunchOptions;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What to record and how. Immutable; build with {@link #builder(List)}.
 *
 * @param argv          the program (a path, or a name looked up in the environment's PATH) and its
 *                      arguments; the program receives exactly this argv
 * @param environment   "NAME=value" strings in the order the program receives them
 * @param workingDirectory where the program starts; {@code null} for the recorder's own
 * @param randomization ASLR for the program; {@link AddressRandomization#DISABLED} makes runs of
 *                      the same program comparable address by address
 * @param engine        which engine records
 * @param runName       the run's name; {@code null} for the program's file name
 * @param stdin         a file for the program's stdin; {@code null} to share the recorder's
 * @param stdout        a file for the program's stdout (created or truncated); {@code null} to share
 * @param stderr        a file for the program's stderr (created or truncated); {@code null} to share
 * @param hideVdso      start the program without the vDSO, so that its clock reads are syscalls
 *                      (always for the inputs engine, whose runs are re-executed; default: only then)
 */
public record RecordOptions(List<String> argv, List<String> environment, Path workingDirectory,
                            AddressRandomization randomization, EngineKind engine, String runName,
                            Path stdin, Path stdout, Path stderr, boolean hideVdso) {

    public RecordOptions {
        argv = List.copyOf(argv);
        if (argv.isEmpty() || argv.get(0).isEmpty()) {
            throw new IllegalArgumentException("no program to record");
        }
        environment = List.copyOf(environment);
        Objects.requireNonNull(randomization, "randomization");
        Objects.requireNonNull(engine, "engine");
        if (engine == EngineKind.INPUTS && (randomization != AddressRandomization.DISABLED || !hideVdso)) {
            throw new IllegalArgumentException("the inputs engine records with ASLR disabled and the vDSO hidden,"
                    + " as its re-execution runs");
        }
    }

    /** Options for {@code argv} with the defaults of {@link Builder}. */
    public static Builder builder(List<String> argv) {
        return new Builder(argv);
    }

    /** The equivalent launch options for {@code machine.linux}. */
    LaunchOptions launchOptions() {
        LaunchOptions.Builder b = LaunchOptions.builder(argv.get(0))
                .args(argv.subList(1, argv.size()))
                .environment(environment)
                .randomization(randomization)
                .workingDirectory(workingDirectory)
                .stdin(stdin)
                .stdout(stdout)
                .stderr(stderr)
                .hideVdso(hideVdso);
        return b.build();
    }

    /**
     * Defaults: the recorder's own environment in its original order, its working directory, ASLR
     * disabled, the step engine (until the DBI engine exists), the program's file name as run name,
     * stdio shared with the recorder.
     */
    public static final class Builder {
        private final List<String> argv;
        private List<String> environment;
        private Path workingDirectory;
        private AddressRandomization randomization = AddressRandomization.DISABLED;
        private EngineKind engine = EngineKind.STEP;
        private String runName;
        private Path stdin;
        private Path stdout;
        private Path stderr;
        private Boolean hideVdso;

        private Builder(List<String> argv) {
            this.argv = new ArrayList<>(argv);
        }

        public Builder environment(List<String> environment) {
            this.environment = List.copyOf(environment);
            return this;
        }

        public Builder workingDirectory(Path directory) {
            this.workingDirectory = directory;
            return this;
        }

        public Builder randomization(AddressRandomization randomization) {
            this.randomization = randomization;
            return this;
        }

        public Builder engine(EngineKind engine) {
            this.engine = engine;
            return this;
        }

        public Builder runName(String name) {
            this.runName = name;
            return this;
        }

        public Builder stdin(Path file) {
            this.stdin = file;
            return this;
        }

        public Builder stdout(Path file) {
            this.stdout = file;
            return this;
        }

        public Builder stderr(Path file) {
            this.stderr = file;
            return this;
        }

        /** Start without the vDSO; the default is true for the inputs engine, false for the others. */
        public Builder hideVdso(boolean hide) {
            this.hideVdso = hide;
            return this;
        }

        public RecordOptions build() {
            List<String> env = environment != null ? environment
                    : LaunchOptions.builder("/bin/true").build().environment();
            boolean noVdso = hideVdso != null ? hideVdso : engine == EngineKind.INPUTS;
            return new RecordOptions(argv, env, workingDirectory, randomization, engine, runName, stdin, stdout,
                    stderr, noVdso);
        }
    }
}

package dev.tracedb.machine.linux;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * What to launch and how: program, argv, environment, working directory, ASLR, ptrace options
 * and stdio. Immutable; build with {@link #builder(String)}.
 *
 * <p>Defaults: argv[0] is the program as given; the environment is the JVM's own, in its original
 * order (read from {@code /proc/self/environ}, since {@link System#getenv()} loses the order and
 * the order shapes the program's initial stack); the JVM's working directory; the system's ASLR
 * setting; {@link TraceOption#defaults()}; stdio inherited from the JVM; the vDSO offered.
 */
public final class LaunchOptions {
    private final String program;
    private final List<String> argv;
    private final List<String> environment;
    private final Path workingDirectory;
    private final AddressRandomization randomization;
    private final Set<TraceOption> traceOptions;
    private final Spawner.Stdio stdio;
    private final boolean hideVdso;

    private LaunchOptions(Builder b) {
        program = b.program;
        List<String> args = new ArrayList<>();
        args.add(b.argv0 != null ? b.argv0 : b.program);
        args.addAll(b.arguments);
        argv = List.copyOf(args);
        environment = List.copyOf(b.environment != null ? b.environment : jvmEnvironment());
        workingDirectory = b.workingDirectory;
        randomization = b.randomization;
        traceOptions = Set.copyOf(b.traceOptions);
        stdio = new Spawner.Stdio(b.stdin, b.stdout, b.stderr);
        hideVdso = b.hideVdso;
    }

    public static Builder builder(String program) {
        return new Builder(program);
    }

    /** The program as given: a path, or a name to look up in the environment's PATH. */
    public String program() {
        return program;
    }

    /** The full argument vector, argv[0] included. */
    public List<String> argv() {
        return argv;
    }

    /** "NAME=value" strings, in order. */
    public List<String> environment() {
        return environment;
    }

    /** The working directory, or null to keep the JVM's. */
    public Path workingDirectory() {
        return workingDirectory;
    }

    public AddressRandomization randomization() {
        return randomization;
    }

    public Set<TraceOption> traceOptions() {
        return traceOptions;
    }

    Spawner.Stdio stdio() {
        return stdio;
    }

    /** Whether the program is started without the vDSO ({@link AuxiliaryVector#hideVdso}). */
    public boolean hideVdso() {
        return hideVdso;
    }

    /** The JVM's environment in its original order. */
    static List<String> jvmEnvironment() {
        try {
            byte[] raw = Files.readAllBytes(Path.of("/proc/self/environ"));
            List<String> env = new ArrayList<>();
            int start = 0;
            for (int i = 0; i < raw.length; i++) {
                if (raw[i] == 0) {
                    env.add(new String(raw, start, i - start, java.nio.charset.StandardCharsets.UTF_8));
                    start = i + 1;
                }
            }
            return env;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static final class Builder {
        private final String program;
        private String argv0;
        private final List<String> arguments = new ArrayList<>();
        private List<String> environment;
        private Path workingDirectory;
        private AddressRandomization randomization = AddressRandomization.SYSTEM_DEFAULT;
        private Set<TraceOption> traceOptions = TraceOption.defaults();
        private Path stdin;
        private Path stdout;
        private Path stderr;
        private boolean hideVdso;

        private Builder(String program) {
            if (program.isEmpty()) {
                throw new IllegalArgumentException("empty program name");
            }
            this.program = program;
        }

        /** Arguments after argv[0]. */
        public Builder args(String... args) {
            return args(List.of(args));
        }

        public Builder args(List<String> args) {
            arguments.addAll(args);
            return this;
        }

        /** argv[0], if it should differ from the program as given. */
        public Builder argv0(String argv0) {
            this.argv0 = Objects.requireNonNull(argv0);
            return this;
        }

        /** Exactly this environment ("NAME=value" strings, kept in order). */
        public Builder environment(List<String> env) {
            for (String entry : env) {
                if (entry.indexOf('=') < 0) {
                    throw new IllegalArgumentException("environment entry without '=': " + entry);
                }
            }
            this.environment = List.copyOf(env);
            return this;
        }

        /** Exactly this environment, in the map's iteration order. */
        public Builder environment(Map<String, String> env) {
            List<String> list = new ArrayList<>();
            env.forEach((k, v) -> list.add(k + "=" + v));
            return environment(list);
        }

        public Builder workingDirectory(Path directory) {
            this.workingDirectory = directory;
            return this;
        }

        public Builder randomization(AddressRandomization randomization) {
            this.randomization = Objects.requireNonNull(randomization);
            return this;
        }

        public Builder traceOptions(Set<TraceOption> options) {
            EnumSet<TraceOption> copy = EnumSet.noneOf(TraceOption.class);
            copy.addAll(options);
            this.traceOptions = copy;
            return this;
        }

        public Builder stdin(Path file) {
            this.stdin = file;
            return this;
        }

        /** Redirect stdout to a file (created or truncated). */
        public Builder stdout(Path file) {
            this.stdout = file;
            return this;
        }

        /** Redirect stderr to a file (created or truncated). */
        public Builder stderr(Path file) {
            this.stderr = file;
            return this;
        }

        /**
         * Starts the program without the vDSO, so that reading the clock is a syscall (an input a
         * recording can log) rather than a read of kernel-updated memory. Off by default.
         */
        public Builder hideVdso(boolean hide) {
            this.hideVdso = hide;
            return this;
        }

        public LaunchOptions build() {
            return new LaunchOptions(this);
        }
    }
}

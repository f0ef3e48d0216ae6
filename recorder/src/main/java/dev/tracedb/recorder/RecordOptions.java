package dev.tracedb.recorder;

import dev.tracedb.machine.linux.AddressRandomization;
import dev.tracedb.machine.linux.LaunchOptions;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * What to record and how. Immutable; build with {@link #builder(List)}.
 *
 * @param launch  how the program is started (argv, environment, working directory, ASLR, stdio,
 *                vDSO), with the recorder's defaults: see {@link Builder}
 * @param engine  which engine records
 * @param runName the run's name; {@code null} for the program's file name
 */
public record RecordOptions(LaunchOptions launch, EngineKind engine, String runName, ValueProbeOptions probes) {

    public RecordOptions(LaunchOptions launch, EngineKind engine, String runName) {
        this(launch, engine, runName, ValueProbeOptions.NONE);
    }

    public RecordOptions {
        Objects.requireNonNull(probes, "probes");
        if (probes.any() && engine != EngineKind.DBI) {
            throw new IllegalArgumentException("value probes need the dbi engine (--engine dbi), not " + engine.name().toLowerCase(java.util.Locale.ROOT));
        }
        Objects.requireNonNull(launch, "launch");
        Objects.requireNonNull(engine, "engine");
        if (engine == EngineKind.INPUTS
                && (launch.randomization() != AddressRandomization.DISABLED || !launch.hideVdso())) {
            throw new IllegalArgumentException("the inputs engine records with ASLR disabled and the vDSO hidden,"
                    + " as its re-execution runs");
        }
    }

    /**
     * Options for {@code argv}: the program (a path, or a name looked up in the environment's PATH)
     * and its arguments; the program receives exactly this argv.
     */
    public static Builder builder(List<String> argv) {
        return new Builder(argv);
    }

    /**
     * The launch options are {@link LaunchOptions}' own (a launch option is added there alone), set
     * through {@link #launch}. Their defaults here differ from a plain launch's in two: ASLR disabled,
     * which makes runs of the same program comparable address by address, and the vDSO hidden for
     * the inputs engine (its clock reads must be syscalls: its runs are re-executed) and offered to
     * the others. The other defaults: the step engine, the program's file name as run name.
     */
    public static final class Builder {
        private final List<String> argv;
        private EngineKind engine = EngineKind.STEP;
        private String runName;
        private ValueProbeOptions probes = ValueProbeOptions.NONE;
        private Consumer<LaunchOptions.Builder> launchSettings = launch -> { };

        private Builder(List<String> argv) {
            this.argv = new ArrayList<>(argv);
        }

        /**
         * Sets launch options, after the recorder's defaults: e.g.
         * {@code launch(l -> l.environment(env).stdout(file))}. Settings of several calls add up.
         */
        public Builder launch(Consumer<LaunchOptions.Builder> settings) {
            launchSettings = launchSettings.andThen(settings);
            return this;
        }

        public Builder engine(EngineKind engine) {
            this.engine = engine;
            return this;
        }

        public Builder probes(ValueProbeOptions probes) {
            this.probes = probes;
            return this;
        }

        public Builder runName(String name) {
            this.runName = name;
            return this;
        }

        /** @throws IllegalArgumentException if there is no program, or the settings do not suit the engine */
        public RecordOptions build() {
            if (argv.isEmpty() || argv.get(0).isEmpty()) {
                throw new IllegalArgumentException("no program to record");
            }
            LaunchOptions.Builder launch = LaunchOptions.builder(argv.get(0)).args(argv.subList(1, argv.size()))
                    .randomization(AddressRandomization.DISABLED)
                    .hideVdso(engine == EngineKind.INPUTS);
            launchSettings.accept(launch);
            return new RecordOptions(launch.build(), engine, runName, probes);
        }
    }
}

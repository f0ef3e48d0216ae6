package dev.tracedb.store;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * The first event of every run: what was started, where, with which environment, on which machine.
 *
 * @param argv        the program's argument vector; {@code argv.get(0)} is the program
 * @param cwd         the working directory it started in
 * @param environment the environment in full, as {@code NAME=value} strings in the order the
 *                    program received them (duplicates and all, which a map would lose)
 * @param machine     the machine it ran on
 * @param startTime   wall-clock start time
 */
public record RunStarted(List<String> argv, String cwd, List<String> environment, MachineInfo machine,
                         Instant startTime) {
    public RunStarted {
        argv = List.copyOf(argv);
        if (argv.isEmpty()) throw new IllegalArgumentException("argv is empty");
        Objects.requireNonNull(cwd, "cwd");
        environment = List.copyOf(environment);
        Objects.requireNonNull(machine, "machine");
        Objects.requireNonNull(startTime, "startTime");
    }

    /** The program that was run: {@code argv[0]}. */
    public String program() {
        return argv.get(0);
    }
}

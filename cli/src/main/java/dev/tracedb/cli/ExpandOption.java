package dev.tracedb.cli;

import picocli.CommandLine.Option;

/**
 * {@code --no-expand}, on every command that reads blocks: refuse an inputs-only run that has not
 * been expanded yet instead of expanding it now (which costs about a DBI recording of the program).
 * For scripts that must never spend that time, {@code TRACEDB_NO_EXPAND} set to anything but empty
 * or {@code 0} does the same for every command.
 */
final class ExpandOption {
    static final String ENVIRONMENT = "TRACEDB_NO_EXPAND";

    @Option(names = "--no-expand",
            description = "Refuse an inputs-only run (record --engine inputs) that is not expanded yet, instead of"
                    + " expanding it now, once (also: $" + ENVIRONMENT + "=1).")
    boolean noExpand;

    /** True if this invocation must not expand: the option, or the environment variable. */
    boolean refuses() {
        return noExpand || environmentRefuses(System.getenv(ENVIRONMENT));
    }

    /** Unset, empty and {@code 0} allow expanding; anything else refuses. */
    static boolean environmentRefuses(String value) {
        return value != null && !value.isBlank() && !value.strip().equals("0");
    }
}

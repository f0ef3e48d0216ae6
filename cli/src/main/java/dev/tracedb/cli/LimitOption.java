package dev.tracedb.cli;

import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** The {@code --limit N} option of the query commands that list the biggest first (a picocli mixin). */
final class LimitOption {

    @Spec(Spec.Target.MIXEE)
    CommandSpec spec;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "20",
            description = "Show the first N rows, the biggest first (default 20; 0: all).")
    int limit;

    /** Refuses a negative N with one line; called before any work, as {@link FormatOption#format} is. */
    void check() {
        if (limit < 0) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--limit must be >= 0, not " + limit);
        }
    }

    /** The first N of {@code all} (all of them for 0). */
    <T> List<T> first(List<T> all) {
        return limit == 0 || all.size() <= limit ? all : all.subList(0, limit);
    }
}

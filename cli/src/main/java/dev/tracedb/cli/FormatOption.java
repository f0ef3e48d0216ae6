package dev.tracedb.cli;

import java.util.Locale;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** The {@code --format table|json|csv} option of the query commands (a picocli mixin). */
final class FormatOption {

    @Spec(Spec.Target.MIXEE)
    CommandSpec spec;

    @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "table",
            description = "table (aligned, for people; default), json or csv (for scripts).")
    String format;

    ResultTable.Format format() {
        try {
            return ResultTable.Format.valueOf(format.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "unknown format '" + format + "' (choose from table, json, csv)");
        }
    }
}

package dev.tracedb.cli;

import dev.tracedb.recorder.ValueProbeOptions;
import dev.tracedb.store.ProbeSite;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/** {@code --probe}, {@code --probes FILE} and {@code --probe-budget}, shared by record and expand. */
final class ProbeArguments {
    private ProbeArguments() {}

    static ValueProbeOptions parse(CommandSpec spec, List<String> sites, Path file, long budget) {
        List<ProbeSite> parsed = new ArrayList<>();
        try {
            for (String s : sites) parsed.add(ProbeSite.parse(s));
            if (file != null) {
                for (String line : Files.readAllLines(file)) {
                    String t = line.strip();
                    if (!t.isEmpty() && !t.startsWith("#")) parsed.add(ProbeSite.parse(t));
                }
            }
            return new ValueProbeOptions(parsed.stream().distinct().toList(), budget);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        } catch (IOException e) {
            throw new ParameterException(spec.commandLine(), "cannot read --probes " + file + ": " + e.getMessage());
        }
    }
}

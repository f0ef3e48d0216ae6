package dev.tracedb.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** One in-process invocation of {@code tracedb}: its exit status and what it printed. */
record CliRun(int status, String out, String err) {

    static CliRun tracedb(Path database, String... args) {
        List<String> all = new ArrayList<>();
        if (database != null) {
            all.add("--db");
            all.add(database.toString());
        }
        all.addAll(List.of(args));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int status = TraceDbCommand.execute(all.toArray(String[]::new),
                new PrintWriter(out, true), new PrintWriter(err, true));
        return new CliRun(status, out.toString(), err.toString());
    }

    @Override
    public String toString() {
        return "exit " + status + "\n--- stdout\n" + out + "--- stderr\n" + err;
    }
}

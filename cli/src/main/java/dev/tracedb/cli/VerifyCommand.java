package dev.tracedb.cli;

import dev.tracedb.store.RunReader;
import dev.tracedb.store.RunSummary;
import dev.tracedb.store.TraceDatabase;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code tracedb verify RUN}: checks that the run's stream is one a program could have executed
 * (see {@link StreamVerifier}). Exit 0 when clean, 1 with the first problems and their positions.
 */
@Command(name = "verify", mixinStandardHelpOptions = true,
        description = {"Check a run's execution stream against its blocks' terminators and its totals.",
            "Every transition must be legal for the previous block's terminator, calls and returns pair",
            "up on a shadow stack (unwinds are notes), and the totals equal RunEnded's.",
            "Exit 0 when clean, 1 otherwise."})
final class VerifyCommand implements Callable<Integer> {

    @ParentCommand
    TraceDbCommand root;

    @Spec
    CommandSpec spec;

    @Mixin
    ExpandOption expand;

    @Parameters(paramLabel = "RUN", description = "A run id (r0001), a run name, or a unique prefix of either.")
    String run;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        try (TraceDatabase db = DatabaseAccess.openExisting(root.databaseDirectory())) {
            RunSummary summary = db.resolve(run);
            try (RunReader reader = OpenedRun.openWithBlocks(db, summary, expand, spec.commandLine().getErr()); LoggedCode code = new LoggedCode()) {
                StreamVerifier verifier = new StreamVerifier(code);
                reader.replay(verifier);
                verifier.finish(reader.blockEventCount(), reader.instructionCount());
                String totals = Formats.count(verifier.instructions()) + " instructions in "
                        + Formats.count(verifier.blockEvents()) + " block events";
                if (verifier.problemCount() == 0) {
                    out.println(reader.id() + ": clean: " + totals + ", " + verifier.noteCount() + " notes");
                } else {
                    out.println(reader.id() + ": " + verifier.problemCount() + " problems: " + totals + ", "
                            + verifier.noteCount() + " notes");
                }
                for (String problem : verifier.problems()) {
                    out.println("problem: " + problem);
                }
                for (String note : verifier.notes()) {
                    out.println("note: " + note);
                }
                if (verifier.noteCount() > verifier.notes().size()) {
                    out.println("(" + (verifier.noteCount() - verifier.notes().size()) + " more notes)");
                }
                out.flush();
                return verifier.problemCount() == 0 ? TraceDbCommand.EXIT_OK : TraceDbCommand.EXIT_FAILED;
            }
        }
    }
}

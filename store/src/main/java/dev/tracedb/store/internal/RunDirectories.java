package dev.tracedb.store.internal;

import dev.tracedb.store.RunId;
import dev.tracedb.store.StoreException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** The run directories under {@code DIR/runs}: every {@code rNNNN} that exists, catalogued or not. */
final class RunDirectories {
    private RunDirectories() {
    }

    /** The ids of the run directories (named as {@link RunId#toString()} spells them), in id order. */
    static List<RunId> list(Path runsDir) {
        try (Stream<Path> entries = Files.list(runsDir)) {
            return entries.map(p -> p.getFileName().toString())
                    .filter(name -> RunId.isRunId(name) && RunId.parse(name).toString().equals(name))
                    .filter(name -> Files.isDirectory(runsDir.resolve(name)))
                    .map(RunId::parse)
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new StoreException("cannot list run directories in " + runsDir + ": " + e, e);
        }
    }
}

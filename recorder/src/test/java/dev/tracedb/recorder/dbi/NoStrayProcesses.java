package dev.tracedb.recorder.dbi;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;

/**
 * Base for tests that start processes: fails a test that leaves a child of this JVM behind
 * (running, stopped or a zombie) and kills such children so one failure does not spill over.
 */
abstract class NoStrayProcesses {
    @AfterEach
    void noStrayChildren() throws IOException {
        List<String> strays = children();
        if (!strays.isEmpty()) {
            for (String stray : strays) {
                ProcessHandle.of(Long.parseLong(stray.substring(0, stray.indexOf(' ')))).ifPresent(ProcessHandle::destroyForcibly);
            }
            fail("stray child processes left behind: " + strays);
        }
    }

    /** Children of this JVM as "pid (comm) state" lines. */
    static List<String> children() throws IOException {
        long self = ProcessHandle.current().pid();
        List<String> found = new ArrayList<>();
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path proc : (Iterable<Path>) procs::iterator) {
                if (!proc.getFileName().toString().chars().allMatch(Character::isDigit)) {
                    continue;
                }
                String stat;
                try {
                    stat = Files.readString(proc.resolve("stat"));
                } catch (IOException gone) {
                    continue;
                }
                String[] after = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                if (Long.parseLong(after[1]) == self) {
                    found.add(stat.substring(0, stat.lastIndexOf(')') + 1) + " " + after[0]);
                }
            }
        }
        return found;
    }
}

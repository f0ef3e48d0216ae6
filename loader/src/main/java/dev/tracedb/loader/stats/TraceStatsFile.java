package dev.tracedb.loader.stats;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads one {@code .tstats} file (docs/formats/trace-stats.md): a line-oriented text file the shim
 * writes, {@code KEY VALUE} per line, trace lines last, {@code end} as the last line. Anything else
 * is a {@link TraceStatsException} naming the file and line.
 */
public final class TraceStatsFile {
    static final String MAGIC = "tracedb-trace-stats 2";
    private static final String MAGIC_PREFIX = "tracedb-trace-stats ";
    public static final String SUFFIX = ".tstats";

    private TraceStatsFile() {
    }

    /** Reads {@code file}; its id is its name without {@link #SUFFIX}. */
    public static TraceStats read(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new TraceStatsException("trace stats " + file + ": no such file", e);
        } catch (IOException e) {
            throw new TraceStatsException("trace stats " + file + ": " + e.getMessage(), e);
        }
        String name = file.getFileName().toString();
        String id = name.endsWith(SUFFIX) ? name.substring(0, name.length() - SUFFIX.length()) : name;
        return new Parser(file, id, lines).parse();
    }

    private static final class Parser {
        private final Path file;
        private final String id;
        private final List<String> lines;
        private int at;

        Parser(Path file, String id, List<String> lines) {
            this.file = file;
            this.id = id;
            this.lines = lines;
        }

        TraceStats parse() {
            if (!lines.isEmpty() && lines.get(0).startsWith(MAGIC_PREFIX) && !lines.get(0).equals(MAGIC)) {
                throw bad("format version " + lines.get(0).substring(MAGIC_PREFIX.length())
                        + ", this tracedb reads version 2 (stats measured before completions and side exits were counted)");
            }
            if (lines.isEmpty() || !lines.get(0).equals(MAGIC)) {
                throw bad("not a trace stats file (first line should be '" + MAGIC + "')");
            }
            at = 1;
            Path cache = Path.of(field("cache"));
            int cacheId = (int) Long.parseLong(number(field("cache-id"), 16), 16);
            String program = field("program");
            List<String> args = new ArrayList<>();
            while (at < lines.size() && lines.get(at).startsWith("arg ")) {
                args.add(unescape(lines.get(at++).substring(4)));
            }
            long pid = Long.parseLong(number(field("pid"), 10));
            Instant started = Instant.ofEpochMilli(Long.parseLong(number(field("started"), 10)));
            Instant ended = Instant.ofEpochMilli(Long.parseLong(number(field("ended"), 10)));
            int count = Integer.parseInt(number(field("traces"), 10));
            List<TraceStats.Measured> traces = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                traces.add(trace(field("trace")));
            }
            if (at < lines.size() && lines.get(at).startsWith("exit ")) {
                throw bad("line " + (at + 1) + ": an exit line after the last trace's exits");
            }
            if (at >= lines.size() || !lines.get(at).equals("end")) {
                throw bad("missing its last line 'end' (line " + (at + 1) + ")");
            }
            return new TraceStats(id, cache, cacheId, program, args, pid, started, ended, traces);
        }

        /**
         * "ID HEADHEX APPLIED ENTRIES COMPLETIONS EXITS MODULE" (the module path may hold spaces:
         * it is the rest), then its "exit TARGETHEX|? COUNT" lines, which must add up to EXITS.
         */
        private TraceStats.Measured trace(String value) {
            String[] parts = value.split(" ", 7);
            if (parts.length != 7 || !(parts[2].equals("0") || parts[2].equals("1"))) {
                throw bad("line " + at + ": a trace line needs ID HEAD APPLIED ENTRIES COMPLETIONS EXITS MODULE");
            }
            int line = at;
            long exits = Long.parseUnsignedLong(number(parts[5], 10));
            List<TraceStats.ExitCount> exitCounts = new ArrayList<>();
            long sum = 0;
            while (at < lines.size() && lines.get(at).startsWith("exit ")) {
                String[] exit = lines.get(at++).substring(5).split(" ", -1);
                if (exit.length != 2) {
                    throw bad("line " + at + ": an exit line needs TARGET COUNT");
                }
                long target = exit[0].equals("?") ? TraceStats.ExitCount.GUARD : Long.parseUnsignedLong(number(exit[0], 16), 16);
                long count = Long.parseUnsignedLong(number(exit[1], 10));
                exitCounts.add(new TraceStats.ExitCount(target, count));
                sum += count;
            }
            if (sum != exits) {
                throw bad("line " + line + ": the trace's exit lines add up to " + sum + ", not its " + exits + " side exits");
            }
            return new TraceStats.Measured(Integer.parseInt(number(parts[0], 10)), Long.parseUnsignedLong(number(parts[1], 16), 16),
                    unescape(parts[6]), parts[2].equals("1"), Long.parseUnsignedLong(number(parts[3], 10)),
                    Long.parseUnsignedLong(number(parts[4], 10)), exits, exitCounts);
        }

        private String field(String key) {
            if (at >= lines.size() || !lines.get(at).startsWith(key + " ")) {
                throw bad("line " + (at + 1) + ": expected '" + key + " …'" + (at >= lines.size() ? " (the file ends early)" : ""));
            }
            return unescape(lines.get(at++).substring(key.length() + 1));
        }

        private String number(String text, int radix) {
            if (text.isEmpty() || !text.chars().allMatch(c -> Character.digit(c, radix) >= 0)) {
                throw bad("line " + at + ": '" + text + "' is not a number");
            }
            return text;
        }

        private TraceStatsException bad(String what) {
            return new TraceStatsException("trace stats " + file + ": " + what);
        }
    }

    /** The shim's escaping: a backslash as two, a newline as backslash-n. */
    static String unescape(String text) {
        if (text.indexOf('\\') < 0) return text;
        StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\\' && i + 1 < text.length()) {
                char next = text.charAt(++i);
                out.append(next == 'n' ? '\n' : next);
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }
}

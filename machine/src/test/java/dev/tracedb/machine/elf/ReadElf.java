package dev.tracedb.machine.elf;

import dev.tracedb.machine.TestPrograms;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** What binutils' readelf says about a file, parsed into our types: the reference the tests compare with. */
final class ReadElf {
    private static final Pattern SEGMENT = Pattern.compile(
            "^\\s+(\\S+)\\s+0x(\\p{XDigit}+) 0x(\\p{XDigit}+) 0x\\p{XDigit}+ 0x(\\p{XDigit}+) 0x(\\p{XDigit}+) (.{3}) 0x(\\p{XDigit}+)$");
    private static final Pattern SYMBOL = Pattern.compile(
            "^\\s*\\d+: (\\p{XDigit}+)\\s+(\\S+) (\\S+)\\s+\\S+\\s+\\S+\\s+(\\S+) ?(.*)$");

    private ReadElf() {
    }

    private static String run(String option, Path file) throws Exception {
        return TestPrograms.exec(List.of("readelf", "-W", option, file.toString()));
    }

    static Optional<String> buildId(Path file) throws Exception {
        // with -W the note's type and its "Build ID: ..." share one line
        Matcher m = Pattern.compile("Build ID: (\\p{XDigit}+)").matcher(run("-n", file));
        return m.find() ? Optional.of(m.group(1)) : Optional.empty();
    }

    static Optional<String> interpreter(Path file) throws Exception {
        return run("-l", file).lines().map(String::trim)
                .filter(line -> line.startsWith("[Requesting program interpreter: "))
                .map(line -> line.substring("[Requesting program interpreter: ".length(), line.length() - 1))
                .findFirst();
    }

    static String type(Path file) throws Exception {
        return run("-h", file).lines().map(String::trim).filter(line -> line.startsWith("Type:"))
                .map(line -> line.split("\\s+")[1]).findFirst().orElseThrow();
    }

    static List<Segment> segments(Path file) throws Exception {
        List<Segment> segments = new ArrayList<>();
        for (String line : run("-l", file).split("\n")) {
            Matcher m = SEGMENT.matcher(line);
            if (m.matches()) {
                String flags = m.group(6);
                int bits = (flags.contains("R") ? Segment.READ : 0) | (flags.contains("W") ? Segment.WRITE : 0)
                        | (flags.contains("E") ? Segment.EXECUTE : 0);
                segments.add(new Segment(SegmentType.valueOf(m.group(1)), 0, hex(m.group(3)), hex(m.group(2)),
                        hex(m.group(4)), hex(m.group(5)), bits, hex(m.group(7))));
            }
        }
        return segments;
    }

    /** Named symbols as "TABLE name value size type defined" lines, comparable with ours. */
    static List<String> symbols(Path file) throws Exception {
        List<String> symbols = new ArrayList<>();
        Symbol.Table table = null;
        for (String line : run("-s", file).split("\n")) {
            if (line.startsWith("Symbol table '.symtab'")) {
                table = Symbol.Table.SYMTAB;
            } else if (line.startsWith("Symbol table '.dynsym'")) {
                table = Symbol.Table.DYNSYM;
            }
            Matcher m = SYMBOL.matcher(line);
            if (!m.matches() || m.group(5).isEmpty()) {
                continue;
            }
            String name = m.group(5).replaceFirst(" \\(\\d+\\)$", "");
            if (table == Symbol.Table.DYNSYM) {
                name = name.replaceFirst("@.*$", "");
            }
            String size = m.group(2).startsWith("0x") ? Long.toString(hex(m.group(2).substring(2))) : m.group(2);
            String type = m.group(3).equals("IFUNC") ? "GNU_IFUNC" : m.group(3);
            symbols.add(table + " " + name + " " + Long.parseUnsignedLong(m.group(1), 16) + " " + size + " " + type
                    + " " + !m.group(4).equals("UND"));
        }
        return symbols;
    }

    static String line(Symbol symbol) {
        return symbol.table() + " " + symbol.name() + " " + symbol.value() + " " + symbol.size() + " "
                + symbol.type() + " " + symbol.defined();
    }

    private static long hex(String digits) {
        return Long.parseUnsignedLong(digits, 16);
    }
}

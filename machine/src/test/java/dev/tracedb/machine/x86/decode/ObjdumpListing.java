package dev.tracedb.machine.x86.decode;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * objdump's Intel-syntax listing, by address, and a normal form of instruction text in which
 * objdump's spelling and Capstone's (which the fallback decoder imitates) compare equal.
 */
final class ObjdumpListing {
    /** One listed instruction. */
    record Line(long address, int length, String text) {
    }

    // "   26380:\tf3 0f 1e fa          \tendbr64" (with -w the bytes never wrap)
    private static final Pattern LINE = Pattern.compile("^\\s*(\\p{XDigit}+):\\t((?:\\p{XDigit}{2} )+)\\s*\\t(.*)$");
    private static final Pattern HEX = Pattern.compile("0x(\\p{XDigit}+)");
    private static final Pattern CAPSTONE_BROADCAST = Pattern.compile("(\\w+) ptr (\\[[^]]*])\\{1to\\d+}");

    private final Map<Long, Line> byAddress = new HashMap<>();
    private final List<Line> lines = new ArrayList<>();

    private ObjdumpListing() {
    }

    /** The .text section of an ELF file. */
    static ObjdumpListing text(Path elf) throws IOException, InterruptedException {
        return run(List.of("objdump", "-d", "-j", ".text", "-M", "intel", "-w", elf.toString()));
    }

    /** A file of raw x86-64 code; addresses are offsets into it. */
    static ObjdumpListing raw(Path code) throws IOException, InterruptedException {
        return run(List.of("objdump", "-D", "-b", "binary", "-m", "i386:x86-64", "-M", "intel", "-w", code.toString()));
    }

    private static ObjdumpListing run(List<String> command) throws IOException, InterruptedException {
        ObjdumpListing listing = new ObjdumpListing();
        Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try (BufferedReader reader = new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String text; (text = reader.readLine()) != null; ) {
                Matcher m = LINE.matcher(text);
                if (m.matches()) {
                    Line line = new Line(Long.parseLong(m.group(1), 16), m.group(2).length() / 3, m.group(3).strip());
                    listing.lines.add(line);
                    listing.byAddress.put(line.address(), line);
                }
            }
        }
        if (!process.waitFor(120, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new IllegalStateException(command + " failed");
        }
        return listing;
    }

    List<Line> lines() {
        return lines;
    }

    Line at(long address) {
        return byAddress.get(address);
    }

    /**
     * Lower case, no blanks, no "ptr", no "*1" scale, hex numbers in decimal, no "# target"
     * comment, no "{evex}" (objdump's mark for an EVEX form that a VEX one could encode), and broadcasts spelt objdump's way ("dword bcst [x]" for Capstone's
     * "dword ptr [x]{1to8}"). What remains must agree character by character.
     */
    static String normalize(String text) {
        String s = text.toLowerCase(Locale.ROOT);
        int comment = s.indexOf('#');
        if (comment >= 0) {
            s = s.substring(0, comment);
        }
        s = s.replace("{evex} ", "");
        s = CAPSTONE_BROADCAST.matcher(s).replaceAll("$1 bcst $2");
        s = s.replace(" ptr ", " ").replace("*1]", "]").replace("*1+", "+").replace("*1-", "-");
        Matcher hex = HEX.matcher(s);
        StringBuilder decimal = new StringBuilder();
        while (hex.find()) {
            hex.appendReplacement(decimal, Long.toUnsignedString(Long.parseUnsignedLong(hex.group(1), 16)));
        }
        hex.appendTail(decimal);
        return decimal.toString().replaceAll("\\s+", "");
    }
}

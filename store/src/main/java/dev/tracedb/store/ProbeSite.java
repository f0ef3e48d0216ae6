package dev.tracedb.store;

import java.util.Objects;

/**
 * An instruction whose destination register's value, after it executes, the recorder samples:
 * a module (the file name of a mapped module, e.g. {@code lua5.4}, or a path ending in it) and the
 * instruction's offset from that module's base. Written {@code lua5.4+0x1c479}. Immutable.
 */
public record ProbeSite(String module, long offset) {
    public ProbeSite {
        Objects.requireNonNull(module, "module");
        if (module.isEmpty() || module.contains("\n")) {
            throw new IllegalArgumentException("a probe site needs a module name: \"" + module + "\"");
        }
        if (offset < 0) throw new IllegalArgumentException("negative probe offset " + offset);
    }

    /**
     * Parses {@code MODULE+0xOFFSET} (hexadecimal with {@code 0x}, else decimal); the module name
     * is everything before the last {@code +}.
     *
     * @throws IllegalArgumentException naming the text, if it is not of that form
     */
    public static ProbeSite parse(String text) {
        String t = text.strip();
        int plus = t.lastIndexOf('+');
        if (plus <= 0 || plus == t.length() - 1) {
            throw new IllegalArgumentException("probe site \"" + text + "\" is not MODULE+0xOFFSET (e.g. lua5.4+0x1c479)");
        }
        String number = t.substring(plus + 1);
        long offset;
        try {
            offset = number.startsWith("0x") || number.startsWith("0X")
                    ? Long.parseUnsignedLong(number.substring(2), 16) : Long.parseLong(number);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("probe site \"" + text + "\": \"" + number + "\" is not an offset");
        }
        return new ProbeSite(t.substring(0, plus), offset);
    }

    /** Whether this site's module is the one mapped from {@code path} (its file name, or the whole path). */
    public boolean inModule(String path) {
        if (path.equals(module)) return true;
        int slash = path.lastIndexOf('/');
        return path.substring(slash + 1).equals(module);
    }

    @Override
    public String toString() {
        return module + "+0x" + Long.toHexString(offset);
    }
}

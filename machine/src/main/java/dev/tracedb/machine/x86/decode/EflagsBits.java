package dev.tracedb.machine.x86.decode;

/**
 * Turns Capstone's {@code X86_EFLAGS_*} bit set (x86.h) into the flags an instruction reads,
 * writes and leaves undefined. Capstone describes each flag as MODIFY, PRIOR (restored to an
 * earlier value), RESET, SET, TEST or UNDEFINED; TEST reads, everything else writes, and PRIOR
 * counts as both because "restore a prior value" is only safe to reorder if we assume the worst.
 */
final class EflagsBits {
    private static final int[] READ = new int[64];
    private static final int[] WRITTEN = new int[64];
    private static final int[] UNDEFINED = new int[64];

    static {
        // bit index, then what Capstone 4.0.2 says at that bit
        String[] table = {
            "0 MODIFY AF", "1 MODIFY CF", "2 MODIFY SF", "3 MODIFY ZF", "4 MODIFY PF", "5 MODIFY OF",
            "6 MODIFY TF", "7 MODIFY IF", "8 MODIFY DF", "9 MODIFY NT", "10 MODIFY RF",
            "11 PRIOR OF", "12 PRIOR SF", "13 PRIOR ZF", "14 PRIOR AF", "15 PRIOR PF", "16 PRIOR CF",
            "17 PRIOR TF", "18 PRIOR IF", "19 PRIOR DF", "20 PRIOR NT",
            "21 RESET OF", "22 RESET CF", "23 RESET DF", "24 RESET IF", "25 RESET SF", "26 RESET AF",
            "27 RESET TF", "28 RESET NT", "29 RESET PF", "30 SET CF", "31 SET DF", "32 SET IF",
            "33 TEST OF", "34 TEST SF", "35 TEST ZF", "36 TEST PF", "37 TEST CF", "38 TEST NT", "39 TEST DF",
            "40 UNDEFINED OF", "41 UNDEFINED SF", "42 UNDEFINED ZF", "43 UNDEFINED PF", "44 UNDEFINED AF",
            "45 UNDEFINED CF", "46 RESET RF", "47 TEST RF", "48 TEST IF", "49 TEST TF", "50 TEST AF",
            "51 RESET ZF", "52 SET OF", "53 SET SF", "54 SET ZF", "55 SET AF", "56 SET PF",
            // x86.h spells this one X86_EFLAGS_RESET_0F (a zero): it is OF
            "57 RESET OF", "58 RESET AC",
        };
        for (String row : table) {
            String[] parts = row.split(" ");
            int bit = Integer.parseInt(parts[0]);
            int flag = 1 << Flag.valueOf(parts[2]).ordinal();
            switch (parts[1]) {
                case "TEST" -> READ[bit] = flag;
                case "PRIOR" -> {
                    READ[bit] = flag;
                    WRITTEN[bit] = flag;
                }
                case "UNDEFINED" -> {
                    WRITTEN[bit] = flag;
                    UNDEFINED[bit] = flag;
                }
                default -> WRITTEN[bit] = flag;
            }
        }
    }

    private EflagsBits() {
    }

    static Flags read(long eflags) {
        return Flags.ofMask(collect(READ, eflags));
    }

    static Flags written(long eflags) {
        return Flags.ofMask(collect(WRITTEN, eflags));
    }

    static Flags undefined(long eflags) {
        return Flags.ofMask(collect(UNDEFINED, eflags));
    }

    private static int collect(int[] table, long eflags) {
        int mask = 0;
        for (long bits = eflags; bits != 0; bits &= bits - 1) {
            mask |= table[Long.numberOfTrailingZeros(bits)];
        }
        return mask;
    }
}

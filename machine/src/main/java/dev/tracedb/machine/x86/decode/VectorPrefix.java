package dev.tracedb.machine.x86.decode;

/**
 * A VEX (C4, C5) or EVEX (62) prefix with its fields un-inverted. In 64-bit mode these bytes
 * always start such a prefix (LES, LDS and BOUND do not exist there).
 *
 * @param length       prefix bytes: 2 or 3 for VEX, 4 for EVEX
 * @param map          opcode map: 1 = 0F, 2 = 0F38, 3 = 0F3A
 * @param pp           implied legacy prefix: 0 none, 1 = 66, 2 = F3, 3 = F2
 * @param vectorLength 16, 32 or 64 bytes (VEX.L / EVEX.L'L)
 * @param wide         VEX.W / EVEX.W
 * @param vvvv         the extra register operand, 0-15 (VEX) or 0-31 (EVEX, with V')
 * @param extendReg    ModRM.reg extension: REX.R in bit 3, EVEX.R' in bit 4
 * @param extendIndex  REX.X (EVEX also uses it as bit 4 of a vector ModRM.rm)
 * @param extendBase   REX.B
 * @param evex         whether this is an EVEX prefix; the fields below are 0 for VEX
 * @param mask         EVEX.aaa, the opmask register number (0 = no masking)
 * @param zeroing      EVEX.z
 * @param broadcast    EVEX.b (broadcast for memory operands, rounding control for registers)
 */
record VectorPrefix(int length, int map, int pp, int vectorLength, boolean wide, int vvvv, int extendReg,
                    int extendIndex, int extendBase, boolean evex, int mask, boolean zeroing, boolean broadcast) {

    /** The prefix at {@code code[start]}, or null if there is none or it is cut off or reserved. */
    static VectorPrefix parse(byte[] code, int start, int limit) {
        int first = code[start] & 0xff;
        int prefixLength = first == 0xc5 ? 2 : first == 0xc4 ? 3 : first == 0x62 ? 4 : 0;
        if (prefixLength == 0 || start + prefixLength > limit) {
            return null;
        }
        int p1 = code[start + 1] & 0xff;
        if (first == 0xc5) {
            return new VectorPrefix(2, 1, p1 & 3, (p1 & 4) != 0 ? 32 : 16, false, (~p1 >>> 3) & 15,
                    (~p1 >>> 7 & 1) << 3, 0, 0, false, 0, false, false);
        }
        int p2 = code[start + 2] & 0xff;
        int extendReg = (~p1 >>> 7 & 1) << 3;
        int extendIndex = ~p1 >>> 6 & 1;
        int extendBase = ~p1 >>> 5 & 1;
        boolean wide = (p2 & 0x80) != 0;
        int vvvv = (~p2 >>> 3) & 15;
        if (first == 0xc4) {
            return new VectorPrefix(3, p1 & 31, p2 & 3, (p2 & 4) != 0 ? 32 : 16, wide, vvvv, extendReg,
                    extendIndex, extendBase, false, 0, false, false);
        }
        int p3 = code[start + 3] & 0xff;
        // EVEX P0 bits 3:2 and P1 bit 2 are fixed (0 and 1) in AVX-512; anything else is not ours
        if ((p1 & 0x0c) != 0 || (p2 & 0x04) == 0) {
            return null;
        }
        int lengthBits = (p3 >>> 5) & 3;
        if (lengthBits == 3) {
            return null;
        }
        return new VectorPrefix(4, p1 & 3, p2 & 3, 16 << lengthBits, wide, vvvv | (~p3 >>> 3 & 1) << 4,
                extendReg | (~p1 >>> 4 & 1) << 4, extendIndex, extendBase, true, p3 & 7, (p3 & 0x80) != 0,
                (p3 & 0x10) != 0);
    }
}

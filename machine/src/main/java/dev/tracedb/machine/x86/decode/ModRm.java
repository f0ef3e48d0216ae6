package dev.tracedb.machine.x86.decode;

import java.util.Optional;

/**
 * A parsed ModRM byte with its SIB byte and displacement (64-bit addressing only; the fallback
 * decoder accepts no 0x67 prefix). Positions are relative to the start of the instruction, as
 * {@link Encoding} wants them.
 *
 * @param modrmOffset        where the ModRM byte is
 * @param mod                ModRM.mod (3 = register operand)
 * @param reg                ModRM.reg, without extension bits
 * @param rm                 ModRM.rm, without extension bits
 * @param base               memory base register (RIP for RIP-relative), or null
 * @param index              memory index register, or null
 * @param scale              1, 2, 4 or 8
 * @param displacement       the displacement, already multiplied by the EVEX disp8 scale
 * @param displacementOffset where the displacement bytes are, 0 if there are none
 * @param displacementSize   how many displacement bytes there are (1 or 4), 0 if none
 * @param end                the offset right after ModRM, SIB and displacement
 */
record ModRm(int modrmOffset, int mod, int reg, int rm, Register base, Register index, int scale,
             long displacement, int displacementOffset, int displacementSize, int end) {

    /**
     * Parses the ModRM at {@code code[start + modrmOffset]}; {@code extendIndex} and
     * {@code extendBase} are the REX.X and REX.B bits (0 or 1, from a VEX or EVEX prefix), and
     * {@code disp8Scale} is EVEX's compressed-displacement factor N (1 elsewhere).
     *
     * @return null if the bytes end before the ModRM, SIB or displacement does
     */
    static ModRm parse(byte[] code, int start, int limit, int modrmOffset, int extendIndex, int extendBase,
                       int disp8Scale) {
        int at = start + modrmOffset;
        if (at >= limit) {
            return null;
        }
        int modrm = code[at++] & 0xff;
        int mod = modrm >>> 6;
        int reg = (modrm >>> 3) & 7;
        int rm = modrm & 7;
        if (mod == 3) {
            return new ModRm(modrmOffset, mod, reg, rm, null, null, 1, 0, 0, 0, at - start);
        }
        Register base;
        Register index = null;
        int scale = 1;
        int displacementSize = mod == 1 ? 1 : mod == 2 ? 4 : 0;
        if (rm == 4) {
            if (at >= limit) {
                return null;
            }
            int sib = code[at++] & 0xff;
            scale = 1 << (sib >>> 6);
            int indexNumber = ((sib >>> 3) & 7) | extendIndex << 3;
            // index 100b without REX.X means "no index"
            index = indexNumber == 4 ? null : RegisterFile.gpr(indexNumber, true);
            int baseNumber = sib & 7;
            if (baseNumber == 5 && mod == 0) {
                base = null;
                displacementSize = 4;
            } else {
                base = RegisterFile.gpr(baseNumber | extendBase << 3, true);
            }
        } else if (rm == 5 && mod == 0) {
            base = Register.RIP;
            displacementSize = 4;
        } else {
            base = RegisterFile.gpr(rm | extendBase << 3, true);
        }
        int displacementOffset = displacementSize == 0 ? 0 : at - start;
        if (at + displacementSize > limit) {
            return null;
        }
        long displacement = switch (displacementSize) {
            case 1 -> (long) code[at] * disp8Scale;
            case 4 -> (code[at] & 0xff) | (code[at + 1] & 0xff) << 8 | (code[at + 2] & 0xff) << 16
                    | (long) code[at + 3] << 24;
            default -> 0;
        };
        return new ModRm(modrmOffset, mod, reg, rm, base, index, scale, displacement, displacementOffset,
                displacementSize, at + displacementSize - start);
    }

    boolean isMemory() {
        return mod != 3;
    }

    MemoryOperand memoryOperand(int sizeBytes, Access access) {
        return new MemoryOperand(Optional.empty(), Optional.ofNullable(base), Optional.ofNullable(index), scale,
                displacement, sizeBytes, access);
    }

    /** The bracketed address in Capstone's Intel style, e.g. {@code "[rsi + r9*4 - 0x10]"}. */
    String addressText() {
        StringBuilder text = new StringBuilder("[");
        if (base != null) {
            text.append(base.displayName());
        }
        if (index != null) {
            text.append(base != null ? " + " : "").append(index.displayName());
            if (scale != 1) {
                text.append('*').append(scale);
            }
        }
        if (base == null && index == null) {
            text.append(IntelText.number(displacement & 0xffffffffL));
        } else if (displacement != 0) {
            text.append(displacement < 0 ? " - " : " + ").append(IntelText.number(Math.abs(displacement)));
        }
        return text.append(']').toString();
    }
}

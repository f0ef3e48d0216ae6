package dev.tracedb.machine.x86.decode;

/**
 * The VEX-encoded AVX-512 opmask instructions (kmov, kand, kandn, kor, kxnor, kxor, kadd, knot,
 * kortest, ktest, kunpck, kshift), which Capstone 4.0.2 does not know at all. glibc's
 * {@code *_evex} and {@code *_avx512} string functions use them. Operand size comes from VEX.pp
 * and VEX.W (Intel SDM vol. 2, "kmovw/b/q/d" and friends): none/W0 = w, none/W1 = q, 66/W0 = b,
 * 66/W1 = d; the kmov forms with a general-purpose register use F2 for d and q instead.
 */
final class OpmaskInstructions {
    private OpmaskInstructions() {
    }

    /** Null unless the bytes are one of these instructions, complete within {@code limit}. */
    static Instruction decode(VectorPrefix vex, byte[] code, int start, int limit, long address) {
        int opcodeAt = start + vex.length();
        if (vex.evex() || opcodeAt >= limit) {
            return null;
        }
        int opcode = code[opcodeAt] & 0xff;
        ModRm modrm = ModRm.parse(code, start, limit, vex.length() + 1, vex.extendIndex(), vex.extendBase(), 1);
        if (modrm == null) {
            return null;
        }
        boolean twoOperands = vex.vvvv() == 0 && vex.vectorLength() == 16;
        if (vex.map() == 3) {
            // the same rule as below for map 0F: ModRM.reg names a mask register
            if (vex.extendReg() != 0) {
                return null;
            }
            return vex.pp() == 1 && twoOperands ? shift(vex, opcode, modrm, code, start, limit, address) : null;
        }
        if (vex.map() != 1) {
            return null;
        }
        char size = size(vex);
        // VEX.R extends ModRM.reg, which names a mask register except in kmov r, k (93);
        // there are only eight, and the SDM makes the encoding with R set invalid
        if (vex.extendReg() != 0 && opcode != 0x93) {
            return null;
        }
        return switch (opcode) {
            case 0x41, 0x42, 0x45, 0x46, 0x47, 0x4a -> vex.vectorLength() == 32 && size != 0 && !modrm.isMemory()
                    ? threeOperands(logicName(opcode) + size, vex, modrm, code, start, address) : null;
            case 0x4b -> vex.vectorLength() == 32 && !modrm.isMemory() && unpackSize(vex) != null
                    ? threeOperands("kunpck" + unpackSize(vex), vex, modrm, code, start, address) : null;
            case 0x44, 0x98, 0x99 -> twoOperands && size != 0 && !modrm.isMemory()
                    ? twoMasks(opcode, size, modrm, code, start, address) : null;
            case 0x90, 0x91 -> twoOperands && size != 0 && (opcode == 0x90 || modrm.isMemory())
                    ? moveMaskOrMemory(opcode, size, modrm, code, start, address) : null;
            case 0x92, 0x93 -> twoOperands && !modrm.isMemory() && gprSize(vex) != 0
                    ? moveGpr(opcode, gprSize(vex), vex, modrm, code, start, address) : null;
            default -> null;
        };
    }

    private static char size(VectorPrefix vex) {
        return switch (vex.pp()) {
            case 0 -> vex.wide() ? 'q' : 'w';
            case 1 -> vex.wide() ? 'd' : 'b';
            default -> 0;
        };
    }

    private static char gprSize(VectorPrefix vex) {
        return switch (vex.pp()) {
            case 0 -> vex.wide() ? 0 : 'w';
            case 1 -> vex.wide() ? 0 : 'b';
            case 3 -> vex.wide() ? 'q' : 'd';
            default -> 0;
        };
    }

    private static String unpackSize(VectorPrefix vex) {
        if (vex.pp() == 1 && !vex.wide()) {
            return "bw";
        }
        if (vex.pp() == 0) {
            return vex.wide() ? "dq" : "wd";
        }
        return null;
    }

    private static int bytes(char size) {
        return switch (size) {
            case 'b' -> 1;
            case 'w' -> 2;
            case 'd' -> 4;
            default -> 8;
        };
    }

    private static String logicName(int opcode) {
        return switch (opcode) {
            case 0x41 -> "kand";
            case 0x42 -> "kandn";
            case 0x45 -> "kor";
            case 0x46 -> "kxnor";
            case 0x47 -> "kxor";
            default -> "kadd";
        };
    }

    private static FallbackInstructionBuilder builder(String mnemonic, ModRm modrm) {
        return new FallbackInstructionBuilder(mnemonic, InstructionGroup.AVX512).modrmAt(modrm.modrmOffset());
    }

    private static Instruction threeOperands(String mnemonic, VectorPrefix vex, ModRm modrm, byte[] code, int start,
                                             long address) {
        return builder(mnemonic, modrm)
                .register(RegisterFile.mask(modrm.reg()), Access.WRITE)
                .register(RegisterFile.mask(vex.vvvv()), Access.READ)
                .register(RegisterFile.mask(modrm.rm()), Access.READ)
                .build(code, start, modrm.end(), address);
    }

    /** knot k, k; kortest k, k; ktest k, k. */
    private static Instruction twoMasks(int opcode, char size, ModRm modrm, byte[] code, int start, long address) {
        String name = opcode == 0x44 ? "knot" : opcode == 0x98 ? "kortest" : "ktest";
        FallbackInstructionBuilder builder = builder(name + size, modrm)
                .register(RegisterFile.mask(modrm.reg()), opcode == 0x44 ? Access.WRITE : Access.READ)
                .register(RegisterFile.mask(modrm.rm()), Access.READ);
        if (opcode != 0x44) {
            builder.writesStatusFlags();
        }
        return builder.build(code, start, modrm.end(), address);
    }

    /** 90: kmov k, k/mem; 91: kmov mem, k. */
    private static Instruction moveMaskOrMemory(int opcode, char size, ModRm modrm, byte[] code, int start,
                                                long address) {
        FallbackInstructionBuilder builder = builder("kmov" + size, modrm);
        if (opcode == 0x91) {
            builder.memory(modrm, bytes(size), Access.WRITE, 0).register(RegisterFile.mask(modrm.reg()), Access.READ);
        } else {
            builder.register(RegisterFile.mask(modrm.reg()), Access.WRITE);
            if (modrm.isMemory()) {
                builder.memory(modrm, bytes(size), Access.READ, 0);
            } else {
                builder.register(RegisterFile.mask(modrm.rm()), Access.READ);
            }
        }
        return builder.build(code, start, modrm.end(), address);
    }

    /** 92: kmov k, r32/r64; 93: kmov r32/r64, k. Only kmovq names a 64-bit register. */
    private static Instruction moveGpr(int opcode, char size, VectorPrefix vex, ModRm modrm, byte[] code, int start,
                                       long address) {
        FallbackInstructionBuilder builder = builder("kmov" + size, modrm);
        if (opcode == 0x92) {
            builder.register(RegisterFile.mask(modrm.reg()), Access.WRITE)
                    .register(RegisterFile.gpr(modrm.rm() | vex.extendBase() << 3, size == 'q'), Access.READ);
        } else {
            builder.register(RegisterFile.gpr(modrm.reg() | (vex.extendReg() & 8), size == 'q'), Access.WRITE)
                    .register(RegisterFile.mask(modrm.rm()), Access.READ);
        }
        return builder.build(code, start, modrm.end(), address);
    }

    /** 0F3A 30-33: kshiftr/kshiftl k, k, imm8; W picks the wider of the opcode's two sizes. */
    private static Instruction shift(VectorPrefix vex, int opcode, ModRm modrm, byte[] code, int start, int limit,
                                     long address) {
        if (opcode < 0x30 || opcode > 0x33 || modrm.isMemory() || start + modrm.end() >= limit) {
            return null;
        }
        String direction = opcode < 0x32 ? "kshiftr" : "kshiftl";
        char size = (opcode & 1) == 0 ? (vex.wide() ? 'w' : 'b') : (vex.wide() ? 'q' : 'd');
        return builder(direction + size, modrm)
                .register(RegisterFile.mask(modrm.reg()), Access.WRITE)
                .register(RegisterFile.mask(modrm.rm()), Access.READ)
                .immediate8(code, start, modrm.end())
                .build(code, start, modrm.end() + 1, address);
    }
}

package dev.tracedb.machine.x86.decode;

/**
 * Legacy-encoded instructions Capstone 4.0.2 lacks that glibc contains: the CET shadow-stack
 * {@code rdssp} and {@code incssp} ({@code _Unwind_*}, {@code longjmp}) and the protection-key
 * {@code rdpkru}/{@code wrpkru} ({@code pkey_get}/{@code pkey_set}). The shadow-stack pointer and
 * PKRU are not in {@link Register}; only the general-purpose registers involved are reported.
 */
final class ShadowStackAndPkuInstructions {
    private ShadowStackAndPkuInstructions() {
    }

    /** Null unless the bytes are one of these instructions, complete within {@code limit}. */
    static Instruction decode(byte[] code, int start, int limit, long address) {
        if (limit - start >= 3 && (code[start] & 0xff) == 0x0f && (code[start + 1] & 0xff) == 0x01) {
            return switch (code[start + 2] & 0xff) {
                case 0xee -> new FallbackInstructionBuilder("rdpkru", null)
                        .implicit(Register.ECX, Access.READ)
                        .implicit(Register.EAX, Access.WRITE)
                        .implicit(Register.EDX, Access.WRITE)
                        .build(code, start, 3, address);
                case 0xef -> new FallbackInstructionBuilder("wrpkru", null)
                        .implicit(Register.EAX, Access.READ)
                        .implicit(Register.ECX, Access.READ)
                        .implicit(Register.EDX, Access.READ)
                        .build(code, start, 3, address);
                default -> null;
            };
        }
        return shadowStack(code, start, limit, address);
    }

    /** F3 [REX] 0F 1E /1 (rdssp) and F3 [REX] 0F AE /5 (incssp), register forms only. */
    private static Instruction shadowStack(byte[] code, int start, int limit, long address) {
        int at = start;
        if (at >= limit || (code[at++] & 0xff) != 0xf3) {
            return null;
        }
        int rex = at < limit && (code[at] & 0xf0) == 0x40 ? code[at++] & 0x0f : 0;
        if (at + 2 >= limit || (code[at] & 0xff) != 0x0f) {
            return null;
        }
        int opcode = code[at + 1] & 0xff;
        int modrmOffset = at + 2 - start;
        ModRm modrm = ModRm.parse(code, start, limit, modrmOffset, 0, 0, 1);
        if (modrm == null || modrm.isMemory()) {
            return null;
        }
        boolean wide = (rex & 8) != 0;
        Register register = RegisterFile.gpr(modrm.rm() | (rex & 1) << 3, wide);
        Access access;
        String name;
        if (opcode == 0x1e && modrm.reg() == 1) {
            // rdssp leaves its destination unchanged when shadow stacks are off (glibc zeroes it
            // first to detect that), so the old value can survive: a read as well as a write
            name = "rdssp";
            access = Access.READ_WRITE;
        } else if (opcode == 0xae && modrm.reg() == 5) {
            name = "incssp";
            access = Access.READ;
        } else {
            return null;
        }
        return new FallbackInstructionBuilder(name + (wide ? 'q' : 'd'), null)
                .modrmAt(modrmOffset)
                .register(register, access)
                .build(code, start, modrm.end(), address);
    }
}

package dev.tracedb.machine.x86.decode;

/**
 * The EVEX-encoded instructions that glibc's AVX-512 string functions execute and that Capstone
 * 4.0.2 rejects in some vector lengths or operand forms (its tables lack, e.g., {@code vpcmpb}
 * on ymm/zmm, {@code vptestnmd} on ymm, {@code vpternlogd} entirely). Each family is decoded
 * whole, in every vector length, so that a form Capstone lacks elsewhere also decodes.
 */
final class EvexInstructions {
    private enum Shape {
        /** k1 {k2}, vvvv, r/m, imm8 predicate (vpcmp[u]b/w/d/q; the predicate names the mnemonic). */
        COMPARE_PREDICATE,
        /** k1 {k2}, vvvv, r/m. */
        COMPARE,
        /** v1 {k} {z}, vvvv, r/m, imm8 (vpternlog: v1 is also a source). */
        TERNARY_IMMEDIATE,
        /** v1 {k} {z}, xmm/m-element (vpbroadcast from a vector or memory). */
        BROADCAST
    }

    /**
     * One opcode: {@code w0}/{@code w1} are the mnemonics for EVEX.W = 0/1 (null: invalid), with
     * element sizes {@code element0}/{@code element1}; {@code %s} in a predicate compare's name
     * is where the predicate goes.
     */
    private record Form(int map, int pp, int opcode, Shape shape, String w0, int element0, String w1, int element1,
                        boolean broadcastable) {
    }

    private static final int MAP_0F = 1;
    private static final int MAP_0F38 = 2;
    private static final int MAP_0F3A = 3;
    private static final int PP_66 = 1;
    private static final int PP_F3 = 2;

    private static final Form[] FORMS = {
        new Form(MAP_0F3A, PP_66, 0x3f, Shape.COMPARE_PREDICATE, "vpcmp%sb", 1, "vpcmp%sw", 2, false),
        new Form(MAP_0F3A, PP_66, 0x3e, Shape.COMPARE_PREDICATE, "vpcmp%sub", 1, "vpcmp%suw", 2, false),
        new Form(MAP_0F3A, PP_66, 0x1f, Shape.COMPARE_PREDICATE, "vpcmp%sd", 4, "vpcmp%sq", 8, true),
        new Form(MAP_0F3A, PP_66, 0x1e, Shape.COMPARE_PREDICATE, "vpcmp%sud", 4, "vpcmp%suq", 8, true),
        // byte and word compares ignore EVEX.W (WIG); the dword ones need W0
        new Form(MAP_0F, PP_66, 0x74, Shape.COMPARE, "vpcmpeqb", 1, "vpcmpeqb", 1, false),
        new Form(MAP_0F, PP_66, 0x75, Shape.COMPARE, "vpcmpeqw", 2, "vpcmpeqw", 2, false),
        new Form(MAP_0F, PP_66, 0x76, Shape.COMPARE, "vpcmpeqd", 4, null, 0, true),
        new Form(MAP_0F, PP_66, 0x64, Shape.COMPARE, "vpcmpgtb", 1, "vpcmpgtb", 1, false),
        new Form(MAP_0F, PP_66, 0x65, Shape.COMPARE, "vpcmpgtw", 2, "vpcmpgtw", 2, false),
        new Form(MAP_0F, PP_66, 0x66, Shape.COMPARE, "vpcmpgtd", 4, null, 0, true),
        new Form(MAP_0F38, PP_66, 0x26, Shape.COMPARE, "vptestmb", 1, "vptestmw", 2, false),
        new Form(MAP_0F38, PP_66, 0x27, Shape.COMPARE, "vptestmd", 4, "vptestmq", 8, true),
        new Form(MAP_0F38, PP_F3, 0x26, Shape.COMPARE, "vptestnmb", 1, "vptestnmw", 2, false),
        new Form(MAP_0F38, PP_F3, 0x27, Shape.COMPARE, "vptestnmd", 4, "vptestnmq", 8, true),
        new Form(MAP_0F3A, PP_66, 0x25, Shape.TERNARY_IMMEDIATE, "vpternlogd", 4, "vpternlogq", 8, true),
        new Form(MAP_0F38, PP_66, 0x78, Shape.BROADCAST, "vpbroadcastb", 1, null, 0, false),
        new Form(MAP_0F38, PP_66, 0x79, Shape.BROADCAST, "vpbroadcastw", 2, null, 0, false),
    };

    /** vpcmp predicates 0-7 as objdump and Capstone name them; 3 (false) and 7 (true) keep the immediate. */
    private static final String[] PREDICATES = {"eq", "lt", "le", null, "neq", "nlt", "nle", null};

    private EvexInstructions() {
    }

    /** Null unless the bytes are one of these instructions, complete within {@code limit}. */
    static Instruction decode(VectorPrefix evex, byte[] code, int start, int limit, long address) {
        int opcodeAt = start + evex.length();
        if (!evex.evex() || opcodeAt >= limit) {
            return null;
        }
        Form form = find(evex, code[opcodeAt] & 0xff);
        String name = form == null ? null : evex.wide() ? form.w1() : form.w0();
        if (name == null) {
            return null;
        }
        int element = evex.wide() ? form.element1() : form.element0();
        int vectorBytes = evex.vectorLength();
        // what one memory operand covers, which is also EVEX's disp8 scale (Intel SDM 2.7.5)
        int memoryBytes = form.shape() == Shape.BROADCAST || evex.broadcast() ? element : vectorBytes;
        ModRm modrm = ModRm.parse(code, start, limit, evex.length() + 1, evex.extendIndex(), evex.extendBase(),
                memoryBytes);
        if (modrm == null || !valid(form, evex, modrm)) {
            return null;
        }
        boolean hasImmediate = form.shape() == Shape.COMPARE_PREDICATE || form.shape() == Shape.TERNARY_IMMEDIATE;
        int length = modrm.end() + (hasImmediate ? 1 : 0);
        if (start + length > limit) {
            return null;
        }
        int immediate = hasImmediate ? code[start + modrm.end()] & 0xff : 0;
        String predicate = form.shape() == Shape.COMPARE_PREDICATE && immediate < 8 ? PREDICATES[immediate] : null;
        String mnemonic = form.shape() == Shape.COMPARE_PREDICATE ? String.format(name, predicate == null ? "" : predicate)
                : name;
        FallbackInstructionBuilder builder = new FallbackInstructionBuilder(mnemonic, InstructionGroup.AVX512)
                .modrmAt(modrm.modrmOffset());
        Register mask = RegisterFile.mask(evex.mask());
        int destination = modrm.reg() | evex.extendReg();
        switch (form.shape()) {
            case COMPARE_PREDICATE, COMPARE -> builder.register(RegisterFile.mask(destination), Access.WRITE, mask, false);
            // merge-masking keeps unselected elements, and vpternlog reads its destination anyway
            case TERNARY_IMMEDIATE -> builder.register(RegisterFile.vector(destination, vectorBytes), Access.READ_WRITE,
                    mask, evex.zeroing());
            case BROADCAST -> builder.register(RegisterFile.vector(destination, vectorBytes),
                    evex.mask() != 0 && !evex.zeroing() ? Access.READ_WRITE : Access.WRITE, mask, evex.zeroing());
        }
        if (form.shape() != Shape.BROADCAST) {
            builder.register(RegisterFile.vector(evex.vvvv(), vectorBytes), Access.READ);
        }
        if (modrm.isMemory()) {
            builder.memory(modrm, memoryBytes, Access.READ, evex.broadcast() ? vectorBytes / element : 0);
        } else {
            int rm = modrm.rm() | evex.extendBase() << 3 | evex.extendIndex() << 4;
            builder.register(RegisterFile.vector(rm, form.shape() == Shape.BROADCAST ? 16 : vectorBytes), Access.READ);
        }
        if (hasImmediate) {
            if (predicate == null) {
                builder.immediate8(code, start, modrm.end());
            } else {
                builder.immediateWithoutText(modrm.end());
            }
        }
        return builder.build(code, start, length, address);
    }

    private static Form find(VectorPrefix evex, int opcode) {
        for (Form form : FORMS) {
            if (form.map() == evex.map() && form.pp() == evex.pp() && form.opcode() == opcode) {
                return form;
            }
        }
        return null;
    }

    /** Rejects field combinations the SDM declares invalid (#UD), rather than decoding them as something. */
    private static boolean valid(Form form, VectorPrefix evex, ModRm modrm) {
        if (evex.broadcast() && (!form.broadcastable() || !modrm.isMemory())) {
            return false;
        }
        return switch (form.shape()) {
            // a mask destination cannot be zeroed, and there are only eight mask registers for
            // EVEX.R and R' to extend; the vpbroadcast source is ModRM.rm alone
            case COMPARE_PREDICATE, COMPARE -> !evex.zeroing() && evex.extendReg() == 0;
            case BROADCAST -> evex.vvvv() == 0;
            case TERNARY_IMMEDIATE -> true;
        };
    }
}

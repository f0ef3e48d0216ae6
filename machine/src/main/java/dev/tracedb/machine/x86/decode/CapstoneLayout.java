package dev.tracedb.machine.x86.decode;

/**
 * Sizes and field offsets of the libcapstone 4.0.2 structures we read from native memory
 * ({@code capstone.h}, {@code x86.h}). A test compiles {@code testprograms/src/capstone-layout.c}
 * against the installed headers and compares every value with these constants.
 */
final class CapstoneLayout {
    static final int API_MAJOR = 4;

    static final int INSN_SIZE = 240;
    static final int INSN_ID = 0;
    static final int INSN_ADDRESS = 8;
    static final int INSN_LENGTH = 16;
    static final int INSN_BYTES = 18;
    static final int INSN_MNEMONIC = 34;
    static final int INSN_OP_STR = 66;
    static final int INSN_MNEMONIC_CAPACITY = INSN_OP_STR - INSN_MNEMONIC;
    static final int INSN_OP_STR_CAPACITY = 160;
    static final int INSN_DETAIL = 232;

    static final int DETAIL_SIZE = 1848;
    // implicit registers: uint16_t regs_read[12], uint8_t count, uint16_t regs_write[20], uint8_t count
    static final int DETAIL_REGS_READ = 0;
    static final int DETAIL_REGS_READ_COUNT = 24;
    static final int DETAIL_REGS_WRITE = 26;
    static final int DETAIL_REGS_WRITE_COUNT = 66;
    static final int DETAIL_GROUPS = 67;
    static final int DETAIL_GROUPS_COUNT = 75;
    static final int DETAIL_X86 = 80;

    static final int X86_SIZE = 464;
    static final int X86_EFLAGS = 56;
    static final int X86_OP_COUNT = 64;
    static final int X86_OPERANDS = 72;
    static final int X86_ENCODING = 456;

    static final int OP_SIZE = 48;
    static final int OP_TYPE = 0;
    static final int OP_REG = 8;
    static final int OP_IMM = 8;
    static final int OP_MEM = 8;
    static final int OP_SIZE_BYTES = 32;
    static final int OP_ACCESS = 33;

    static final int MEM_SEGMENT = 0;
    static final int MEM_BASE = 4;
    static final int MEM_INDEX = 8;
    static final int MEM_SCALE = 12;
    static final int MEM_DISP = 16;

    static final int ENCODING_MODRM_OFFSET = 0;
    static final int ENCODING_DISP_OFFSET = 1;
    static final int ENCODING_DISP_SIZE = 2;
    static final int ENCODING_IMM_OFFSET = 3;
    static final int ENCODING_IMM_SIZE = 4;

    /** {@code cs_regs} is {@code uint16_t[64]}. */
    static final int REGS_SIZE = 128;

    // x86_op_type
    static final int OP_TYPE_REG = 1;
    static final int OP_TYPE_IMM = 2;
    static final int OP_TYPE_MEM = 3;

    // cs_ac_type
    static final int ACCESS_READ = 1;
    static final int ACCESS_WRITE = 2;

    private CapstoneLayout() {
    }
}

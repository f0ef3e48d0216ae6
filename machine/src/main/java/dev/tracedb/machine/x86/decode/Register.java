package dev.tracedb.machine.x86.decode;

/**
 * An x86-64 register as the decoder reports it. Our own names, independent of Capstone's numbering:
 * the decoder maps Capstone's register ids to these by name when it opens, and refuses to open if
 * any id has no counterpart here.
 */
public enum Register {

    // 64-bit general-purpose registers
    RAX(Kind.GENERAL_PURPOSE, 8, "RAX"),
    RBX(Kind.GENERAL_PURPOSE, 8, "RBX"),
    RCX(Kind.GENERAL_PURPOSE, 8, "RCX"),
    RDX(Kind.GENERAL_PURPOSE, 8, "RDX"),
    RSI(Kind.GENERAL_PURPOSE, 8, "RSI"),
    RDI(Kind.GENERAL_PURPOSE, 8, "RDI"),
    RBP(Kind.GENERAL_PURPOSE, 8, "RBP"),
    RSP(Kind.GENERAL_PURPOSE, 8, "RSP"),
    R8(Kind.GENERAL_PURPOSE, 8, "R8"),
    R9(Kind.GENERAL_PURPOSE, 8, "R9"),
    R10(Kind.GENERAL_PURPOSE, 8, "R10"),
    R11(Kind.GENERAL_PURPOSE, 8, "R11"),
    R12(Kind.GENERAL_PURPOSE, 8, "R12"),
    R13(Kind.GENERAL_PURPOSE, 8, "R13"),
    R14(Kind.GENERAL_PURPOSE, 8, "R14"),
    R15(Kind.GENERAL_PURPOSE, 8, "R15"),

    // their low 32 bits (writing one zero-extends into the full register)
    EAX(Kind.GENERAL_PURPOSE, 4, "RAX"),
    EBX(Kind.GENERAL_PURPOSE, 4, "RBX"),
    ECX(Kind.GENERAL_PURPOSE, 4, "RCX"),
    EDX(Kind.GENERAL_PURPOSE, 4, "RDX"),
    ESI(Kind.GENERAL_PURPOSE, 4, "RSI"),
    EDI(Kind.GENERAL_PURPOSE, 4, "RDI"),
    EBP(Kind.GENERAL_PURPOSE, 4, "RBP"),
    ESP(Kind.GENERAL_PURPOSE, 4, "RSP"),
    R8D(Kind.GENERAL_PURPOSE, 4, "R8"),
    R9D(Kind.GENERAL_PURPOSE, 4, "R9"),
    R10D(Kind.GENERAL_PURPOSE, 4, "R10"),
    R11D(Kind.GENERAL_PURPOSE, 4, "R11"),
    R12D(Kind.GENERAL_PURPOSE, 4, "R12"),
    R13D(Kind.GENERAL_PURPOSE, 4, "R13"),
    R14D(Kind.GENERAL_PURPOSE, 4, "R14"),
    R15D(Kind.GENERAL_PURPOSE, 4, "R15"),

    // their low 16 bits
    AX(Kind.GENERAL_PURPOSE, 2, "RAX"),
    BX(Kind.GENERAL_PURPOSE, 2, "RBX"),
    CX(Kind.GENERAL_PURPOSE, 2, "RCX"),
    DX(Kind.GENERAL_PURPOSE, 2, "RDX"),
    SI(Kind.GENERAL_PURPOSE, 2, "RSI"),
    DI(Kind.GENERAL_PURPOSE, 2, "RDI"),
    BP(Kind.GENERAL_PURPOSE, 2, "RBP"),
    SP(Kind.GENERAL_PURPOSE, 2, "RSP"),
    R8W(Kind.GENERAL_PURPOSE, 2, "R8"),
    R9W(Kind.GENERAL_PURPOSE, 2, "R9"),
    R10W(Kind.GENERAL_PURPOSE, 2, "R10"),
    R11W(Kind.GENERAL_PURPOSE, 2, "R11"),
    R12W(Kind.GENERAL_PURPOSE, 2, "R12"),
    R13W(Kind.GENERAL_PURPOSE, 2, "R13"),
    R14W(Kind.GENERAL_PURPOSE, 2, "R14"),
    R15W(Kind.GENERAL_PURPOSE, 2, "R15"),

    // their low 8 bits, then the legacy high bytes (bits 8-15)
    AL(Kind.GENERAL_PURPOSE, 1, "RAX"),
    BL(Kind.GENERAL_PURPOSE, 1, "RBX"),
    CL(Kind.GENERAL_PURPOSE, 1, "RCX"),
    DL(Kind.GENERAL_PURPOSE, 1, "RDX"),
    SIL(Kind.GENERAL_PURPOSE, 1, "RSI"),
    DIL(Kind.GENERAL_PURPOSE, 1, "RDI"),
    BPL(Kind.GENERAL_PURPOSE, 1, "RBP"),
    SPL(Kind.GENERAL_PURPOSE, 1, "RSP"),
    R8B(Kind.GENERAL_PURPOSE, 1, "R8"),
    R9B(Kind.GENERAL_PURPOSE, 1, "R9"),
    R10B(Kind.GENERAL_PURPOSE, 1, "R10"),
    R11B(Kind.GENERAL_PURPOSE, 1, "R11"),
    R12B(Kind.GENERAL_PURPOSE, 1, "R12"),
    R13B(Kind.GENERAL_PURPOSE, 1, "R13"),
    R14B(Kind.GENERAL_PURPOSE, 1, "R14"),
    R15B(Kind.GENERAL_PURPOSE, 1, "R15"),
    AH(Kind.GENERAL_PURPOSE, 1, "RAX"),
    BH(Kind.GENERAL_PURPOSE, 1, "RBX"),
    CH(Kind.GENERAL_PURPOSE, 1, "RCX"),
    DH(Kind.GENERAL_PURPOSE, 1, "RDX"),

    // instruction pointer (RIP-relative addressing)
    RIP(Kind.INSTRUCTION_POINTER, 8, "RIP"),
    EIP(Kind.INSTRUCTION_POINTER, 4, "RIP"),
    IP(Kind.INSTRUCTION_POINTER, 2, "RIP"),

    // flags register; which flags an instruction touches is in Instruction's Flags
    RFLAGS(Kind.FLAGS, 8, "RFLAGS"),

    // pseudo index registers that always read as zero (printed by some SIB encodings)
    RIZ(Kind.ZERO_INDEX, 8, "RIZ"),
    EIZ(Kind.ZERO_INDEX, 4, "RIZ"),

    // segment registers (FS and GS bases matter in 64-bit mode)
    CS(Kind.SEGMENT, 2, "CS"),
    DS(Kind.SEGMENT, 2, "DS"),
    ES(Kind.SEGMENT, 2, "ES"),
    FS(Kind.SEGMENT, 2, "FS"),
    GS(Kind.SEGMENT, 2, "GS"),
    SS(Kind.SEGMENT, 2, "SS"),

    // control and debug registers (privileged)
    CR0(Kind.CONTROL, 8, "CR0"),
    CR1(Kind.CONTROL, 8, "CR1"),
    CR2(Kind.CONTROL, 8, "CR2"),
    CR3(Kind.CONTROL, 8, "CR3"),
    CR4(Kind.CONTROL, 8, "CR4"),
    CR5(Kind.CONTROL, 8, "CR5"),
    CR6(Kind.CONTROL, 8, "CR6"),
    CR7(Kind.CONTROL, 8, "CR7"),
    CR8(Kind.CONTROL, 8, "CR8"),
    CR9(Kind.CONTROL, 8, "CR9"),
    CR10(Kind.CONTROL, 8, "CR10"),
    CR11(Kind.CONTROL, 8, "CR11"),
    CR12(Kind.CONTROL, 8, "CR12"),
    CR13(Kind.CONTROL, 8, "CR13"),
    CR14(Kind.CONTROL, 8, "CR14"),
    CR15(Kind.CONTROL, 8, "CR15"),
    DR0(Kind.DEBUG, 8, "DR0"),
    DR1(Kind.DEBUG, 8, "DR1"),
    DR2(Kind.DEBUG, 8, "DR2"),
    DR3(Kind.DEBUG, 8, "DR3"),
    DR4(Kind.DEBUG, 8, "DR4"),
    DR5(Kind.DEBUG, 8, "DR5"),
    DR6(Kind.DEBUG, 8, "DR6"),
    DR7(Kind.DEBUG, 8, "DR7"),
    DR8(Kind.DEBUG, 8, "DR8"),
    DR9(Kind.DEBUG, 8, "DR9"),
    DR10(Kind.DEBUG, 8, "DR10"),
    DR11(Kind.DEBUG, 8, "DR11"),
    DR12(Kind.DEBUG, 8, "DR12"),
    DR13(Kind.DEBUG, 8, "DR13"),
    DR14(Kind.DEBUG, 8, "DR14"),
    DR15(Kind.DEBUG, 8, "DR15"),

    // x87 stack (STi) and physical (FPi) registers, x87 status word
    ST0(Kind.X87, 10, "ST0"),
    ST1(Kind.X87, 10, "ST1"),
    ST2(Kind.X87, 10, "ST2"),
    ST3(Kind.X87, 10, "ST3"),
    ST4(Kind.X87, 10, "ST4"),
    ST5(Kind.X87, 10, "ST5"),
    ST6(Kind.X87, 10, "ST6"),
    ST7(Kind.X87, 10, "ST7"),
    FP0(Kind.X87, 10, "FP0"),
    FP1(Kind.X87, 10, "FP1"),
    FP2(Kind.X87, 10, "FP2"),
    FP3(Kind.X87, 10, "FP3"),
    FP4(Kind.X87, 10, "FP4"),
    FP5(Kind.X87, 10, "FP5"),
    FP6(Kind.X87, 10, "FP6"),
    FP7(Kind.X87, 10, "FP7"),
    FPSW(Kind.X87, 2, "FPSW"),

    // MMX and AVX-512 mask registers
    MM0(Kind.MMX, 8, "MM0"),
    MM1(Kind.MMX, 8, "MM1"),
    MM2(Kind.MMX, 8, "MM2"),
    MM3(Kind.MMX, 8, "MM3"),
    MM4(Kind.MMX, 8, "MM4"),
    MM5(Kind.MMX, 8, "MM5"),
    MM6(Kind.MMX, 8, "MM6"),
    MM7(Kind.MMX, 8, "MM7"),
    K0(Kind.MASK, 8, "K0"),
    K1(Kind.MASK, 8, "K1"),
    K2(Kind.MASK, 8, "K2"),
    K3(Kind.MASK, 8, "K3"),
    K4(Kind.MASK, 8, "K4"),
    K5(Kind.MASK, 8, "K5"),
    K6(Kind.MASK, 8, "K6"),
    K7(Kind.MASK, 8, "K7"),

    // SSE/AVX/AVX-512 vector registers
    XMM0(Kind.VECTOR, 16, "XMM0"),
    XMM1(Kind.VECTOR, 16, "XMM1"),
    XMM2(Kind.VECTOR, 16, "XMM2"),
    XMM3(Kind.VECTOR, 16, "XMM3"),
    XMM4(Kind.VECTOR, 16, "XMM4"),
    XMM5(Kind.VECTOR, 16, "XMM5"),
    XMM6(Kind.VECTOR, 16, "XMM6"),
    XMM7(Kind.VECTOR, 16, "XMM7"),
    XMM8(Kind.VECTOR, 16, "XMM8"),
    XMM9(Kind.VECTOR, 16, "XMM9"),
    XMM10(Kind.VECTOR, 16, "XMM10"),
    XMM11(Kind.VECTOR, 16, "XMM11"),
    XMM12(Kind.VECTOR, 16, "XMM12"),
    XMM13(Kind.VECTOR, 16, "XMM13"),
    XMM14(Kind.VECTOR, 16, "XMM14"),
    XMM15(Kind.VECTOR, 16, "XMM15"),
    XMM16(Kind.VECTOR, 16, "XMM16"),
    XMM17(Kind.VECTOR, 16, "XMM17"),
    XMM18(Kind.VECTOR, 16, "XMM18"),
    XMM19(Kind.VECTOR, 16, "XMM19"),
    XMM20(Kind.VECTOR, 16, "XMM20"),
    XMM21(Kind.VECTOR, 16, "XMM21"),
    XMM22(Kind.VECTOR, 16, "XMM22"),
    XMM23(Kind.VECTOR, 16, "XMM23"),
    XMM24(Kind.VECTOR, 16, "XMM24"),
    XMM25(Kind.VECTOR, 16, "XMM25"),
    XMM26(Kind.VECTOR, 16, "XMM26"),
    XMM27(Kind.VECTOR, 16, "XMM27"),
    XMM28(Kind.VECTOR, 16, "XMM28"),
    XMM29(Kind.VECTOR, 16, "XMM29"),
    XMM30(Kind.VECTOR, 16, "XMM30"),
    XMM31(Kind.VECTOR, 16, "XMM31"),
    YMM0(Kind.VECTOR, 32, "YMM0"),
    YMM1(Kind.VECTOR, 32, "YMM1"),
    YMM2(Kind.VECTOR, 32, "YMM2"),
    YMM3(Kind.VECTOR, 32, "YMM3"),
    YMM4(Kind.VECTOR, 32, "YMM4"),
    YMM5(Kind.VECTOR, 32, "YMM5"),
    YMM6(Kind.VECTOR, 32, "YMM6"),
    YMM7(Kind.VECTOR, 32, "YMM7"),
    YMM8(Kind.VECTOR, 32, "YMM8"),
    YMM9(Kind.VECTOR, 32, "YMM9"),
    YMM10(Kind.VECTOR, 32, "YMM10"),
    YMM11(Kind.VECTOR, 32, "YMM11"),
    YMM12(Kind.VECTOR, 32, "YMM12"),
    YMM13(Kind.VECTOR, 32, "YMM13"),
    YMM14(Kind.VECTOR, 32, "YMM14"),
    YMM15(Kind.VECTOR, 32, "YMM15"),
    YMM16(Kind.VECTOR, 32, "YMM16"),
    YMM17(Kind.VECTOR, 32, "YMM17"),
    YMM18(Kind.VECTOR, 32, "YMM18"),
    YMM19(Kind.VECTOR, 32, "YMM19"),
    YMM20(Kind.VECTOR, 32, "YMM20"),
    YMM21(Kind.VECTOR, 32, "YMM21"),
    YMM22(Kind.VECTOR, 32, "YMM22"),
    YMM23(Kind.VECTOR, 32, "YMM23"),
    YMM24(Kind.VECTOR, 32, "YMM24"),
    YMM25(Kind.VECTOR, 32, "YMM25"),
    YMM26(Kind.VECTOR, 32, "YMM26"),
    YMM27(Kind.VECTOR, 32, "YMM27"),
    YMM28(Kind.VECTOR, 32, "YMM28"),
    YMM29(Kind.VECTOR, 32, "YMM29"),
    YMM30(Kind.VECTOR, 32, "YMM30"),
    YMM31(Kind.VECTOR, 32, "YMM31"),
    ZMM0(Kind.VECTOR, 64, "ZMM0"),
    ZMM1(Kind.VECTOR, 64, "ZMM1"),
    ZMM2(Kind.VECTOR, 64, "ZMM2"),
    ZMM3(Kind.VECTOR, 64, "ZMM3"),
    ZMM4(Kind.VECTOR, 64, "ZMM4"),
    ZMM5(Kind.VECTOR, 64, "ZMM5"),
    ZMM6(Kind.VECTOR, 64, "ZMM6"),
    ZMM7(Kind.VECTOR, 64, "ZMM7"),
    ZMM8(Kind.VECTOR, 64, "ZMM8"),
    ZMM9(Kind.VECTOR, 64, "ZMM9"),
    ZMM10(Kind.VECTOR, 64, "ZMM10"),
    ZMM11(Kind.VECTOR, 64, "ZMM11"),
    ZMM12(Kind.VECTOR, 64, "ZMM12"),
    ZMM13(Kind.VECTOR, 64, "ZMM13"),
    ZMM14(Kind.VECTOR, 64, "ZMM14"),
    ZMM15(Kind.VECTOR, 64, "ZMM15"),
    ZMM16(Kind.VECTOR, 64, "ZMM16"),
    ZMM17(Kind.VECTOR, 64, "ZMM17"),
    ZMM18(Kind.VECTOR, 64, "ZMM18"),
    ZMM19(Kind.VECTOR, 64, "ZMM19"),
    ZMM20(Kind.VECTOR, 64, "ZMM20"),
    ZMM21(Kind.VECTOR, 64, "ZMM21"),
    ZMM22(Kind.VECTOR, 64, "ZMM22"),
    ZMM23(Kind.VECTOR, 64, "ZMM23"),
    ZMM24(Kind.VECTOR, 64, "ZMM24"),
    ZMM25(Kind.VECTOR, 64, "ZMM25"),
    ZMM26(Kind.VECTOR, 64, "ZMM26"),
    ZMM27(Kind.VECTOR, 64, "ZMM27"),
    ZMM28(Kind.VECTOR, 64, "ZMM28"),
    ZMM29(Kind.VECTOR, 64, "ZMM29"),
    ZMM30(Kind.VECTOR, 64, "ZMM30"),
    ZMM31(Kind.VECTOR, 64, "ZMM31");

    /** What kind of register this is; decides how a translator may save or spill it. */
    public enum Kind {
        GENERAL_PURPOSE, INSTRUCTION_POINTER, FLAGS, ZERO_INDEX, SEGMENT, CONTROL, DEBUG, X87, MMX, MASK, VECTOR
    }

    private final Kind kind;
    private final int sizeBytes;
    private final String fullName;

    Register(Kind kind, int sizeBytes, String fullName) {
        this.kind = kind;
        this.sizeBytes = sizeBytes;
        this.fullName = fullName;
    }

    public Kind kind() {
        return kind;
    }

    /** Width in bytes (x87 registers are 10). */
    public int sizeBytes() {
        return sizeBytes;
    }

    /**
     * The 64-bit register this one is part of (EAX, AX, AL and AH are parts of RAX; EIP of RIP);
     * every other register is its own full register. Vector registers are not widened, because
     * whether XMM0 is part of YMM0 or ZMM0 depends on the CPU, not on the instruction.
     */
    public Register full() {
        return fullName.equals(name()) ? this : valueOf(fullName);
    }

    /** Lower-case name as printed in Intel syntax ("rax", "st0"). */
    public String displayName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}

package dev.tracedb.machine.x86.decode;

import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Translates Capstone's numeric register and group ids into our enums. The tables are built by
 * asking the library for each id's name, so they follow the installed library rather than a copy
 * of its header; an id whose name we do not know fails the decoder's construction.
 */
final class CapstoneIds {
    /** {@code X86_REG_ENDING} in Capstone 4.0.2: ids 1..241 are registers. */
    static final int REGISTER_ID_LIMIT = 242;
    /** Group ids are bytes; Capstone 4.0.2 uses 1..7 and 128..169. */
    static final int GROUP_ID_LIMIT = 256;

    private static final Map<String, InstructionGroup> GROUPS_BY_CAPSTONE_NAME = Map.ofEntries(
            Map.entry("jump", InstructionGroup.JUMP),
            Map.entry("call", InstructionGroup.CALL),
            Map.entry("ret", InstructionGroup.RET),
            Map.entry("int", InstructionGroup.INT),
            Map.entry("iret", InstructionGroup.IRET),
            Map.entry("privilege", InstructionGroup.PRIVILEGE),
            Map.entry("branch_relative", InstructionGroup.BRANCH_RELATIVE),
            Map.entry("fpu", InstructionGroup.FPU),
            Map.entry("mmx", InstructionGroup.MMX),
            Map.entry("sse1", InstructionGroup.SSE),
            Map.entry("sse2", InstructionGroup.SSE),
            Map.entry("sse3", InstructionGroup.SSE),
            Map.entry("ssse3", InstructionGroup.SSE),
            Map.entry("sse41", InstructionGroup.SSE),
            Map.entry("sse42", InstructionGroup.SSE),
            Map.entry("sse4a", InstructionGroup.SSE),
            Map.entry("avx", InstructionGroup.AVX),
            Map.entry("avx2", InstructionGroup.AVX2),
            Map.entry("avx512", InstructionGroup.AVX512),
            Map.entry("fma", InstructionGroup.FMA),
            Map.entry("fma4", InstructionGroup.FMA),
            Map.entry("aes", InstructionGroup.AES),
            Map.entry("sha", InstructionGroup.SHA),
            Map.entry("bmi", InstructionGroup.BMI),
            Map.entry("bmi2", InstructionGroup.BMI),
            Map.entry("rtm", InstructionGroup.RTM),
            Map.entry("vm", InstructionGroup.VM));

    private final Register[] registers = new Register[REGISTER_ID_LIMIT];
    private final InstructionGroup[] groups = new InstructionGroup[GROUP_ID_LIMIT];
    // Optional instances made once, so that memory operands do not allocate them per instruction
    private final Optional<Register>[] optionalRegisters;

    @SuppressWarnings("unchecked")
    CapstoneIds(long handle) {
        optionalRegisters = new Optional[REGISTER_ID_LIMIT];
        optionalRegisters[0] = Optional.empty();
        for (int id = 1; id < REGISTER_ID_LIMIT; id++) {
            String name = Capstone.cs_reg_name(handle, id);
            if (name == null) {
                throw new DecoderUnavailableException("libcapstone has no name for register id " + id
                        + "; expected Capstone 4.0.2's " + (REGISTER_ID_LIMIT - 1) + " registers", null);
            }
            // Capstone spells the x87 stack "st(0)"; we say ST0
            String ours = name.toUpperCase(Locale.ROOT).replace("(", "").replace(")", "");
            try {
                registers[id] = Register.valueOf(ours);
            } catch (IllegalArgumentException e) {
                throw new DecoderUnavailableException("libcapstone register " + name + " (id " + id
                        + ") has no counterpart in " + Register.class.getName(), e);
            }
            optionalRegisters[id] = Optional.of(registers[id]);
        }
        for (int id = 1; id < GROUP_ID_LIMIT; id++) {
            String name = Capstone.cs_group_name(handle, id);
            if (name != null) {
                // groups we do not model (mode64, not64bitmode, cmov, ...) stay null and are dropped
                groups[id] = GROUPS_BY_CAPSTONE_NAME.get(name);
            }
        }
    }

    /** Our register for a Capstone id; null for 0 (X86_REG_INVALID). */
    Register register(int id) {
        return registers[id];
    }

    Optional<Register> optionalRegister(int id) {
        return optionalRegisters[id];
    }

    /** Our group for a Capstone group id, or null if we do not model that group. */
    InstructionGroup group(int id) {
        return groups[id];
    }
}

package dev.tracedb.machine.x86.decode;

import dev.tracedb.machine.TestPrograms;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

import static dev.tracedb.machine.x86.decode.CapstoneLayout.*;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Our offsets against {@code offsetof} in the installed headers (testprograms/src/capstone-layout.c). */
class CapstoneLayoutTest {

    @Test
    void constantsMatchTheInstalledHeaders() throws Exception {
        Map<String, Integer> expected = new LinkedHashMap<>();
        expected.put("sizeof.cs_insn", INSN_SIZE);
        expected.put("cs_insn.id", INSN_ID);
        expected.put("cs_insn.address", INSN_ADDRESS);
        expected.put("cs_insn.size", INSN_LENGTH);
        expected.put("cs_insn.bytes", INSN_BYTES);
        expected.put("cs_insn.mnemonic", INSN_MNEMONIC);
        expected.put("cs_insn.op_str", INSN_OP_STR);
        expected.put("cs_insn.detail", INSN_DETAIL);
        expected.put("sizeof.cs_detail", DETAIL_SIZE);
        expected.put("cs_detail.groups", DETAIL_GROUPS);
        expected.put("cs_detail.groups_count", DETAIL_GROUPS_COUNT);
        expected.put("cs_detail.x86", DETAIL_X86);
        expected.put("sizeof.cs_x86", X86_SIZE);
        expected.put("cs_x86.eflags", X86_EFLAGS);
        expected.put("cs_x86.op_count", X86_OP_COUNT);
        expected.put("cs_x86.operands", X86_OPERANDS);
        expected.put("cs_x86.encoding", X86_ENCODING);
        expected.put("sizeof.cs_x86_op", OP_SIZE);
        expected.put("cs_x86_op.type", OP_TYPE);
        expected.put("cs_x86_op.reg", OP_REG);
        expected.put("cs_x86_op.imm", OP_IMM);
        expected.put("cs_x86_op.mem", OP_MEM);
        expected.put("cs_x86_op.size", OP_SIZE_BYTES);
        expected.put("cs_x86_op.access", OP_ACCESS);
        expected.put("x86_op_mem.segment", MEM_SEGMENT);
        expected.put("x86_op_mem.base", MEM_BASE);
        expected.put("x86_op_mem.index", MEM_INDEX);
        expected.put("x86_op_mem.scale", MEM_SCALE);
        expected.put("x86_op_mem.disp", MEM_DISP);
        expected.put("cs_x86_encoding.modrm_offset", ENCODING_MODRM_OFFSET);
        expected.put("cs_x86_encoding.disp_offset", ENCODING_DISP_OFFSET);
        expected.put("cs_x86_encoding.disp_size", ENCODING_DISP_SIZE);
        expected.put("cs_x86_encoding.imm_offset", ENCODING_IMM_OFFSET);
        expected.put("cs_x86_encoding.imm_size", ENCODING_IMM_SIZE);
        expected.put("sizeof.cs_regs", REGS_SIZE);

        Map<String, Integer> actual = new LinkedHashMap<>();
        String version = null;
        for (String line : TestPrograms.run("capstone-layout").split("\n")) {
            String[] parts = line.split(" ");
            if (parts[0].equals("version")) {
                version = parts[1];
            } else {
                actual.put(parts[0], Integer.parseInt(parts[1]));
            }
        }
        assertEquals(API_MAJOR + ".0", version, "libcapstone-dev headers");
        assertEquals(expected, actual);
        assertEquals(INSN_DETAIL - INSN_OP_STR, INSN_OP_STR_CAPACITY + 6, "op_str is char[160], then padding");
    }
}

/* Prints the sizes and field offsets of the Capstone 4.0.2 structures that the Java decoder
 * (dev.tracedb.machine.x86.decode.CapstoneLayout) reads from native memory at fixed offsets.
 * A test compares every line with the Java constants, so a different libcapstone-dev layout
 * fails the build instead of silently decoding garbage. Needs only the headers, not the library. */
#include <capstone/capstone.h>
#include <stddef.h>
#include <stdio.h>

#define SIZE(type) printf("sizeof.%s %zu\n", #type, sizeof(type))
#define OFF(type, field) printf("%s.%s %zu\n", #type, #field, offsetof(type, field))

int main(void) {
    printf("version %d.%d\n", CS_API_MAJOR, CS_API_MINOR);
    SIZE(cs_insn);
    OFF(cs_insn, id);
    OFF(cs_insn, address);
    OFF(cs_insn, size);
    OFF(cs_insn, bytes);
    OFF(cs_insn, mnemonic);
    OFF(cs_insn, op_str);
    OFF(cs_insn, detail);
    SIZE(cs_detail);
    OFF(cs_detail, groups);
    OFF(cs_detail, groups_count);
    OFF(cs_detail, x86);
    SIZE(cs_x86);
    OFF(cs_x86, eflags);
    OFF(cs_x86, op_count);
    OFF(cs_x86, operands);
    OFF(cs_x86, encoding);
    SIZE(cs_x86_op);
    OFF(cs_x86_op, type);
    OFF(cs_x86_op, reg);
    OFF(cs_x86_op, imm);
    OFF(cs_x86_op, mem);
    OFF(cs_x86_op, size);
    OFF(cs_x86_op, access);
    OFF(x86_op_mem, segment);
    OFF(x86_op_mem, base);
    OFF(x86_op_mem, index);
    OFF(x86_op_mem, scale);
    OFF(x86_op_mem, disp);
    OFF(cs_x86_encoding, modrm_offset);
    OFF(cs_x86_encoding, disp_offset);
    OFF(cs_x86_encoding, disp_size);
    OFF(cs_x86_encoding, imm_offset);
    OFF(cs_x86_encoding, imm_size);
    SIZE(cs_regs);
    return 0;
}

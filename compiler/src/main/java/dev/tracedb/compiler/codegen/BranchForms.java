package dev.tracedb.compiler.codegen;

import dev.tracedb.machine.x86.decode.Instruction;
import dev.tracedb.machine.x86.encode.Assembler;
import dev.tracedb.machine.x86.encode.Condition;
import dev.tracedb.store.Terminator;
import dev.tracedb.store.Terminators;

/**
 * The encodings of block-ending instructions that code generation understands, read from the
 * bytes: anything else (far transfers, 16-bit operand or address sizes) is refused rather than
 * guessed at.
 */
final class BranchForms {
    static final int CALL_DIGIT = 2;
    static final int JMP_DIGIT = 4;

    private BranchForms() {}

    /** The terminator kind of the block, from its bytes, by the log's own rule. */
    static Terminator terminatorOf(DecodedBlock block) {
        return Terminators.of(block.last(), true);
    }

    /** Index of the opcode in {@code b}: after legacy prefixes and REX. */
    static int opcodeIndex(byte[] b) {
        int i = 0;
        while (i < b.length && isLegacyPrefix(b[i] & 0xff)) {
            i++;
        }
        if (i < b.length && (b[i] & 0xf0) == 0x40) {
            i++;
        }
        return i;
    }

    static boolean hasPrefix(Instruction insn, int prefix) {
        byte[] b = insn.bytes();
        for (int i = 0; i < b.length && isLegacyPrefix(b[i] & 0xff); i++) {
            if ((b[i] & 0xff) == prefix) {
                return true;
            }
        }
        return false;
    }

    private static boolean isLegacyPrefix(int x) {
        return x == 0x66 || x == 0x67 || x == 0xf0 || x == 0xf2 || x == 0xf3 || x == 0x2e
                || x == 0x36 || x == 0x3e || x == 0x26 || x == 0x64 || x == 0x65;
    }

    private static int opcode(Instruction insn) {
        byte[] b = insn.bytes();
        return b[opcodeIndex(b)] & 0xff;
    }

    static void requireDirectCall(Instruction call) {
        if (opcode(call) != 0xe8 || hasPrefix(call, 0x66)) {
            throw new TraceRefusedException("unknown call form: " + call);
        }
    }

    /** The bytes a {@code ret} pops beyond the return address: 0, or the imm16 of {@code ret imm16}. */
    static int returnPop(Instruction ret) {
        byte[] b = ret.bytes();
        int p = opcodeIndex(b);
        int op = b[p] & 0xff;
        if (hasPrefix(ret, 0x66) || op != 0xc3 && op != 0xc2) {
            throw new TraceRefusedException("far or 16-bit return: " + ret);
        }
        return op == 0xc2 ? (b[p + 1] & 0xff) | (b[p + 2] & 0xff) << 8 : 0;
    }

    /** {@code ret} or {@code ret imm16}. */
    static void emitReturn(Assembler a, int pop) {
        if (pop == 0) {
            a.ret();
        } else {
            a.buffer().emit8(0xc2);
            a.buffer().emit16(pop);
        }
    }

    /** An indirect near jmp (FF /4) or call (FF /2) with a 64-bit operand; nothing else. */
    static void requireIndirect(Instruction branch, int digit) {
        byte[] b = branch.bytes();
        int p = opcodeIndex(b);
        int modrm = branch.encoding().modrmOffset();
        if ((b[p] & 0xff) != 0xff || modrm != p + 1 || ((b[modrm] >> 3) & 7) != digit
                || hasPrefix(branch, 0x66) || hasPrefix(branch, 0x67)) {
            throw new TraceRefusedException("far or unknown indirect branch form: " + branch);
        }
    }

    /** The condition of a {@code jcc} (rel8 or rel32). */
    static Condition condition(Instruction jcc) {
        byte[] b = jcc.bytes();
        int p = opcodeIndex(b);
        int op = b[p] & 0xff;
        int cc;
        if (op >= 0x70 && op <= 0x7f) {
            cc = op & 0x0f;
        } else if (op == 0x0f && p + 1 < b.length && (b[p + 1] & 0xf0) == 0x80) {
            cc = b[p + 1] & 0x0f;
        } else {
            throw new TraceRefusedException("unknown conditional branch form: " + jcc);
        }
        return Condition.values()[cc];
    }
}

package dev.tracedb.machine.x86.encode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Assembles a large table of instructions into one buffer and has an independent decoder, GNU
 * objdump, disassemble it: every instruction must start where the encoder said it would and read
 * back as the expected Intel text. The expected text is written from the test's own operands, never
 * from the encoder's objects.
 */
class ObjdumpRoundTripTest {
    private static final long BASE = 0x10000000L;
    private static final Gpr[] REGS = Gpr.values();
    private static final int[] DISPS = {0, 0x10, -0x80, 0x1000};
    private static final int[] IMMS = {1, -1, 127, 128, -128, -129, 0x12345678, Integer.MIN_VALUE};
    private static final Pattern LINE = Pattern.compile("^\\s*([0-9a-f]+):\\t([0-9a-f ]+)\\t(.*)$");

    private record Case(String expected, Consumer<Assembler> emit) {
    }

    private final List<Case> cases = new ArrayList<>();

    @TempDir
    Path tmp;

    private void add(String expected, Consumer<Assembler> emit) {
        cases.add(new Case(expected, emit));
    }

    @Test
    void objdumpReadsBackEveryForm() throws Exception {
        registerToRegister();
        immediates();
        memoryOperands();
        branchesAndMisc();

        Assembler a = new Assembler(new CodeBuffer(BASE));
        List<Long> starts = new ArrayList<>();
        for (Case c : cases) {
            starts.add(a.buffer().address());
            c.emit().accept(a);
        }
        List<String[]> decoded = objdump(a.finish());

        List<String> mismatches = new ArrayList<>();
        for (int i = 0; i < Math.min(cases.size(), decoded.size()); i++) {
            String address = Long.toHexString(starts.get(i));
            String[] d = decoded.get(i);
            if (!d[0].equals(address) || !d[2].equals(cases.get(i).expected())) {
                mismatches.add(String.format("#%d at %s: expected [%s], objdump %s: %s [%s]",
                        i, address, cases.get(i).expected(), d[0], d[1], d[2]));
            }
        }
        assertTrue(mismatches.isEmpty(), mismatches.size() + " mismatches, first ones:\n"
                + String.join("\n", mismatches.subList(0, Math.min(30, mismatches.size()))));
        assertEquals(cases.size(), decoded.size(), "instruction count");
        assertTrue(cases.size() > 2000, "table size " + cases.size());
    }

    private void registerToRegister() {
        for (Gpr d : REGS) {
            for (Gpr s : REGS) {
                add("mov " + d.name64() + "," + s.name64(), a -> a.mov(d, s));
            }
        }
        for (AluOp op : AluOp.values()) {
            String name = op.name().toLowerCase(Locale.ROOT);
            for (int i = 0; i < REGS.length; i++) {
                Gpr d = REGS[i];
                Gpr s = REGS[(i * 7 + 3) % 16];
                add(name + " " + d.name64() + "," + s.name64(), a -> a.alu(op, d, s));
            }
        }
        for (Gpr r : REGS) {
            add("test " + r.name64() + "," + REGS[15 - r.ordinal()].name64(), a -> a.test(r, REGS[15 - r.ordinal()]));
            add("jmp " + r.name64(), a -> a.jmp(r));
            add("call " + r.name64(), a -> a.call(r));
            add("push " + r.name64(), a -> a.push(r));
            add("pop " + r.name64(), a -> a.pop(r));
        }
    }

    private void immediates() {
        for (AluOp op : AluOp.values()) {
            String name = op.name().toLowerCase(Locale.ROOT);
            for (Gpr r : REGS) {
                for (int imm : IMMS) {
                    add(name + " " + r.name64() + "," + hex(imm), a -> a.alu(op, r, imm));
                }
            }
        }
        for (Gpr r : REGS) {
            add("mov " + r.name32() + "," + hex32(0x89abcdef), a -> a.mov32(r, 0x89abcdef));
            add("movabs " + r.name64() + "," + hex(0x1122334455667788L), a -> a.movabs(r, 0x1122334455667788L));
            add("mov " + r.name32() + "," + hex32(7), a -> a.mov(r, 7L));
            add("mov " + r.name64() + "," + hex(-2), a -> a.mov(r, -2L));
            add("movabs " + r.name64() + "," + hex(1L << 40), a -> a.mov(r, 1L << 40));
        }
        for (int imm : IMMS) {
            add("push " + hex(imm), a -> a.push(imm));
        }
    }

    private void memoryOperands() {
        int n = 0;
        for (Gpr base : REGS) {
            for (int i = -1; i < REGS.length; i++) {
                Gpr index = i < 0 ? null : REGS[i];
                if (index == Gpr.RSP) {
                    continue;
                }
                for (int disp : DISPS) {
                    int scale = 1 << (n++ % 4);
                    Mem m = index == null ? Mem.of(base, disp) : Mem.of(base, index, scale, disp);
                    String text = mem(base, index, scale, disp);
                    Gpr r = REGS[n % 16];
                    add("mov " + r.name64() + ",QWORD PTR " + text, a -> a.mov(r, m));
                    if (n % 4 == 0) {
                        everyMemoryForm(m, text, REGS[(n / 4) % 16]);
                    }
                }
            }
        }
        for (Gpr index : REGS) {
            if (index != Gpr.RSP) {
                add("mov rax,QWORD PTR " + mem(null, index, 4, 0x40), a -> a.mov(Gpr.RAX, Mem.indexed(index, 4, 0x40)));
            }
        }
        add("mov rcx,QWORD PTR ds:0x1000", a -> a.mov(Gpr.RCX, Mem.absolute(0x1000)));
        add("mov r9,QWORD PTR ds:" + hex(-8), a -> a.mov(Gpr.R9, Mem.absolute(-8)));
        long data = BASE + 0x123456;
        add("mov rax,QWORD PTR [rip] # " + hex(data), a -> a.mov(Gpr.RAX, Mem.rip(data)));
        add("mov QWORD PTR [rip]," + hex(5) + " # " + hex(data), a -> a.mov(Mem.rip(data), 5));
        add("cmp QWORD PTR [rip]," + hex(0x1000) + " # " + hex(data), a -> a.cmp(Mem.rip(data), 0x1000));
        add("cmp QWORD PTR [rip]," + hex(1) + " # " + hex(data), a -> a.cmp(Mem.rip(data), 1));
        add("lea r13,[rip] # " + hex(BASE - 0x100), a -> a.lea(Gpr.R13, Mem.rip(BASE - 0x100)));
        add("jmp QWORD PTR [rip] # " + hex(data), a -> a.jmp(Mem.rip(data)));
        add("lock xadd QWORD PTR [rip],r8 # " + hex(data), a -> a.lockXadd(Mem.rip(data), Gpr.R8));
    }

    /** Every form that takes a memory operand, on one operand {@code m} printed as {@code text}. */
    private void everyMemoryForm(Mem m, String text, Gpr r) {
        String q = "QWORD PTR " + text;
        add("mov " + q + "," + r.name64(), a -> a.mov(m, r));
        add("mov " + q + "," + hex(-100000), a -> a.mov(m, -100000));
        add("mov " + r.name32() + ",DWORD PTR " + text, a -> a.mov32(r, m));
        add("mov DWORD PTR " + text + "," + r.name32(), a -> a.mov32(m, r));
        add("lea " + r.name64() + "," + text, a -> a.lea(r, m));
        add("xchg " + q + "," + r.name64(), a -> a.xchg(r, m));
        add("lock cmpxchg " + q + "," + r.name64(), a -> a.lockCmpxchg(m, r));
        add("lock xadd " + q + "," + r.name64(), a -> a.lockXadd(m, r));
        add("cmp " + q + "," + hex(0x1000), a -> a.cmp(m, 0x1000));
        add("cmp " + q + "," + hex(-1), a -> a.cmp(m, -1));
        add("add " + q + "," + hex(3), a -> a.alu(AluOp.ADD, m, 3));
        add("inc " + q, a -> a.inc(m));
        add("dec " + q, a -> a.dec(m));
        add("jmp " + q, a -> a.jmp(m));
        add("call " + q, a -> a.call(m));
    }

    private void branchesAndMisc() {
        long target = BASE + 0x4000;
        add("jmp " + hex(target), a -> a.jmp(target));
        add("call " + hex(target), a -> a.call(target));
        add("jmp " + hex(BASE), a -> a.jmp(BASE));
        for (Condition cc : Condition.values()) {
            String name = "j" + cc.name().toLowerCase(Locale.ROOT);
            add(name + " " + hex(target), a -> a.jcc(cc, target));
            add(name + " " + hex(BASE - 0x10), a -> a.jcc(cc, BASE - 0x10));
        }
        add("pushf", Assembler::pushfq);
        add("popf", Assembler::popfq);
        add("ret", Assembler::ret);
        add("syscall", Assembler::syscall);
        add("int3", Assembler::int3);
        add("ud2", Assembler::ud2);
        add("nop", a -> a.nop(1));
        add("xchg ax,ax", a -> a.nop(2));
        add("nop DWORD PTR [rax]", a -> a.nop(3));
        add("nop DWORD PTR [rax+0x0]", a -> a.nop(4));
        add("nop DWORD PTR [rax+rax*1+0x0]", a -> a.nop(5));
        add("nop WORD PTR [rax+rax*1+0x0]", a -> a.nop(6));
        add("nop DWORD PTR [rax+0x0]", a -> a.nop(7));
        add("nop DWORD PTR [rax+rax*1+0x0]", a -> a.nop(8));
        add("nop WORD PTR [rax+rax*1+0x0]", a -> a.nop(9));
    }

    /** objdump's Intel text for a memory operand; rbp/r13 bases always carry a displacement byte. */
    private static String mem(Gpr base, Gpr index, int scale, int disp) {
        StringBuilder s = new StringBuilder("[");
        if (base != null) {
            s.append(base.name64());
        }
        if (index != null) {
            s.append(base != null ? "+" : "").append(index.name64()).append('*').append(scale);
        }
        boolean hasDisp = disp != 0 || base == null || base == Gpr.RBP || base == Gpr.R13;
        if (hasDisp) {
            s.append(disp < 0 ? "-" : "+").append("0x").append(Long.toHexString(Math.abs((long) disp)));
        }
        return s.append(']').toString();
    }

    /** objdump prints 64-bit operands' immediates sign-extended to 64 bits. */
    private static String hex(long value) {
        return "0x" + Long.toHexString(value);
    }

    private static String hex32(int value) {
        return "0x" + Integer.toHexString(value);
    }

    /** Disassembles {@code code} at {@link #BASE}: {address, bytes, normalized text} per instruction. */
    private List<String[]> objdump(byte[] code) throws IOException, InterruptedException {
        Path file = tmp.resolve("code.bin");
        Files.write(file, code);
        Process p = new ProcessBuilder("objdump", "-D", "-b", "binary", "-m", "i386:x86-64", "-M", "intel",
                "--insn-width=16", "--adjust-vma=" + hex(BASE), file.toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            fail("objdump failed:\n" + out);
        }
        List<String[]> result = new ArrayList<>();
        for (String line : out.split("\n")) {
            Matcher m = LINE.matcher(line);
            if (m.matches()) {
                result.add(new String[] {m.group(1), m.group(2).trim(), normalize(m.group(3))});
            }
        }
        return result;
    }

    /** Collapses whitespace and hides RIP displacements; objdump's "# target" comment stays. */
    private static String normalize(String text) {
        return text.replaceAll("\\[rip[+-]0x[0-9a-f]+\\]", "[rip]").replaceAll("\\s+", " ").trim();
    }
}

package dev.tracedb.machine.x86.decode;

import dev.tracedb.machine.TestPrograms;
import dev.tracedb.machine.elf.ElfImage;
import dev.tracedb.machine.elf.Section;
import dev.tracedb.machine.elf.Symbol;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/** Whole .text sections decode linearly, and agree with objdump on instruction boundaries. */
class DecodeRealBinariesTest {

    private static void decodesWholeText(Path file) {
        ElfImage image = ElfImage.read(file);
        Section text = image.section(".text").orElseThrow();
        byte[] code = image.sectionBytes(text);
        long[] next = {text.address()};
        long count;
        try (Decoder decoder = Decoder.open()) {
            count = decoder.decodeAll(code, text.address(), instruction -> {
                assertEquals(next[0], instruction.address(), "instructions are contiguous");
                next[0] = instruction.nextAddress();
            });
        }
        assertEquals(text.address() + code.length, next[0], "lengths sum to the section size");
        assertTrue(count > code.length / 15, file + ": " + count + " instructions");
    }

    @Test
    void binLs() {
        decodesWholeText(Path.of("/bin/ls"));
    }

    /**
     * Static glibc carries AVX-512 ("evex") string functions with opmask instructions (kmovq k1, rcx =
     * c4 e1 fb 92 c9; kortestd, kunpckdq) and an unwinder with CET shadow-stack instructions (rdsspq,
     * incsspq) that Capstone 4.0.2 cannot decode; the fallback decoder covers them, so every
     * function decodes to its end, and only those functions need the fallback.
     */
    @Test
    void staticTestProgramDecodesEveryFunction() {
        ElfImage image = ElfImage.read(TestPrograms.path("loops-static"));
        Section text = image.section(".text").orElseThrow();
        byte[] code = image.sectionBytes(text);
        Set<String> usedFallback = new TreeSet<>();
        int functions = 0;
        try (Decoder decoder = Decoder.open()) {
            for (Symbol function : image.symbols()) {
                if (!function.type().isCode() || !function.defined() || !text.contains(function.value())) {
                    continue;
                }
                functions++;
                long address = function.value();
                while (address < function.value() + function.size()) {
                    Instruction instruction = decoder.decode(code, text.address(), address);
                    if (instruction.decodedBy() == DecodedBy.FALLBACK) {
                        usedFallback.add(function.name());
                    }
                    address = instruction.nextAddress();
                }
                assertEquals(function.value() + function.size(), address, function.name() + " ends on a boundary");
            }
        }
        assertTrue(functions > 500, functions + " functions");
        assertTrue(usedFallback.stream().anyMatch(name -> name.startsWith("_Unwind_")), usedFallback.toString());
        assertTrue(usedFallback.stream().anyMatch(name -> name.contains("evex")), usedFallback.toString());
        for (String name : usedFallback) {
            assertTrue(name.contains("avx512") || name.contains("evex") || name.startsWith("_Unwind_"),
                    "needed the fallback: " + usedFallback);
        }
    }

    @Test
    void mainOfTheTestProgramAgreesWithObjdump() throws Exception {
        Path loops = TestPrograms.path("loops");
        ElfImage image = ElfImage.read(loops);
        Symbol main = image.symbols().stream().filter(s -> s.name().equals("main")).findFirst().orElseThrow();
        Section text = image.section(".text").orElseThrow();
        byte[] code = image.sectionBytes(text);
        List<String> ours = new ArrayList<>();
        try (Decoder decoder = Decoder.open()) {
            long address = main.value();
            while (address < main.value() + main.size()) {
                Instruction instruction = decoder.decode(code, text.address(), address);
                ours.add(Long.toHexString(address) + " " + instruction.mnemonic().replaceFirst("^.* ", ""));
                address = instruction.nextAddress();
            }
        }
        String dump = TestPrograms.exec(List.of("objdump", "-d", "-M", "intel", "--no-show-raw-insn",
                "--disassemble=main", loops.toString()));
        // "    1160:\tpush   rbp" -> "1160 push"; objdump and Capstone spell some mnemonics differently, so
        // compare addresses for all and mnemonics where both are plain
        Pattern line = Pattern.compile("^\\s+(\\p{XDigit}+):\\s+(?:\\S+ )?(\\S+).*$");
        List<String> theirs = new ArrayList<>();
        for (String text1 : dump.split("\n")) {
            Matcher m = line.matcher(text1);
            if (m.matches()) {
                theirs.add(m.group(1) + " " + m.group(2));
            }
        }
        assertEquals(theirs.stream().map(s -> s.split(" ")[0]).toList(), ours.stream().map(s -> s.split(" ")[0]).toList(),
                "instruction boundaries");
        long sameMnemonic = 0;
        for (int i = 0; i < ours.size(); i++) {
            if (ours.get(i).equals(theirs.get(i))) {
                sameMnemonic++;
            }
        }
        assertTrue(sameMnemonic >= ours.size() * 9 / 10, "mnemonics mostly agree: " + ours + " vs " + theirs);
    }
}

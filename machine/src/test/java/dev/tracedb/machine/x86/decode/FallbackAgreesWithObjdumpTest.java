package dev.tracedb.machine.x86.decode;

import dev.tracedb.machine.TestPrograms;
import dev.tracedb.machine.elf.ElfImage;
import dev.tracedb.machine.elf.Section;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The fallback decoder against objdump (binutils 2.40 knows every AVX-512 and CET instruction):
 * whole .text sections decode, and every instruction the fallback decodes has objdump's length
 * and, in {@link ObjdumpListing#normalize normal form}, objdump's text.
 */
class FallbackAgreesWithObjdumpTest {
    private static final Path LIBC = Path.of("/lib/x86_64-linux-gnu/libc.so.6");
    /** objdump mnemonics of the families the fallback exists for; all of them must decode through it. */
    private static final Pattern FAMILIES = Pattern.compile(
            "^(k(mov|and|andn|or|xnor|xor|add|not|ortest|test|shiftl|shiftr|unpck)\\w+|rdssp[dq]|incssp[dq]|rdpkru|wrpkru)\\b");

    @Test
    void libcTextDecodesCompletelyAndTheFallbackAgreesWithObjdump() throws Exception {
        Map<String, Integer> fallbackMnemonics = decodeWholeTextAgainstObjdump(LIBC);
        // glibc 2.36 as Debian 12 ships it; these counts only grow with other glibc builds
        assertTrue(fallbackMnemonics.getOrDefault("kmovd", 0) > 100, fallbackMnemonics.toString());
        assertTrue(fallbackMnemonics.containsKey("kortestd"), fallbackMnemonics.toString());
        assertTrue(fallbackMnemonics.containsKey("vpcmpeqb"), fallbackMnemonics.toString());
        assertTrue(fallbackMnemonics.containsKey("vpternlogd"), fallbackMnemonics.toString());
        assertTrue(fallbackMnemonics.containsKey("rdpkru"), fallbackMnemonics.toString());
    }

    @Test
    void staticTestProgramDecodesCompletelyAndTheFallbackAgreesWithObjdump() throws Exception {
        Map<String, Integer> fallbackMnemonics = decodeWholeTextAgainstObjdump(TestPrograms.path("loops-static"));
        assertTrue(fallbackMnemonics.containsKey("rdsspq"), fallbackMnemonics.toString());
        assertTrue(fallbackMnemonics.containsKey("incsspq"), fallbackMnemonics.toString());
        assertTrue(fallbackMnemonics.containsKey("kmovq"), fallbackMnemonics.toString());
    }

    /**
     * Runs the fallback on its own at every instruction objdump lists in libc, including the EVEX
     * forms Capstone does decode: wherever it claims an instruction, it must agree with objdump,
     * and it must claim every instruction of the opmask, CET and PKU families.
     */
    @Test
    void fallbackAloneAgreesWithObjdumpWhereverItDecodesInLibc() throws Exception {
        ElfImage image = ElfImage.read(LIBC);
        Section text = image.section(".text").orElseThrow();
        byte[] code = image.sectionBytes(text);
        int decoded = 0;
        List<String> disagreements = new ArrayList<>();
        for (ObjdumpListing.Line line : ObjdumpListing.text(LIBC).lines()) {
            int offset = (int) (line.address() - text.address());
            Instruction instruction = FallbackDecoder.decode(code, offset, code.length - offset, line.address());
            if (instruction == null) {
                if (FAMILIES.matcher(line.text()).find()) {
                    disagreements.add("not decoded: " + line);
                }
                continue;
            }
            decoded++;
            compare(line, instruction, disagreements);
        }
        assertEquals(List.of(), disagreements.subList(0, Math.min(20, disagreements.size())));
        assertTrue(decoded > 1400, decoded + " instructions");
    }

    /**
     * Every opmask form and the EVEX families in every vector length, with and without masking,
     * zeroing, broadcast, and register, disp8 (compressed), disp32, SIB and RIP-relative operands,
     * written to a file and listed by objdump.
     */
    @Test
    void generatedEncodingsAgreeWithObjdump(@TempDir Path directory) throws Exception {
        List<byte[]> encodings = new ArrayList<>();
        String[] modrms = {"c1", "ca", "00", "41 03", "44 24 08", "84 8e 00 01 00 00", "05 10 00 00 00", "48 ff"};
        // opmask: map 0F with every pp/W/L, map 0F3A shifts
        for (int opcode : new int[] {0x41, 0x42, 0x44, 0x45, 0x46, 0x47, 0x4a, 0x4b, 0x90, 0x91, 0x92, 0x93, 0x98, 0x99}) {
            for (int p2 : new int[] {0x78, 0x79, 0x7b, 0xf8, 0xf9, 0xfb, 0x7c, 0x7d, 0xfc, 0xfd}) {
                for (String modrm : modrms) {
                    encodings.add(hex("c4 e1 " + byteHex(p2) + " " + byteHex(opcode) + " " + modrm));
                }
                encodings.add(hex("c4 61 " + byteHex(p2) + " " + byteHex(opcode) + " c1"));
            }
        }
        for (int opcode = 0x30; opcode <= 0x33; opcode++) {
            encodings.add(hex("c4 e3 79 " + byteHex(opcode) + " c1 05"));
            encodings.add(hex("c4 e3 f9 " + byteHex(opcode) + " d3 1f"));
        }
        encodings.add(hex("c5 f8 90 44 24 08"));
        encodings.add(hex("c5 fb 93 c1"));
        encodings.add(hex("c5 7b 93 c1"));
        // EVEX: map/pp/opcode of each family, W0/W1, lengths, masks, zeroing, broadcast
        String[] families = {"f3 @ 3f", "f3 @ 3e", "f3 @ 1f", "f3 @ 1e", "f1 @ 74", "f1 @ 75", "f1 @ 76", "f1 @ 64",
            "f1 @ 65", "f1 @ 66", "f2 @ 26", "f2 @ 27", "f2 # 26", "f2 # 27", "f3 @ 25", "f2 @ 78", "f2 @ 79"};
        String[] evexModrms = {"c2", "0e", "4e 02", "8e 00 01 00 00", "4c 8e 03", "05 10 00 00 00"};
        for (String family : families) {
            String[] parts = family.split(" ");
            boolean withImmediate = parts[0].equals("f3");
            for (int w = 0; w < 2; w++) {
                int pp = parts[1].equals("@") ? 1 : 2;
                int p1 = w << 7 | 0x7c | pp;
                for (int p2 : new int[] {0x08, 0x28, 0x48, 0x0a, 0x2b, 0x49, 0x58, 0x38, 0xaa, 0x00}) {
                    for (String modrm : evexModrms) {
                        for (String p0 : new String[] {parts[0], "a1".equals(parts[0]) ? "a1" : p0Extended(parts[0])}) {
                            String bytes = "62 " + p0 + " " + byteHex(p1) + " " + byteHex(p2) + " " + parts[2] + " " + modrm;
                            encodings.add(hex(withImmediate ? bytes + " 0" + (encodings.size() % 8) : bytes));
                        }
                    }
                }
            }
        }
        encodings.add(hex("f3 48 0f 1e c8"));
        encodings.add(hex("f3 0f 1e cf"));
        encodings.add(hex("f3 49 0f ae ec"));
        encodings.add(hex("f3 0f ae e8"));
        encodings.add(hex("0f 01 ee"));
        encodings.add(hex("0f 01 ef"));

        // Only what the fallback decodes goes into the file; each is followed by a one-byte nop so
        // that an encoding the fallback rejects but objdump reads differently cannot shift the rest.
        ByteArrayOutputStream file = new ByteArrayOutputStream();
        Map<Long, Instruction> ours = new TreeMap<>();
        int rejected = 0;
        for (byte[] encoding : encodings) {
            Instruction instruction = FallbackDecoder.decode(encoding, 0, encoding.length, file.size());
            if (instruction == null) {
                rejected++;
                continue;
            }
            assertEquals(encoding.length, instruction.length(), instruction.toString());
            ours.put((long) file.size(), instruction);
            file.write(encoding);
            file.write(0x90);
        }
        Path blob = directory.resolve("encodings.bin");
        Files.write(blob, file.toByteArray());
        ObjdumpListing listing = ObjdumpListing.raw(blob);
        List<String> disagreements = new ArrayList<>();
        for (Instruction instruction : ours.values()) {
            ObjdumpListing.Line line = listing.at(instruction.address());
            if (line == null) {
                disagreements.add("objdump has no instruction at " + instruction);
            } else {
                compare(line, instruction, disagreements);
            }
        }
        assertEquals(List.of(), disagreements.subList(0, Math.min(20, disagreements.size())));
        assertTrue(ours.size() > 1500, ours.size() + " decoded, " + rejected + " rejected");
    }

    /** Decodes a whole .text with the Decoder and checks each fallback-decoded instruction against objdump. */
    private static Map<String, Integer> decodeWholeTextAgainstObjdump(Path file) throws Exception {
        ElfImage image = ElfImage.read(file);
        Section text = image.section(".text").orElseThrow();
        byte[] code = image.sectionBytes(text);
        List<Instruction> fallback = new ArrayList<>();
        long[] next = {text.address()};
        try (Decoder decoder = Decoder.open()) {
            decoder.decodeAll(code, text.address(), instruction -> {
                assertEquals(next[0], instruction.address(), "instructions are contiguous");
                next[0] = instruction.nextAddress();
                if (instruction.decodedBy() == DecodedBy.FALLBACK) {
                    fallback.add(instruction);
                }
            });
        }
        assertEquals(text.address() + code.length, next[0], "lengths sum to the section size");
        ObjdumpListing listing = ObjdumpListing.text(file);
        List<String> disagreements = new ArrayList<>();
        Map<String, Integer> mnemonics = new TreeMap<>();
        for (Instruction instruction : fallback) {
            mnemonics.merge(instruction.mnemonic(), 1, Integer::sum);
            ObjdumpListing.Line line = listing.at(instruction.address());
            if (line == null) {
                disagreements.add("objdump has no instruction at " + instruction);
            } else {
                compare(line, instruction, disagreements);
            }
        }
        assertEquals(List.of(), disagreements.subList(0, Math.min(20, disagreements.size())));
        return mnemonics;
    }

    private static void compare(ObjdumpListing.Line line, Instruction instruction, List<String> disagreements) {
        if (line.length() != instruction.length()
                || !ObjdumpListing.normalize(line.text()).equals(ObjdumpListing.normalize(instruction.text()))) {
            disagreements.add(instruction + "  vs objdump  " + line.length() + " bytes: " + line.text());
        }
    }

    /** The same EVEX P0 with R, X, B and R' cleared (inverted: set), selecting registers 16-31 and r8-r15. */
    private static String p0Extended(String p0) {
        return byteHex(HexFormat.fromHexDigits(p0) & 0x03);
    }

    private static String byteHex(int value) {
        return HexFormat.of().toHexDigits((byte) value);
    }

    private static byte[] hex(String text) {
        return HexFormat.of().parseHex(text.replace(" ", ""));
    }
}

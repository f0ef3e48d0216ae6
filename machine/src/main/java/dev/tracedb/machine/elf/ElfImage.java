package dev.tracedb.machine.elf;

import net.fornwall.jelf.ElfException;
import net.fornwall.jelf.ElfFile;
import net.fornwall.jelf.ElfNoteSection;
import net.fornwall.jelf.ElfSection;
import net.fornwall.jelf.ElfSegment;
import net.fornwall.jelf.ElfSymbolTableSection;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * What we know about one x86-64 ELF file; immutable. Section contents are read on demand by
 * {@link #sectionBytes(Section)}, from the file as it is then.
 */
public final class ElfImage {
    private static final int ARCH_X86_64 = 62;
    private static final int NT_GNU_BUILD_ID = 3;

    private final Path path;
    private final ElfType type;
    private final long entry;
    private final Optional<String> interpreter;
    private final Optional<String> buildId;
    private final List<Segment> segments;
    private final List<Section> sections;
    private final List<Symbol> symbols;

    private ElfImage(Path path, ElfFile elf) {
        this.path = path;
        this.type = ElfType.of(elf.e_type);
        this.entry = elf.e_entry;
        this.segments = readSegments(elf);
        this.interpreter = Optional.ofNullable(elf.getInterpreter());
        this.buildId = readBuildId(elf);
        this.sections = readSections(elf);
        List<Symbol> all = new ArrayList<>();
        readSymbols(elf.getSymbolTableSection(), Symbol.Table.SYMTAB, all);
        readSymbols(elf.getDynamicSymbolTableSection(), Symbol.Table.DYNSYM, all);
        this.symbols = List.copyOf(all);
    }

    /**
     * Reads an ELF file's headers and symbols.
     *
     * @throws ElfReadException if the file is missing or unreadable, is not ELF, or is not 64-bit x86-64
     */
    public static ElfImage read(Path path) {
        if (!Files.isRegularFile(path)) {
            throw new ElfReadException(path, Files.exists(path) ? "not a regular file" : "no such file", null);
        }
        ElfFile elf;
        try {
            elf = ElfFile.from(path);
        } catch (NoSuchFileException e) {
            throw new ElfReadException(path, "no such file", e);
        } catch (IOException e) {
            throw new ElfReadException(path, "cannot read: " + e.getMessage(), e);
        } catch (ElfException | IllegalArgumentException | IndexOutOfBoundsException e) {
            // jelf reports a bad magic number as ElfException and truncated files as buffer errors
            throw new ElfReadException(path, "not an ELF file (" + e.getMessage() + ")", e);
        }
        if (elf.ei_class != ElfFile.CLASS_64 || elf.ei_data != ElfFile.DATA_LSB || elf.e_machine != ARCH_X86_64) {
            throw new ElfReadException(path, "not a 64-bit little-endian x86-64 ELF file (class " + elf.ei_class
                    + ", machine " + elf.e_machine + ")", null);
        }
        try {
            return new ElfImage(path, elf);
        } catch (ElfException | IllegalArgumentException | IndexOutOfBoundsException e) {
            throw new ElfReadException(path, "malformed ELF file (" + e.getMessage() + ")", e);
        }
    }

    private static List<Segment> readSegments(ElfFile elf) {
        List<Segment> segments = new ArrayList<>();
        for (int i = 0; i < (elf.e_phnum & 0xffff); i++) {
            ElfSegment h = elf.getProgramHeader(i);
            segments.add(new Segment(SegmentType.of(h.p_type), h.p_type, h.p_vaddr, h.p_offset, h.p_filesz,
                    h.p_memsz, h.p_flags, h.p_align));
        }
        return List.copyOf(segments);
    }

    private static Optional<String> readBuildId(ElfFile elf) {
        for (ElfSegment segment : elf.segmentsOfType(SegmentType.NOTE.value())) {
            for (ElfNoteSection.ElfNote note : segment.notes()) {
                if (note.type == NT_GNU_BUILD_ID && "GNU".equals(note.name)) {
                    return Optional.of(HexFormat.of().formatHex(note.descriptorBytes()));
                }
            }
        }
        return Optional.empty();
    }

    private static List<Section> readSections(ElfFile elf) {
        List<Section> sections = new ArrayList<>();
        for (int i = 1; i < (elf.e_shnum & 0xffff); i++) {
            ElfSection section = elf.getSection(i);
            String name = section.header.getName();
            sections.add(new Section(name == null ? "" : name, section.header.sh_type, section.header.sh_addr,
                    section.header.sh_offset, section.header.sh_size));
        }
        return List.copyOf(sections);
    }

    private static void readSymbols(ElfSymbolTableSection table, Symbol.Table kind, List<Symbol> into) {
        if (table == null) {
            return;
        }
        for (net.fornwall.jelf.ElfSymbol symbol : table.symbols) {
            String name = symbol.st_name == 0 ? null : symbol.getName();
            if (name == null || name.isEmpty()) {
                continue;
            }
            into.add(new Symbol(name, symbol.st_value, symbol.st_size, SymbolType.of(symbol.getType()), kind,
                    symbol.st_shndx != 0));
        }
    }

    public Path path() {
        return path;
    }

    public ElfType type() {
        return type;
    }

    /** The entry point (a file address). */
    public long entry() {
        return entry;
    }

    /** The program interpreter (e.g. /lib64/ld-linux-x86-64.so.2); empty for static executables. */
    public Optional<String> interpreter() {
        return interpreter;
    }

    /** The GNU build-id as lower-case hex, as {@code readelf -n} prints it. */
    public Optional<String> buildId() {
        return buildId;
    }

    public List<Segment> segments() {
        return segments;
    }

    public List<Section> sections() {
        return sections;
    }

    public Optional<Section> section(String name) {
        return sections.stream().filter(section -> section.name().equals(name)).findFirst();
    }

    /** A section's bytes as they are in the file now (empty for {@code .bss}-like sections). */
    public byte[] sectionBytes(Section section) {
        if (section.type() == Section.TYPE_NOBITS) {
            return new byte[0];
        }
        if (section.size() > Integer.MAX_VALUE) {
            throw new ElfReadException(path, "section " + section.name() + " is larger than 2 GiB", null);
        }
        byte[] bytes = new byte[(int) section.size()];
        try (var channel = java.nio.channels.FileChannel.open(path)) {
            java.nio.ByteBuffer buffer = java.nio.ByteBuffer.wrap(bytes);
            while (buffer.hasRemaining()) {
                if (channel.read(buffer, section.fileOffset() + buffer.position()) < 0) {
                    throw new ElfReadException(path, "file ends inside section " + section.name(), null);
                }
            }
        } catch (IOException e) {
            throw new ElfReadException(path, "cannot read section " + section.name() + ": " + e.getMessage(), e);
        }
        return bytes;
    }

    /** Symbols from {@code .symtab} first, then {@code .dynsym}; unnamed entries are left out. */
    public List<Symbol> symbols() {
        return symbols;
    }

    public List<Symbol> symbols(Symbol.Table table) {
        return symbols.stream().filter(symbol -> symbol.table() == table).toList();
    }

    public Symbolizer symbolizer() {
        return new Symbolizer(symbols);
    }

    @Override
    public String toString() {
        return "ElfImage[" + path + ", " + type + buildId.map(id -> ", build-id " + id).orElse("") + "]";
    }
}

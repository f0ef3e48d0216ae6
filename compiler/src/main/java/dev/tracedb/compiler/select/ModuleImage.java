package dev.tracedb.compiler.select;

import dev.tracedb.compiler.mining.ModuleLayout;
import dev.tracedb.compiler.path.TraceModule;
import dev.tracedb.machine.elf.ElfImage;
import dev.tracedb.machine.elf.ElfReadException;
import dev.tracedb.machine.elf.Section;
import dev.tracedb.machine.elf.Segment;
import dev.tracedb.machine.elf.SegmentType;
import dev.tracedb.machine.x86.decode.Decoder;
import dev.tracedb.machine.x86.decode.Instruction;
import dev.tracedb.machine.x86.decode.InstructionGroup;
import dev.tracedb.machine.x86.decode.UndecodableInstructionException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A module's file as head-patch safety needs it: its executable bytes, by module offset
 * ({@link ModuleLayout}, as the recorder's block offsets are), and the static scan —
 * every direct jump, branch and call target, and every call's return address, found by a linear
 * sweep of each section in an executable segment. A sweep may decode data as code; that can only
 * add targets, which makes the check more cautious, never less.
 */
final class ModuleImage {
    private record CodeRange(long offset, byte[] bytes) {
    }

    private final List<CodeRange> code;
    private final long[] targets;

    private ModuleImage(List<CodeRange> code, long[] targets) {
        this.code = code;
        this.targets = targets;
    }

    /**
     * Reads and scans the module's file.
     *
     * @throws IllegalStateException with the reason when the file cannot serve: it is missing, not
     *                               ELF, or has another build-id than the recording
     */
    static ModuleImage load(TraceModule module, Decoder decoder) {
        Path path = Path.of(module.path());
        if (!module.path().startsWith("/") || !Files.isRegularFile(path)) {
            throw new IllegalStateException("no module file to scan");
        }
        ElfImage elf;
        try {
            elf = ElfImage.read(path);
        } catch (ElfReadException e) {
            throw new IllegalStateException("module file unreadable: " + e.getMessage());
        }
        String fileBuildId = elf.buildId().orElse("");
        if (!fileBuildId.equals(module.buildId())) {
            throw new IllegalStateException("module file's build-id differs from the recording");
        }
        List<Segment> loads = elf.segments().stream().filter(s -> s.type() == SegmentType.LOAD).toList();
        if (loads.isEmpty()) throw new IllegalStateException("module file has no loadable segment");
        long delta = ModuleLayout.linkTimeBias(elf);
        List<CodeRange> code = new ArrayList<>();
        TargetSink sink = new TargetSink();
        try (FileChannel file = FileChannel.open(path, StandardOpenOption.READ)) {
            for (Segment segment : loads) {
                if (!segment.isExecutable() || segment.fileSize() == 0) continue;
                byte[] bytes = read(file, segment.fileOffset(), Math.toIntExact(segment.fileSize()));
                long segmentOffset = segment.virtualAddress() - delta;
                code.add(new CodeRange(segmentOffset, bytes));
                List<Section> sections = elf.sections().stream()
                        .filter(s -> s.type() != Section.TYPE_NOBITS && s.size() > 0 && s.address() != 0
                                && s.address() >= segment.virtualAddress()
                                && s.address() + s.size() <= segment.virtualAddress() + segment.fileSize())
                        .toList();
                if (sections.isEmpty()) {
                    sweep(decoder, bytes, segmentOffset, sink);
                } else {
                    for (Section section : sections) {
                        int from = Math.toIntExact(section.address() - segment.virtualAddress());
                        sweep(decoder, Arrays.copyOfRange(bytes, from, from + Math.toIntExact(section.size())),
                                segmentOffset + from, sink);
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new ModuleImage(code, sink.sorted());
    }

    /** The file's bytes at {@code [offset, offset + length)}, or null if they are not all in executable code. */
    byte[] bytesAt(long offset, int length) {
        for (CodeRange range : code) {
            if (offset >= range.offset() && offset + length <= range.offset() + range.bytes().length) {
                int from = (int) (offset - range.offset());
                return Arrays.copyOfRange(range.bytes(), from, from + length);
            }
        }
        return null;
    }

    /** True if a static branch target or return address lies in {@code (from, to)} (both ends excluded). */
    boolean targetStrictlyInside(long from, long to) {
        int i = Arrays.binarySearch(targets, from + 1);
        if (i < 0) i = -i - 1;
        return i < targets.length && targets[i] < to;
    }

    /** The static targets, ascending (a copy). */
    long[] targets() {
        return targets.clone();
    }

    private static byte[] read(FileChannel file, long position, int length) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(length);
        while (buffer.hasRemaining()) {
            if (file.read(buffer, position + buffer.position()) < 0) {
                throw new IOException("module file ends before its segment does");
            }
        }
        return buffer.array();
    }

    /** Decodes all of {@code code}; bytes that do not decode are stepped over one at a time. */
    private static void sweep(Decoder decoder, byte[] code, long address, TargetSink sink) {
        int from = 0;
        while (from < code.length) {
            byte[] rest = from == 0 ? code : Arrays.copyOfRange(code, from, code.length);
            try {
                decoder.decodeAll(rest, address + from, sink::accept);
                return;
            } catch (UndecodableInstructionException e) {
                from = Math.toIntExact(e.address() - address) + 1;
            }
        }
    }

    private static final class TargetSink {
        private long[] targets = new long[4096];
        private int size;

        void accept(Instruction instruction) {
            instruction.directTarget().ifPresent(this::add);
            if (instruction.is(InstructionGroup.CALL)) add(instruction.nextAddress());
        }

        private void add(long target) {
            if (size == targets.length) targets = Arrays.copyOf(targets, size * 2);
            targets[size++] = target;
        }

        long[] sorted() {
            return Arrays.stream(targets, 0, size).sorted().distinct().toArray();
        }
    }
}

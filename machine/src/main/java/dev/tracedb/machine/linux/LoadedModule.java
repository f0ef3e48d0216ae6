package dev.tracedb.machine.linux;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A file mapped into a process, usually as several mappings (one per ELF segment). {@code base}
 * is where the file's offset 0 would be: the lowest mapping's start minus its file offset, which for
 * an ELF file is the load bias to add to its (link-time) addresses when it is a PIE or library
 * whose first segment has address 0. Immutable.
 */
public record LoadedModule(String path, long base, long end, String device, long inode,
                           List<MemoryMapping> mappings) {

    public LoadedModule {
        Objects.requireNonNull(path, "path");
        mappings = List.copyOf(mappings);
    }

    /** From {@code base} to the end of the highest mapping. */
    public long size() {
        return end - base;
    }

    public boolean contains(long address) {
        return mappings.stream().anyMatch(mapping -> mapping.contains(address));
    }

    public List<MemoryMapping> executableMappings() {
        return mappings.stream().filter(MemoryMapping::isExecutable).toList();
    }

    /**
     * Groups file-backed mappings by file (device and inode, then path), in order of their
     * lowest address. Anonymous memory, [heap], [stack], [vdso] and [vvar] are not modules. A file
     * mapped twice independently (say, a library that is also mmapped as data) becomes one module.
     */
    public static List<LoadedModule> group(List<MemoryMapping> mappings) {
        Map<String, List<MemoryMapping>> byFile = new LinkedHashMap<>();
        for (MemoryMapping mapping : mappings) {
            if (mapping.isFileBacked()) {
                String key = mapping.device() + " " + mapping.inode() + " " + mapping.path().orElseThrow();
                byFile.computeIfAbsent(key, k -> new ArrayList<>()).add(mapping);
            }
        }
        List<LoadedModule> modules = new ArrayList<>();
        for (List<MemoryMapping> group : byFile.values()) {
            group.sort(Comparator.comparing(MemoryMapping::start, Long::compareUnsigned));
            MemoryMapping lowest = group.get(0);
            long end = group.stream().map(MemoryMapping::end).max(Long::compareUnsigned).orElseThrow();
            modules.add(new LoadedModule(lowest.path().orElseThrow(), lowest.start() - lowest.offset(), end,
                    lowest.device(), lowest.inode(), group));
        }
        modules.sort(Comparator.comparing(LoadedModule::base, Long::compareUnsigned));
        return List.copyOf(modules);
    }
}

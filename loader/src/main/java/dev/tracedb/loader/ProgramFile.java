package dev.tracedb.loader;

import dev.tracedb.machine.elf.ElfImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** The file a program name means (as execvp finds it) and whether it is a static ELF executable. */
public final class ProgramFile {
    private ProgramFile() {
    }

    /** {@code name} itself when it has a '/', else the first executable match on {@code $PATH}. */
    public static Optional<Path> resolve(String name) {
        if (name.contains("/")) {
            return Files.exists(Path.of(name)) ? Optional.of(Path.of(name)) : Optional.empty();
        }
        String path = System.getenv().getOrDefault("PATH", "/usr/local/bin:/usr/bin:/bin");
        for (String dir : path.split(":", -1)) {
            Path candidate = Path.of(dir.isEmpty() ? "." : dir, name);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    /** True for an ELF file without an interpreter; false for dynamic programs, scripts, non-ELF. */
    public static boolean isStaticElf(Path program) {
        try {
            return ElfImage.read(program).interpreter().isEmpty();
        } catch (RuntimeException e) {
            return false; // not ELF (a #! script): the runner's preload reaches its interpreter
        }
    }
}

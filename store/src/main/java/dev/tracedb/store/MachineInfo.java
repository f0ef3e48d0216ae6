package dev.tracedb.store;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * The machine a run was recorded on. Recorded so that a log explains itself on another machine
 * (replay needs neither the program nor the machine, but a human comparing runs needs to know).
 */
public record MachineInfo(String hostname, String kernel, String cpuModel, int pageSize) {
    public MachineInfo {
        Objects.requireNonNull(hostname, "hostname");
        Objects.requireNonNull(kernel, "kernel");
        Objects.requireNonNull(cpuModel, "cpuModel");
    }

    /**
     * Describes the machine this JVM runs on, from {@code /proc}; fields that cannot be read are
     * {@code "unknown"} rather than failing a recording over a description.
     */
    public static MachineInfo current() {
        return new MachineInfo(readHostname(), readKernel(), readCpuModel(), readPageSize());
    }

    private static String readHostname() {
        String fromProc = firstLine(Path.of("/proc/sys/kernel/hostname"));
        if (!fromProc.equals("unknown")) return fromProc;
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "unknown";
        }
    }

    private static String readKernel() {
        // /proc/version names the build too ("Linux version 6.1.0-18-amd64 (...) #1 SMP ..."), which
        // is what distinguishes two kernels with the same release string.
        return firstLine(Path.of("/proc/version"));
    }

    private static String readCpuModel() {
        try {
            List<String> lines = Files.readAllLines(Path.of("/proc/cpuinfo"));
            for (String line : lines) {
                if (line.startsWith("model name")) {
                    int colon = line.indexOf(':');
                    if (colon >= 0) return line.substring(colon + 1).trim();
                }
            }
        } catch (IOException | RuntimeException e) {
            // fall through: a missing /proc/cpuinfo (containers, non-Linux) is not an error here
        }
        return "unknown";
    }

    private static int readPageSize() {
        // The JDK has no public page-size API; Chronicle (already on our classpath) asks Unsafe.
        return net.openhft.chronicle.core.OS.pageSize();
    }

    private static String firstLine(Path file) {
        try {
            List<String> lines = Files.readAllLines(file);
            return lines.isEmpty() ? "unknown" : lines.get(0).trim();
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }
}

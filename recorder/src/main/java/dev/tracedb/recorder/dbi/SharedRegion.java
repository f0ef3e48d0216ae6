package dev.tracedb.recorder.dbi;

import dev.tracedb.machine.linux.LoadedModule;
import dev.tracedb.machine.linux.MemoryMapping;
import dev.tracedb.machine.linux.ProcMaps;
import dev.tracedb.machine.linux.RemoteAddress;
import dev.tracedb.machine.linux.RemoteSyscalls;
import dev.tracedb.machine.linux.SyscallNumber;
import dev.tracedb.machine.linux.Tracee;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;

/**
 * One file in {@code /dev/shm} mapped both into the tracee (read, write, execute; shared) and into
 * this JVM, so Java writes code and reads events with plain memory accesses and no ptrace call.
 *
 * <p>The file is created with mode 0600 and a 128-bit random name, opened and mapped by the
 * tracee through {@link RemoteSyscalls} (the tracee's fd is closed again at once), then
 * unlinked: once both sides have mapped it, no other process can open it. The tracee maps it
 * within ±2 GiB of the main executable when that address range is free, so translated code
 * reaches the program's RIP-relative data and its own slots with 32-bit displacements.
 *
 * <p>Thread-safety: creation runs on the caller's thread (remote syscalls go through the tracer
 * thread). Afterwards reads and writes through {@link #buffer()} are unsynchronised; the
 * recorder only writes while the tracee is stopped, and a ptrace stop and resume order memory
 * between the two processes.
 */
public final class SharedRegion implements AutoCloseable {
    private static final int O_RDWR = 2;
    private static final int O_CLOEXEC = 0x80000;
    private static final int PROT_NONE = 0;
    private static final int PROT_RWX = 7;
    private static final int MAP_SHARED = 1;
    private static final int MAP_FIXED_NOREPLACE = 0x100000;
    private static final long GIB = 1L << 30;
    private static final long ALIGN = 1L << 16;
    /** Room left for brk when the region has to go above the executable. */
    private static final long HEAP_ROOM = GIB;

    private final RegionLayout layout;
    private final long base;
    private final String fileName;
    private final boolean nearExecutable;
    private MappedByteBuffer mapped;
    private final ByteBuffer buffer;

    private SharedRegion(RegionLayout layout, long base, String fileName, boolean nearExecutable,
                         MappedByteBuffer mapped) {
        this.layout = layout;
        this.base = base;
        this.fileName = fileName;
        this.nearExecutable = nearExecutable;
        this.mapped = mapped;
        this.buffer = mapped.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * Creates the file, maps it into the stopped {@code tracee} near its main executable
     * ({@code executable}, whose code the region must reach) and into this JVM, and unlinks it.
     * The tracee's registers and memory are otherwise left as they were.
     */
    public static SharedRegion create(Tracee tracee, LoadedModule executable, RegionLayout layout) {
        Path file = createFile(tracee.pid());
        long size = layout.totalBytes();
        MappedByteBuffer local;
        try {
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                // Mapping beyond the end of a file gives SIGBUS; extend it to its full size first.
                channel.write(ByteBuffer.wrap(new byte[1]), size - 1);
                local = channel.map(FileChannel.MapMode.READ_WRITE, 0, size);
            }
            long hint = placement(ProcMaps.read(tracee.pid()), executable, size);
            long at;
            try (RemoteSyscalls remote = new RemoteSyscalls(tracee)) {
                int fd = remote.open(file.toString(), O_RDWR | O_CLOEXEC, 0);
                try {
                    at = mapRemote(remote, hint, size, fd);
                } finally {
                    remote.closeFd(fd);
                }
                remote.check("mprotect(ring guard page)", SyscallNumber.MPROTECT,
                        at + layout.guardOffset(), RegionLayout.PAGE, PROT_NONE);
            }
            return new SharedRegion(layout, at, file.getFileName().toString(), at == hint, local);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot size or map " + file, e);
        } finally {
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot unlink shared-memory file " + file, e);
            }
        }
    }

    /** MAP_FIXED_NOREPLACE at the hint; if that range is taken, wherever the kernel likes. */
    private static long mapRemote(RemoteSyscalls remote, long hint, long size, int fd) {
        if (hint != 0) {
            long r = remote.syscall(SyscallNumber.MMAP, hint, size, PROT_RWX, MAP_SHARED | MAP_FIXED_NOREPLACE, fd, 0);
            if (r == hint) {
                return r;
            }
            if (r > 0 || r < -4095) {
                // A kernel without MAP_FIXED_NOREPLACE treats it as a hint and may map elsewhere: keep it.
                return r;
            }
        }
        return remote.mmap(RemoteAddress.NULL, size, PROT_RWX, MAP_SHARED, fd, 0).value();
    }

    /**
     * A free address within ±2 GiB of every byte of {@code executable}: just below it if there is
     * room (a PIE sits high, with nothing below), else {@link #HEAP_ROOM} above its end so that
     * brk can still grow the heap (a non-PIE sits at 4 MiB with no room below). 0 if neither
     * range is free or reachable.
     */
    static long placement(List<MemoryMapping> maps, LoadedModule executable, long size) {
        long below = (executable.base() - size - ALIGN) & -ALIGN;
        long above = (executable.end() + HEAP_ROOM + ALIGN - 1) & -ALIGN;
        for (long candidate : new long[] {below, above}) {
            long end = candidate + size;
            boolean reaches = end - executable.base() < 2 * GIB - ALIGN && executable.end() - candidate < 2 * GIB - ALIGN;
            if (candidate >= (1L << 20) && reaches && free(maps, candidate, end)) {
                return candidate;
            }
        }
        return 0;
    }

    private static boolean free(List<MemoryMapping> maps, long start, long end) {
        for (MemoryMapping m : maps) {
            if (Long.compareUnsigned(m.start(), end) < 0 && Long.compareUnsigned(start, m.end()) < 0) {
                return false;
            }
        }
        return true;
    }

    /**
     * A new empty file {@code /dev/shm/tracedb-PID-RANDOM}, mode 0600 from the start (created
     * with that mode, never chmod'ed later, so there is no window in which others could open it).
     */
    static Path createFile(int pid) {
        Path file = Path.of("/dev/shm", "tracedb-" + pid + "-" + randomName());
        try {
            return Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create shared-memory file " + file, e);
        }
    }

    private static String randomName() {
        byte[] bits = new byte[16];
        new SecureRandom().nextBytes(bits);
        return HexFormat.of().formatHex(bits);
    }

    public RegionLayout layout() {
        return layout;
    }

    /** The region's first byte in the tracee. */
    public CacheAddress base() {
        return CacheAddress.of(base);
    }

    /** The tracee address of byte {@code offset} of the region. */
    public CacheAddress at(int offset) {
        return CacheAddress.of(base + offset);
    }

    /** Whether the tracee mapped the region where {@link #placement} asked (within reach of the executable). */
    public boolean nearExecutable() {
        return nearExecutable;
    }

    /** The name the file had in /dev/shm before it was unlinked. */
    public String fileName() {
        return fileName;
    }

    public boolean contains(long traceeAddress) {
        return traceeAddress - base >= 0 && traceeAddress - base < layout.totalBytes();
    }

    /** The offset of {@code address} in the region; fails for addresses outside it. */
    public int offsetOf(CacheAddress address) {
        if (!contains(address.value())) {
            throw new IllegalArgumentException(address + " is outside the shared region at 0x" + Long.toHexString(base));
        }
        return (int) (address.value() - base);
    }

    /** Little-endian view of the whole region, shared with the tracee; absolute get/put only. */
    public ByteBuffer buffer() {
        return buffer;
    }

    /**
     * Unmaps the region from this JVM (the tracee keeps its mapping until it exits). The buffer
     * must not be used afterwards.
     */
    @Override
    public void close() {
        MappedByteBuffer m = mapped;
        if (m == null) {
            return;
        }
        mapped = null;
        unmap(m);
    }

    /**
     * Releases a MappedByteBuffer now rather than at some later GC: a recorder maps tens of MiB
     * per run. Unsafe.invokeCleaner is the supported way on Java 9+ (jdk.unsupported).
     */
    private static void unmap(MappedByteBuffer m) {
        try {
            Class<?> unsafeClass = Class.forName("sun.misc.Unsafe");
            Field field = unsafeClass.getDeclaredField("theUnsafe");
            field.setAccessible(true);
            Method cleaner = unsafeClass.getMethod("invokeCleaner", ByteBuffer.class);
            cleaner.invoke(field.get(null), m);
        } catch (ReflectiveOperationException e) {
            // Not fatal: the GC unmaps it when the buffer becomes unreachable.
        }
    }

    @Override
    public String toString() {
        return "SharedRegion[0x" + Long.toHexString(base) + ", " + layout.totalBytes() + " bytes, " + fileName + "]";
    }
}

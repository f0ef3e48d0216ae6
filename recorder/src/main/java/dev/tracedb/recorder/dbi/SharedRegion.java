package dev.tracedb.recorder.dbi;

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
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * One file in {@code /dev/shm} mapped both into the tracee (read, write, execute; shared) and into
 * this JVM, so Java writes code and reads events with plain memory accesses and no ptrace call.
 *
 * <p>The file is created with mode 0600 and a 128-bit random name, opened and mapped by the
 * tracee through {@link RemoteSyscalls} (the tracee's fd is closed again at once), then
 * unlinked: once both sides have mapped it, no other process can open it.
 *
 * <p>The tracee maps the region more than once: each {@link CacheView} is placed (by
 * {@link ViewPlacement}) within rel32 reach of the modules whose code it runs. Later views are
 * made without the file, which is gone by then: {@code mremap(view0, 0, size, MAYMOVE|FIXED, at)}
 * duplicates a shared mapping (old size 0 is the kernel's documented way to do that), aimed at an
 * anonymous PROT_NONE reservation taken with MAP_FIXED_NOREPLACE, so no existing mapping of the
 * program can ever be replaced.
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
    private static final int MAP_PRIVATE = 2;
    private static final int MAP_ANONYMOUS = 0x20;
    private static final int MAP_FIXED_NOREPLACE = 0x100000;
    private static final int SYS_MREMAP = 25;
    private static final int MREMAP_MAYMOVE = 1;
    private static final int MREMAP_FIXED = 2;

    private final RegionLayout layout;
    private final String fileName;
    private final List<CacheView> views = new ArrayList<>();
    private MappedByteBuffer mapped;
    private final ByteBuffer buffer;

    private SharedRegion(RegionLayout layout, long base, String fileName, MappedByteBuffer mapped) {
        this.layout = layout;
        this.fileName = fileName;
        this.views.add(new CacheView(0, base, layout.totalBytes()));
        this.mapped = mapped;
        this.buffer = mapped.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * Creates the file, maps it into the stopped {@code tracee} at {@code hint} (anywhere if that
     * is 0 or taken) and into this JVM, and unlinks it. The tracee's registers and memory are
     * otherwise left as they were.
     */
    public static SharedRegion create(Tracee tracee, long hint, RegionLayout layout) {
        Path file = createFile(tracee.pid());
        long size = layout.totalBytes();
        MappedByteBuffer local;
        try {
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                // Mapping beyond the end of a file gives SIGBUS; extend it to its full size first.
                channel.write(ByteBuffer.wrap(new byte[1]), size - 1);
                local = channel.map(FileChannel.MapMode.READ_WRITE, 0, size);
            }
            long at;
            try (RemoteSyscalls remote = new RemoteSyscalls(tracee)) {
                int fd = remote.open(file.toString(), O_RDWR | O_CLOEXEC, 0);
                try {
                    at = mapRemote(remote, hint, size, fd);
                } finally {
                    remote.closeFd(fd);
                }
                protectGuards(remote, layout, at);
            }
            return new SharedRegion(layout, at, file.getFileName().toString(), local);
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

    /** The region's first byte in the tracee, in the first view. */
    public CacheAddress base() {
        return views.get(0).at(0);
    }

    /** The tracee address of byte {@code offset} of the region, in the first view. */
    public CacheAddress at(int offset) {
        return views.get(0).at(offset);
    }

    /** The views mapped so far, the first one first. */
    List<CacheView> views() {
        return List.copyOf(views);
    }

    /** Makes the ring's two guard pages (after each half) PROT_NONE in the view at {@code at}. */
    private static void protectGuards(RemoteSyscalls remote, RegionLayout layout, long at) {
        remote.check("mprotect(ring guard page)", SyscallNumber.MPROTECT, at + layout.midGuardOffset(),
                RegionLayout.PAGE, PROT_NONE);
        remote.check("mprotect(ring guard page)", SyscallNumber.MPROTECT, at + layout.guardOffset(),
                RegionLayout.PAGE, PROT_NONE);
        if (layout.probeBytes() > 0) {
            remote.check("mprotect(probe guard page)", SyscallNumber.MPROTECT, at + layout.probeGuardOffset(),
                    RegionLayout.PAGE, PROT_NONE);
        }
    }

    /**
     * Maps one more view at {@code at} in the stopped {@code tracee} (see the class comment); the
     * range must be free. The ring's guard pages are PROT_NONE in every view.
     */
    CacheView addView(Tracee tracee, long at) {
        long size = layout.totalBytes();
        try (RemoteSyscalls remote = new RemoteSyscalls(tracee)) {
            long reserved = remote.syscall(SyscallNumber.MMAP, at, size, PROT_NONE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
            if (reserved != at) {
                if (reserved > 0 || reserved < -4095) {
                    remote.munmap(RemoteAddress.of(reserved), size);
                }
                throw new UnsupportedProgramException("cannot map a code-cache view at 0x" + Long.toHexString(at)
                        + ": the range is taken (mmap returned " + reserved + ")");
            }
            remote.check("mremap(duplicate the shared region)", SYS_MREMAP, views.get(0).base(), 0, size,
                    MREMAP_MAYMOVE | MREMAP_FIXED, at);
            protectGuards(remote, layout, at);
        }
        CacheView view = new CacheView(views.size(), at, size);
        views.add(view);
        return view;
    }

    /** The view holding {@code traceeAddress}, or null. */
    CacheView viewOf(long traceeAddress) {
        for (CacheView v : views) {
            if (v.contains(traceeAddress)) {
                return v;
            }
        }
        return null;
    }

    /** The name the file had in /dev/shm before it was unlinked. */
    public String fileName() {
        return fileName;
    }

    /** Whether {@code traceeAddress} is in any view of the region. */
    public boolean contains(long traceeAddress) {
        return viewOf(traceeAddress) != null;
    }

    /** The offset of {@code address} in the region, whichever view it is in; fails for addresses outside it. */
    public int offsetOf(CacheAddress address) {
        CacheView view = viewOf(address.value());
        if (view == null) {
            throw new IllegalArgumentException(address + " is outside the shared region " + this);
        }
        return (int) (address.value() - view.base());
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
        return "SharedRegion[" + views + ", " + layout.totalBytes() + " bytes, " + fileName + "]";
    }
}

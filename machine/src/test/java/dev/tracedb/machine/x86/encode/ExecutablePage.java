package dev.tracedb.machine.x86.encode;

import com.sun.jna.Function;
import com.sun.jna.Native;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;
import java.util.function.Consumer;

/**
 * One anonymous read-write-execute mapping for running emitted code in the test JVM; JNA's
 * {@code Memory} is not executable, so this maps its own page and unmaps it on close.
 */
final class ExecutablePage implements AutoCloseable {
    private static final int PROT_READ_WRITE_EXEC = 1 | 2 | 4;
    private static final int MAP_PRIVATE_ANONYMOUS = 0x02 | 0x20;

    /** Direct-mapped libc: no proxies, and the calls are few. */
    private static final class LibC {
        static {
            Native.register(Platform.C_LIBRARY_NAME);
        }

        static native Pointer mmap(Pointer address, long length, int prot, int flags, int fd, long offset);

        static native int munmap(Pointer address, long length);
    }

    private final Pointer page;
    private final int size;
    private int used;

    ExecutablePage(int size) {
        Pointer p = LibC.mmap(null, size, PROT_READ_WRITE_EXEC, MAP_PRIVATE_ANONYMOUS, -1, 0);
        if (p == null || Pointer.nativeValue(p) == -1L) {
            throw new IllegalStateException("mmap failed: errno " + Native.getLastError());
        }
        this.page = p;
        this.size = size;
    }

    /** Assembles {@code body} at the next 16-byte aligned spot of the page and returns it as a C function. */
    Function load(Consumer<Assembler> body) {
        long entry = Pointer.nativeValue(page) + used;
        Assembler a = new Assembler(new CodeBuffer(entry));
        body.accept(a);
        byte[] code = a.finish();
        if (used + code.length > size) {
            throw new IllegalStateException("page full");
        }
        page.write(used, code, 0, code.length);
        used = (used + code.length + 15) & ~15;
        return Function.getFunction(new Pointer(entry));
    }

    @Override
    public void close() {
        if (LibC.munmap(page, size) != 0) {
            throw new IllegalStateException("munmap failed: errno " + Native.getLastError());
        }
    }
}

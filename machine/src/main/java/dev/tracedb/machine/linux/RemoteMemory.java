package dev.tracedb.machine.linux;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Reads and writes a tracee's memory.
 *
 * <p>{@code process_vm_readv}/{@code writev} first: one system call, no ptrace stop, ~0.7 µs for
 * 4 KiB. They honour page protections, so a write to read-only code fails; then, and for any
 * partial transfer, {@code /proc/PID/mem} is used, whose writes go through the kernel's forced
 * access (as {@code PTRACE_POKEDATA} does) and break copy-on-write of private file pages rather
 * than touching the file.
 *
 * <p>Thread-safety: safe for use from any thread, and it needs no ptrace stop or tracer thread:
 * the kernel checks only that this process may ptrace the target. Reading a running tracee gives
 * whatever is there at that instant.
 */
public final class RemoteMemory implements AutoCloseable {
    private final int pid;
    private FileChannel mem;

    RemoteMemory(int pid) {
        this.pid = pid;
    }

    /** Reads {@code length} bytes at {@code address}; fails if any of them is unmapped. */
    public byte[] read(RemoteAddress address, int length) {
        byte[] bytes = new byte[length];
        if (length == 0) {
            return bytes;
        }
        Memory local = new Memory(length);
        long done = transfer(false, address, local, length);
        if (done == length) {
            local.read(0, bytes, 0, length);
            return bytes;
        }
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        try {
            int n = channel().read(buffer, address.value());
            if (n == length) {
                return bytes;
            }
        } catch (IOException e) {
            throw unreadable(address, length, e);
        }
        throw unreadable(address, length, null);
    }

    /** Writes {@code bytes} at {@code address}, also into read-only pages. */
    public void write(RemoteAddress address, byte[] bytes) {
        if (bytes.length == 0) {
            return;
        }
        Memory local = new Memory(bytes.length);
        local.write(0, bytes, 0, bytes.length);
        long done = transfer(true, address, local, bytes.length);
        if (done == bytes.length) {
            return;
        }
        try {
            int n = channel().write(ByteBuffer.wrap(bytes), address.value());
            if (n == bytes.length) {
                return;
            }
        } catch (IOException e) {
            throw new RemoteMemoryException("cannot write " + bytes.length + " bytes at " + address
                    + " in process " + pid + ": " + e.getMessage(), e);
        }
        throw new RemoteMemoryException("short write of " + bytes.length + " bytes at " + address
                + " in process " + pid, null);
    }

    public long readLong(RemoteAddress address) {
        return ByteBuffer.wrap(read(address, 8)).order(ByteOrder.LITTLE_ENDIAN).getLong();
    }

    public void writeLong(RemoteAddress address, long value) {
        write(address, ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(value).array());
    }

    /** Reads a NUL-terminated string of at most {@code maxLength} bytes (UTF-8). */
    public String readCString(RemoteAddress address, int maxLength) {
        java.io.ByteArrayOutputStream text = new java.io.ByteArrayOutputStream();
        // Small chunks: a string may end just before an unmapped page.
        int chunk = 64;
        for (int offset = 0; offset < maxLength; offset += chunk) {
            byte[] part = read(address.plus(offset), Math.min(chunk, maxLength - offset));
            for (byte b : part) {
                if (b == 0) {
                    return text.toString(StandardCharsets.UTF_8);
                }
                text.write(b);
            }
        }
        return text.toString(StandardCharsets.UTF_8);
    }

    /** Bytes moved by one process_vm_readv/writev; 0 if the call failed outright. */
    private long transfer(boolean write, RemoteAddress address, Pointer local, long length) {
        Memory iov = new Memory(32);
        iov.setPointer(0, local);
        iov.setLong(8, length);
        iov.setLong(16, address.value());
        iov.setLong(24, length);
        long n = write
                ? LibC.process_vm_writev(pid, iov, 1, iov.share(16), 1, 0)
                : LibC.process_vm_readv(pid, iov, 1, iov.share(16), 1, 0);
        return Math.max(n, 0);
    }

    private synchronized FileChannel channel() throws IOException {
        if (mem == null) {
            mem = FileChannel.open(Path.of("/proc", Integer.toString(pid), "mem"),
                    StandardOpenOption.READ, StandardOpenOption.WRITE);
        }
        return mem;
    }

    private RemoteMemoryException unreadable(RemoteAddress address, int length, IOException cause) {
        return new RemoteMemoryException("cannot read " + length + " bytes at " + address
                + " in process " + pid + (cause != null ? ": " + cause.getMessage() : ""), cause);
    }

    /** Closes the {@code /proc/PID/mem} descriptor, if one was opened. */
    @Override
    public synchronized void close() {
        if (mem != null) {
            try {
                mem.close();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            mem = null;
        }
    }

    /** A tracee address range that cannot be read or written. */
    public static final class RemoteMemoryException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        RemoteMemoryException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}

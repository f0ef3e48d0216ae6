package dev.tracedb.compiler.cache;

import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * Reads and writes {@code .tcache} files. One file holds two views of one {@link TraceCache}:
 * the model, serialized with Kryo, for Java ({@code tracedb traces}, the compiler's tests), and
 * the {@link CacheImage flat image} that the native loader applies at program start without a JVM.
 * A 64-byte header with a magic, the format version, the sections' offsets and lengths and a
 * CRC32C per section (and one over the header itself) comes first; the layout is in
 * {@code docs/formats/trace-cache.md}.
 *
 * <p>Writes are atomic: the file is written to a temporary file in the same directory, forced to
 * disk and renamed over the target, so a reader sees the old file or the new one, never a mix.
 * Reads check everything before decoding anything. Stateless and thread-safe.
 */
public final class TraceCacheFile {
    static final byte[] MAGIC = "TDBCACHE".getBytes(StandardCharsets.US_ASCII);
    static final int HEADER_SIZE = 64;
    /** Where the header's own checksum sits; it covers the bytes before it. */
    static final int HEADER_CRC_AT = 56;

    private TraceCacheFile() {
    }

    /**
     * Writes {@code cache} to {@code file} atomically, replacing any file there.
     *
     * @throws IllegalArgumentException when the cache is not of {@link TraceCache#FORMAT_VERSION} or
     *                                  its code does not fit its relocations and entries
     * @throws TraceCacheFileException  when the file cannot be written (nothing is left behind)
     */
    public static void write(TraceCache cache, Path file) {
        if (cache.formatVersion() != TraceCache.FORMAT_VERSION) {
            throw new IllegalArgumentException("cannot write format version " + cache.formatVersion()
                    + "; this code writes " + TraceCache.FORMAT_VERSION);
        }
        byte[] bytes = encode(cache);
        Path target = file.toAbsolutePath();
        Path temp = null;
        try {
            temp = Files.createTempFile(target.getParent(), "." + target.getFileName(), ".tmp");
            // a temporary file is private (0600); the cache is an ordinary output file
            Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rw-r--r--"));
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                ByteBuffer buffer = ByteBuffer.wrap(bytes);
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
                channel.force(true);
            }
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("the file system cannot rename atomically", e);
            }
            temp = null;
        } catch (IOException e) {
            throw new TraceCacheFileException(file, "cannot write: " + e, e);
        } finally {
            if (temp != null) {
                try {
                    Files.deleteIfExists(temp);
                } catch (IOException ignored) {
                    // best effort: the write already failed and says so
                }
            }
        }
    }

    /**
     * Reads a cache written by {@link #write}.
     *
     * @throws TraceCacheFileException when the file is missing, unreadable, truncated, of another
     *                                 format version, fails a checksum or does not decode
     */
    public static TraceCache read(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new TraceCacheFileException(file, "no such file", e);
        } catch (IOException e) {
            throw new TraceCacheFileException(file, "cannot read: " + e, e);
        }
        Sections sections = Sections.check(file, bytes);
        TraceCache cache;
        try (Input input = new Input(bytes, (int) sections.modelOffset, (int) sections.modelLength)) {
            cache = CacheKryo.create().readObject(input, TraceCache.class);
            if (input.position() != sections.modelOffset + sections.modelLength) {
                throw new TraceCacheFileException(file, "the model has "
                        + (sections.modelOffset + sections.modelLength - input.position()) + " bytes of trailing garbage");
            }
        } catch (KryoException | IllegalArgumentException | NullPointerException e) {
            throw new TraceCacheFileException(file, "the model does not decode: " + e.getMessage(), e);
        }
        if (cache.formatVersion() != TraceCache.FORMAT_VERSION) {
            throw new TraceCacheFileException(file, "the model says format version " + cache.formatVersion()
                    + " inside a version " + TraceCache.FORMAT_VERSION + " file");
        }
        return cache;
    }

    /** The whole file's bytes: header, Kryo model, flat image. */
    static byte[] encode(TraceCache cache) {
        byte[] model;
        try (Output output = new Output(4096, -1)) {
            CacheKryo.create().writeObject(output, cache);
            model = output.toBytes();
        }
        byte[] image = CacheImage.encode(cache);
        long modelOffset = HEADER_SIZE;
        long imageOffset = align16(modelOffset + model.length);
        ByteBuffer file = ByteBuffer.allocate((int) (imageOffset + image.length)).order(ByteOrder.LITTLE_ENDIAN);
        file.put(MAGIC).putInt(TraceCache.FORMAT_VERSION).putInt(0)
                .putLong(modelOffset).putLong(model.length)
                .putLong(imageOffset).putLong(image.length)
                .putInt(crc(model, 0, model.length)).putInt(crc(image, 0, image.length));
        file.putInt(HEADER_CRC_AT, crc(file.array(), 0, HEADER_CRC_AT));
        file.put((int) modelOffset, model);
        file.put((int) imageOffset, image);
        return file.array();
    }

    private static long align16(long n) {
        return (n + 15) & ~15L;
    }

    static int crc(byte[] bytes, int offset, int length) {
        CRC32C crc = new CRC32C();
        crc.update(bytes, offset, length);
        return (int) crc.getValue();
    }

    /** The header, checked: where the two sections are, and that their checksums match. */
    private record Sections(long modelOffset, long modelLength, long imageOffset, long imageLength) {
        static Sections check(Path file, byte[] bytes) {
            if (bytes.length < HEADER_SIZE) {
                throw new TraceCacheFileException(file, "truncated: " + bytes.length + " bytes, shorter than the "
                        + HEADER_SIZE + "-byte header");
            }
            if (!Arrays.equals(bytes, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
                throw new TraceCacheFileException(file, "not a trace cache (no TDBCACHE magic)");
            }
            ByteBuffer header = ByteBuffer.wrap(bytes, 0, HEADER_SIZE).order(ByteOrder.LITTLE_ENDIAN);
            if (header.getInt(HEADER_CRC_AT) != crc(bytes, 0, HEADER_CRC_AT)) {
                throw new TraceCacheFileException(file, "header checksum mismatch");
            }
            int version = header.getInt(8);
            if (version != TraceCache.FORMAT_VERSION) {
                throw new TraceCacheFileException(file, "format version " + version + ", this tracedb reads version "
                        + TraceCache.FORMAT_VERSION + " (recompile the cache)");
            }
            Sections s = new Sections(header.getLong(16), header.getLong(24), header.getLong(32), header.getLong(40));
            s.checkBounds(file, "model", s.modelOffset, s.modelLength, bytes.length);
            s.checkBounds(file, "image", s.imageOffset, s.imageLength, bytes.length);
            if (header.getInt(48) != crc(bytes, (int) s.modelOffset, (int) s.modelLength)) {
                throw new TraceCacheFileException(file, "model checksum mismatch (the file is damaged)");
            }
            if (header.getInt(52) != crc(bytes, (int) s.imageOffset, (int) s.imageLength)) {
                throw new TraceCacheFileException(file, "image checksum mismatch (the file is damaged)");
            }
            return s;
        }

        private void checkBounds(Path file, String what, long offset, long length, long fileLength) {
            if (offset < HEADER_SIZE || length < 0 || offset + length > fileLength || offset + length < offset) {
                throw new TraceCacheFileException(file, "truncated: the " + what + " needs bytes " + offset + ".."
                        + (offset + length) + " of a " + fileLength + "-byte file");
            }
        }
    }
}

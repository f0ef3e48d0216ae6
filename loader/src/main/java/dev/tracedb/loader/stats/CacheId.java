package dev.tracedb.loader.stats;

import dev.tracedb.compiler.cache.TraceCacheFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

/**
 * Which cache a stats file belongs to: the CRC32C of the cache file's header, which covers the
 * CRCs of its model and image (docs/formats/trace-cache.md), so any change to the traces or the
 * forecast changes it. The shim reads the same four bytes from its mapping of the file.
 */
public final class CacheId {
    private static final int HEADER_CRC_AT = 56;

    private CacheId() {
    }

    /** The id of a cache file that {@link TraceCacheFile#read} accepts; call that first. */
    public static int of(Path cache) {
        try (FileChannel channel = FileChannel.open(cache)) {
            ByteBuffer crc = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
            while (crc.hasRemaining()) {
                if (channel.read(crc, HEADER_CRC_AT + crc.position()) < 0) {
                    throw new TraceStatsException("trace cache " + cache + ": truncated");
                }
            }
            return crc.getInt(0);
        } catch (IOException e) {
            throw new TraceStatsException("trace cache " + cache + ": " + e.getMessage(), e);
        }
    }

    public static String hex(int id) {
        return String.format("%08x", id);
    }
}

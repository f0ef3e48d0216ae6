package dev.tracedb.store.internal;

import net.openhft.posix.PosixAPI;

/**
 * Process-wide Chronicle settings that must be in place before Chronicle's core classes initialise,
 * chosen so that opening a database costs what the store needs and no more. {@link Queues} applies
 * them in its static initialiser, which runs before any queue (and so any other Chronicle class) is
 * touched in this package.
 *
 * <p><b>No native POSIX binding.</b> Outside JUnit, Chronicle's {@code Jvm} class eagerly loads its
 * POSIX binding ({@code net.openhft.posix}), which goes through jnr-ffi: it unpacks libjffi from the
 * jar and generates x86 call stubs and their classes with ASM on every start, about 60-90 ms of every
 * command here (measured with nanoTime around the class initialisation, with and without). Chronicle
 * uses that binding for three things only: {@code msync} when a mapped chunk is released (its
 * {@code SyncMode}), the pretoucher's {@code msync} (never enabled here), and a {@code clock_gettime}
 * time provider (not the default). The store asks for {@link net.openhft.chronicle.bytes.SyncMode#NONE}
 * explicitly ({@link Queues}), so no call reaches the no-op binding installed here; and the mode it
 * replaces, Chronicle's default {@code ASYNC}, was {@code msync(MS_ASYNC)}, which Linux has
 * implemented as a no-op since 2.6.19 (the kernel tracks the dirty pages of a shared mapping and writes
 * them back itself). Durability is unchanged: the log's pages are in the page cache the moment they
 * are written, so a killed recorder loses nothing (docs/formats/run-log.md), and neither mode ever
 * protected against a power loss.
 *
 * <p>Thread-safety: {@link #apply()} is idempotent and called from a class initialiser, which the
 * JVM runs once.
 */
final class ChronicleStartup {
    private ChronicleStartup() {
    }

    static void apply() {
        PosixAPI.useNoOpPosixApi();
    }
}

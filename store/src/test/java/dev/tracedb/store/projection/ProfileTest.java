package dev.tracedb.store.projection;

import dev.tracedb.store.ExitStatus;
import dev.tracedb.store.InterpreterStream;
import dev.tracedb.store.RunId;
import dev.tracedb.store.RunReader;
import dev.tracedb.store.RunWriter;
import dev.tracedb.store.StoreTestSupport;
import dev.tracedb.store.format.BatchEncoding;
import dev.tracedb.store.format.FormatException;
import dev.tracedb.store.internal.ChronicleTraceDatabase;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ProfileTest extends StoreTestSupport {
    private static final int EVENTS = 300_000;

    private RunId record(ChronicleTraceDatabase db) {
        try (RunWriter w = db.createRun("prof", started("/bin/prof"), 10_000, BatchEncoding.DEFAULT)) {
            defineBlocks(w, 512);
            InterpreterStream s = new InterpreterStream(99, 512);
            int[] buf = new int[3333];
            for (int done = 0; done < EVENTS; done += buf.length) {
                int n = Math.min(buf.length, EVENTS - done);
                s.fill(buf, 0, n);
                w.appendExec(buf, 0, n);
            }
            w.end(ExitStatus.exited(0));
            return w.id();
        }
    }

    @Test
    void countsMatchANaiveRecount() {
        try (ChronicleTraceDatabase db = openDb()) {
            RunId id = record(db);
            Profile p;
            try (RunReader r = db.openRun(id)) {
                p = Profile.build(r);
            }
            Map<Integer, Long> counts = new HashMap<>();
            Map<Long, Long> edges = new HashMap<>();
            InterpreterStream s = new InterpreterStream(99, 512);
            int prev = -1;
            for (int i = 0; i < EVENTS; i++) {
                int id2 = s.next();
                counts.merge(id2, 1L, Long::sum);
                if (prev >= 0) edges.merge(((long) prev << 32) | id2, 1L, Long::sum);
                prev = id2;
            }
            assertEquals(EVENTS, p.blockEvents());
            assertEquals(counts.size(), p.blocks());
            assertEquals(edges.size(), p.edges());
            counts.forEach((b, c) -> assertEquals(c, p.count(b)));
            edges.forEach((k, c) -> assertEquals(c, p.edgeCount((int) (k >>> 32), (int) (long) k)));
            assertEquals(0, p.count(511_000));
        }
    }

    @Test
    void rebuildIsBitIdenticalAndTheCacheIsDisposable() throws Exception {
        try (ChronicleTraceDatabase db = openDb()) {
            RunId id = record(db);
            byte[] first;
            Path cache;
            try (RunReader r = db.openRun(id)) {
                first = ProfileCache.load(r).toBytes();
                cache = ProfileCache.fileFor(r);
            }
            assertTrue(Files.exists(cache));
            assertArrayEquals(first, Files.readAllBytes(cache));
            Files.delete(cache);
            byte[] second;
            try (RunReader r = db.openRun(id)) {
                second = Profile.build(r).toBytes();
                assertArrayEquals(second, ProfileCache.load(r).toBytes());
            }
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            assertArrayEquals(sha.digest(first), sha.digest(second));
            assertArrayEquals(first, Profile.fromBytes(first).toBytes());
        }
    }

    @Test
    void damagedCacheIsRejectedAndRebuilt() throws Exception {
        try (ChronicleTraceDatabase db = openDb()) {
            RunId id = record(db);
            try (RunReader r = db.openRun(id)) {
                byte[] good = ProfileCache.load(r).toBytes();
                byte[] bad = good.clone();
                bad[20] ^= 1;
                assertThrows(FormatException.class, () -> Profile.fromBytes(bad));
                Files.write(ProfileCache.fileFor(r), bad);
                assertArrayEquals(good, ProfileCache.load(r).toBytes());
                assertArrayEquals(good, Files.readAllBytes(ProfileCache.fileFor(r)));
                assertFalse(Files.exists(r.directory().resolve("profile-0.proj")));
            }
        }
    }
}

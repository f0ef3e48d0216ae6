package dev.tracedb.recorder.dbi;

import dev.tracedb.store.Terminator;
import java.util.Arrays;

/**
 * A fragment (DynamoRIO's term): a basic block as translated: its id (the value its prologue appends to the ring), where it is
 * in the program and in the cache, its original bytes and the address of each instruction. A
 * block starts wherever control first entered it, so blocks may overlap (a jump into the middle
 * of a translated block makes a new block). Immutable.
 */
record Fragment(int id, AppAddress start, byte[] bytes, long[] instructionAddresses, Terminator terminator,
             CacheAddress entry) {
    Fragment {
        bytes = bytes.clone();
        instructionAddresses = instructionAddresses.clone();
    }

    /** The same fragment under another id (a block translated ahead of its first run gets its log id then). */
    Fragment withId(int newId) {
        return new Fragment(newId, start, bytes, instructionAddresses, terminator, entry);
    }

    int instructionCount() {
        return instructionAddresses.length;
    }

    @Override
    public byte[] bytes() {
        return bytes.clone();
    }

    @Override
    public long[] instructionAddresses() {
        return instructionAddresses.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Fragment b && id == b.id && start.equals(b.start) && Arrays.equals(bytes, b.bytes)
                && Arrays.equals(instructionAddresses, b.instructionAddresses) && terminator == b.terminator
                && entry.equals(b.entry);
    }

    @Override
    public int hashCode() {
        return id * 31 + start.hashCode();
    }

    @Override
    public String toString() {
        return "Fragment[" + id + " " + start + " -> " + entry + ", " + instructionCount() + " insns, " + terminator + "]";
    }
}

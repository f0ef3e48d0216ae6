package dev.tracedb.store.format;

import dev.tracedb.store.ProbeSite;

import java.util.List;

/** The decoded payloads of the three value-probe frames ({@link EventType#PROBE_SITES} and the two after it). */
public final class ProbeFrames {
    private ProbeFrames() {
    }

    /** The sites a run samples, from block event {@code firstEvent} on. */
    public record Sites(List<ProbeSite> sites, long firstEvent) {
        public Sites {
            sites = List.copyOf(sites);
        }
    }

    /**
     * A chunk of samples, {@code count} of them in execution order; every sample of a block event
     * before {@code coveredTo} is in this chunk or an earlier one.
     */
    public record Samples(long coveredTo, int count, long[] blockEvents, int[] sites, long[] values) {}

    /** The end of the probe window; {@code samples} in it in all. */
    public record WindowEnd(long endEvent, boolean cutOff, long samples) {}
}

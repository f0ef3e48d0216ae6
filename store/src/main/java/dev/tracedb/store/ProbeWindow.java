package dev.tracedb.store;

import java.util.List;
import java.util.Objects;

/**
 * Which sites a run probed, and over which block events: every execution of a site's instruction
 * in a block event of {@code [firstEvent, endEvent)} has its sample in the log, in order, and no
 * sample lies outside. {@code cutOff} says the sample budget ended sampling at {@code endEvent}
 * (otherwise the window ends with the run, or, for a run whose recorder was killed, with the last
 * block event whose samples are all in the log). {@code samples} counts the samples in the window.
 */
public record ProbeWindow(List<ProbeSite> sites, long firstEvent, long endEvent, boolean cutOff, long samples) {
    public ProbeWindow {
        sites = List.copyOf(sites);
        if (firstEvent < 0 || endEvent < firstEvent || samples < 0) {
            throw new IllegalArgumentException("probe window [" + firstEvent + ", " + endEvent + ") with " + samples + " samples");
        }
    }

    /** Whether block event {@code blockEvent} is covered. */
    public boolean covers(long blockEvent) {
        return blockEvent >= firstEvent && blockEvent < endEvent;
    }
}

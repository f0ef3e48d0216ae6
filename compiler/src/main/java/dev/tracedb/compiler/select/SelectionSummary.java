package dev.tracedb.compiler.select;

import dev.tracedb.compiler.path.CodeAddress;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What trace selection did and why, for the compile command's report.
 *
 * @param runs               runs mined
 * @param blockEvents        block events in them
 * @param instructions       instructions those events executed
 * @param distinctBlocks     distinct blocks over all runs (what mining memory is proportional to)
 * @param distinctEdges      distinct block-to-block edges
 * @param maxPathNodes       the largest path-statistics tree of any round
 * @param rounds             selection rounds run
 * @param headsRejected      head candidates that got no trace, counted by reason
 * @param tracesDropped      traces the forecast showed would not pay, with the reason of each
 * @param stops              why the kept traces end, counted by reason
 */
public record SelectionSummary(int runs, long blockEvents, long instructions, int distinctBlocks, int distinctEdges,
                               int maxPathNodes, int rounds, Map<String, Long> headsRejected,
                               List<DroppedTrace> tracesDropped, Map<String, Long> stops) {
    public SelectionSummary {
        headsRejected = Map.copyOf(headsRejected);
        tracesDropped = List.copyOf(tracesDropped);
        stops = Map.copyOf(stops);
    }

    /** A trace that was chosen, then dropped because the forecast showed it would not pay. */
    public record DroppedTrace(CodeAddress head, String reason) {
        public DroppedTrace {
            Objects.requireNonNull(head, "head");
            Objects.requireNonNull(reason, "reason");
        }
    }
}

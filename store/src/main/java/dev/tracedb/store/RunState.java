package dev.tracedb.store;

/** Where a run is in its life, as far as the database can tell without reading the whole log. */
public enum RunState {
    /** A writer holds the run open right now (in this or another process). */
    RECORDING,
    /** The run ended normally: its log holds a {@link RunEnded} event and the catalog closed it. */
    COMPLETE,
    /**
     * Nobody is writing the run and it never ended: the recorder was killed or closed the writer
     * without {@link RunWriter#end}. The log is readable up to its last complete event.
     */
    INCOMPLETE
}

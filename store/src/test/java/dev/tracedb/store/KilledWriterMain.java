package dev.tracedb.store;

import java.nio.file.Path;

/**
 * Child process for {@link IncompleteRunTest}: records an endless interpreter-like stream into the
 * database given as {@code args[0]}, prints {@code READY <run id>} once some batches are on disk,
 * and keeps writing until it is killed (bounded, in case the test that should kill it does not).
 */
public final class KilledWriterMain {
    public static void main(String[] args) throws InterruptedException {
        TraceDatabase db = TraceDatabase.open(Path.of(args[0]));
        RunWriter w = db.createRun("killed", StoreTestSupport.started("/bin/killed"));
        StoreTestSupport.defineBlocks(w, 256);
        InterpreterStream stream = new InterpreterStream(7, 256);
        int[] buf = new int[4096];
        boolean announced = false;
        while (w.blockEvents() < 400L * 65536) {
            stream.fill(buf, 0, buf.length);
            w.appendExec(buf, 0, buf.length);
            if (!announced && w.blockEvents() >= 20L * 65536) {
                System.out.println("READY " + w.id());
                System.out.flush();
                announced = true;
            }
        }
        Thread.sleep(Long.MAX_VALUE);
    }
}

package dev.tracedb.store;

import java.nio.file.Path;

/**
 * Child process for {@link ExpansionLinksTest}: takes the expansion lock of run {@code args[1]} in
 * the database {@code args[0]}, prints {@code LOCKED} and holds it until it is killed (bounded, in
 * case the test that should kill it does not).
 */
public final class ExpansionLockHolderMain {
    public static void main(String[] args) throws InterruptedException {
        TraceDatabase db = TraceDatabase.open(Path.of(args[0]));
        ExpansionLinks.Lock lock = db.expansions().lock(RunId.parse(args[1]));
        System.out.println("LOCKED");
        System.out.flush();
        Thread.sleep(120_000);
        lock.close();
        db.close();
    }
}

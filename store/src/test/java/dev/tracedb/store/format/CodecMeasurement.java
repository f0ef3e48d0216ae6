package dev.tracedb.store.format;

import dev.tracedb.store.InterpreterStream;

import java.util.Random;

/**
 * Prints the table in docs/formats/run-log.md: bytes per block event and single-thread encode and
 * decode rates of each {@link BatchEncoding} over 64 Ki-event batches. Run by hand (not a test):
 * {@code java -cp store/target/classes:store/target/test-classes:DEPS dev.tracedb.store.format.CodecMeasurement}.
 */
public final class CodecMeasurement {
    public static void main(String[] args) {
        int batch = 1 << 16;
        int batches = 256;
        int[][] streams = {interpreter(batch * batches, 4096), random(batch * batches, 4096)};
        String[] names = {"interpreter loop (20 blocks, 1/16 varied), 4096 blocks", "uniform random ids < 4096"};
        for (int s = 0; s < streams.length; s++) {
            System.out.println("## " + names[s]);
            System.out.println("| encoding | bytes/event | encode M events/s | decode M events/s |");
            System.out.println("|---|---|---|---|");
            for (BatchEncoding enc : BatchEncoding.values()) {
                ExecBatchCodec codec = new ExecBatchCodec(enc);
                ByteSink sink = new ByteSink(batch * 6);
                int[] out = new int[batch];
                int[] chunk = new int[batch];
                double bestEnc = 0;
                double bestDec = 0;
                long bytes = 0;
                for (int rep = 0; rep < 5; rep++) {
                    bytes = 0;
                    long tEnc = 0;
                    long tDec = 0;
                    for (int b = 0; b < batches; b++) {
                        System.arraycopy(streams[s], b * batch, chunk, 0, batch);
                        sink.clear();
                        long e0 = System.nanoTime();
                        codec.encode(chunk, batch, sink);
                        long e1 = System.nanoTime();
                        bytes += sink.length();
                        try {
                            codec.decode(new ByteSource(sink.array(), 0, sink.length()), batch, out);
                        } catch (FormatException ex) {
                            throw new AssertionError(ex);
                        }
                        tDec += System.nanoTime() - e1;
                        tEnc += e1 - e0;
                        if (out[batch - 1] != chunk[batch - 1]) throw new AssertionError("mismatch");
                    }
                    double events = (double) batch * batches;
                    bestEnc = Math.max(bestEnc, events / (tEnc / 1e3));
                    bestDec = Math.max(bestDec, events / (tDec / 1e3));
                }
                System.out.printf("| %s | %.3f | %.0f | %.0f |%n", enc, (double) bytes / ((double) batch * batches),
                        bestEnc, bestDec);
            }
        }
    }

    private static int[] interpreter(int n, int blocks) {
        int[] a = new int[n];
        new InterpreterStream(2024, blocks).fill(a, 0, n);
        return a;
    }

    private static int[] random(int n, int blocks) {
        Random r = new Random(5);
        int[] a = new int[n];
        for (int i = 0; i < n; i++) a[i] = r.nextInt(blocks);
        return a;
    }
}

/**
 * Mining recorded runs: one streaming pass per question, over one or more runs of one program.
 *
 * <p>{@link dev.tracedb.compiler.mining.BlockStream} replays runs as a stream of global block ids
 * of a {@link dev.tracedb.compiler.mining.BlockCatalog}, which matches modules across runs by path
 * and build-id and blocks by (module, offset, length), never by the recorder's per-run ids.
 * {@link dev.tracedb.compiler.mining.BlockProfile} counts blocks and edges;
 * {@link dev.tracedb.compiler.mining.PathStatistics} counts the exact block sequences that follow
 * chosen heads. Every pass keeps memory proportional to distinct blocks, edges or path prefixes,
 * never to the number of block events, so a run of 10^9 events mines in bounded memory.
 *
 * <p><b>Thread-safety.</b> Nothing here is thread-safe; a pass uses its {@code RunReader}s, which
 * are confined to one thread. Use one catalog per compilation and thread.
 */
package dev.tracedb.compiler.mining;

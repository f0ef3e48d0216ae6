/**
 * Questions asked of one run or two: the code a run executed ({@link dev.tracedb.store.query.RunCode}),
 * its names from the ELF files ({@link dev.tracedb.store.query.CodeNames}), where the instructions
 * went ({@link dev.tracedb.store.query.HotCode}), hot loops ({@link dev.tracedb.store.query.Loops}),
 * one block in context ({@link dev.tracedb.store.query.BlockReport}) and how two runs differ
 * ({@link dev.tracedb.store.query.RunDiff}). Everything here is computed from the log and the
 * {@link dev.tracedb.store.projection.Profile}; nothing is stored.
 *
 * <p><b>Contract.</b> Blocks are named by module and offset, never by address alone, so that two
 * runs of one binary line up whatever ASLR did. A symbol is used only when the module's file is
 * still on disk and its build-id matches the log's; otherwise the name is {@code module+0xoffset}.
 *
 * <p><b>Thread-safety.</b> Results are immutable. Computing one reads a
 * {@link dev.tracedb.store.RunReader}, which is confined to one thread; {@link dev.tracedb.store.query.CodeNames}
 * is immutable once built.
 */
package dev.tracedb.store.query;

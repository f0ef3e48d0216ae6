/**
 * The trace cache: what {@code tracedb compile} writes and {@code tracedb run --cache} applies.
 * The model ({@link dev.tracedb.compiler.cache.TraceCache} and its records) and the file
 * ({@link dev.tracedb.compiler.cache.TraceCacheFile}: a checked header, the model in Kryo, and the
 * {@link dev.tracedb.compiler.cache.CacheImage flat image} the native loader applies). Records are
 * immutable; the file's read and write are stateless and thread-safe. The byte layout is in
 * {@code docs/formats/trace-cache.md}.
 */
package dev.tracedb.compiler.cache;

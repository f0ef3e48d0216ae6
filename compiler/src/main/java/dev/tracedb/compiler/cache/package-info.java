/**
 * The trace cache: what {@code tracedb compile} writes and {@code tracedb run --cache} applies.
 * The model lives here; the file format (and its validation) next to it.
 */
package dev.tracedb.compiler.cache;

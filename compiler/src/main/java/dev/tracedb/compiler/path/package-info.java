/**
 * The hand-over from trace selection (mining the log) to code generation: the recorded paths
 * chosen as traces, position-independent (module index + offset), with each block's original bytes.
 */
package dev.tracedb.compiler.path;

/** JMH benchmarks of the export: rows per second written for the execution stream of a real recording. */
package dev.tracedb.bench.export;

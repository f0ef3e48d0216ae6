/** JMH benchmarks of the trace log: execution-batch append and read throughput through a real run log. */
package dev.tracedb.bench.store;

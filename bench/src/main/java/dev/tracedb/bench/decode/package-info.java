/** JMH benchmarks of x86-64 decoding: instructions per second with full detail over a real binary's code. */
package dev.tracedb.bench.decode;

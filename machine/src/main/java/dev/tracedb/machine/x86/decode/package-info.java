/**
 * x86-64 instruction decoding behind types of our own.
 *
 * <p>{@link dev.tracedb.machine.x86.decode.Decoder#open()} returns a decoder backed by libcapstone 4
 * (called directly through JNA); no Capstone type, id or structure is visible outside this
 * package. An {@link dev.tracedb.machine.x86.decode.Instruction} is an immutable value: its bytes,
 * Intel-syntax text, groups, operands, the registers and flags it reads and writes, and where its
 * displacement and immediate sit inside its bytes (what a translator needs to relocate it).
 *
 * <p>Thread-safety: a {@code Decoder} is not thread-safe (it owns one native Capstone handle and
 * native scratch buffers); use one per thread. Everything it returns is immutable and may be shared
 * freely. Addresses are plain {@code long}s in the address space of the decoded code.
 */
package dev.tracedb.machine.x86.decode;

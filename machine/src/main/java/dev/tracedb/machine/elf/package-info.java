/**
 * Facts about an ELF file on disk: its type, interpreter, build-id, program headers, sections and
 * symbols, and a {@link dev.tracedb.machine.elf.Symbolizer} that names code addresses.
 *
 * <p>{@link dev.tracedb.machine.elf.ElfImage#read(java.nio.file.Path)} reads everything it reports
 * eagerly (except section contents) and then holds only immutable values; every type here is
 * immutable and thread-safe. Addresses are the file's own (link-time) virtual addresses: for a
 * PIE or shared library add the load base from {@code /proc/PID/maps}. Failures to read are
 * {@link dev.tracedb.machine.elf.ElfReadException}s naming the file. Parsing is done by jelf,
 * which no public signature exposes. Only 64-bit little-endian x86-64 files are accepted.
 */
package dev.tracedb.machine.elf;

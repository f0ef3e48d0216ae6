/**
 * A small x86-64 encoder for exactly the instruction forms that the recorder's code cache and the
 * trace compiler emit.
 *
 * <p>Layers, bottom up: {@link dev.tracedb.machine.x86.encode.CodeBuffer} (bytes, patching, the
 * address the code will run at), {@link dev.tracedb.machine.x86.encode.Label} (positions whose uses
 * are patched when bound), the operands {@link dev.tracedb.machine.x86.encode.Gpr} and
 * {@link dev.tracedb.machine.x86.encode.Mem}, and {@link dev.tracedb.machine.x86.encode.Assembler},
 * one method per instruction form, on top of a package-private base that alone knows REX, ModRM
 * and SIB.
 *
 * <p><b>Thread-safety:</b> nothing here is thread-safe. Use one {@code Assembler} per
 * {@code CodeBuffer}, from one thread; a {@code Label} belongs to the assembler that binds it.
 *
 * <p><b>Contract:</b> the assembler emits only the forms it lists, each checked by golden bytes,
 * by objdump and by running it. An instruction it lacks is added as a new form with its own tests,
 * never by writing raw bytes from outside this package.
 */
package dev.tracedb.machine.x86.encode;

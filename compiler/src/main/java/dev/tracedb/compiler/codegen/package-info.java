/**
 * Code generation: {@link dev.tracedb.compiler.codegen.TraceCodeGenerator} turns the recorded
 * paths of a {@link dev.tracedb.compiler.path.TraceSelection} into position-independent x86-64
 * code, one blob per module ({@link dev.tracedb.compiler.cache.ModuleCode}), plus the
 * {@link dev.tracedb.compiler.cache.CachedModule} entries that tie each blob to the bytes it was
 * compiled from.
 *
 * <h2>The contract every trace keeps</h2>
 * Inside a trace the program's registers, flags, stack and memory are at every instruction what
 * they would be at the corresponding original instruction; at every side exit they are exactly
 * the original state at the exit's target. Nothing is written below rsp except by the program's
 * own instructions and the pushes of return addresses its calls would have made.
 *
 * <h2>Rules, per block terminator</h2>
 * <ul>
 * <li><b>Body instructions</b> are copied byte for byte; a RIP-relative displacement becomes a
 *     {@code REL32} relocation aimed at the same module address (measured from the end of the
 *     instruction, so an immediate after the displacement is accounted for). Refused: anything
 *     that reads rip otherwise, x87/SSE state saves (they store the FPU instruction pointer, a
 *     trace address), privileged, virtualization and transactional instructions, and any block
 *     whose bytes do not decode into the instruction count the log gives.</li>
 * <li><b>Conditional branches</b> become guards: the recorded direction falls through in the
 *     trace, the other one is a {@code jcc rel32} side exit to the original address (the
 *     condition inverted where the path followed the taken edge). {@code loop}/{@code jrcxz}
 *     keep their rel8 form, aimed over our own jumps, so {@code loop} decrements rcx once.</li>
 * <li><b>Direct jumps</b> on the path disappear.</li>
 * <li><b>Direct calls</b> push the <em>original</em> return address ({@code push qword
 *     [rip+slot]}, an {@code ABS64} slot in the trace's constant pool; no flags, no register)
 *     and continue inline.</li>
 * <li><b>Returns and indirect jumps and calls</b> are guarded flags-free
 *     ({@link dev.tracedb.compiler.codegen.IndirectGuard}): rcx and rdx are spilled on the stack
 *     below the red zone, the computed target is compared with the recorded one with
 *     {@code not}+{@code lea}+{@code jrcxz}; a mismatch restores everything and performs the
 *     original transfer (a copied {@code ret [imm16]} or {@code jmp}; for a call, the original
 *     return address is pushed and the same operand jumped through). A match pops
 *     ({@code lea rsp}, never {@code add}) or pushes as the original would have.</li>
 * <li><b>The end of the path</b>: a loop trace (continuation = head) jumps back to its own
 *     start; any other trace jumps to its continuation. A path that ends in a return or an
 *     indirect transfer executes it as the original does.</li>
 * <li><b>Links.</b> Every jump out of a trace (side exit or end) whose target is the head of a
 *     trace in the same blob goes straight to that trace; all others are relocations to the
 *     original code.</li>
 * <li><b>Refused traces</b> (each a {@link dev.tracedb.compiler.codegen.Refusal} with a reason):
 *     system calls and interrupts on the path, far or 16-bit transfers, a head block shorter than
 *     the 5-byte entry jump, a path that does not follow its blocks' terminators, indirect
 *     transfers recorded into another module (except at the end of the path), entry patches that
 *     overlap a hotter trace's, and side exits into the bytes an entry patch overwrites.</li>
 * </ul>
 *
 * <h2>Known limits</h2>
 * A signal handler or debugger that looks at rip while a trace runs sees a trace address, and a
 * fault inside a trace reports one; code outside the traces that saves x87 state after a trace
 * ran an x87 instruction sees a trace address as the FPU instruction pointer. Self-modifying
 * code is not detected here (the loader checks the relied-on bytes before applying).
 *
 * <p>Thread-safety: {@code TraceCodeGenerator} is not thread-safe (one per thread); its results
 * are immutable. The generated code is safe for multi-threaded programs: guards keep their
 * scratch values on the running thread's own stack, never in a shared slot.
 */
package dev.tracedb.compiler.codegen;

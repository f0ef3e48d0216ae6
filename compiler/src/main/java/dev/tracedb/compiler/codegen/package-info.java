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
 * <li><b>Decided guards are left out</b> ({@link dev.tracedb.compiler.codegen.RedundantGuards}): a
 *     compare of registers only and its branch, when an earlier guard of the same pass made the same
 *     compare with the same condition and direction, none of those registers was written since,
 *     and the flags are dead after the branch (lua5.4 tests its hook flag in r8d before every
 *     dispatch).</li>
 * <li><b>Direct jumps</b> on the path disappear.</li>
 * <li><b>Direct calls</b> push the <em>original</em> return address ({@code push qword
 *     [rip+slot]}, an {@code ABS64} slot in the trace's constant pool; no flags, no register)
 *     and continue inline. A call that is the path's last transfer runs as the original
 *     instruction (the trace jumps to it), so that the CPU's return-stack predictor gets the
 *     entry the callee's native {@code ret} will pop. (Selection now ends traces at calls, so
 *     this is the form selected traces use.)</li>
 * <li><b>Returns and indirect calls</b> are guarded with {@code cmp} + {@code jne}
 *     ({@link dev.tracedb.compiler.codegen.IndirectGuard}): by the System V ABI the status flags
 *     have no role across a call or a return, and nothing below rsp survives them, so rcx can be
 *     kept at {@code [rsp-8]} (inside the red zone, where no signal frame goes) while the
 *     target is loaded and compared with its constant-pool slot; rsp never moves. A mismatch
 *     (out of line, after the trace's last block) performs the original transfer; an indirect
 *     call does so by jumping to the original {@code call}, as does an indirect call that is
 *     the path's last transfer, so the return-stack predictor stays in step. A return that is
 *     the path's last transfer runs natively.</li>
 * <li><b>Indirect jumps</b> are guarded with {@code cmp} where the flags it overwrites are dead
 *     or can be recomputed on each side: {@link dev.tracedb.compiler.codegen.FlagsLiveness} scans
 *     the trace after the jump (live at a reader, a {@code loop}/{@code jrcxz} exit, an indirect
 *     jump or the end of a non-loop trace; dead at a full writer, a call or a return), and
 *     {@link dev.tracedb.compiler.codegen.FlagsRestore} re-executes the last flag writer before
 *     the jump (or undoes and redoes an {@code add}/{@code sub}/{@code xor}) when its register
 *     inputs are unchanged. The mismatch side goes to an unknown target, so its flags are always
 *     recomputed, except at a function's first instruction (a PLT stub entered by a call in the
 *     trace). A jump through memory loads its target into rcx, pushed below the red zone (or
 *     kept at {@code [rsp-8]} at a function's entry). Elsewhere the jump keeps the flags-free
 *     guard: rcx and rdx spilled below the red zone, {@code not}+{@code lea}+{@code jrcxz}, a
 *     mismatch restores both and jumps as the original does. A match pops or pushes as the
 *     original would have.</li>
 * <li><b>Table dispatches guard the index</b>
 *     ({@link dev.tracedb.compiler.codegen.DispatchSpecialiser}): where an indirect jump's
 *     register was loaded as {@code mov R, [B + I*8]} from a read-only table of code addresses
 *     ({@link dev.tracedb.compiler.codegen.DispatchTables}: RELATIVE relocations inside
 *     {@code PT_GNU_RELRO}; lua5.4's {@code disptab}), the load becomes {@code cmp I, K} with
 *     K the index whose slot holds the recorded target, B is compared with the table's address
 *     once per pass, and the jump needs no guard. Only where R is not read before the jump and
 *     is overwritten on the path after it before any read, memory access or exit, and the flags
 *     are overwritten after the load or recomputed; a mismatch makes the original load and
 *     goes on in the original code right after it. Side exits taken before the path overwrites
 *     R load the recorded target into R first.</li>
 * <li><b>A guard the next one implies is made inside the next one's stub</b>
 *     ({@link dev.tracedb.compiler.codegen.ImpliedGuards}): {@code cmp R, a} held unequal, then
 *     {@code cmp R, b} held equal: the path compares with b once, and a mismatch runs both guards
 *     in their original order out of line (lua5.4's "integer? float?" type checks).</li>
 * <li><b>Dead writes move to the exits</b> ({@link dev.tracedb.compiler.codegen.SunkWrites}): a
 *     {@code lea} or register {@code mov} whose register the path overwrites before reading it
 *     (lua5.4's dispatch {@code lea rcx, [rbx + 0x40]}) is left out of the path and copied into
 *     the out-of-line stubs of the conditional side exits in between, its sources unchanged
 *     there.</li>
 * <li><b>Value guards fold the decode of a guarded load</b> ({@link dev.tracedb.compiler.codegen.ValueGuards},
 *     {@link dev.tracedb.compiler.codegen.ValueFolder}): a path position given a
 *     {@link dev.tracedb.compiler.path.ValueGuard} whose load is {@code mov r32/r64, [mem]}, with
 *     the flags dead after it, becomes {@code cmp [mem], W; jne stub} (the stub makes the original
 *     load and goes on after it); the register is not loaded, and the moves, shifts, masks,
 *     zero-extensions, adds and {@code lea}s the path computes from it are folded into constants or
 *     {@code lea r, [base + c]}, written only before an instruction that reads them, before a
 *     transfer the folder does not pass, and in every exit stub. Value guards come from probe
 *     samples ({@code compiler.values}); without them nothing changes. Several guards at one load
 *     are <em>polymorphic</em>: a chain of compares, most frequent value first, each match going on
 *     into its own copy of the rest of the path folded with its value, the last mismatch to the
 *     stub; at most {@code ValueGuards.MAX_COPIES} copies per trace.</li>
 * <li><b>Loads of what the path just stored are forwarded</b> ({@link dev.tracedb.compiler.codegen.StoredValues}):
 *     a plain store ({@code mov [B + d], reg/imm}, {@code movsd/movq [B + d], xmm}) records that the
 *     cell, keyed by the folder's symbolic address (a base register's original value plus a constant),
 *     holds that register's value or that immediate; a later load of exactly that cell and size
 *     becomes a register move ({@code mov}, {@code movzx}, {@code movq}), nothing (the destination
 *     holds it already), or a constant the {@link dev.tracedb.compiler.codegen.ValueFolder} tracks,
 *     so the destination is set where the original sets it, inline or in every exit stub. A load
 *     leaves the same kind of fact for its destination until the next memory read of anything
 *     (x86-TSO: two loads of one cell may differ only with another read between). A write
 *     of the base or the value register, a store that may overlap (another base, overlapping bytes,
 *     an unresolved address), any implicit, locked, string or fence instruction, and every call,
 *     return and indirect transfer end the facts. A guard whose compare reads only constants the
 *     folder knows ({@code cmp/test r, imm/r}) and goes the path's way is left out, compare and
 *     branch, where the flags are dead after it (lua5.4's type check of the slot the previous
 *     instruction wrote). {@code compile --no-forwarding} turns both off.</li>
 * <li><b>The end of the path</b>: a loop trace (continuation = head) jumps back to its own
 *     start; any other trace jumps to its continuation. With forwarding, a loop trace is peeled:
 *     its first copy (entered from outside) jumps to a second copy of the body that starts with
 *     the facts and folded register values every back edge of the first leaves (only those keyed
 *     on registers the path never writes), and whose back edge goes to its own start where its
 *     facts there imply those, else to the first copy's start; its exits are the same exits
 *     ({@code compile --no-peel}: one copy). A path that ends in a return or an
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
 * <h2>Two variants: plain and counting</h2>
 * Every trace is emitted twice ({@link dev.tracedb.compiler.codegen.TraceEmitter}): the plain
 * code {@code tracedb run} installs, and a counting variant ({@code ModuleCode.counting}) that
 * {@code run --stats} installs. The counting variant is the plain code plus
 * {@link dev.tracedb.compiler.codegen.TraceCounters} increments ({@code lea rsp,[rsp-128];
 * pushfq; lock inc qword [rip+counter]; popfq; lea rsp,[rsp+128]}: registers and flags kept,
 * nothing written in the red zone, exact with threads): at the entry, which head patches and links
 * reach and a loop's jump back does not; before each completion (the jump to the continuation, a
 * loop-back as an iteration, the path's last direct call; the last return or indirect transfer
 * compares its target with the continuation's run-time address inside the saved-flags frame and
 * counts a completion or a guard exit); in an out-of-line stub per side exit that then jumps where
 * the plain exit goes; and at every guard mismatch. Links in the counting blob enter the other
 * trace's counting code, so entries by links are counted. The plain variant emits exactly what it
 * did before the counting variant existed: every counting emission is behind the variant's switch.
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

/**
 * Trace selection: which recorded paths become traces. The entry point for {@code tracedb compile}:
 *
 * <pre>{@code
 * try (TraceDatabase db = TraceDatabase.open(dir);
 *      RunReader a = db.openRun(db.resolve("r0001").id());
 *      RunReader b = db.openRun(db.resolve("r0002").id())) {
 *     SelectionResult result = TraceSelector.select(List.of(a, b), SelectionOptions.defaults(),
 *             (phase, done, total) -> System.err.printf("\r%s %d/%d", phase, done, total));
 *     TraceSelection traces = result.selection();   // to code generation
 *     Forecast forecast = result.forecast();        // into the cache; trace ids match
 *     SelectionSummary why = result.summary();      // heads refused, traces dropped, by reason
 * }
 * }</pre>
 *
 * <p><b>Algorithm</b> (Dynamo's NET on the whole recorded stream, with exact path statistics):
 * <ol>
 *   <li><b>Profile pass</b> over all runs ({@link dev.tracedb.compiler.mining.BlockProfile}): block
 *       and edge counts by global block id; runs are matched by module path and build-id, blocks by
 *       (module, offset, length).</li>
 *   <li><b>Head candidates.</b> Round one: targets of backward branches (target offset before the
 *       end of the source block, same module) taken at least {@code minHeadExecutions} times.
 *       Later rounds: blocks that still ran at least that often <em>outside</em> the traces chosen so
 *       far, as the previous round's forecast shows, and are hot side-exit, backward-branch or
 *       return targets. Each round takes at most {@code maxCandidatesPerRound} candidates, hottest first;
 *       rounds stop at {@code rounds}, when no candidate is left, or when a round raised the forecast
 *       share of instructions inside traces by less than {@code minRoundGain}. Only heads that {@link dev.tracedb.compiler.select.HeadEligibility pass the
 *       head-patch rules} are kept; the rest are counted by reason.</li>
 *   <li><b>Path pass</b> ({@link dev.tracedb.compiler.mining.PathStatistics}): the exact recorded
 *       block sequences after each candidate. From the second round on, the traces chosen so far
 *       are simulated alongside, and only occurrences the original code reaches (as after a side
 *       exit) count, as in Dynamo, where only interpreted code counts towards a new trace; paths
 *       end at existing heads. A head that lies on a trace chosen in the same round is skipped
 *       once; if the next forecast still finds it hot outside the traces, it gets its own.</li>
 *   <li><b>Choice.</b> Each candidate's trace is its most frequent recorded path, cut by the stop
 *       rules of {@link dev.tracedb.compiler.select.PathWalker} (loop closed, another trace's head,
 *       system call next, cold, too long, an inner loop, leaving the module, after a call, after a
 *       return from a frame the trace did not call). Calls and returns end traces because inlined
 *       pairs cost more than they saved (a guarded return and a pushed return address against a
 *       native pair the CPU predicts; measured on the Lua workloads), and because a native
 *       {@code ret} whose {@code call} the CPU did not see mispredicts; later rounds take the
 *       blocks callees return to as head candidates, so the code after a call gets traces again. Candidates are taken in
 *       order of the instructions the runs executed along that path, so that in an interpreter the
 *       head of the user-level loop (reached once per iteration) wins over the shared dispatch block
 *       (reached once per opcode), and its trace covers a whole iteration through several
 *       dispatches. A candidate that lies on a trace chosen earlier in the round gets none.</li>
 *   <li><b>Forecast pass</b> ({@link dev.tracedb.compiler.forecast.TraceSimulator}): replays the
 *       runs against the traces, switched on at the program's entry point as the loader applies them
 *       ({@link dev.tracedb.compiler.forecast.ProgramEntry}); its side exits and outside counts feed
 *       the next round. Traces only the dynamic loader's start-up ran are never entered, and
 *       dropped.</li>
 *   <li><b>Trimming and dropping.</b> A trace is cut before the first block that fewer than
 *       {@code coldShare} of its passes reach in the forecast (and continues there). Traces never entered, leaving at their first guard in more than
 *       {@code maxFirstGuardExitShare} of their passes, or running fewer than
 *       {@code minInstructionsPerEntry} instructions inside per entry, or less than {@code minShareInside}
 *       of all instructions, or saving fewer taken branches than their entry and exit cost (two per
 *       entry; a trace saves its path's direct jumps and taken conditional branches, not its inner
 *       indirect jumps (their guards cost what a predicted indirect jump costs), less one where the
 *       path's last block reached its continuation without a taken branch (the trace's own
 *       {@code jmp} there is one), scaled to the instructions forecast inside) by more than one per hundred instructions
 *       inside, or saving none at all (a one-block loop, python3's two-block scanning loops),
 *       or completing fewer than a quarter of their entries (measured on python3: such traces
 *       cost more than they saved), or, unless they loop, starting where calls or returns bring
 *       control in more than half of the head's runs (a function's entry, a call's return point:
 *       measured, such traces cost 2-3 % each and none paid), are dropped (with the reason in
 *       the summary), and the forecast is run again, until nothing more is dropped.</li>
 * </ol>
 *
 * <p><b>Output.</b> {@link dev.tracedb.compiler.path.TraceSelection#traces()} are ordered by forecast
 * instructions inside, hottest first, with dense ids. Every block of a trace and its continuation lie
 * in the head's module; no block of a trace ends in a system call or an unsupported instruction
 * ({@code SYSCALL}, {@code OTHER}); blocks ending in calls, returns and indirect branches may be
 * inside (code generation guards them). {@link dev.tracedb.compiler.path.TraceSelection#modules()}
 * lists exactly the modules that hold traces, in order of their hottest trace. Side exits into other
 * modules (a return or indirect branch that leaves) count in a trace's forecast figures but are
 * not in its exit list, which names addresses by these module indices. {@link dev.tracedb.compiler.path.TracePath#expectedEntries()} is the
 * forecast's entry count.
 *
 * <p><b>Head patches.</b> A head is eligible only if its first whole instructions cover at least
 * 5 bytes ({@link dev.tracedb.compiler.select.HeadPatch#length}, which the loader can use too), no
 * recorded block of any run starts strictly inside them, and no direct jump/branch/call target or
 * call return address found by a linear sweep of the module file's executable sections lies
 * strictly inside them. The file must be present with the recorded build-id and bytes.
 *
 * <p><b>Cost.</b> Memory is proportional to distinct blocks, edges and path prefixes (bounded by
 * {@code maxPathNodes}), never to the number of block events. Time: one profile pass, two passes per
 * round (at most {@code rounds}), and one or more forecast passes.
 *
 * <p><b>Thread-safety.</b> {@link dev.tracedb.compiler.select.TraceSelector#select} runs on the calling
 * thread with its own decoder and state; calls are independent, but each uses its
 * {@code RunReader}s, which are confined to one thread. Results are immutable.
 */
package dev.tracedb.compiler.select;

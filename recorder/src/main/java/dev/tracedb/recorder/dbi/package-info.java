/**
 * The DBI engine ({@code --engine dbi}): a dynamic binary translator whose translator runs in
 * Java, in the manner of DynamoRIO. The tracee executes only code that Java wrote into a
 * shared-memory code cache; every translated block appends its id to a shared-memory ring.
 *
 * <h2>Mechanisms, one per file</h2>
 * {@link dev.tracedb.recorder.dbi.SharedRegion} (the /dev/shm file both processes map) laid out by
 * {@link dev.tracedb.recorder.dbi.RegionLayout}, mapped once per {@link dev.tracedb.recorder.dbi.CacheView}
 * placed by {@link dev.tracedb.recorder.dbi.ViewPlacement}; {@link dev.tracedb.recorder.dbi.CodeCache};
 * {@link dev.tracedb.recorder.dbi.BlockTranslator} (the mangler); {@link dev.tracedb.recorder.dbi.ExitStub};
 * {@link dev.tracedb.recorder.dbi.Linker}; {@link dev.tracedb.recorder.dbi.IndirectBranchTable};
 * {@link dev.tracedb.recorder.dbi.MissHandler} (dispatch); {@link dev.tracedb.recorder.dbi.Ring};
 * {@link dev.tracedb.recorder.dbi.DbiSession} (one run) behind {@link dev.tracedb.recorder.dbi.DbiEngine}
 * (the framework's {@code Engine}). Addresses say which space they live in:
 * {@link dev.tracedb.recorder.dbi.AppAddress} versus {@link dev.tracedb.recorder.dbi.CacheAddress}.
 *
 * <h2>Decisions</h2>
 * <ul>
 * <li><b>Shared memory.</b> One file, mode 0600 from creation, 128-bit random name, mapped RWX
 *     and MAP_SHARED by the tracee (injected open+mmap, fd closed at once) and READ_WRITE by Java,
 *     then unlinked.</li>
 * <li><b>Several modules: one region, several views.</b> The tracee maps the same region once
 *     per 2 GiB window that holds code: first near the module it starts in (the dynamic loader's
 *     entry for a dynamic program, so the loader itself is recorded), then, on the miss that first
 *     reaches a module no view is in rel32 reach of, one more view next to it (mremap of the
 *     shared mapping with old size 0 onto a MAP_FIXED_NOREPLACE reservation: the unlinked file
 *     is not needed again and no program mapping can be replaced). Typically two views: below
 *     the PIE (or above a non-PIE's 1 GiB heap room), and below ld.so, serving libc, the other
 *     libraries and the vDSO. A block is emitted for the view of its own module, so its
 *     RIP-relative operands are re-aimed against that module; the control page, ring, lookup
 *     table and code arena are the same bytes in every view, so the prologue and the lookup
 *     routine are identical through any view. Direct exits to a target out of rel32 reach (in a
 *     far view) go through an absolute {@code jmp [rip]} in the exit stub with an 8-byte slot;
 *     returns and indirect branches were absolute already (lookup table, {@code jmp [slot]}).
 *     New modules (libraries the loader maps, dlopen) are found by the framework's
 *     ModuleTracker when a miss lands in them, and get a view if none reaches them.</li>
 * <li><b>Flags.</b> Nothing the engine inserts writes the flags: the prologue is mov/lea only,
 *     the indirect-branch lookup hashes with movzx and compares with lea + jrcxz against negated
 *     keys. No pushf/popf.</li>
 * <li><b>Red zone.</b> Inserted code never stores below rsp: scratch registers go to spill
 *     slots in the region's control page, one slot per user. The only stack writes are the call's
 *     own push of the <em>original</em> return address, exactly as natively.</li>
 * <li><b>Events.</b> 4 bytes (the block id) per executed block, in the ring, which has two
 *     halves, each followed by a PROT_NONE guard page: the store that would overflow a half
 *     faults at its guard address; Java hands the full half to the log writer as it is (a view of
 *     the shared memory, no copy) and restarts the store with rax at the other half's start,
 *     waiting only if the writer still reads that one. The ring is also drained at every stop, so
 *     syscalls and signals land at their place in the stream: the events since the last drain go
 *     as a view (long ones) or a copy (short ones), and the cursor stays. Compressing and
 *     appending (a few ns per event, seconds per billion) runs on the recorder's
 *     {@link dev.tracedb.recorder.BackgroundRunWriter} thread, beside the program rather than
 *     while it is stopped; the session waits for it to release the ring before unmapping it.</li>
 * <li><b>Translation ahead.</b> At each ptrace miss, after translating the missed block, up to
 *     {@code DbiSession.PREFETCH_BLOCKS} (32) more are translated: the region reachable from it by
 *     direct branches, calls and call return sites, breadth first, in modules already seen;
 *     exits waiting for any of them are linked at once, and return sites are entered in the
 *     lookup table, so the {@code ret} hits. A block that cannot be decoded or translated is
 *     skipped (refused only if it runs). Such a block does not know when it first runs, so its
 *     prologue appends a negative provisional id; {@link dev.tracedb.recorder.dbi.PrefetchedBlocks}
 *     finds those in each drained chunk, defines the block then (so log ids and definitions
 *     follow the order of first execution, exactly as the step engine's) and patches the
 *     prologue to the log id. Measured: dbi-simple-static 1,341 misses become 171, the Python
 *     workload's 45,500 become 6,800 (6,100 with the lookup hash over bits 0-31, see
 *     {@link dev.tracedb.recorder.dbi.IndirectBranchTable}); about half of the blocks translated
 *     ahead run.</li>
 * <li><b>Misses.</b> Default ({@code MissHandshake.PTRACE}): exit stubs are {@code int3}: a
 *     ptrace stop, GETREGS, translate, link (re-point the branch's rel32 at the target),
 *     SETREGS, continue. Opt-in ({@code MissHandshake.FUTEX}, off until it proves faster): the
 *     stub posts its offset in a mailbox and jumps to one shared routine that switches to a
 *     private stack, saves flags and the registers the futex calls clobber, rings Java's
 *     doorbell and spins then sleeps on a futex; Java (tracer thread, sleeping on the doorbell)
 *     translates and links while the tracee waits, and answers with the resume address. ptrace
 *     stops (syscall traps, signals, exit) reach the sleeping tracer through a watcher thread
 *     that waitid(WNOWAIT)s and rings the doorbell. A request that needs a new view (injected
 *     syscalls need a stopped tracee), or that is refused or steps aside (JIT code), is answered
 *     with a reissue trap and served there as a ptrace miss. Both handshakes share one stop loop
 *     and one stop handler ({@code DbiSession.loop}, {@code onStop}); they differ only in how the
 *     tracer waits for the next stop, so threads, JIT code and signals are met the same way. A
 *     stop inside the miss routine is stepped out of it (its request answered first) to the
 *     miss's target. Measured on dbi-simple-static (1,353 misses, median of 5, load ~5 on 2 cores):
 *     ~5,600 misses/s either way (int3 241 ms, futex 239 ms; native 1.8 ms): each miss costs
 *     two cross-process wake-ups under load, as much as a ptrace stop. It pays only where both
 *     sides can spin on their own cores. Translation ahead is done with the ptrace handshake
 *     only (it patches live code, which needs the tracee stopped).</li>
 * <li><b>Attached processes</b> ({@code record --pid}, {@code DbiSession.runAttached}): a
 *     syscall interrupted by the attach is rewound before rip moves into the cache; a stop request
 *     arrives as a SIGSTOP whose delivery is suppressed; {@link dev.tracedb.recorder.dbi.OriginalPoint}
 *     puts the tracee at an exact original address with its native registers, as for a signal's
 *     delivery (see Signals: mid-block, the block cut short is logged as its prefix; a stub is its
 *     target; an interrupted syscall is rewound to be issued again natively); the views are
 *     unmapped and the process detached. A refusal also detaches it there instead of killing
 *     it.</li>
 * <li><b>Tried, not kept.</b> Inlining the lookup at every indirect branch, so that each site's
 *     final indirect jump is predicted apart: no measurable change on the Lua workload.</li>
 * <li><b>Syscalls</b> run in the cache, bracketed by two traps: before (vet the number: at a
 *     thread the recording steps aside, see below; CLONE_UNTRACED is refused before it runs; rt_sigreturn is served, see Signals; the
 *     ring is not drained there), after (log number, six arguments, result). rcx is then set to
 *     the original next address, as the kernel would have set it natively. exit and exit_group
 *     are logged at the exit event.</li>
 * <li><b>Child processes</b> (fork, vfork, clone without CLONE_THREAD, clone3: glibc's fork,
 *     posix_spawn, system) are not recorded and run natively; the recorded process goes on in the
 *     cache. The kernel attaches each child at birth; at its first stop it stands on the int3 of
 *     the creating syscall's result stub, whose {@link dev.tracedb.recorder.dbi.ExitStub} knows
 *     the original next address. {@link dev.tracedb.recorder.dbi.NativeChild} points rip and rcx
 *     there, unmaps the cache views from a child with memory of its own (never from a CLONE_VM
 *     child, which shares the parent's), and detaches it. The fork's result is logged as any
 *     syscall's.</li>
 * <li><b>Exec.</b> The exec runs in the cache; a failed one returns to the result stub and is
 *     logged like any syscall. A successful one reaches its exec event (the cache is gone with
 *     the old image): it is logged with result 0 and the recording ends there
 *     ({@link dev.tracedb.recorder.ProgramExecuted}).</li>
 * <li><b>Threads: the recording steps aside.</b> At the vetting trap of a clone with CLONE_THREAD,
 *     before it runs, the process is placed on the original {@code syscall} instruction as for a
 *     detach ({@link dev.tracedb.recorder.dbi.OriginalPoint}: the block's event taken back, its
 *     prefix before the syscall logged), rax still the call's number; the views are unmapped
 *     with asynchronous signals blocked, and the process is detached: the clone runs natively
 *     and is not logged, the run is left incomplete ({@link dev.tracedb.recorder.SteppedAside}).
 *     An expansion refuses there instead: it must not let the program go on natively.</li>
 * <li><b>Self-modifying code: the recording steps aside</b> the same way, at the vetting trap of a
 *     call that would let the program write code a run defines by file and offset (an mprotect
 *     making file code writable, a write to the file of code it ran, and the like: {@link
 *     dev.tracedb.recorder.CodeWrites}); a translation made before the rewrite would run the old
 *     code. An expansion refuses.</li>
 * <li><b>Code unmapped after it ran: the recording steps aside</b> the same way, before a munmap
 *     or mremap of code of a module the run has entered, or an mprotect taking its execute
 *     permission ({@link dev.tracedb.recorder.CodeWrites#staleTranslationCause}): the code cache
 *     never drops a translation, so another file mapped there later would run the old one's
 *     translations, and code no longer executable would still run where a plain run faults.</li>
 * <li><b>JIT code: the recording steps aside.</b> A miss whose target lies in executable memory
 *     that is not a file's ({@link dev.tracedb.recorder.RunTimeCodeReached}) leaves the tracee on
 *     the stub's int3, an exact original point: put back onto it, placed at the target by
 *     {@link dev.tracedb.recorder.dbi.OriginalPoint} (an indirect miss's rax, rcx and rdx from the
 *     spill slots), the views unmapped, detached; the JIT code runs natively, unrecorded. Under the
 *     futex handshake the request comes back as the reissue trap's stop, which stands for the
 *     stub. An expansion refuses.</li>
 * <li><b>Signals to handlers run translated</b> ({@link dev.tracedb.recorder.dbi.SignalDelivery}),
 *     not natively: a native handler that longjmps out would leave the cache and the recording
 *     would silently stop. At the delivery-stop the tracee is moved to an exact original address
 *     by {@link dev.tracedb.recorder.dbi.OriginalPoint} (the one primitive for deliveries and
 *     detaches) over the {@link dev.tracedb.recorder.dbi.CacheMap} and the exit stubs (before a
 *     copied instruction: the block's event is taken back from the ring and its retired prefix
 *     logged, as the step engine logs it; right after a syscall: its result logged; a direct or
 *     indirect-miss stub: its target; in other engine code: single-steps to one of those, with
 *     asynchronous signals blocked), the delivery is logged, and a
 *     {@code PTRACE_SINGLESTEP} with the signal lets the kernel build the frame (saved rip
 *     original; mask, sigaltstack and SA_* flags the kernel's business) and stop at the
 *     handler, which is translated. rt_sigreturn's frame rip is replaced by its translation
 *     before the call, which is single-stepped with asynchronous signals blocked. Synchronous
 *     faults in copied instructions are placed exactly; in engine code they are refused. The same
 *     under both miss handshakes. SIG_IGN and default actions: logged and passed
 *     on as before. Blocks cut short by a signal <em>without</em> a handler are still logged
 *     whole (the prologue logged them).</li>
 * <li><b>AVX-512.</b> glibc's EVEX string functions, which Capstone 4.0.2 cannot decode, are
 *     decoded by the machine decoder's fallback and copied like any instruction; a RIP-relative
 *     displacement is re-aimed only when the bytes at the reported offset hold it, otherwise the
 *     block is refused. Tests run most programs with the AVX-512 hwcaps masked by
 *     GLIBC_TUNABLES (so both engines follow the same paths as in the step reference) and
 *     echo, sort and lua without it.</li>
 * <li><b>Replay mode</b> ({@link dev.tracedb.recorder.dbi.DbiEngine#expanding}, for
 *     {@code tracedb expand}): the same session re-executes an inputs-only run's program, its
 *     syscalls, rdtsc and signals fed from the log by {@link dev.tracedb.recorder.dbi.ReplayedSyscalls}
 *     instead of the kernel. The session knows it only as a
 *     {@link dev.tracedb.recorder.dbi.SyscallBoundary} consulted at the vetting trap, the result
 *     trap and a fault ({@code NATIVE} when recording): address-space calls run for real, forced to
 *     their recorded addresses, the rest are skipped with the recorded result and bytes; the views
 *     keep out of every range the recorded program mapped ({@link dev.tracedb.recorder.dbi.AddressRange});
 *     signal deliveries are matched by {@link dev.tracedb.recorder.dbi.ExpansionSink}. A mismatch is
 *     an {@link dev.tracedb.recorder.dbi.ExpansionDivergedException}.</li>
 * <li><b>Value probes</b> ({@link dev.tracedb.recorder.dbi.ValueProbes}, {@code record --probe}): after
 *     each probed instruction a flags-preserving sequence appends (value, site, ring cursor) to a probe
 *     buffer of the region (its own guard page); the {@link dev.tracedb.recorder.dbi.Ring} turns the
 *     records into block-event indices at each drain, before its state moves; {@link dev.tracedb.recorder.dbi.CacheMap}
 *     counts the sequences in instruction offsets; a sample budget ends the window at an exact
 *     block event and patches every sequence into a jump over itself. Runs without probes map no
 *     probe buffer and emit nothing.</li>
 * <li><b>Refusals</b> ({@link dev.tracedb.recorder.dbi.UnsupportedProgramException}, a
 *     {@code RecordingStoppedException}): RIP-relative data out of rel32 reach of its module's
 *     view (more than ~1.9 GiB outside the module), no free range for a view, undecodable
 *     instructions, int/int3/hlt/ud2/far transfers,
 *     sysenter, RTM, a full code cache. Known gaps that are <em>not</em> detected yet:
 *     self-modifying code and code unmapped after translation (the cache is never invalidated),
 *     and x87 state saves, which expose cache addresses as the FPU instruction pointer.</li>
 * </ul>
 *
 * <p>Thread-safety: none of the classes is thread-safe. One recording is driven by one thread,
 * the tracer thread; Java writes the shared region only while the tracee is stopped, and the
 * ptrace stop/resume orders those writes with the tracee's execution.
 */
package dev.tracedb.recorder.dbi;

package dev.tracedb.recorder.dbi;

import dev.tracedb.machine.linux.PtraceEvent;
import dev.tracedb.machine.linux.Register;
import dev.tracedb.machine.linux.Registers;
import dev.tracedb.machine.linux.RemoteAddress;
import dev.tracedb.machine.linux.RemoteSyscalls;
import dev.tracedb.machine.linux.Resume;
import dev.tracedb.machine.linux.Signal;
import dev.tracedb.machine.linux.SignalInfo;
import dev.tracedb.machine.linux.StopEvent;
import dev.tracedb.machine.linux.Tracee;
import dev.tracedb.machine.x86.decode.BasicBlock;
import dev.tracedb.machine.x86.decode.Instruction;
import dev.tracedb.machine.x86.decode.InstructionGroup;
import dev.tracedb.recorder.ChildProcesses;
import dev.tracedb.recorder.CodeWrites;
import dev.tracedb.recorder.Engine;
import dev.tracedb.recorder.ProgramExecuted;
import dev.tracedb.recorder.RecordingStoppedException;
import dev.tracedb.recorder.RunTimeCodeReached;
import dev.tracedb.recorder.StopRequest;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Records one single-threaded process by running it from the code cache: maps the shared region,
 * translates the block at the current rip, points rip at the translation and then serves the
 * tracee's requests until it exits. Every event reaches the sink, including those recorded
 * before a refusal or a crash: the ring is drained at every stop and once more at the end.
 *
 * <p>Signals: one the program catches is delivered by {@link SignalDelivery}: the tracee is brought
 * to an exact original address ({@link OriginalPoint}: a block cut short is logged as its
 * retired prefix, engine code is single-stepped through with asynchronous signals blocked), the
 * delivery is logged, the kernel builds the frame from that original rip under
 * {@code PTRACE_SINGLESTEP} and the handler is translated at its first instruction; its
 * {@code rt_sigreturn} goes back into the cache through the frame's rewritten rip. The same under
 * both miss handshakes: one stop loop ({@link #loop}) and one stop handler ({@link #onStop}) serve
 * both, the futex handshake differing only in how it waits for the next stop. Any other signal is
 * logged and delivered with its default action (a crash is recorded up to the faulting block, whose prologue already ran).
 * The guard-page SIGSEGV of a full ring is ours and never reaches the program. The syscall
 * vetting trap leaves the ring undrained so that a signal arriving between it and the syscall can
 * still take the block's event back; exit and exit_group are logged at the exit event.
 *
 * <p>Not thread-safe: one engine per tracee; {@link #run} does all its work on the tracer thread.
 */
final class DbiSession implements AutoCloseable {
    /** What a recording did. */
    record Result(StopEvent end, int blocks, long events, long directMisses, long indirectMisses, long indirectTargets,
                  long syscalls,
                  long ringOverflows, long codeBytes, int views, long farLinks, long futexRequests, long reissues,
                  long translateNanos, long drainNanos, long prefetched, long prefetchedRan, long signalsToHandlers,
                  long parkingSteps, long blocksCutShort, long nanos) {}

    /**
     * Blocks translated ahead at each miss (ptrace handshake): the region reachable from the missed
     * block by direct branches, calls and their return sites, breadth first, in the modules seen
     * so far. Each costs a decode and a translation (tens of microseconds), each that then runs
     * saves a stop (hundreds under load).
     */
    static final int PREFETCH_BLOCKS = Integer.getInteger("tracedb.dbi.prefetch", 32);
    private int prefetchBlocks = PREFETCH_BLOCKS;

    private final Tracee tracee;
    /** The engine's sink behind {@link #prefetched}, which gives blocks translated ahead their log ids. */
    private final EventSink sink;
    private final PrefetchedBlocks prefetched;
    /** Return addresses of translated calls: entered in the lookup table as soon as they are translated. */
    private final Set<Long> returnSites = new HashSet<>();
    private final SharedRegion region;
    private final ViewPlacement views;
    private final CodeCache cache;
    private final Ring ring;
    private final IndirectBranchTable ibl;
    private final BlockTranslator translator;
    private final MissHandler misses;
    private final Linker linker;
    /** The futex handshake, or null when misses are int3 stops. */
    private final FutexHandshake futex;
    /** Blocks decoded for a translation that had to wait for the tracee to stop. */
    private final Map<Long, BlockSource.Source> decoded = new HashMap<>();
    private final BlockSource source;
    private final Map<Long, Fragment> blocks = new HashMap<>();
    /** Where each translated block lies in the cache, for mapping a cache point back to the program. */
    private final CacheMap cacheMap;
    /** Brings the tracee to an original address, for a signal's delivery and for a detach. */
    private final OriginalPoint originalPoint;
    private final SignalDelivery signals;
    /** Log ids of block prefixes (blocks cut short by a signal), by start address and then length. */
    private final Map<Long, Map<Integer, Integer>> prefixIds = new HashMap<>();
    /** The stop being handled is a syscall's vetting trap: the ring is not drained (see {@link OriginalPoint}). */
    private boolean keepRing;
    /** A stop that handling the last one ran into, to be handled next instead of resuming. */
    private StopEvent nextStop;
    /** Time spent decoding and translating blocks (and mapping views), as opposed to ptrace round trips. */
    private long translateNanos;
    /** Whether the tracee was pointed into the cache (before that, it stands in the original program). */
    private boolean entered;
    /** For an attached process: the request to let it go; null for a launched one. */
    private StopRequest stopRequest;
    /** Why the session let the (attached) process go natively, or null while it records it. */
    private String detachReason;
    private SyscallBoundary boundary = SyscallBoundary.NATIVE;
    /** The value probes, or null. */
    private ValueProbes probes;

    /**
     * Sets up the region in the stopped {@code tracee}, its first view near the module it is
     * stopped in (the dynamic loader, or a static program); nothing of the program runs yet.
     */
    DbiSession(Tracee tracee, RegionLayout layout, MissHandshake handshake, BlockSource source, EventSink sink) {
        this(tracee, layout, handshake, source, sink, List.of());
    }

    /**
     * A session whose views keep out of {@code reserved}; its syscalls meet the kernel through
     * {@link #boundary} (recording: {@link SyscallBoundary#NATIVE}).
     */
    DbiSession(Tracee tracee, RegionLayout layout, MissHandshake handshake, BlockSource source, EventSink sink,
               List<ViewPlacement.Extent> reserved) {
        this.tracee = tracee;
        this.source = source;
        this.region = ViewPlacement.createNear(tracee, tracee.tracer().call(() -> tracee.registers().rip().value()),
                layout, reserved);
        this.views = new ViewPlacement(tracee, region, reserved);
        this.cache = new CodeCache(region);
        this.prefetched = new PrefetchedBlocks(sink, source, cache, region);
        this.sink = prefetched;
        this.ring = new Ring(region);
        this.ibl = new IndirectBranchTable(region);
        this.futex = handshake == MissHandshake.FUTEX ? new FutexHandshake(region) : null;
        this.translator = new BlockTranslator(cache, ibl, futex);
        this.linker = new Linker(cache);
        this.misses = new MissHandler(tracee, region, linker, ibl, futex, this::translate, sink,
                new CodeWrites(tracee.pid(), source.enteredCode()));
        this.cacheMap = new CacheMap(region);
        this.originalPoint = new OriginalPoint(tracee, region, cacheMap, ring, this.sink, misses, new OriginalPoint.Blocks() {
            @Override
            public int prefixId(CacheMap.Placed placed, int currentId, int count) {
                return DbiSession.this.prefixId(placed, currentId, count);
            }

            @Override
            public void entered(AppAddress start) {
                DbiSession.this.entered(start);
            }
        });
        this.signals = new SignalDelivery(tracee, region, originalPoint, ring, this.sink, this::translate);
        misses.onSigreturn(signals::sigreturn);
        if (futex != null) {
            misses.register(futex.emitRoutine(cache));
        }
        misses.register(ibl.emitRoutine(cache, futex));
    }

    /** Where syscalls get their results (recording: the kernel); call before {@link #run}. */
    void boundary(SyscallBoundary boundary) {
        this.boundary = boundary;
        misses.boundary(boundary);
        if (boundary.playsTimestampReads()) {
            translator.substituteTimestampReads();
        }
    }

    /**
     * Samples {@code probes}' sites from the program's first block event; call before {@link #run}.
     * The session's layout must have a probe buffer.
     */
    void probe(ValueProbes probes) {
        if (region.layout().probeBytes() == 0) throw new IllegalStateException("the region has no probe buffer");
        this.probes = probes;
        probes.attach(region);
        translator.probe(probes);
        ring.probes(probes);
        originalPoint.probes = probes;
    }

    /** Sets how many blocks to translate ahead per miss (0: none); call before {@link #run}. */
    void prefetch(int blocks) {
        this.prefetchBlocks = blocks;
    }

    SharedRegion region() {
        return region;
    }

    /**
     * Records a process attached while it ran, from where it stands, until it ends ({@link Result#end}
     * says how) or until {@code stop} is requested: then it is stepped to an exact place of the
     * original program, put there, the cache unmapped and the process detached, going on natively
     * ({@link Result#end} null, {@link #detachReason} says why). Something the engine refuses also
     * lets it go natively rather than kill it: it was running natively before we came.
     */
    Result runAttached(StopRequest stop) {
        this.stopRequest = stop;
        // SIGSTOP cannot be caught or blocked, so it always reaches us as a signal-delivery-stop, which
        // is then suppressed: the process never sees it. (PTRACE_INTERRUPT would need the tracer thread,
        // which sits in waitpid.)
        stop.arm(() -> tracee.signal(Signal.SIGSTOP));
        try {
            return run();
        } catch (UnsupportedProgramException refused) {
            if (entered || !tracee.isStopped()) {
                throw refused;
            }
            // It never ran code of the cache: it goes on as it was.
            tracee.detach();
            throw new Engine.Detached("recording stopped before it began: " + refused.getMessage());
        } finally {
            stop.disarm();
        }
    }

    /**
     * Why the process was let go natively (attached; or stepped aside at a thread or at JIT code), or
     * null if it was recorded to its end.
     */
    String detachReason() {
        return detachReason;
    }

    /** Runs the program to its end (or to a refusal, which is thrown after the ring is drained). */
    Result run() {
        return tracee.tracer().call(() -> {
            long t0 = System.nanoTime();
            StopEvent end;
            if (probes != null) {
                sink.probeSites(probes.sites(), ring.eventsDelivered());
            }
            try {
                ChildProcesses.follow(tracee);
                Registers regs = restarted(tracee.registers());
                CacheAddress entry;
                try {
                    entry = translate(AppAddress.of(regs.rip().value()), true);
                } catch (RunTimeCodeReached jit) {
                    // Attached while it runs JIT code: it stands at an original address already.
                    entry = null;
                    stepAsideAt(jit);
                }
                if (entry == null) {
                    end = detachedEnd;
                } else {
                    tracee.setRegisters(regs.setRip(RemoteAddress.of(entry.value())));
                    entered = true;
                    end = loop();
                }
            } finally {
                if (tracee.isAlive()) {
                    ring.drain(sink);
                }
                if (probes != null) {
                    sink.probeWindowEnd(probes.endEvent(ring.eventsDelivered()), probes.cutOff());
                    for (dev.tracedb.store.ProbeSite s : probes.unfound()) {
                        System.err.println("tracedb: probe " + s + ": no recorded block has an instruction starting there;"
                                + " no samples");
                    }
                }
            }
            return new Result(end, blocks.size(), ring.eventsDrained(), misses.count(ExitStub.Kind.DIRECT),
                    misses.count(ExitStub.Kind.INDIRECT_MISS), misses.indirectTargets(), misses.count(ExitStub.Kind.SYSCALL),
                    ring.overflows(), cache.used(), region.views().size(), linker.farLinks(), misses.requests(),
                    misses.count(ExitStub.Kind.REISSUE), translateNanos, ring.drainNanos(), prefetched.translated(),
                    prefetched.ran(), signals.delivered(), originalPoint.steps(), originalPoint.cutShort(),
                    System.nanoTime() - t0);
        });
    }

    /**
     * The one stop loop, for both handshakes: resumes the tracee, waits for its next ptrace stop
     * ({@link #resumeAndWait}: the futex handshake answers mailbox requests meanwhile) and hands it
     * to {@link #onStop}, until the process ends or is let go.
     */
    private StopEvent loop() {
        try (StopWatcher watcher = futex == null ? null : new StopWatcher(tracee.pid(), futex)) {
            try {
                StopEvent stop = resumeAndWait(watcher, null);
                while (!stop.isTerminal()) {
                    Signal deliver = onStop(stop);
                    if (detachReason != null) {
                        return detachedEnd;
                    }
                    stop = nextStop != null ? nextStop : resumeAndWait(watcher, deliver);
                    nextStop = null;
                }
                return stop;
            } catch (RuntimeException e) {
                // Thrown while the tracee runs (the futex handshake's watcher waits on it): only its end lets it go.
                if (tracee.isAlive() && !tracee.isStopped()) {
                    tracee.kill();
                }
                throw e;
            }
        }
    }

    /**
     * Resumes the tracee (delivering {@code deliver}) and returns its next ptrace stop. With the futex
     * handshake ({@code watcher} not null) the tracer thread answers mailbox requests while the tracee
     * runs, and reaps the stop when the watcher reports one.
     */
    private StopEvent resumeAndWait(StopWatcher watcher, Signal deliver) {
        if (watcher == null) {
            return tracee.cont(deliver);
        }
        tracee.resume(Resume.CONTINUE, deliver);
        watcher.arm();
        while (true) {
            long seen = futex.doorbell();
            // Read before the mailbox: a tracee already stopped posts nothing more, so its request is
            // answered before its stop is handled, and no stop finds it waiting in the miss routine.
            boolean stopped = watcher.stopPending();
            if (misses.answerRequest()) {
                continue;
            }
            if (stopped) {
                return tracee.waitForStop();
            }
            futex.awaitDoorbell(seen);
        }
    }

    /**
     * Refused while serving a stub's int3 (rip one past it): puts the tracee back onto the int3, a
     * place with an exact original address ({@link OriginalPoint}: a direct exit's target, or an
     * indirect miss's with rax, rcx and rdx from the lookup routine's spill slots).
     */
    private void backOntoStub() {
        Registers regs = tracee.registers();
        if (misses.stubAt(regs.rip()) != null) {
            tracee.setRegisters(regs.setRip(regs.rip().minus(1)));
        }
    }

    /**
     * Execution reached code generated at run time (JIT): the recording steps aside, as at a thread.
     * The miss that found it left the tracee on a stub's int3 (or the futex handshake's reissue trap,
     * standing for the request), which {@link #backOntoStub} and {@link OriginalPoint#forDetach} turn
     * into the native state at the JIT code's first instruction (the branch that went there retired
     * and is logged; nothing of the JIT code is); the views are unmapped and the process detached, to
     * run that code natively ({@link #detachNatively}). An expansion refuses instead: letting the
     * program go on natively would redo its recorded effects.
     */
    private void stepAsideAt(RunTimeCodeReached jit) {
        if (boundary != SyscallBoundary.NATIVE) {
            throw new RecordingStoppedException(jit.getMessage()
                    + "; an expansion cannot let the program run it natively (it would redo the recorded effects)", jit);
        }
        backOntoStub();
        detachNatively(jit.stepAsideReason());
    }

    /** The end seen while stepping to a detach point, if the process ended there; null when detached. */
    private StopEvent detachedEnd;

    /**
     * A process attached inside a syscall stands after it with rax = -ERESTART*; the kernel would
     * rewind it on its way back to user mode, but then rip is a cache address. So rewind it here
     * first: rip on the syscall, rax the number to issue again, orig_rax -1 (no second rewind).
     * A launched process, at its first instruction, is returned unchanged.
     */
    private Registers restarted(Registers regs) {
        long rax = regs.rax();
        long number = regs.get(Register.ORIG_RAX);
        if (number < 0 || rax > -512 || rax < -516 || rax == -515) {
            return regs;
        }
        Registers rewound = regs.copy().setRip(regs.rip().minus(2))
                .set(Register.RAX, rax == -516 ? 219 : number).set(Register.ORIG_RAX, -1);
        tracee.setRegisters(rewound);
        return rewound;
    }

    /**
     * Lets the process go natively (attached: on request or refusal; launched or attached: at a
     * thread): brings it to an exact place of the original program ({@link OriginalPoint#forDetach}:
     * registers in place, a block cut short logged as its prefix), drains the ring, logs a signal
     * still to be delivered, unmaps the cache views and detaches, delivering that signal.
     */
    private void detachNatively(String reason) {
        if (stopRequest != null) {
            stopRequest.disarm();
        }
        OriginalPoint.Detach place = originalPoint.forDetach();
        detachReason = reason;
        if (place.end() != null) {
            detachedEnd = place.end();
            return;
        }
        ring.drain(sink);
        if (place.heldSignal() != null) {
            SignalInfo info = place.heldInfo();
            sink.signal(place.heldSignal().number(), info.code(),
                    info.faultAddress() == null ? 0 : info.faultAddress().value());
        }
        if (place.heldSignal() == null) {
            tracee.setRegisters(tracee.registers().set(Register.ORIG_RAX, -1));
            unmapViews();
            tracee.detach();
            return;
        }
        // Detached from the signal-delivery-stop it stands at (a single-step's SIGTRAP is one), the kernel
        // delivers the signal by its own rules (handler, syscall restart or EINTR). Injected munmaps would
        // leave it at a syscall stop, where a detach cannot deliver a signal: the unused views stay mapped.
        tracee.detach(place.heldSignal());
    }

    /**
     * Unmaps every code-cache view from the stopped tracee (injected munmaps), so that the process
     * goes on natively with nothing of ours in it. Asynchronous signals are blocked meanwhile
     * ({@code PTRACE_SETSIGMASK}): one arriving stays pending, with its siginfo, and the kernel
     * delivers it natively once the process is detached with its own mask back, instead of
     * interrupting the injected calls (which would re-send it with kill, its siginfo lost).
     */
    private void unmapViews() {
        long mask = tracee.signalMask();
        tracee.setSignalMask(mask | ~OriginalPoint.SYNCHRONOUS);
        try (RemoteSyscalls remote = new RemoteSyscalls(tracee)) {
            for (CacheView view : region.views()) {
                remote.munmap(RemoteAddress.of(view.base()), view.size());
            }
        } finally {
            if (tracee.isAlive()) {
                tracee.setSignalMask(mask);
            }
        }
    }

    /**
     * What a ptrace stop means, the one place that decides for both handshakes (under the futex one,
     * a request that would refuse or step aside comes back as the reissue trap's stop). Returns the
     * signal to deliver on resuming, or null. A thread or JIT code lets the process go natively, as
     * does a refusal for an attached process ({@link #detachReason} then set); any other refusal is thrown.
     */
    private Signal onStop(StopEvent stop) {
        try {
            return handle(stop);
        } catch (AsideBeforeSyscall aside) {
            detachNatively(aside.getMessage());
        } catch (RunTimeCodeReached jit) {
            stepAsideAt(jit);
        } catch (UnsupportedProgramException refused) {
            if (stopRequest == null || !tracee.isStopped()) {
                throw refused;
            }
            backOntoStub();
            detachNatively("recording stopped: " + refused.getMessage());
        }
        return null;
    }

    private Signal handle(StopEvent stop) {
        Signal deliver = null;
        keepRing = false;
        if (stop instanceof StopEvent.SignalStop s) {
            deliver = onSignal(s.signal());
        } else if (ChildProcesses.isChildEvent(stop)) {
            new NativeChild(misses, region).release(ChildProcesses.stoppedChild(tracee));
        } else if (stop instanceof StopEvent.EventStop e && e.event() == PtraceEvent.EXEC) {
            ring.drain(sink);
            String program = misses.execSucceeded();
            throw ProgramExecuted.of(program);
        }
        // Exit events, group-stops and the like: just go on.
        if (!keepRing) {
            ring.drain(sink);
        }
        if (stop instanceof StopEvent.EventStop e && e.event() == PtraceEvent.EXIT) {
            misses.exited();
        }
        return deliver;
    }

    /** Handles a signal stop; returns the signal to deliver, or null if it was ours. */
    private Signal onSignal(Signal signal) {
        if (stopRequest != null && signal.equals(Signal.SIGSTOP) && stopRequest.requested()) {
            detachNatively("stopped on request");
            return null;
        }
        Registers regs = tracee.registers();
        if (signal.equals(Signal.SIGTRAP)) {
            ExitStub stub = misses.stubAt(regs.rip());
            if (stub != null) {
                // Not before a syscall: a signal arriving between this trap and the syscall
                // must still find the block's event in the ring (OriginalPoint).
                keepRing = stub.kind() == ExitStub.Kind.SYSCALL;
                if (!keepRing) {
                    ring.drain(sink);
                }
                misses.handle(stub, regs);
                return null;
            }
        }
        SignalInfo info = tracee.signalInfo();
        if (signal.equals(Signal.SIGSEGV) && info.faultAddress() != null
                && ring.isGuard(info.faultAddress().value()) && region.contains(regs.rip().value())) {
            CacheAddress next = ring.onOverflow(sink, info.faultAddress().value());
            tracee.setRegisters(regs.set(Register.RAX, next.value()));
            return null;
        }
        if (signal.equals(Signal.SIGSEGV) && info.faultAddress() != null && probes != null
                && probes.isGuard(info.faultAddress().value()) && region.contains(regs.rip().value())) {
            tracee.setRegisters(probes.onFull(regs, ring, sink));
            return null;
        }
        info = boundary.arriving(signal, info, regs);
        if (info == null) {
            return null;
        }
        if (signals.caught(signal)) {
            nextStop = signals.deliver(signal, info);
            return null;
        }
        ring.drain(sink);
        sink.signal(signal.number(), info.code(), info.faultAddress() == null ? 0 : info.faultAddress().value());
        return signal;
    }

    /**
     * The cache entry for {@code target}, translating its block first if needed; null if that
     * needs a new view while the tracee is not stopped (mapping one takes injected syscalls).
     */
    private CacheAddress translate(AppAddress target, boolean traceeStopped) {
        Fragment known = blocks.get(target.value());
        if (known != null) {
            return known.entry();
        }
        long t0 = System.nanoTime();
        BlockSource.Source source = decoded.remove(target.value());
        if (source == null) {
            source = this.source.blockAt(target);
        }
        CacheView view = views.existingViewFor(source.module());
        if (view == null && !traceeStopped) {
            decoded.put(target.value(), source);
            translateNanos += System.nanoTime() - t0;
            return null;
        }
        if (view == null) {
            view = views.viewFor(source.module());
        }
        BlockTranslator.Translation t = translator.translate(source.block(), source.id(), view, this::entryOf,
                source.modulePath(), source.module().start());
        blocks.put(target.value(), t.block());
        cacheMap.add(t);
        t.stubs().forEach(misses::register);
        sink.blockDefined(t.block());
        if (traceeStopped && futex == null) {
            translated(target, t.block().entry());
            prefetchFrom(source.block());
        }
        translateNanos += System.nanoTime() - t0;
        return t.block().entry();
    }

    /**
     * The log id of the first {@code count} instructions of {@code placed}'s block, defined on
     * first use; a block translated ahead and not yet defined (its prologue appends
     * {@code currentId} &lt; 0) is defined first, as the step engine defines a block when it enters it.
     */
    /**
     * Defines the block at {@code start} in the log if it is not yet (translated ahead, or not
     * translated): a signal found the program entering it, and the step engine defines a block as
     * it enters it, before the signal is logged.
     */
    private void entered(AppAddress start) {
        CacheMap.Placed placed = cacheMap.placedAt(start);
        if (placed == null) {
            translate(start, true);
        } else if (region.buffer().getInt(placed.idField()) < 0) {
            prefetched.define(region.buffer().getInt(placed.idField()));
        }
    }

    private int prefixId(CacheMap.Placed placed, int currentId, int count) {
        if (currentId < 0) {
            prefetched.define(currentId);
        }
        AppAddress start = placed.block().start();
        return prefixIds.computeIfAbsent(start.value(), a -> new HashMap<>()).computeIfAbsent(count, n -> {
            BlockSource.Source p = source.prefix(start, n);
            long[] addresses = p.block().instructions().stream().mapToLong(Instruction::address).toArray();
            byte[] bytes = new byte[(int) (p.block().instructions().get(n - 1).nextAddress() - start.value())];
            System.arraycopy(placed.block().bytes(), 0, bytes, 0, bytes.length);
            sink.blockDefined(new Fragment(p.id(), start, bytes, addresses, dev.tracedb.store.Terminator.FALL_THROUGH,
                    placed.block().entry()));
            return p.id();
        });
    }

    private CacheAddress entryOf(AppAddress address) {
        Fragment b = blocks.get(address.value());
        return b == null ? null : b.entry();
    }

    /**
     * Translates, ahead of their first run, up to {@link #PREFETCH_BLOCKS} (or {@link #prefetch}) blocks reachable from
     * {@code from} by direct paths (see {@link PrefetchedBlocks} for their ids). Only while the
     * tracee is stopped: exits waiting for these blocks are linked, live code patched.
     */
    private void prefetchFrom(BasicBlock from) {
        ArrayDeque<AppAddress> work = new ArrayDeque<>();
        successors(from, work);
        int budget = prefetchBlocks;
        while (budget > 0 && !work.isEmpty()) {
            AppAddress next = work.poll();
            if (blocks.containsKey(next.value())) {
                continue;
            }
            BlockSource.Source s = source.peek(next);
            CacheView view = s == null ? null : views.existingViewFor(s.module());
            if (view == null) {
                continue;
            }
            BlockTranslator.Translation t;
            try {
                t = translator.translate(s.block(), prefetched.nextProvisionalId(), view, this::entryOf,
                        s.modulePath(), s.module().start());
            } catch (UnsupportedProgramException refused) {
                // Translated only if it runs: then the refusal stops the recording, at its place.
                continue;
            }
            prefetched.add(t.block(), t.block().entry().plus(t.idField()), t.block().entry().plus(t.flagStore()));
            blocks.put(next.value(), t.block());
            cacheMap.add(t);
            t.stubs().forEach(misses::register);
            translated(next, t.block().entry());
            successors(s.block(), work);
            budget--;
        }
    }

    /** A block at {@code address} is in the cache: link the exits waiting for it, enter a return site in the table. */
    private void translated(AppAddress address, CacheAddress entry) {
        for (ExitStub stub : misses.takeWaiting(address)) {
            linker.link(stub, entry);
        }
        if (returnSites.contains(address.value())) {
            ibl.insert(address, entry);
        }
    }

    /** Adds where {@code block} may go next by a direct path; notes the return site of a call. */
    private void successors(BasicBlock block, Collection<AppAddress> out) {
        if (block.end() != BasicBlock.End.CONTROL_TRANSFER) {
            out.add(AppAddress.of(block.endAddress()));
            return;
        }
        Instruction last = block.instructions().get(block.instructions().size() - 1);
        AppAddress next = AppAddress.of(last.nextAddress());
        if (last.is(InstructionGroup.CALL)) {
            last.directTarget().ifPresent(t -> out.add(AppAddress.of(t)));
            returnSites.add(next.value());
            Fragment known = blocks.get(next.value());
            if (known != null) {
                ibl.insert(next, known.entry());
            }
            out.add(next);
        } else if (last.is(InstructionGroup.CONDITIONAL) || last.is(InstructionGroup.SYSCALL)) {
            last.directTarget().ifPresent(t -> out.add(AppAddress.of(t)));
            out.add(next);
        } else if (last.is(InstructionGroup.JUMP)) {
            last.directTarget().ifPresent(t -> out.add(AppAddress.of(t)));
        }
    }

    /** Of the result's drainNanos, the time the program waited for the log writer to free a half of the ring. */
    long ringWaitNanos() {
        return ring.waitNanos();
    }

    @Override
    public void close() {
        ring.awaitWritten(); // the log writer may still be reading the ring's memory
        region.close();
    }
}

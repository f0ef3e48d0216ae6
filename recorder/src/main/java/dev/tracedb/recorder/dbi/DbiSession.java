package dev.tracedb.recorder.dbi;

import dev.tracedb.machine.linux.PtraceEvent;
import dev.tracedb.machine.linux.Register;
import dev.tracedb.machine.linux.Registers;
import dev.tracedb.machine.linux.RemoteAddress;
import dev.tracedb.machine.linux.Signal;
import dev.tracedb.machine.linux.SignalInfo;
import dev.tracedb.machine.linux.StopEvent;
import dev.tracedb.machine.linux.Tracee;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Records one single-threaded process by running it from the code cache: maps the shared region,
 * translates the block at the current rip, points rip at the translation and then serves the
 * tracee's requests until it exits. Every event reaches the sink, including those recorded
 * before a refusal or a crash: the ring is drained at every stop and once more at the end.
 *
 * <p>Signals: a signal that would run a handler cannot happen, since installing one is refused;
 * any other signal is logged and delivered with its default action (a crash is recorded up to
 * the faulting block, whose prologue already ran). The guard-page SIGSEGV of a full ring is
 * ours and never reaches the program.
 *
 * <p>Not thread-safe: one engine per tracee; {@link #run} does all its work on the tracer thread.
 */
final class DbiSession implements AutoCloseable {
    /** What a recording did. */
    record Result(StopEvent end, int blocks, long events, long directMisses, long indirectMisses, long syscalls,
                  long ringOverflows, long codeBytes, int views, long farLinks, long translateNanos, long nanos) {}

    private final Tracee tracee;
    private final EventSink sink;
    private final SharedRegion region;
    private final ViewPlacement views;
    private final CodeCache cache;
    private final Ring ring;
    private final IndirectBranchTable ibl;
    private final BlockTranslator translator;
    private final MissHandler misses;
    private final Linker linker;
    private final BlockSource source;
    private final Map<Long, Fragment> blocks = new HashMap<>();
    /** Time spent decoding and translating blocks (and mapping views), as opposed to ptrace round trips. */
    private long translateNanos;

    /**
     * Sets up the region in the stopped {@code tracee}, its first view near the module it is
     * stopped in (the dynamic loader, or a static program); nothing of the program runs yet.
     */
    DbiSession(Tracee tracee, RegionLayout layout, BlockSource source, EventSink sink) {
        this.tracee = tracee;
        this.source = source;
        this.sink = sink;
        this.region = ViewPlacement.createNear(tracee, tracee.tracer().call(() -> tracee.registers().rip().value()),
                layout);
        this.views = new ViewPlacement(tracee, region);
        this.cache = new CodeCache(region);
        this.ring = new Ring(region);
        this.ibl = new IndirectBranchTable(region);
        this.translator = new BlockTranslator(cache, ibl);
        this.linker = new Linker(cache);
        this.misses = new MissHandler(tracee, region, linker, ibl, this::translate, sink);
        misses.register(ibl.emitRoutine(cache));
    }

    SharedRegion region() {
        return region;
    }

    /** Runs the program to its end (or to a refusal, which is thrown after the ring is drained). */
    Result run() {
        return tracee.tracer().call(() -> {
            long t0 = System.nanoTime();
            StopEvent end;
            try {
                Registers regs = tracee.registers();
                CacheAddress entry = translate(AppAddress.of(regs.rip().value()));
                tracee.setRegisters(regs.setRip(RemoteAddress.of(entry.value())));
                end = loop();
            } finally {
                ring.drain(sink);
            }
            return new Result(end, blocks.size(), ring.eventsDrained(), misses.count(ExitStub.Kind.DIRECT),
                    misses.count(ExitStub.Kind.INDIRECT_MISS), misses.count(ExitStub.Kind.SYSCALL),
                    ring.overflows(), cache.used(), region.views().size(), linker.farLinks(), translateNanos, System.nanoTime() - t0);
        });
    }

    private StopEvent loop() {
        StopEvent stop = tracee.cont();
        while (true) {
            if (stop.isTerminal()) {
                return stop;
            }
            Signal deliver = null;
            if (stop instanceof StopEvent.SignalStop s) {
                deliver = onSignal(s.signal());
            } else if (stop instanceof StopEvent.EventStop e && e.event() == PtraceEvent.EXEC) {
                throw new UnsupportedProgramException("the program exec'd: not supported by the DBI engine");
            }
            // Exit events, group-stops and the like: just go on.
            ring.drain(sink);
            stop = tracee.cont(deliver);
        }
    }

    /** Handles a signal stop; returns the signal to deliver, or null if it was ours. */
    private Signal onSignal(Signal signal) {
        Registers regs = tracee.registers();
        if (signal.equals(Signal.SIGTRAP)) {
            ExitStub stub = misses.stubAt(regs.rip());
            if (stub != null) {
                ring.drain(sink);
                misses.handle(stub, regs);
                return null;
            }
        }
        SignalInfo info = tracee.signalInfo();
        if (signal.equals(Signal.SIGSEGV) && info.faultAddress() != null
                && info.faultAddress().value() == ring.guard().value() && region.contains(regs.rip().value())) {
            ring.onOverflow(sink);
            tracee.setRegisters(regs.set(Register.RAX, ring.start().value()));
            return null;
        }
        if (hasHandler(signal)) {
            throw new UnsupportedProgramException("signal " + signal + " arrived for a handler; signal handlers are"
                    + " not supported by the DBI engine yet");
        }
        ring.drain(sink);
        sink.signal(signal.number(), info.code(), info.faultAddress() == null ? 0 : info.faultAddress().value());
        return signal;
    }

    /** Whether the tracee catches {@code signal} (SigCgt in /proc/PID/status). */
    private boolean hasHandler(Signal signal) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + tracee.pid() + "/status"))) {
                if (line.startsWith("SigCgt:")) {
                    long caught = Long.parseUnsignedLong(line.substring(7).trim(), 16);
                    return (caught >>> (signal.number() - 1) & 1) != 0;
                }
            }
            return false;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The cache entry for {@code target}, translating its block first if needed. */
    private CacheAddress translate(AppAddress target) {
        Fragment known = blocks.get(target.value());
        if (known != null) {
            return known.entry();
        }
        long t0 = System.nanoTime();
        BlockSource.Source source = this.source.blockAt(target);
        CacheView view = views.viewFor(source.module());
        BlockTranslator.Translation t = translator.translate(source.block(), source.id(), view, a -> {
            Fragment b = blocks.get(a.value());
            return b == null ? null : b.entry();
        });
        blocks.put(target.value(), t.block());
        t.stubs().forEach(misses::register);
        sink.blockDefined(t.block());
        translateNanos += System.nanoTime() - t0;
        return t.block().entry();
    }

    @Override
    public void close() {
        region.close();
    }
}

package dev.tracedb.compiler.codegen;

import dev.tracedb.compiler.cache.CachedModule;
import dev.tracedb.compiler.cache.ModuleCode;
import dev.tracedb.compiler.cache.ModuleCode.TraceEntry;
import dev.tracedb.compiler.cache.ReliedOnHash;
import dev.tracedb.machine.linux.AddressRandomization;
import dev.tracedb.machine.linux.LaunchOptions;
import dev.tracedb.machine.linux.LoadedModule;
import dev.tracedb.machine.linux.ProcMaps;
import dev.tracedb.machine.linux.PtraceEvent;
import dev.tracedb.machine.linux.RemoteAddress;
import dev.tracedb.machine.linux.RemoteSyscalls;
import dev.tracedb.machine.linux.Signal;
import dev.tracedb.machine.linux.StopEvent;
import dev.tracedb.machine.linux.Tracee;
import dev.tracedb.machine.linux.Tracer;
import dev.tracedb.machine.x86.encode.Assembler;
import dev.tracedb.machine.x86.encode.CodeBuffer;
import dev.tracedb.machine.x86.encode.Gpr;
import dev.tracedb.machine.x86.encode.Mem;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Test harness that runs generated trace code for real: launches the program under ptrace
 * (stopped at its first instruction), maps an RWX region within rel32 reach of each module,
 * writes the blob with its relocations applied, checks the relied-on bytes against the running
 * module, patches each head with a {@code jmp rel32} (padded with int3), and lets the program run
 * natively to its end. It is the loader's job in the product; this is the smallest honest way to
 * execute the compiler's output in a test.
 *
 * <p>So that a test can see traces were entered, each head jumps first to a counting stub (mov
 * and lea only, so the flags survive; one save slot, so single-threaded programs only) that
 * counts entries in the mapped region, read back at the exit stop.
 */
final class CachedRun {
    private static final int PROT_RWX = 7;
    private static final int MAP_PRIVATE_ANONYMOUS_FIXED_NOREPLACE = 0x02 | 0x20 | 0x100000;
    private static final long PAGE = 4096;

    /** How the run ended, and how often each trace (by id) was entered. */
    record Outcome(StopEvent end, Map<Integer, Long> entries) {
        long totalEntries() {
            return entries.values().stream().mapToLong(Long::longValue).sum();
        }
    }

    private CachedRun() {}

    static Outcome run(List<String> argv, Path stdout, GeneratedCode generated) {
        LaunchOptions options = LaunchOptions.builder(argv.get(0)).args(argv.subList(1, argv.size()).toArray(String[]::new))
                .environment(RecordedRun.ENV).randomization(AddressRandomization.DISABLED).stdout(stdout).build();
        try (Tracer tracer = Tracer.start("cached-run-test");
             Tracee tracee = Tracee.launch(tracer, options)) {
            List<long[]> counters = new ArrayList<>(); // {counter address, trace id}
            try (RemoteSyscalls remote = new RemoteSyscalls(tracee)) {
                List<LoadedModule> loaded = LoadedModule.group(ProcMaps.read(tracee.pid()));
                for (int m = 0; m < generated.modules().size(); m++) {
                    CachedModule module = generated.modules().get(m);
                    LoadedModule at = loaded.stream().filter(l -> samePath(l.path(), module.path())).findFirst()
                            .orElseThrow(() -> new IllegalStateException("module not mapped at start: " + module.path()));
                    checkReliedOn(tracee, at.base(), module);
                    install(tracee, remote, at, generated.code().get(m), counters);
                }
            }
            StopEvent stop = tracee.cont();
            Map<Integer, Long> entries = new HashMap<>();
            while (!stop.isTerminal()) {
                if (stop instanceof StopEvent.EventStop e && e.event() == PtraceEvent.EXIT) {
                    for (long[] c : counters) {
                        entries.merge((int) c[1], tracee.memory().readLong(RemoteAddress.of(c[0])), Long::sum);
                    }
                    stop = tracee.cont();
                } else if (stop instanceof StopEvent.SignalStop s) {
                    Signal signal = s.signal();
                    if (signal.equals(Signal.SIGSEGV) || signal.equals(Signal.SIGILL) || signal.equals(Signal.SIGTRAP)
                            || signal.equals(Signal.SIGBUS)) {
                        throw new AssertionError(signal + " at rip " + tracee.registers().rip()
                                + " while running with traces");
                    }
                    stop = tracee.cont(signal);
                } else {
                    stop = tracee.cont();
                }
            }
            return new Outcome(stop, entries);
        }
    }

    private static boolean samePath(String a, String b) {
        try {
            return Path.of(a).toRealPath().equals(Path.of(b).toRealPath());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void checkReliedOn(Tracee tracee, long base, CachedModule module) {
        ReliedOnHash hash = new ReliedOnHash();
        for (CachedModule.ByteRange r : module.reliedOn()) {
            hash.update(tracee.memory().read(RemoteAddress.of(base + r.offset()), r.length()));
        }
        if (hash.value() != module.reliedOnHash()) {
            throw new AssertionError("the running module's relied-on bytes differ from the recorded ones: " + module.path());
        }
    }

    private static void install(Tracee tracee, RemoteSyscalls remote, LoadedModule module, ModuleCode code,
                                List<long[]> counters) {
        int stubBytes = 64 * code.entries().size();
        long size = roundUp(code.code().length + stubBytes + 8L * (code.entries().size() + 1), PAGE);
        long region = mapNear(remote, module, size);
        byte[] blob = Listing.relocate(code, module.base(), region);
        tracee.memory().write(RemoteAddress.of(region), blob);
        long stubs = roundUp(region + blob.length, 16);
        long data = roundUp(stubs + stubBytes, 8);
        long save = data;
        for (int i = 0; i < code.entries().size(); i++) {
            TraceEntry entry = code.entries().get(i);
            long counter = data + 8L * (i + 1);
            long stub = stubs + 64L * i;
            CodeBuffer buffer = new CodeBuffer(stub);
            Assembler a = new Assembler(buffer);
            a.mov(Mem.rip(save), Gpr.RAX);
            a.mov(Gpr.RAX, Mem.rip(counter));
            a.lea(Gpr.RAX, Mem.of(Gpr.RAX, 1));
            a.mov(Mem.rip(counter), Gpr.RAX);
            a.mov(Gpr.RAX, Mem.rip(save));
            a.jmp(region + entry.codeOffset());
            tracee.memory().write(RemoteAddress.of(stub), a.finish());
            counters.add(new long[] {counter, entry.traceId()});

            long head = module.base() + entry.headOffset();
            byte[] patch = new byte[entry.patchLength()];
            java.util.Arrays.fill(patch, (byte) 0xcc);
            CodeBuffer jmp = new CodeBuffer(head);
            new Assembler(jmp).jmp(stub);
            System.arraycopy(jmp.toByteArray(), 0, patch, 0, 5);
            tracee.memory().write(RemoteAddress.of(head), patch);
        }
    }

    /** An RWX region of {@code size} bytes that rel32 reaches from the whole module: below it, else above its heap room. */
    private static long mapNear(RemoteSyscalls remote, LoadedModule module, long size) {
        long[] hints = {module.base() - size - 16 * PAGE, module.end() + (1L << 30)};
        for (long hint : hints) {
            if (hint < 0x10000) {
                continue;
            }
            long got = remote.syscall(9, hint, size, PROT_RWX, MAP_PRIVATE_ANONYMOUS_FIXED_NOREPLACE, -1, 0);
            if (got == hint) {
                return got;
            }
        }
        throw new IllegalStateException("no room for trace code near " + module.path());
    }

    private static long roundUp(long value, long to) {
        return (value + to - 1) / to * to;
    }
}

package dev.tracedb.loader.ptrace;

import dev.tracedb.compiler.cache.CachedModule;
import dev.tracedb.compiler.cache.ModuleCode;
import dev.tracedb.compiler.cache.ReliedOnHash;
import dev.tracedb.compiler.cache.TraceCache;
import dev.tracedb.machine.linux.ErrnoException;
import dev.tracedb.machine.linux.LaunchOptions;
import dev.tracedb.machine.linux.LoadedModule;
import dev.tracedb.machine.linux.MemoryMapping;
import dev.tracedb.machine.linux.ProcMaps;
import dev.tracedb.machine.linux.RemoteAddress;
import dev.tracedb.machine.linux.RemoteSyscalls;
import dev.tracedb.machine.linux.SyscallNumber;
import dev.tracedb.machine.linux.Tracee;
import dev.tracedb.machine.linux.Tracer;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Runs a program with a trace cache applied through ptrace: starts it stopped before its first
 * instruction, checks every cached module (build-id, relied-on bytes' hash, heads inside relied-on
 * executable code, no overlapping heads), maps each module's code within rel32 reach, relocates
 * it, makes it read+execute, patches the heads through {@code /proc/PID/mem} (which writes into
 * read-only text without changing its protection), detaches, and waits for the program's exit.
 * A module that fails a check gets no traces and one line on stderr; the program never runs with a
 * partially patched module (a failure while patching kills it).
 *
 * <p>For static programs: at that first instruction a dynamic program has only ld.so mapped, so its
 * libraries could not be patched here (the preload shim handles dynamic programs).
 *
 * <p>Counting ({@code --stats}): the modules' counting code is installed instead of the plain code,
 * and each module's counters are a {@code MAP_SHARED} mapping of a file of this JVM's (opened by the
 * tracee through a remote {@code openat}, mapped right after the code, closed), so the counts
 * survive the program and are read back from the file once it has exited — also when it ends by a
 * signal or {@code _exit}. A child it forks shares the mapping: its counts are added in.
 */
public final class PtraceLoader {
    private static final long PAGE = 4096;
    private static final int PROT_READ = 1;
    private static final int PROT_WRITE = 2;
    private static final int PROT_EXEC = 4;
    private static final int MAP_PRIVATE = 2;
    private static final int MAP_ANONYMOUS = 0x20;
    private static final int MAP_FIXED_NOREPLACE = 0x100000;
    private static final long REACH = 0x7fff0000L;

    private static final int MAP_SHARED = 1;
    private static final int MAP_FIXED = 0x10;
    private static final int O_RDWR = 2;
    private static final int O_CLOEXEC = 0x80000;

    private final PrintStream err;
    private final boolean verbose;
    private final boolean counting;
    private final List<ModuleCounters> counters = new ArrayList<>();
    private int pid;

    /**
     * @param err      where refusals (and with {@code verbose}, what was applied) are said, one line each
     * @param counting install the counting code ({@code --stats}); {@link #counters()} reads its counts
     */
    public PtraceLoader(PrintStream err, boolean verbose, boolean counting) {
        this.err = err;
        this.verbose = verbose;
        this.counting = counting;
    }

    public PtraceLoader(PrintStream err, boolean verbose) {
        this(err, verbose, false);
    }

    public PtraceLoader(PrintStream err) {
        this(err, false);
    }

    /** After {@link #run}: the program's process id. */
    public int pid() {
        return pid;
    }

    /**
     * After {@link #run}: with counting, one entry per module whose traces were applied, with the
     * counts its program left in the counters when it exited.
     */
    public List<ModuleCounters> counters() {
        return List.copyOf(counters);
    }

    /**
     * Runs {@code command} with {@code cache} applied and returns its exit status (128+N after
     * signal N).
     *
     * @throws dev.tracedb.machine.linux.LaunchException when the program cannot be started
     */
    public int run(TraceCache cache, List<String> command) {
        return run(cache, LaunchOptions.builder(command.get(0)).args(command.subList(1, command.size())));
    }

    /**
     * As {@link #run(TraceCache, List)}, for a program described by {@code launch} (e.g. with its
     * stdio redirected). The launch keeps ptrace's default options (the launcher needs them to
     * see the exec); none of them matters after the detach.
     */
    public int run(TraceCache cache, LaunchOptions.Builder launch) {
        counters.clear();
        try {
            return launchAndWait(cache, launch);
        } finally {
            for (ModuleCounters m : counters) m.readAndDelete();
        }
    }

    private int launchAndWait(TraceCache cache, LaunchOptions.Builder launch) {
        int pid;
        try (Tracer tracer = Tracer.start("tracedb-run")) {
            LaunchOptions options = launch.build();
            Tracee tracee = Tracee.launch(tracer, options);
            pid = tracee.pid();
            this.pid = pid;
            boolean ready = false;
            try {
                apply(cache, tracee);
                ready = true;
            } finally {
                if (!ready) {
                    tracee.close(); // kills it: it never runs half-patched
                }
            }
            tracee.detach();
        }
        return ChildExit.waitFor(pid);
    }

    private void apply(TraceCache cache, Tracee tracee) {
        List<MemoryMapping> maps = ProcMaps.read(tracee.pid());
        List<LoadedModule> loaded = LoadedModule.group(maps);
        try (RemoteSyscalls remote = new RemoteSyscalls(tracee)) {
            for (int i = 0; i < cache.modules().size(); i++) {
                CachedModule cached = cache.modules().get(i);
                int index = i;
                List<ModuleCode> code = cache.code().stream().filter(c -> c.moduleIndex() == index).toList();
                if (code.stream().allMatch(c -> c.entries().isEmpty())) {
                    continue;
                }
                if (counting && code.stream().anyMatch(c -> c.counting() == null)) {
                    say(cached, "not applied: the cache has no counting code for these traces, which --stats needs");
                    continue;
                }
                ModuleMatch.Result match = ModuleMatch.find(cached, loaded);
                if (match.module().isEmpty()) {
                    say(cached, match.refusal());
                    continue;
                }
                LoadedModule module = match.module().get();
                String refusal = verify(cached, code, module, tracee);
                if (refusal != null) {
                    say(cached, refusal);
                    continue;
                }
                List<long[]> blobs = new ArrayList<>(); // {address, size} to undo
                List<ModuleCounters> files = new ArrayList<>();
                refusal = mapBlobs(code, module, maps, tracee, remote, blobs, files);
                if (refusal != null) {
                    for (long[] blob : blobs) remote.munmap(RemoteAddress.of(blob[0]), blob[1]);
                    files.forEach(ModuleCounters::readAndDelete);
                    say(cached, refusal);
                    continue;
                }
                counters.addAll(files);
                int traces = 0;
                for (int k = 0; k < code.size(); k++) {
                    for (ModuleCode.TraceEntry e : installed(code.get(k)).entries()) {
                        patchHead(tracee, module.base() + e.headOffset(), blobs.get(k)[0] + e.codeOffset(), e.patchLength());
                        traces++;
                    }
                }
                if (verbose) {
                    say(cached, "applied " + traces + " traces through ptrace");
                }
            }
        }
    }

    /** Null when the module's bytes are the cache's and its heads are patchable, else why not. */
    private static String verify(CachedModule cached, List<ModuleCode> code, LoadedModule module, Tracee tracee) {
        ReliedOnHash hash = new ReliedOnHash();
        for (CachedModule.ByteRange r : cached.reliedOn()) {
            long at = module.base() + r.offset();
            if (!inMapping(module, at, r.length(), false)) {
                return "not applied: relied-on bytes +0x" + Long.toHexString(r.offset()) + " are not mapped in " + module.path();
            }
            hash.update(tracee.memory().read(RemoteAddress.of(at), r.length()));
        }
        if (hash.value() != cached.reliedOnHash()) {
            return String.format("not applied: the bytes the traces rely on differ in %s (hash %016x, the cache's %016x)",
                    module.path(), hash.value(), cached.reliedOnHash());
        }
        List<ModuleCode.TraceEntry> entries = new ArrayList<>();
        code.forEach(c -> entries.addAll(c.entries()));
        entries.sort(Comparator.comparingLong(ModuleCode.TraceEntry::headOffset));
        for (int i = 0; i < entries.size(); i++) {
            ModuleCode.TraceEntry e = entries.get(i);
            boolean covered = cached.reliedOn().stream().anyMatch(r -> e.headOffset() >= r.offset()
                    && e.headOffset() + e.patchLength() <= r.offset() + r.length());
            if (!covered || !inMapping(module, module.base() + e.headOffset(), e.patchLength(), true)) {
                return "not applied: the head of trace " + e.traceId() + " is not relied-on executable code (a bad cache)";
            }
            if (i > 0 && e.headOffset() < entries.get(i - 1).headOffset() + entries.get(i - 1).patchLength()) {
                return "not applied: the heads of traces " + entries.get(i - 1).traceId() + " and " + e.traceId()
                        + " overlap (a bad cache)";
            }
        }
        return null;
    }

    private static boolean inMapping(LoadedModule module, long at, long length, boolean executable) {
        return module.mappings().stream().anyMatch(m -> m.start() <= at && at + length <= m.end()
                && m.isReadable() && (!executable || m.isExecutable()));
    }

    /** What this run installs of {@code code}: the plain code, or with counting its counting code. */
    private ModuleCode.Counting installed(ModuleCode code) {
        return counting ? code.counting()
                : new ModuleCode.Counting(code.code(), code.relocations(), code.entries(), List.of());
    }

    /**
     * Maps, relocates and protects each blob; null on success, else why not (blobs lists what to
     * undo, files the counter files made).
     */
    private String mapBlobs(List<ModuleCode> code, LoadedModule module, List<MemoryMapping> maps, Tracee tracee,
                            RemoteSyscalls remote, List<long[]> blobs, List<ModuleCounters> files) {
        List<MemoryMapping> taken = new ArrayList<>(maps);
        for (ModuleCode c : code) {
            ModuleCode.Counting installed = installed(c);
            byte[] bytes = installed.code();
            long codeSize = (bytes.length + PAGE - 1) & -PAGE;
            long countersSize = counting ? (8L * installed.counters().size() + 8 + PAGE - 1) & -PAGE : 0;
            long size = codeSize + countersSize;
            long at = place(taken, module, size, remote);
            if (at == 0) {
                return "not applied: no free address range within 2 GiB of " + module.path();
            }
            blobs.add(new long[] {at, size});
            taken.add(new MemoryMapping(at, at + size, "r-xp", 0, "00:00", 0, java.util.Optional.empty()));
            taken.sort(Comparator.comparingLong(MemoryMapping::start));
            if (counting) {
                String refusal = mapCounters(c.moduleIndex(), module, installed, at + codeSize, countersSize, remote, files);
                if (refusal != null) return refusal;
            }
            ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
            for (ModuleCode.Relocation r : installed.relocations()) {
                long target = r.kind() == ModuleCode.Relocation.Kind.COUNTER ? at + codeSize + 8 * r.moduleOffset()
                        : module.base() + r.moduleOffset();
                if (r.kind() == ModuleCode.Relocation.Kind.ABS64) {
                    buffer.putLong(r.codeOffset(), target);
                } else {
                    long d = target - (at + r.codeOffset() + 4);
                    if (d != (int) d) return "not applied: a relocation does not reach from the trace code";
                    buffer.putInt(r.codeOffset(), (int) d);
                }
            }
            for (ModuleCode.TraceEntry e : installed.entries()) {
                long d = at + e.codeOffset() - (module.base() + e.headOffset() + 5);
                if (d != (int) d) return "not applied: a trace head cannot reach its trace code";
            }
            tracee.memory().write(RemoteAddress.of(at), bytes);
            remote.check("mprotect", SyscallNumber.MPROTECT, at, codeSize, PROT_READ | PROT_EXEC);
        }
        return null;
    }

    /**
     * Replaces {@code [at, at + size)} (our own read+write mapping) with a shared mapping of a new
     * zeroed file of this JVM's, which then holds the counters; null on success, else why not.
     */
    private static String mapCounters(int cacheModule, LoadedModule module, ModuleCode.Counting installed, long at, long size,
                                      RemoteSyscalls remote, List<ModuleCounters> files) {
        ModuleCounters file;
        try {
            file = ModuleCounters.create(cacheModule, module.path(), installed, size);
        } catch (java.io.IOException e) {
            return "not applied: cannot create the counters' file: " + e.getMessage();
        }
        files.add(file);
        int fd;
        try {
            fd = remote.open(file.file().toString(), O_RDWR | O_CLOEXEC, 0);
        } catch (ErrnoException e) {
            return "not applied: the program cannot open the counters' file: " + e.getMessage();
        }
        long got = remote.syscall(SyscallNumber.MMAP, at, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0);
        remote.closeFd(fd);
        return got == at ? null : "not applied: cannot map the counters next to the trace code (" + got + ")";
    }

    /** An address for {@code size} bytes within reach of the module, mapped read+write; 0 if none. */
    private static long place(List<MemoryMapping> maps, LoadedModule module, long size, RemoteSyscalls remote) {
        List<Long> candidates = new ArrayList<>();
        for (int i = maps.size(); i >= 0; i--) { // gaps below the module, nearest first
            long lo = i == 0 ? 0x10000 : maps.get(i - 1).end();
            long hi = i == maps.size() ? 0x7ffffffff000L : maps.get(i).start();
            if (hi <= module.base() && hi - lo >= size + 2 * PAGE) candidates.add((hi - PAGE - size) & -PAGE);
        }
        for (int i = 0; i <= maps.size(); i++) { // then above it
            long lo = i == 0 ? 0x10000 : maps.get(i - 1).end();
            long hi = i == maps.size() ? 0x7ffffffff000L : maps.get(i).start();
            boolean stack = i < maps.size() && maps.get(i).path().map("[stack]"::equals).orElse(false);
            if (!stack && lo >= module.end() && hi - lo >= size + 2 * PAGE) candidates.add(((lo + PAGE) + PAGE - 1) & -PAGE);
        }
        for (long at : candidates) {
            long low = Math.min(at, module.base());
            long high = Math.max(at + size, module.end());
            if (high - low > REACH) continue;
            long got = remote.syscall(SyscallNumber.MMAP, at, size, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
            if (got == at) return at;
            if (got > 0) remote.munmap(RemoteAddress.of(got), size);
        }
        return 0;
    }

    private static void patchHead(Tracee tracee, long head, long target, int length) {
        byte[] jump = new byte[length];
        java.util.Arrays.fill(jump, (byte) 0xcc);
        jump[0] = (byte) 0xe9;
        ByteBuffer.wrap(jump).order(ByteOrder.LITTLE_ENDIAN).putInt(1, (int) (target - (head + 5)));
        tracee.memory().write(RemoteAddress.of(head), jump);
    }

    private void say(CachedModule module, String line) {
        err.println("tracedb: " + module.path() + ": " + line);
        err.flush();
    }
}

package dev.tracedb.recorder.dbi;

import dev.tracedb.machine.linux.Register;
import dev.tracedb.machine.linux.Registers;
import dev.tracedb.machine.linux.RemoteAddress;
import dev.tracedb.machine.linux.RemoteSyscalls;
import dev.tracedb.machine.linux.Tracee;
import dev.tracedb.recorder.ChildProcesses;

/**
 * Lets a child process of the recorded program go natively (see {@link ChildProcesses} for the
 * rule). The kernel made the child a copy of the parent inside the {@code syscall} that created
 * it, so at its birth stop it stands in the code cache, on the int3 of that syscall's result stub,
 * with rax = 0 and rcx = that cache address (the kernel's return address). This class moves it to
 * where the native child would stand: rip and rcx the original address after the syscall, every
 * other register as the kernel made it. The child has not executed an instruction yet.
 *
 * <p>A child with a memory of its own (plain fork) then gets the code-cache views unmapped, by
 * syscalls injected at the original syscall instruction: its copy of the region is MAP_SHARED with
 * the parent's ring and code, so it must never touch it, and without it the child's address space
 * is what it would be natively. A child sharing the parent's memory (vfork, posix_spawn's
 * CLONE_VM) keeps it: unmapping it there would unmap the parent's cache. Finally it is detached and
 * runs natively from the next instruction on.
 *
 * <p>Not thread-safe: tracer thread only, while parent and child are stopped.
 */
final class NativeChild {
    private final MissHandler misses;
    private final SharedRegion region;

    NativeChild(MissHandler misses, SharedRegion region) {
        this.misses = misses;
        this.region = region;
    }

    /** Moves the stopped {@code child} out of the cache and detaches it. */
    void release(Tracee child) {
        try {
            Registers regs = child.registers();
            ExitStub stub = misses.stubBefore(regs.rip());
            if (stub == null || stub.kind() != ExitStub.Kind.SYSCALL_RESULT) {
                throw new IllegalStateException("new child process " + child.pid() + " stands at " + regs.rip()
                        + ", not after a translated syscall");
            }
            long next = stub.target().value();
            child.setRegisters(regs.setRip(RemoteAddress.of(next)).set(Register.RCX, next));
            if ((misses.pendingCloneFlags() & ChildProcesses.CLONE_VM) == 0) {
                try (RemoteSyscalls remote = new RemoteSyscalls(child)) {
                    for (CacheView view : region.views()) {
                        remote.munmap(RemoteAddress.of(view.base()), view.size());
                    }
                }
            }
            child.detach();
        } catch (RuntimeException e) {
            // Never let a half-released child run: it would execute cache code or share our ring.
            child.kill();
            try {
                // Its end goes to its own parent, which reaps it.
                child.detach();
            } catch (RuntimeException already) {
                e.addSuppressed(already);
            }
            throw e;
        }
    }
}

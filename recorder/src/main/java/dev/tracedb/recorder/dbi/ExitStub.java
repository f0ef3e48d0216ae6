package dev.tracedb.recorder.dbi;

/**
 * A place in the code cache where translated code hands control to Java: an {@code int3}, which
 * stops the tracee with SIGTRAP and rip one byte past it. {@link MissHandler} finds the stub by
 * that address's offset in the region (the view does not matter).
 *
 * <p>A direct exit's stub is {@code jmp qword [rip+0]; dq slot} followed by the request: an
 * {@code int3} ({@link MissHandshake#PTRACE}) or a mailbox request ({@link MissHandshake#FUTEX},
 * {@link FutexHandshake#emitRequest}); {@link #trap} is where the request starts. When the
 * translated target lies in another view beyond rel32 reach of the branch, {@link Linker} writes
 * the target into the slot and points the branch at the absolute jump, which sits right before
 * the request and so is always in reach.
 *
 * @param kind   what the tracee wants
 * @param trap   the address of the {@code int3}
 * @param target for {@link Kind#DIRECT}: the original branch target; for {@link Kind#SYSCALL_RESULT}: the
 *               original address after the syscall, where a child process created by that syscall goes natively
 * @param branchField for {@link Kind#DIRECT}: the rel32 field of the branch that jumps to this
 *                    stub, which {@link Linker} re-points at the translated target
 */
record ExitStub(Kind kind, CacheAddress trap, AppAddress target, CacheAddress branchField) {
    /** Bytes of a direct exit's stub before its request: jmp [rip+0] (6), the 8-byte slot. */
    static final int FAR_JUMP_BYTES = 14;

    /** For {@link Kind#DIRECT}: the absolute jump before the request. */
    CacheAddress farJump() {
        return trap.plus(-FAR_JUMP_BYTES);
    }

    /** For {@link Kind#DIRECT}: the absolute jump's 8-byte target slot. */
    CacheAddress farSlot() {
        return trap.plus(-8);
    }

    enum Kind {
        /** A direct jump, branch, call or fall-through to a target not translated yet. */
        DIRECT,
        /** Right before a {@code syscall}: Java vets the call number in rax, then the syscall runs in the cache. */
        SYSCALL,
        /** Right after a {@code syscall}: rax holds its result. */
        SYSCALL_RESULT,
        /** The indirect-branch lookup found no entry: rax holds the original target. */
        INDIRECT_MISS,
        /**
         * Futex handshake: a request that needs the tracee stopped (a new code-cache view is
         * mapped by injected system calls) comes back as a trap here, to be served as a
         * ptrace-handshake request.
         */
        REISSUE
    }

    static ExitStub direct(CacheAddress trap, AppAddress target, CacheAddress branchField) {
        return new ExitStub(Kind.DIRECT, trap, target, branchField);
    }

    static ExitStub syscall(CacheAddress trap) {
        return new ExitStub(Kind.SYSCALL, trap, null, null);
    }

    static ExitStub syscallResult(CacheAddress trap, AppAddress next) {
        return new ExitStub(Kind.SYSCALL_RESULT, trap, next, null);
    }

    static ExitStub reissue(CacheAddress trap) {
        return new ExitStub(Kind.REISSUE, trap, null, null);
    }

    static ExitStub indirectMiss(CacheAddress trap) {
        return new ExitStub(Kind.INDIRECT_MISS, trap, null, null);
    }
}

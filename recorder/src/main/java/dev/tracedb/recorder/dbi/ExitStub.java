package dev.tracedb.recorder.dbi;

/**
 * A place in the code cache where translated code hands control to Java: an {@code int3}, which
 * stops the tracee with SIGTRAP and rip one byte past it. {@link MissHandler} finds the stub by
 * that address.
 *
 * @param kind   what the tracee wants
 * @param trap   the address of the {@code int3}
 * @param target for {@link Kind#DIRECT}: the original branch target
 * @param branchField for {@link Kind#DIRECT}: the rel32 field of the branch that jumps to this
 *                    stub, which {@link Linker} re-points at the translated target
 */
record ExitStub(Kind kind, CacheAddress trap, AppAddress target, CacheAddress branchField) {
    enum Kind {
        /** A direct jump, branch, call or fall-through to a target not translated yet. */
        DIRECT,
        /** Right before a {@code syscall}: Java vets the call number in rax, then the syscall runs in the cache. */
        SYSCALL,
        /** Right after a {@code syscall}: rax holds its result. */
        SYSCALL_RESULT,
        /** The indirect-branch lookup found no entry: rax holds the original target. */
        INDIRECT_MISS
    }

    static ExitStub direct(CacheAddress trap, AppAddress target, CacheAddress branchField) {
        return new ExitStub(Kind.DIRECT, trap, target, branchField);
    }

    static ExitStub syscall(CacheAddress trap) {
        return new ExitStub(Kind.SYSCALL, trap, null, null);
    }

    static ExitStub syscallResult(CacheAddress trap) {
        return new ExitStub(Kind.SYSCALL_RESULT, trap, null, null);
    }

    static ExitStub indirectMiss(CacheAddress trap) {
        return new ExitStub(Kind.INDIRECT_MISS, trap, null, null);
    }
}

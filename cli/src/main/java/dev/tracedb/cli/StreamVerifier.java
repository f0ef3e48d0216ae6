package dev.tracedb.cli;

import dev.tracedb.machine.x86.decode.Instruction;
import dev.tracedb.store.BlockDefined;
import dev.tracedb.store.EventVisitor;
import dev.tracedb.store.ExecBatchHeader;
import dev.tracedb.store.ModuleMapped;
import dev.tracedb.store.RunEnded;
import dev.tracedb.store.SignalDelivered;
import dev.tracedb.store.SyscallResult;
import dev.tracedb.store.Terminator;
import dev.tracedb.store.Terminators;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * Checks a run's execution stream against its own block definitions, as it is replayed:
 * <ul>
 * <li>each block's logged bytes decode into its logged instruction count and end the way its
 *     terminator says;</li>
 * <li>every transition is legal for the previous block's terminator: fall-through to the next
 *     address; conditional to the next address or the direct target; jump and call to the direct
 *     target; indirect jumps and calls anywhere; a syscall falls through, except
 *     {@code rt_sigreturn} (anywhere) and a syscall the kernel restarts (itself again);</li>
 * <li>after a signal delivery the next block may be anything (the handler), whatever the previous
 *     block ends with; that block's own stack effect (a call's push, a return's pop) stands. When
 *     the next block is one the previous block could go to anyway, no handler is assumed (an
 *     ignored signal such as SIGCHLD is logged too), but a return that later goes where no call
 *     pushed, at that depth, is taken as a handler's return to its restorer;</li>
 * <li>calls push their return address on a shadow stack and returns pop it; a return to an
 *     address deeper in the stack (a longjmp-style unwind) or to none of it is a note, not a
 *     problem, and so is a signal handler's return to its restorer;</li>
 * <li>the totals equal those of {@code RunEnded}.</li>
 * </ul>
 * Problems and notes carry their position: the block event and instruction index where the
 * transition lands. Not thread-safe.
 */
final class StreamVerifier implements EventVisitor {
    static final int MAX_REPORTED = 20;
    private static final int RT_SIGRETURN = 15;
    /** A shadow-stack entry for a signal frame: the handler's return goes to a restorer no call pushed. */
    private static final long SIGNAL_FRAME = -1L;
    private static final int MAX_SHADOW_DEPTH = 1 << 20;

    private final LoggedCode code;
    private final List<String> problems = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();
    private long problemCount;
    private long noteCount;
    private final Map<Integer, Boolean> definitionChecked = new HashMap<>();
    private final Map<Long, SyscallResult> syscalls = new HashMap<>();
    /** Signals delivered before block event N, by N: several when handlers nest before any of them runs. */
    private final Map<Long, Integer> signals = new HashMap<>();
    private long[] shadow = new long[1024];
    /** Shadow-stack depths at which a signal may have started a handler without a visible frame. */
    private final ArrayDeque<Integer> unframedSignals = new ArrayDeque<>();
    private int depth;
    private LoggedCode.Code previous;
    private long blockEvents;
    private long instructions;
    private RunEnded ended;

    StreamVerifier(LoggedCode code) {
        this.code = code;
    }

    @Override
    public void moduleMapped(ModuleMapped event) {
        code.moduleMapped(event);
    }

    @Override
    public void blockDefined(BlockDefined event) {
        code.blockDefined(event);
    }

    @Override
    public void syscall(SyscallResult event) {
        syscalls.put(event.blockEvent(), event);
    }

    @Override
    public void signal(SignalDelivered event) {
        signals.merge(event.blockEvent(), 1, Integer::sum);
    }

    @Override
    public void runEnded(RunEnded event) {
        ended = event;
    }

    @Override
    public void execBatch(ExecBatchHeader header, int[] blockIds) {
        if (header.firstBlockEvent() != blockEvents || header.firstInstruction() != instructions) {
            problem(String.format("batch %d starts at block event %d, instruction %d; the stream so far has %d, %d",
                    header.sequence(), header.firstBlockEvent(), header.firstInstruction(), blockEvents, instructions));
        }
        for (int i = 0; i < header.eventCount(); i++) {
            LoggedCode.Code next;
            try {
                next = code.code(blockIds[i]);
            } catch (RuntimeException e) {
                problemAt("block " + blockIds[i] + " cannot be decoded: " + OneLineErrors.describe(e));
                previous = null;
                blockEvents++;
                continue;
            }
            checkDefinition(next);
            if (previous != null) {
                checkTransition(previous, next);
            }
            syscalls.remove(blockEvents);
            signals.remove(blockEvents);
            previous = next;
            blockEvents++;
            instructions += next.instructions().size();
        }
    }

    /** Call after the replay: compares the totals with {@code RunEnded}. */
    void finish(long readerBlockEvents, long readerInstructions) {
        if (ended == null) {
            note("the run is incomplete (no RunEnded): its totals cannot be checked");
        } else {
            if (ended.blockEvents() != blockEvents) {
                problem("RunEnded says " + ended.blockEvents() + " block events, the stream has " + blockEvents);
            }
            if (ended.instructions() != instructions) {
                problem("RunEnded says " + ended.instructions() + " instructions, the stream has " + instructions);
            }
        }
        if (readerBlockEvents != blockEvents || readerInstructions != instructions) {
            problem("the batch index counts " + readerBlockEvents + " block events and " + readerInstructions
                    + " instructions, the stream has " + blockEvents + " and " + instructions);
        }
    }

    private void checkDefinition(LoggedCode.Code block) {
        if (definitionChecked.putIfAbsent(block.definition().blockId(), Boolean.TRUE) != null) {
            return;
        }
        Terminator logged = block.definition().terminator();
        Instruction last = block.last();
        Terminator decoded = Terminators.of(last, logged != Terminator.FALL_THROUGH);
        if (decoded != logged || logged == Terminator.FALL_THROUGH && last.endsBlock()) {
            problemAt("block " + block.definition().blockId() + " at " + block.where(block.address()) + " is logged as "
                    + logged + " but ends with '" + last.text() + "'");
        }
        for (int i = 0; i < block.instructions().size() - 1; i++) {
            if (block.instructions().get(i).endsBlock()) {
                problemAt("block " + block.definition().blockId() + " has a control transfer before its end: '"
                        + block.instructions().get(i).text() + "'");
            }
        }
    }

    private void checkTransition(LoggedCode.Code from, LoggedCode.Code to) {
        Integer delivered = signals.get(blockEvents);
        boolean legal = legal(from, to.address());
        boolean returnsAsCalled = depth > 0 && shadow[depth - 1] == to.address();
        if (delivered != null && (!legal || from.definition().terminator() == Terminator.RETURN && !returnsAsCalled)) {
            enterHandler(from, delivered);
            return;
        }
        switch (from.definition().terminator()) {
            case CALL, INDIRECT_CALL -> push(from.endAddress());
            case RETURN -> checkReturn(to);
            default -> {
            }
        }
        if (delivered != null) {
            // The program went on where it would have: no handler ran (an ignored signal, like
            // SIGCHLD by default), or one ran after an indirect jump or call, which any target
            // satisfies. If a return at this depth later goes where no call pushed, it is that
            // handler's return to its restorer, not a note.
            unframedSignals.add(depth);
        }
        if (!legal) {
            long fallThrough = from.endAddress();
            OptionalLong direct = from.last().directTarget();
            String expected = switch (from.definition().terminator()) {
                case CONDITIONAL -> from.where(fallThrough) + " or " + (direct.isPresent() ? code.where(direct.getAsLong()) : "?");
                case JUMP, CALL -> direct.isPresent() ? code.where(direct.getAsLong()) : "?";
                default -> from.where(fallThrough);
            };
            problemAt("after " + from.where(from.address()) + " (" + from.definition().terminator() + ", '"
                    + from.last().text() + "') execution went to " + to.where(to.address()) + ", expected " + expected);
        }
    }

    /** Whether {@code from}'s terminator can lead to {@code target}. */
    private boolean legal(LoggedCode.Code from, long target) {
        long fallThrough = from.endAddress();
        OptionalLong direct = from.last().directTarget();
        return switch (from.definition().terminator()) {
            case FALL_THROUGH -> target == fallThrough;
            case CONDITIONAL -> target == fallThrough || direct.isPresent() && target == direct.getAsLong();
            case JUMP, CALL -> direct.isPresent() && target == direct.getAsLong();
            case INDIRECT_CALL, INDIRECT_JUMP, OTHER -> true;
            case RETURN -> true;
            case SYSCALL -> legalAfterSyscall(from, target);
        };
    }

    /**
     * A signal was delivered after {@code from}: the next block is its handler, whatever {@code from}
     * ends with. {@code from} retired whole (or is the prefix that did), so its own stack effect
     * stands: a call pushed its return address, a return popped one (its target is where the
     * handler's rt_sigreturn goes, not checked). Each handler's return goes to a restorer; {@code frames}
     * signals delivered at once nest as many frames.
     */
    private void enterHandler(LoggedCode.Code from, int frames) {
        switch (from.definition().terminator()) {
            case CALL, INDIRECT_CALL -> push(from.endAddress());
            case RETURN -> depth = Math.max(0, depth - 1);
            default -> {
            }
        }
        for (int i = 0; i < frames; i++) {
            push(SIGNAL_FRAME);
        }
    }

    private boolean legalAfterSyscall(LoggedCode.Code from, long target) {
        SyscallResult call = syscalls.get(blockEvents);
        if (call != null && call.number() == RT_SIGRETURN) {
            return true;
        }
        if (call != null && call.result() >= -516 && call.result() <= -512) {
            // interrupted (-ERESTART*): the kernel may run the syscall again
            return target == from.endAddress() || target == from.last().address();
        }
        return target == from.endAddress();
    }

    private void checkReturn(LoggedCode.Code to) {
        long target = to.address();
        if (depth > 0 && (shadow[depth - 1] == target || shadow[depth - 1] == SIGNAL_FRAME)) {
            depth--;
            while (!unframedSignals.isEmpty() && unframedSignals.peekLast() > depth) {
                unframedSignals.removeLast();
            }
            return;
        }
        for (int i = depth - 2; i >= 0; i--) {
            if (shadow[i] == target) {
                noteAt("return to " + to.where(target) + " unwound " + (depth - 1 - i) + " frames (longjmp-style)");
                depth = i;
                return;
            }
        }
        if (!unframedSignals.isEmpty() && unframedSignals.peekLast() == depth) {
            unframedSignals.removeLast(); // a handler's return to its restorer
            return;
        }
        noteAt("return to " + to.where(target) + ", which no call on the shadow stack pushed");
    }

    private void push(long address) {
        if (depth == MAX_SHADOW_DEPTH) {
            // Unbounded recursion would exhaust memory; the oldest frames matter least.
            System.arraycopy(shadow, depth / 2, shadow, 0, depth - depth / 2);
            depth -= depth / 2;
        }
        if (depth == shadow.length) {
            shadow = java.util.Arrays.copyOf(shadow, shadow.length * 2);
        }
        shadow[depth++] = address;
    }

    private String position() {
        return "block event " + blockEvents + " (instruction " + instructions + "): ";
    }

    private void problemAt(String message) {
        problem(position() + message);
    }

    private void problem(String message) {
        problemCount++;
        if (problems.size() < MAX_REPORTED) {
            problems.add(message);
        }
    }

    private void noteAt(String message) {
        note(position() + message);
    }

    private void note(String message) {
        noteCount++;
        if (notes.size() < MAX_REPORTED) {
            notes.add(message);
        }
    }

    List<String> problems() {
        return problems;
    }

    List<String> notes() {
        return notes;
    }

    long problemCount() {
        return problemCount;
    }

    long noteCount() {
        return noteCount;
    }

    long blockEvents() {
        return blockEvents;
    }

    long instructions() {
        return instructions;
    }
}

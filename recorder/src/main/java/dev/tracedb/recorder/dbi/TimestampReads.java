package dev.tracedb.recorder.dbi;

import dev.tracedb.machine.x86.decode.Instruction;
import java.util.Arrays;

/**
 * rdtsc and rdtscp in an expansion: the translator copies each as an undefined instruction of the
 * same length, so that it faults in the code cache whatever the machine, and {@link ReplayedSyscalls}
 * plays the recorded value there. {@code prctl(PR_SET_TSC, PR_TSC_SIGSEGV)} would make the copied
 * instruction fault too, but some hypervisors accept that setting and never fault (the rdtsc runs
 * natively and the expansion would read a fresh counter silently); the translator, which sees every
 * instruction, does not depend on it.
 *
 * <p>rdtsc ({@code 0f 31}) becomes {@code ud2} ({@code 0f 0b}), rdtscp ({@code 0f 01 f9}) becomes
 * {@code ud1 eax, eax} ({@code 0f b9 c0}): neither can be the program's own there, since the translator
 * refuses blocks that end in an undefined instruction, so a SIGILL at one of them in the cache is ours.
 */
enum TimestampReads {
    RDTSC(new byte[] {0x0f, 0x31}, new byte[] {0x0f, 0x0b}),
    RDTSCP(new byte[] {0x0f, 0x01, (byte) 0xf9}, new byte[] {0x0f, (byte) 0xb9, (byte) 0xc0});

    private final byte[] original;
    private final byte[] substitute;

    TimestampReads(byte[] original, byte[] substitute) {
        this.original = original;
        this.substitute = substitute;
    }

    /** Bytes the instruction is copied as; its length is the original's. */
    byte[] substitute() {
        return substitute.clone();
    }

    /** Instruction bytes advanced over when the value is played. */
    int length() {
        return original.length;
    }

    /** Which timestamp read {@code insn} is, or null for any other instruction (a prefixed one included: see {@link #isPrefixed}). */
    static TimestampReads of(Instruction insn) {
        for (TimestampReads read : values()) {
            if (Arrays.equals(insn.bytes(), read.original)) return read;
        }
        return null;
    }

    /** Whether {@code insn} is an rdtsc or rdtscp with prefixes, which no compiler emits and which is not translated. */
    static boolean isPrefixed(Instruction insn) {
        String mnemonic = insn.mnemonic();
        return (mnemonic.equals("rdtsc") || mnemonic.equals("rdtscp")) && of(insn) == null;
    }

    /** Which substitute the cache holds at the start of {@code code}, or null if none. */
    static TimestampReads substitutedAt(byte[] code) {
        for (TimestampReads read : values()) {
            if (code.length >= read.substitute.length
                    && Arrays.equals(code, 0, read.substitute.length, read.substitute, 0, read.substitute.length)) {
                return read;
            }
        }
        return null;
    }
}

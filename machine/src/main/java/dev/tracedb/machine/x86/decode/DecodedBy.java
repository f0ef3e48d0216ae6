package dev.tracedb.machine.x86.decode;

/** Which decoder produced an {@link Instruction}. */
public enum DecodedBy {
    /** libcapstone 4, corrected by {@code CapstoneCorrections}. */
    CAPSTONE,
    /**
     * Our own decoder for the few instruction families Capstone 4.0.2 rejects but glibc executes
     * (AVX-512 opmask and some EVEX compares, CET shadow stack, PKU); see {@code FallbackDecoder}.
     */
    FALLBACK
}

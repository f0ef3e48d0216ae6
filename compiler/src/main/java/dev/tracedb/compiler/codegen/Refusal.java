package dev.tracedb.compiler.codegen;

import dev.tracedb.compiler.path.CodeAddress;
import java.util.Objects;

/**
 * A trace that code generation skipped, and why (one line, naming the instruction when one is
 * to blame). The rest of the selection is generated as if the trace had never been chosen.
 */
public record Refusal(int traceId, CodeAddress head, String reason) {
    public Refusal {
        Objects.requireNonNull(head, "head");
        Objects.requireNonNull(reason, "reason");
    }

    @Override
    public String toString() {
        return "trace " + traceId + " at " + head + ": " + reason;
    }
}

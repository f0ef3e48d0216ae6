package dev.tracedb.compiler.path;

import java.util.Objects;

/**
 * A module that traces live in, as the recorded runs saw it.
 *
 * @param path    the file the module was mapped from
 * @param buildId the ELF build-id in hex, or "" when the file has none
 * @param size    the mapped size in bytes
 */
public record TraceModule(String path, String buildId, long size) {
    public TraceModule {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(buildId, "buildId");
    }
}

package dev.tracedb.cli;

/**
 * Chronicle announces itself, phones home for analytics and watches the disk unless told not to; a
 * command-line tool must print only what the user asked for. These must be set before any Chronicle
 * class loads, so {@link TraceDbCommand#execute} calls this first. The launcher passes the same flags.
 */
final class ChronicleQuiet {

    private ChronicleQuiet() {}

    static void apply() {
        setIfAbsent("chronicle.announcer.disable", "true");
        setIfAbsent("chronicle.analytics.disable", "true");
        setIfAbsent("chronicle.disk.monitor.disable", "true");
        setIfAbsent("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }
}

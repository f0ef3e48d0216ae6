package dev.tracedb.recorder.inputs;

import dev.tracedb.store.format.EventCodec;
import dev.tracedb.store.format.EventType;
import dev.tracedb.store.format.FormatException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * An inputs journal as the native recorder wrote it (the contract: "TDBJRNL1", i32 version 1, the
 * run's name, then i32-length-prefixed run-log frames), decoded with the store's own
 * {@link EventCodec}, which checks each frame's CRC32C, version and type. A journal that ends
 * inside a frame (a killed recorder) is read up to its last whole frame; {@link #tornBytes} says
 * how many bytes followed it.
 */
final class InputsJournal {
    final String runName;
    /** Each frame's decoded event: records of dev.tracedb.store, or an {@link EventType} for the markers. */
    final List<Object> events = new ArrayList<>();
    final int tornBytes;

    private InputsJournal(String runName, int tornBytes) {
        this.runName = runName;
        this.tornBytes = tornBytes;
    }

    static InputsJournal read(Path file) throws IOException, FormatException {
        ByteBuffer in = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        byte[] magic = new byte[8];
        in.get(magic);
        if (!Arrays.equals(magic, "TDBJRNL1".getBytes(StandardCharsets.US_ASCII))) {
            throw new FormatException(file + ": not an inputs journal");
        }
        int version = in.getInt();
        if (version != 1) {
            throw new FormatException(file + ": journal version " + version);
        }
        byte[] name = new byte[in.getInt()];
        in.get(name);
        List<byte[]> frames = new ArrayList<>();
        while (in.remaining() >= 4) {
            int at = in.position();
            int length = in.getInt();
            if (length > in.remaining()) {
                in.position(at);
                break;
            }
            byte[] frame = new byte[length];
            in.get(frame);
            frames.add(frame);
        }
        InputsJournal journal = new InputsJournal(new String(name, StandardCharsets.UTF_8), in.remaining());
        EventCodec codec = new EventCodec();
        for (byte[] frame : frames) {
            EventType type = codec.check(frame, frame.length);
            journal.events.add(codec.decode(type, frame, frame.length));
        }
        return journal;
    }
}

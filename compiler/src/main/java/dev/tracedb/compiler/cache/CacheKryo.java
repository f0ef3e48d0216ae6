package dev.tracedb.compiler.cache;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.serializers.ImmutableCollectionsSerializers;
import dev.tracedb.compiler.path.CodeAddress;
import java.util.ArrayList;

/**
 * The Kryo configuration of the cache model. Registration is required (Kryo's default), so a file
 * names classes by small ids, not by class name, and an unknown class in a file is an error rather
 * than a class loaded by name. The ids are part of the file format: append new classes at the end
 * and bump {@link TraceCache#FORMAT_VERSION} when a registered record changes shape.
 */
final class CacheKryo {
    private CacheKryo() {
    }

    /** A new instance; Kryo is not thread-safe, so every read or write takes its own. */
    static Kryo create() {
        Kryo kryo = new Kryo();
        kryo.setReferences(false);
        ImmutableCollectionsSerializers.registerSerializers(kryo);
        kryo.register(byte[].class, 100);
        kryo.register(ArrayList.class, 101);
        kryo.register(TraceCache.class, 110);
        kryo.register(CachedModule.class, 111);
        kryo.register(CachedModule.ByteRange.class, 112);
        kryo.register(ModuleCode.class, 113);
        kryo.register(ModuleCode.Relocation.class, 114);
        kryo.register(ModuleCode.Relocation.Kind.class, 115);
        kryo.register(ModuleCode.TraceEntry.class, 116);
        kryo.register(Forecast.class, 117);
        kryo.register(Forecast.TraceForecast.class, 118);
        kryo.register(Forecast.ExitCount.class, 119);
        kryo.register(CodeAddress.class, 120);
        kryo.register(ModuleCode.Counting.class, 121);
        kryo.register(ModuleCode.Counter.class, 122);
        kryo.register(ModuleCode.CounterKind.class, 123);
        kryo.register(GuardedLoad.class, 124);
        return kryo;
    }
}

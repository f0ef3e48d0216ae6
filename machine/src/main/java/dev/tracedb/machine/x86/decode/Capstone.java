package dev.tracedb.machine.x86.decode;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;

/**
 * Direct JNA mapping ({@link Native#register}) of the libcapstone 4 functions we call. Direct
 * mapping is used because interface mapping marshals whole structures per call and is two orders
 * of magnitude slower (see shared/STACK.md); structures are read at fixed offsets instead
 * ({@link CapstoneLayout}). {@code csh} is {@code size_t}, hence {@code long}; C {@code bool} is
 * returned as {@code byte} because only its low byte is defined.
 */
final class Capstone {
    static final String LIBRARY = "libcapstone.so.4";
    static final String INSTALL_HINT = "install libcapstone4: apt-get install libcapstone4";

    static final int ARCH_X86 = 3;
    static final int MODE_64 = 1 << 3;
    static final int OPT_DETAIL = 2;
    static final int OPT_ON = 3;
    static final int ERR_OK = 0;

    private static final DecoderUnavailableException LOAD_FAILURE = register();

    private Capstone() {
    }

    /** Throws unless the library was found, registered and has the layout we read. */
    static void ensureLoaded() {
        if (LOAD_FAILURE != null) {
            // a fresh exception so that the caller's stack trace is the one reported
            throw new DecoderUnavailableException(LOAD_FAILURE.getMessage(), LOAD_FAILURE);
        }
    }

    private static DecoderUnavailableException register() {
        try {
            Native.register(Capstone.class, find(LIBRARY));
            Memory versions = new Memory(8);
            cs_version(versions, versions.share(4));
            int major = versions.getInt(0);
            int minor = versions.getInt(4);
            if (major != CapstoneLayout.API_MAJOR) {
                return new DecoderUnavailableException(LIBRARY + " reports Capstone " + major + "." + minor
                        + ", but the decoder reads version 4 structures; " + INSTALL_HINT, null);
            }
            return null;
        } catch (DecoderUnavailableException e) {
            return e;
        } catch (UnsatisfiedLinkError e) {
            return new DecoderUnavailableException(LIBRARY + " lacks a Capstone function (" + e.getMessage()
                    + "); " + INSTALL_HINT, e);
        }
    }

    /** Loads a library by file name, turning the linker's error into one that says what to install. */
    static NativeLibrary find(String fileName) {
        try {
            return NativeLibrary.getInstance(fileName);
        } catch (UnsatisfiedLinkError e) {
            throw new DecoderUnavailableException("cannot load " + fileName + " (the x86 decoder needs libcapstone 4); "
                    + INSTALL_HINT, e);
        }
    }

    static native int cs_version(Pointer major, Pointer minor);

    static native int cs_open(int arch, int mode, Pointer handleOut);

    static native int cs_option(long handle, int type, long value);

    static native int cs_close(Pointer handleInOut);

    static native int cs_errno(long handle);

    static native String cs_strerror(int code);

    static native Pointer cs_malloc(long handle);

    static native void cs_free(Pointer insn, long count);

    /**
     * Takes raw addresses rather than {@link Pointer}s: it is called once per instruction, and
     * primitive arguments spare JNA reading each Pointer's peer field.
     */
    static native byte cs_disasm_iter(long handle, long codeInOut, long sizeInOut, long addressInOut, long insn);

    static native int cs_regs_access(long handle, Pointer insn, Pointer regsRead, Pointer regsReadCount,
                                     Pointer regsWrite, Pointer regsWriteCount);

    static native String cs_reg_name(long handle, int regId);

    static native String cs_group_name(long handle, int groupId);
}

#!/usr/bin/env python3
"""The plain code blobs of a trace cache, for reading what the compiler generated:

    bench/cache-code.py IN.tcache OUT_PREFIX

Writes each module's plain code blob (what `tracedb run` installs) to OUT_PREFIX.mN.bin and prints,
per module, its path and each trace's head and code offset (docs/formats/trace-cache.md). Read a
blob with `objdump -D -b binary -m i386:x86-64 -M intel OUT_PREFIX.m0.bin`. Jumps back to the
original code and RIP-relative operands are relocated by the loader, so in the blob a side exit's
`jcc` has displacement 0 (it shows as a jump to the next instruction). A measurement aid, like
cache-heads.py; the image's CRCs are not checked."""
import struct
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the tree for the module next to this script
import tracecache  # noqa: E402

if len(sys.argv) != 3:
    sys.exit(__doc__)
source, prefix = sys.argv[1], sys.argv[2]
data = tracecache.read(source)
image_offset, _ = tracecache.image(data)
for m, module in enumerate(tracecache.module_records(data)):
    path_offset, path_length = struct.unpack_from("<II", data, module)
    path = data[image_offset + path_offset:image_offset + path_offset + path_length].decode()
    code_offset, code_length = struct.unpack_from("<II", data, module + 32)
    entries_offset, entry_count = struct.unpack_from("<II", data, module + 48)
    out = f"{prefix}.m{m}.bin"
    with open(out, "wb") as f:
        f.write(data[image_offset + code_offset:image_offset + code_offset + code_length])
    print(f"module {m} {path}: {code_length} bytes of code in {out}")
    for k in range(entry_count):
        head, code, patch, trace = struct.unpack_from("<QIII", data, image_offset + entries_offset + 24 * k)
        print(f"  trace {trace:3d}  head +{head:#x}  code +{code:#x}  patch {patch} B")

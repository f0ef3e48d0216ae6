#!/usr/bin/env python3
"""A measurement copy of a trace cache that patches only some heads:

    bench/cache-heads.py IN.tcache OUT.tcache --keep|--drop TRACE_IDS   (comma-separated, may be empty)

Rewrites the flat image's entry tables (docs/formats/trace-cache.md) so that only the kept traces'
heads are patched, and the image and header CRC32Cs to match; code, relocations and the Kryo model
stay as they are. A trace whose head is not patched still runs when another trace links to it.
For bisecting which traces cost more than the code they replace (docs/compiling.md, Trace code generation);
not for use as a cache (its model still lists every trace)."""
import struct
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the tree for the module next to this script
import tracecache  # noqa: E402

TABLE = []
for n in range(256):
    c = n
    for _ in range(8):
        c = (c >> 1) ^ (0x82F63B78 & -(c & 1))
    TABLE.append(c)


def crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c = TABLE[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


if len(sys.argv) != 5 or sys.argv[3] not in ("--keep", "--drop"):
    sys.exit(__doc__)
source, target, mode = sys.argv[1], sys.argv[2], sys.argv[3]
ids = {int(x) for x in sys.argv[4].split(",") if x}
data = tracecache.read(source, writable=True)
image_offset, image_length = tracecache.image(data)
for module in tracecache.module_records(data):
    # the plain entries (at 48) and the counting code's (at 80) are filtered alike: the loader
    # requires both tables to list the same heads in the same order
    for table in (48, 80):
        entries_offset, entry_count = struct.unpack_from("<II", data, module + table)
        if entry_count == 0:
            continue
        at = image_offset + entries_offset
        entries = [bytes(data[at + 24 * k: at + 24 * k + 24]) for k in range(entry_count)]
        kept = [e for e in entries if (struct.unpack_from("<I", e, 16)[0] in ids) == (mode == "--keep")]
        rest = [e for e in entries if e not in kept]
        for k, e in enumerate(kept + rest):  # the kept ones first (the shim sorts heads itself)
            data[at + 24 * k: at + 24 * k + 24] = e
        struct.pack_into("<I", data, module + table + 4, len(kept))
struct.pack_into("<I", data, 52, crc32c(data[image_offset:image_offset + image_length]))
struct.pack_into("<I", data, 56, crc32c(data[0:56]))
open(target, "wb").write(data)

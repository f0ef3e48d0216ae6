"""What the bench scripts read of a trace cache file's flat image (docs/formats/trace-cache.md):
the file's bytes, checked to be a cache, and where the image and each module's record are."""
import struct
import sys

MODULE_RECORD = 128  # bytes per module record (format 2)


def read(path, writable=False):
    """The file's bytes (a bytearray when writable); exits with a message if it is not a cache."""
    data = open(path, "rb").read()
    if data[:8] != b"TDBCACHE":
        sys.exit(f"{path}: not a trace cache")
    return bytearray(data) if writable else data


def image(data):
    """(offset, length) of the flat image, from the header."""
    return struct.unpack_from("<QQ", data, 32)


def module_records(data):
    """The file offset of each module's record, in order."""
    image_offset, _ = image(data)
    module_count = struct.unpack_from("<I", data, image_offset + 8)[0]
    return [image_offset + 16 + MODULE_RECORD * m for m in range(module_count)]

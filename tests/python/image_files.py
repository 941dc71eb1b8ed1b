"""Image files written by hand for the tests (Debian's /usr/bin/python3 has no PIL or cv2)."""
import pathlib
import struct
import zlib


def write_png(path, rgb):
    """8-bit RGB PNG, written by hand (no PIL / cv2 for /usr/bin/python3)."""
    h, w, _ = rgb.shape
    raw = b"".join(b"\x00" + rgb[y].tobytes() for y in range(h))

    def chunk(tag, data):
        return (struct.pack(">I", len(data)) + tag + data
                + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF))

    blob = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b""))
    pathlib.Path(path).write_bytes(blob)
    return pathlib.Path(path)

"""PyTorch's checkpoint container: a zip archive of stored (uncompressed) records.

:class:`ZipWriter` lays records out the way torch's own writer (miniz, driven by
``caffe2/serialize/inline_container.cc``) does, so that real ``torch.load`` reads them, including
with ``mmap=True``, where torch computes each record's offset itself instead of asking the zip
directory:

- each record is ``<archive>/<name>``; its local header has flags 0x0808 (sizes in a data
  descriptor after the payload; UTF-8 names) and CRC and sizes 0;
- the local header's extra field ends with an ``FB`` field of ``Z`` padding, so that the payload
  starts at a multiple of 64 bytes (torch maps storages straight out of the file);
- a data descriptor follows each payload (16 bytes, or 24 when zip64 is needed);
- then the central directory, a zip64 end record and locator, and the classic end record.

The writer only appends, never seeks back, so it can write to a pipe or a socket as well.
Reading goes through :mod:`zipfile` (:class:`ZipReader`), which checks every record's CRC.
"""
import struct
import zipfile
import zlib

import numpy as np

ALIGNMENT = 64
_U32 = 0xFFFFFFFF
_CHUNK = 1 << 24  # write large storages in 16 MiB pieces so memory stays flat


class ZipWriter:
    """Append-only writer of a torch-style zip archive to a binary file object."""

    def __init__(self, f, archive_name="archive"):
        self._f = f
        self._prefix = archive_name + "/"
        self._pos = 0
        self._entries = []  # (encoded name, crc, size, local header offset)

    def _write(self, b):
        self._f.write(b)
        self._pos += len(b)

    def write_record(self, name, data):
        """Write one record; ``data`` is ``bytes`` or a C-contiguous array / buffer."""
        mv = memoryview(data)
        if mv.ndim != 1 or mv.format != "B":
            mv = mv.cast("B")
        size = mv.nbytes
        fname = (self._prefix + name).encode("utf-8")
        offset = self._pos
        zip64 = size >= _U32 or offset >= _U32
        extra = b""
        if zip64:
            fields = (struct.pack("<QQ", size, size) if size >= _U32 else b"") + (
                struct.pack("<Q", offset) if offset >= _U32 else b"")
            extra = struct.pack("<HH", 1, len(fields)) + fields
        # NOTE: the same padding rule as miniz's getPadding: the "FB" field's own 4 bytes count.
        pad = -(offset + 30 + len(fname) + len(extra) + 4) % ALIGNMENT
        extra += b"FB" + struct.pack("<H", pad) + b"Z" * pad
        self._write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 0, 0x0808, 0, 0, 0, 0, 0, 0,
                                len(fname), len(extra)) + fname + extra)
        crc = 0
        for start in range(0, size, _CHUNK):
            piece = mv[start:start + _CHUNK]
            crc = zlib.crc32(piece, crc)
            self._write(piece)
        fmt = "<IIQQ" if zip64 else "<IIII"
        self._write(struct.pack(fmt, 0x08074B50, crc, size, size))
        self._entries.append((fname, crc, size, offset))

    def finish(self):
        """Write the central directory and the end records."""
        cd_start = self._pos
        for fname, crc, size, offset in self._entries:
            extra = b""
            if size >= _U32 or offset >= _U32:
                fields = (struct.pack("<QQ", size, size) if size >= _U32 else b"") + (
                    struct.pack("<Q", offset) if offset >= _U32 else b"")
                extra = struct.pack("<HH", 1, len(fields)) + fields
            needed = 45 if extra else 0
            self._write(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 0, needed, 0x0808, 0, 0, 0,
                                    crc, min(size, _U32), min(size, _U32), len(fname), len(extra),
                                    0, 0, 0, 0, min(offset, _U32)) + fname + extra)
        n, cd_size, eocd64 = len(self._entries), self._pos - cd_start, self._pos
        self._write(struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 0x031E, 45, 0, 0, n, n, cd_size,
                                cd_start))
        self._write(struct.pack("<IIQI", 0x07064B50, 0, eocd64, 1))
        self._write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, min(n, 0xFFFF), min(n, 0xFFFF),
                                min(cd_size, _U32), min(cd_start, _U32), 0))


class ZipReader:
    """Read records of a torch-style archive by their name inside the archive folder.

    Raises :class:`zipfile.BadZipFile` (or ``OSError`` / ``EOFError``) on a damaged archive; the
    caller turns those into one clear error.
    """

    def __init__(self, f):
        self._zf = zipfile.ZipFile(f)
        names = self._zf.namelist()
        if not names:
            raise zipfile.BadZipFile("the zip archive has no records")
        # NOTE: like torch's reader: the folder of the first record is the archive's name
        # ('archive' for buffers, the file's stem for paths); every record lives under it.
        self.prefix = names[0].split("/", 1)[0] + "/" if "/" in names[0] else ""
        self._infos = {n[len(self.prefix):]: i for n, i in zip(names, self._zf.infolist())
                       if n.startswith(self.prefix)}

    def has(self, name):
        return name in self._infos

    def read(self, name):
        return self._zf.read(self._infos[name])

    def size(self, name):
        return self._infos[name].file_size

    def map_array(self, name, path):
        """The record's bytes as a copy-on-write memory map of ``path`` (``load(mmap=True)``):
        pages are read when touched and writes stay private, as with torch's MAP_PRIVATE.
        No CRC check: that would read everything."""
        info = self._infos[name]
        self._zf.fp.seek(info.header_offset)
        head = self._zf.fp.read(30)
        if len(head) != 30 or head[:4] != b"PK\x03\x04":
            raise zipfile.BadZipFile(f"bad local header for record '{name}'")
        start = info.header_offset + 30 + int.from_bytes(head[26:28], "little") + \
            int.from_bytes(head[28:30], "little")
        if info.file_size == 0:
            return np.empty(0, np.uint8)
        return np.memmap(path, np.uint8, "c", start, (info.file_size,)).view(np.ndarray)

    def read_array(self, name):
        """The record's bytes as a new writable ``uint8`` array (read once, CRC-checked)."""
        info = self._infos[name]
        out = np.empty(info.file_size, np.uint8)
        view = memoryview(out)
        with self._zf.open(info) as fh:
            got = 0
            while got < info.file_size:
                n = fh.readinto(view[got:])
                if not n:
                    raise EOFError(f"record '{name}' ends after {got} of {info.file_size} bytes")
                got += n
            fh.read(1)  # NOTE: reaching the end makes zipfile compare the CRC
        return out

    def close(self):
        self._zf.close()

"""What the TEDECO agent does with a request and its file before the deposit (TASK Collectivités' guide,
I/2b): read the request's ``key = value`` lines, expand the application reference's variables, check the
file's fixed-length records, compress it and cut it into segments.

The guide's "LempelZiv" is done with zlib (DEFLATE: LZ77, a Lempel-Ziv algorithm, then Huffman coding),
from the standard library; the segments are what would travel, kept in the partner's desk.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from ..model._tedeco import VARIABLES, TedecoSpace, TedecoSpool
from ..model.errors import MockPartnersError

__all__ = ["BadRequest", "Compressed", "MailRequest", "compress", "count_records", "read_request"]

ONE_FILE = "one file per request"
_CHUNK = 1 << 20
_MAX_REQUEST_BYTES = 64 * 1024


class BadRequest(MockPartnersError):
    """A request the agent cannot send: the mail fails at once with ``reason`` (and ``rule`` broken)."""

    def __init__(self, reason: str, rule: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.rule = rule


@dataclass(frozen=True)
class MailRequest:
    """A request as read: its fields, the reference with its variables expanded, the file it sends."""

    fields: Mapping[str, str]
    reference: str
    file: str

    @property
    def recipient(self) -> str:
        return self.fields.get("recipient", "")


@dataclass(frozen=True)
class Compressed:
    size: int
    compressed_size: int
    segments: int


def read_request(
    content: bytes, spec: TedecoSpool, space: TedecoSpace, number: str, suffix: str
) -> MailRequest:
    """The request ``rq<number>.<suffix>``; :class:`BadRequest` says what is wrong, in one line."""
    if len(content) > _MAX_REQUEST_BYTES:
        raise BadRequest(f"the request is {len(content)} bytes long: a request is a few key = value lines")
    fields = _fields(_decoded(content), spec)
    missing = [name for name in spec.required if not fields.get(name)]
    if missing:
        raise BadRequest(f"missing field(s): {', '.join(missing)}")
    _check_settings(fields, spec)
    expected = f"fi{number}.{suffix}"
    named = fields.get("file", "")
    if len(re.split(r"[\s,;]+", named.strip())) > 1:
        raise BadRequest(f"{ONE_FILE}: file = {named!r} names several files", rule="one-file-per-request")
    if named != expected:
        raise BadRequest(f"the file of rq{number}.{suffix} is {expected} (guide I/2b), not {named!r}")
    return MailRequest(fields, _expanded(fields, space), named)


def _decoded(content: bytes) -> str:
    """UTF-8, or Windows-1252 as a Windows scheduler writes it."""
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        return content.decode("cp1252", errors="replace")


def _fields(text: str, spec: TedecoSpool) -> dict[str, str]:
    fields: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", ";")):
            continue
        key, equals, value = stripped.partition("=")
        key = key.strip().lower()
        if not equals:
            raise BadRequest(f"line {number} is not 'key = value': {stripped[:60]!r}")
        if key not in spec.fields:
            raise BadRequest(f"unknown field {key[:40]!r} on line {number} (known: {', '.join(spec.fields)})")
        if key in fields:
            raise BadRequest(f"field {key!r} given twice (line {number})")
        fields[key] = value.strip()
    return fields


def _check_settings(fields: Mapping[str, str], spec: TedecoSpool) -> None:
    compression = fields.get("compression")
    if compression is not None and compression.lower() != spec.compression.lower():
        raise BadRequest(f"compression {compression!r}: the agent compresses with {spec.compression} only")
    length = fields.get("record_length")
    if length is not None and length != str(spec.record_length):
        raise BadRequest(f"record_length {length!r}: records are {spec.record_length} bytes (fixed length)")


def _expanded(fields: Mapping[str, str], space: TedecoSpace) -> str:
    """The reference with each ``varN`` replaced by its value (``7812345var3var4`` -> ``781234520060001``)."""
    for name in space.variables:
        value = fields.get(name, "")
        if not value.isdigit():
            raise BadRequest(
                f"{name} is required in space {space.application} and must be digits, got {value!r}"
            )
    if "var3" in space.variables and len(fields["var3"]) != 4:
        raise BadRequest(f"var3 is the reference year (4 digits), got {fields['var3']!r}")
    reference = fields.get("reference", "")
    for variable in VARIABLES:
        if variable in reference:
            if not fields.get(variable):
                raise BadRequest(
                    f"the reference {reference!r} uses {variable}, which the request does not give"
                )
            reference = reference.replace(variable, fields[variable])
    return reference


def count_records(handle: BinaryIO, length: int) -> int:
    """The number of fixed-length records of ``length`` bytes (separators excluded: guide E, "la taille des
    enregistrements (hors séparateurs)"), each followed by CR LF or LF, or none at all; rewound."""
    first = handle.read(length + 2)
    handle.seek(0)
    separator = (
        b"\r\n"
        if first[length : length + 2] == b"\r\n"
        else b"\n"
        if first[length : length + 1] == b"\n"
        else b""
    )
    count = 0
    while record := handle.read(length):
        count += 1
        if len(record) < length or b"\n" in record:
            raise BadRequest(f"record {count} is shorter than {length} bytes (fixed-length records)")
        if separator:
            after = handle.read(len(separator))
            if after and after != separator:
                raise BadRequest(f"record {count} is longer than {length} bytes (fixed-length records)")
    handle.seek(0)
    if count == 0:
        raise BadRequest("the file is empty: nothing to send")
    return count


def compress(handle: BinaryIO, folder: Path, segment_size: int) -> Compressed:
    """Compress the file into ``folder``: one segment, or several of at most ``segment_size`` bytes when
    the result is larger (guide I/2b: "Si fichier résultant > 2Mo, la segmentation < à 2Mo est mise en
    oeuvre")."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    compressor = zlib.compressobj(9)
    writer = _Segments(folder, segment_size)
    size = 0
    while chunk := handle.read(_CHUNK):
        size += len(chunk)
        writer.write(compressor.compress(chunk))
    writer.write(compressor.flush())
    writer.close()
    return Compressed(size, writer.written, writer.count)


class _Segments:
    """Compressed bytes written into ``segment.001``, ``segment.002``... each at most ``size`` bytes."""

    def __init__(self, folder: Path, size: int) -> None:
        self.folder = folder
        self.size = size
        self.count = 0
        self.written = 0
        self._current: BinaryIO | None = None
        self._room = 0

    def write(self, data: bytes) -> None:
        while data:
            if self._current is None or self._room == 0:
                self._next()
            assert self._current is not None
            piece, data = data[: self._room], data[self._room :]
            self._current.write(piece)
            self._room -= len(piece)
            self.written += len(piece)

    def _next(self) -> None:
        self.close()
        self.count += 1
        self._current = (self.folder / f"segment.{self.count:03d}").open("wb")
        self._room = self.size

    def close(self) -> None:
        if self._current is not None:
            self._current.close()
            self._current = None

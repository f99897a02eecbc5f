"""FastStream's binary envelope (version 1) for the raw Redis arms, as plugins/redis/_envelope.ts describes it:
identity, uint16 version, uint32 header-block offset, uint32 body offset, then uint16 header count and each
key and value as uint16 length + UTF-8, then the body (all integers big-endian)."""

import struct

IDENTITY = b"\x89BIN\r\n\x1a\n"


def read_envelope(data: bytes) -> tuple[dict, bytes]:
    """The headers and body of an envelope; bytes without the identity are a plain body."""
    if not data.startswith(IDENTITY):
        return {}, data
    headers_at, body_at = struct.unpack_from(">II", data, 10)
    (count,) = struct.unpack_from(">H", data, headers_at)
    at = headers_at + 2
    headers = {}
    for _ in range(count):
        (length,) = struct.unpack_from(">H", data, at)
        key = data[at + 2:at + 2 + length].decode()
        at += 2 + length
        (length,) = struct.unpack_from(">H", data, at)
        headers[key] = data[at + 2:at + 2 + length].decode()
        at += 2 + length
    return headers, data[body_at:]


def write_envelope(headers: dict, body: bytes) -> bytes:
    """An envelope of these headers and body, header lengths in UTF-8 bytes."""
    block = [struct.pack(">H", len(headers))]
    for key, value in headers.items():
        for text in (key.encode(), value.encode()):
            block.append(struct.pack(">H", len(text)) + text)
    header_bytes = b"".join(block)
    headers_at = len(IDENTITY) + 10
    return IDENTITY + struct.pack(">HII", 1, headers_at, headers_at + len(header_bytes)) + header_bytes + body

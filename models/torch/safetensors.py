"""A small safetensors reader and writer (torch and the standard library only; Debian has no
`safetensors` package). The format: an 8-byte little-endian header length N, N bytes of JSON
(each tensor's dtype, shape and data_offsets [begin, end) counted from the end of the header,
and "__metadata__", a string -> string map), then the raw little-endian tensor bytes."""
import ctypes
import json
import struct

import torch

DTYPES = {"F32": torch.float32, "F64": torch.float64, "I32": torch.int32, "I64": torch.int64,
          "U8": torch.uint8, "I8": torch.int8, "I16": torch.int16, "F16": torch.float16, "BF16": torch.bfloat16}
NAMES = {v: k for k, v in DTYPES.items()}


def loads(data):
    """bytes -> (tensors: {name: tensor}, metadata: {str: str}). Checks every offset against the
    buffer, and that the header is valid UTF-8 JSON."""
    if len(data) < 8:
        raise ValueError("safetensors: shorter than its 8-byte header length")
    (n,) = struct.unpack("<Q", data[:8])
    if n > len(data) - 8:
        raise ValueError(f"safetensors: header length {n} is past the end ({len(data)} bytes)")
    header = json.loads(data[8:8 + n].decode("utf-8"))
    meta = header.pop("__metadata__", {}) or {}
    body = memoryview(data)[8 + n:]
    tensors = {}
    for name, t in header.items():
        dtype = DTYPES[t["dtype"]]
        begin, end = t["data_offsets"]
        shape = [int(d) for d in t["shape"]]
        count = 1
        for d in shape:
            count *= d
        if not (0 <= begin <= end <= len(body)) or end - begin != count * torch.empty(0, dtype=dtype).element_size():
            raise ValueError(f"safetensors: tensor {name}: offsets {begin}..{end} do not fit its shape or the file")
        raw = bytearray(body[begin:end])
        tensors[name] = (torch.frombuffer(raw, dtype=dtype) if raw else torch.empty(0, dtype=dtype)).reshape(shape).clone()
    return tensors, {str(k): str(v) for k, v in meta.items()}


def load(path):
    with open(path, "rb") as f:
        return loads(f.read())


def dumps(tensors, metadata=None):
    """{name: tensor} (+ {str: str}) -> bytes, tensors in the order given, each 8-byte aligned."""
    header, chunks, off = {}, [], 0
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    for name, t in tensors.items():
        t = t.detach().contiguous().cpu()
        raw = ctypes.string_at(t.data_ptr(), t.numel() * t.element_size()) if t.numel() else b""
        header[name] = {"dtype": NAMES[t.dtype], "shape": list(t.shape), "data_offsets": [off, off + len(raw)]}
        chunks.append(raw)
        off += len(raw)
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(chunks)


def save(tensors, path, metadata=None):
    with open(path, "wb") as f:
        f.write(dumps(tensors, metadata))

"""Reads and writes the safetensors format by hand (numpy only), as the `safetensors` library lays it out.

File layout: 8-byte little-endian header length N, then N bytes of JSON header (padded with spaces so the
data starts 8-byte aligned), then the raw little-endian tensor bytes. The header maps each tensor name to
`{"dtype": "F32"|"F16"|"BF16"|"F64", "shape": [...], "data_offsets": [begin, end]}` (offsets relative to the
start of the data) plus an optional `"__metadata__"` dict of strings.

bfloat16 has no numpy dtype: it is stored as the top 16 bits of the float32 pattern (rounded to nearest even
when writing) and widened back by a 16-bit shift when reading.
"""

import json
import os
import struct

import numpy as np

_NUMPY_DTYPES = {"F32": "<f4", "F16": "<f2", "F64": "<f8"}
DTYPE_NAMES = {"float32": "F32", "float16": "F16", "bfloat16": "BF16", "float64": "F64"}


def float32_to_bf16_bits(values):
    """Rounds float32 values to bfloat16 (nearest, ties to even) and returns the 16-bit patterns."""
    bits = np.ascontiguousarray(values, dtype="<f4").view("<u4").astype(np.uint64)
    rounding = ((bits >> 16) & 1) + 0x7FFF
    return ((bits + rounding) >> 16).astype("<u2")


def bf16_bits_to_float32(bits):
    """Widens bfloat16 bit patterns (uint16) to float32 exactly."""
    return (bits.astype("<u4") << 16).view("<f4")


def encode_tensor(values, dtype_name):
    """Returns the raw little-endian bytes of `values` stored as safetensors dtype `dtype_name`."""
    if dtype_name == "BF16":
        return float32_to_bf16_bits(values).tobytes()
    return np.ascontiguousarray(values, dtype=_NUMPY_DTYPES[dtype_name]).tobytes()


def write_safetensors(path, tensors, dtype_name, metadata=None):
    """Writes `tensors` (name -> float array) to `path`, every tensor converted to `dtype_name`.

    Tensors are laid out in name order; the header is space-padded so the data starts 8-byte aligned.
    """
    header = {"__metadata__": metadata if metadata is not None else {"format": "pt"}}
    chunks = []
    offset = 0
    for name in sorted(tensors):
        data = encode_tensor(tensors[name], dtype_name)
        header[name] = {
            "dtype": dtype_name,
            "shape": list(np.shape(tensors[name])),
            "data_offsets": [offset, offset + len(data)],
        }
        chunks.append(data)
        offset += len(data)
    header_bytes = json.dumps(header, separators=(",", ":")).encode("utf-8")
    header_bytes += b" " * ((8 - (8 + len(header_bytes)) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(header_bytes)))
        f.write(header_bytes)
        for chunk in chunks:
            f.write(chunk)
    return offset


def read_safetensors(path):
    """Reads every tensor of a safetensors file as float32 (float64 stays float64); returns name -> array."""
    with open(path, "rb") as f:
        raw = f.read()
    (header_len,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + header_len].decode("utf-8"))
    data = memoryview(raw)[8 + header_len :]
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        dtype = info["dtype"]
        if dtype == "BF16":
            values = bf16_bits_to_float32(np.frombuffer(data[begin:end], dtype="<u2"))
        elif dtype in _NUMPY_DTYPES:
            values = np.frombuffer(data[begin:end], dtype=_NUMPY_DTYPES[dtype])
            values = values.astype(np.float64 if dtype == "F64" else np.float32)
        else:
            raise ValueError(f"{path}: tensor {name} has dtype {dtype}; expected F32, F16, BF16 or F64")
        out[name] = values.reshape(info["shape"])
    return out


def read_checkpoint_weights(model_dir):
    """Reads `model.safetensors`, or every shard listed in `model.safetensors.index.json`, from `model_dir`."""
    index_path = os.path.join(model_dir, "model.safetensors.index.json")
    if os.path.exists(index_path):
        with open(index_path, encoding="utf-8") as f:
            weight_map = json.load(f)["weight_map"]
        weights = {}
        for shard in sorted(set(weight_map.values())):
            weights.update(read_safetensors(os.path.join(model_dir, shard)))
        missing = sorted(set(weight_map) - set(weights))
        if missing:
            raise ValueError(f"{index_path} lists tensors no shard holds: {missing[:5]}")
        return weights
    single = os.path.join(model_dir, "model.safetensors")
    if not os.path.exists(single):
        raise FileNotFoundError(f"{model_dir} has neither model.safetensors nor model.safetensors.index.json")
    return read_safetensors(single)

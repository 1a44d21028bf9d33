"""What the reference generators share: a strict safetensors writer and reader, and compact JSON output.

The safetensors format is written and read by hand so that the fixtures do not depend on the assumptions of the
library under test.
"""
import json
import os
import math
import struct

import torch

SIGNIFICANT_DIGITS = 7


class RandomParameters:
    """Seeded-stream draws for the tensors of a checkpoint: linear weights ~ N(0, std), norm weights near 1, biases
    near 0 (so that every parameter matters to the outputs)."""

    def __init__(self, weight_std):
        self.weight_std = weight_std

    def matrix(self, *shape):
        return torch.randn(*shape) * self.weight_std

    def norm_weight(self, n):
        return 1.0 + 0.1 * torch.randn(n)

    def bias(self, n):
        return 0.1 * torch.randn(n)


def f32_bytes(tensor):
    # numpy's '<f4' pins little-endian whatever the host is.
    return tensor.detach().to(torch.float32).contiguous().numpy().astype("<f4").tobytes()


def write_safetensors(path, tensors):
    header, chunks, offset = {}, [], 0
    for name, tensor in tensors.items():  # data laid out contiguously in header order
        data = f32_bytes(tensor)
        header[name] = {"dtype": "F32", "shape": list(tensor.shape), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    header["__metadata__"] = {"format": "pt"}
    header_bytes = json.dumps(header, separators=(",", ":")).encode("utf-8")
    # Pad with spaces to a multiple of 8 (as the safetensors library does) so the data section is 8-byte aligned.
    header_bytes += b" " * (-len(header_bytes) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(header_bytes)))
        f.write(header_bytes)
        for chunk in chunks:
            f.write(chunk)


def read_safetensors(path):
    """Parses the file strictly: every byte after the header must belong to exactly one tensor."""
    with open(path, "rb") as f:
        blob = f.read()
    if len(blob) < 8:
        raise ValueError("file shorter than the 8-byte header length")
    (header_len,) = struct.unpack("<Q", blob[:8])
    if 8 + header_len > len(blob):
        raise ValueError(f"header length {header_len} runs past the end of the {len(blob)}-byte file")
    header = json.loads(blob[8:8 + header_len].decode("utf-8"))
    data = blob[8 + header_len:]
    metadata = header.pop("__metadata__", None)
    tensors, expected_begin = {}, 0
    for name, entry in sorted(header.items(), key=lambda item: item[1]["data_offsets"][0]):
        begin, end = entry["data_offsets"]
        if entry["dtype"] != "F32":
            raise ValueError(f"{name}: dtype {entry['dtype']}, expected F32")
        if begin != expected_begin:
            raise ValueError(f"{name}: begins at {begin}, expected {expected_begin} (gap or overlap)")
        if end - begin != 4 * math.prod(entry["shape"]):
            raise ValueError(f"{name}: {end - begin} bytes for shape {entry['shape']}")
        values = torch.frombuffer(bytearray(data[begin:end]), dtype=torch.float32)  # host is checked little-endian
        tensors[name] = values.reshape(entry["shape"])
        expected_begin = end
    if expected_begin != len(data):
        raise ValueError(f"tensors cover {expected_begin} of the {len(data)} data bytes")
    return list(header), metadata, tensors


def rounded(values):
    return [float(f"{float(v):.{SIGNIFICANT_DIGITS}g}") for v in values]


def compact_json(obj, indent=0):
    """Indented JSON, except that lists of scalars stay on one line."""
    pad, inner = " " * indent, " " * (indent + 2)
    if isinstance(obj, dict):
        items = [f"{inner}{json.dumps(k)}: {compact_json(v, indent + 2)}" for k, v in obj.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(obj, list) and any(isinstance(v, (dict, list)) for v in obj):
        return "[\n" + ",\n".join(inner + compact_json(v, indent + 2) for v in obj) + "\n" + pad + "]"
    if isinstance(obj, list):
        return "[" + ", ".join(format(v, f".{SIGNIFICANT_DIGITS}g") if isinstance(v, float) else json.dumps(v)
                               for v in obj) + "]"
    return json.dumps(obj)


def write_checkpoint(out_dir, config, weights):
    """config.json and model.safetensors in out_dir; returns the weights read back from the file, in float64, so
    that a reference runs on exactly the committed bytes."""
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(config, f, indent=2, sort_keys=True)
        f.write("\n")
    path = os.path.join(out_dir, "model.safetensors")
    write_safetensors(path, weights)
    _, _, loaded = read_safetensors(path)
    return {k: t.double() for k, t in loaded.items()}


def write_reference(out_dir, reference):
    with open(os.path.join(out_dir, "reference.json"), "w") as f:
        f.write(compact_json(reference) + "\n")

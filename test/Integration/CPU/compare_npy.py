"""Exits 1 unless two .npy arrays agree: ||a - b|| / ||a|| <= tolerance.

Plain Python (no numpy), for the float32/float64 little-endian C-order arrays
attn-run writes. Usage: compare_npy.py A.npy B.npy [TOLERANCE]
"""
import ast
import math
import struct
import sys


def load(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:6] != b"\x93NUMPY":
        sys.exit(f"{path}: not a .npy file")
    major = data[6]
    size_fmt, start = ("<H", 10) if major == 1 else ("<I", 12)
    (header_len,) = struct.unpack(size_fmt, data[8:start])
    header = ast.literal_eval(data[start:start + header_len].decode("latin1"))
    fmt = {"<f4": "f", "<f8": "d"}.get(header["descr"])
    if fmt is None or header["fortran_order"]:
        sys.exit(f"{path}: unsupported array {header}")
    body = data[start + header_len:]
    count = len(body) // struct.calcsize(fmt)
    return header["shape"], struct.unpack(f"<{count}{fmt}", body)


def main():
    (shape_a, a), (shape_b, b) = load(sys.argv[1]), load(sys.argv[2])
    tolerance = float(sys.argv[3]) if len(sys.argv) > 3 else 1e-5
    if shape_a != shape_b:
        sys.exit(f"shapes differ: {shape_a} vs {shape_b}")
    diff = math.sqrt(sum((x - y) ** 2 for x, y in zip(a, b)))
    norm = math.sqrt(sum(x * x for x in a))
    rel = diff / norm if norm else diff
    print(f"rel_err {rel:.3e} (tolerance {tolerance:.1e}) "
          + ("ok" if rel <= tolerance else "FAIL"))
    sys.exit(0 if rel <= tolerance else 1)


if __name__ == "__main__":
    main()

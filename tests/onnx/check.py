"""The ONNX tests' checks (tests/onnx/run.sh):
    check.py compare WHAT A B      two tensor files agree: |a - b| <= 1e-5 (1 + |b|)
    check.py valid MODEL.onnx      onnx.checker (full) and strict shape inference pass
    check.py reshape IN OUT D...   IN's values under the dimensions D (an input for another model)
"""
import sys

import numpy as np


def read(path):
    b = open(path, "rb").read()
    nd = int(np.frombuffer(b[:8], dtype=np.int64)[0])
    dims = np.frombuffer(b[8:8 + 8 * nd], dtype=np.int64)
    return np.frombuffer(b[8 + 8 * nd:], dtype=np.float32).reshape(dims)


def main():
    if sys.argv[1] == "compare":
        what, a, b = sys.argv[2], read(sys.argv[3]), read(sys.argv[4])
        if a.shape != b.shape:
            sys.exit("%s: shapes %s and %s" % (what, a.shape, b.shape))
        err = np.abs(a.astype(np.float64) - b) / (1 + np.abs(b))
        print("%s: %d values, largest difference %.2e (relative to 1 + |value|)" % (what, a.size, err.max()))
        sys.exit(0 if err.max() <= 1e-5 else 1)
    if sys.argv[1] == "reshape":
        a = read(sys.argv[2]).reshape([int(d) for d in sys.argv[4:]])
        with open(sys.argv[3], "wb") as f:
            f.write(np.array([a.ndim] + list(a.shape), dtype=np.int64).tobytes())
            f.write(a.tobytes())
        return
    import onnx
    m = onnx.load(sys.argv[2])
    onnx.checker.check_model(m, full_check=True)
    onnx.shape_inference.infer_shapes(m, check_type=True, strict_mode=True)
    print("%s: onnx.checker and shape inference pass (opset %d, %d nodes)" % (sys.argv[2], m.opset_import[0].version,
                                                                            len(m.graph.node)))


if __name__ == "__main__":
    main()

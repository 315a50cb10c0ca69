"""An independent reference of axon's int8 arithmetic, in numpy.

Reads a quantized model (`axon quantize`'s safetensors file, parsed here
from the format's definition) and a check file (`axon export-c
--check-out`: int8 inputs and the outputs axon's C kernels computed on the
host), recomputes every output from the model's integers alone, and fails
unless they equal the host's bit for bit. It also checks that each stored
multiplier and shift stand for input scale x weight scale / output scale.

    reference.py MODEL.q.safetensors check.bin
"""
import json
import struct
import sys

import numpy as np

DTYPES = {"I8": np.int8, "I32": np.int32, "F32": np.float32}


def read_safetensors(path):
    blob = open(path, "rb").read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n])
    meta = header.pop("__metadata__", {})
    data = blob[8 + n:]
    tensors = {}
    for name, t in header.items():
        b, e = t["data_offsets"]
        tensors[name] = np.frombuffer(data[b:e], dtype=DTYPES[t["dtype"]]).reshape(t["shape"])
    return tensors, meta


def read_check(path, n_in, n_out):
    blob = open(path, "rb").read()
    magic, version, kind, n, ni, no = struct.unpack("<6I", blob[:24])
    assert magic == 0x43515841 and version == 1 and kind == 1, "not an int8 check file"
    assert (ni, no) == (n_in, n_out), "the check file is of another model"
    rec = np.frombuffer(blob[24:], dtype=np.int8).reshape(n, 4 + ni + no)
    return rec[:, 4:4 + ni].astype(np.int64), rec[:, 4 + ni:].astype(np.int64)


def requantize(x, mult, shift):
    """round(x mult 2^(shift - 31)), halves up: Python integers, no float."""
    x = np.asarray(x, dtype=object)
    mult = np.broadcast_to(np.asarray(mult, dtype=object), x.shape)
    shift = np.broadcast_to(np.asarray(shift, dtype=object), x.shape)
    out = np.empty(x.shape, dtype=object)
    for idx in np.ndindex(x.shape):
        m, s = int(mult[idx]), int(shift[idx])
        if m == 0:
            out[idx] = 0
            continue
        t = 31 - s
        out[idx] = max(-2**31, min(2**31 - 1, (int(x[idx]) * m + (1 << (t - 1))) >> t))
    return out.astype(np.int64)


def requantize_fast(x, mult, shift):
    """The same in int64 numpy (x mult < 2^62): used on whole batches."""
    x = np.asarray(x, dtype=np.int64)
    mult = np.asarray(mult, dtype=np.int64)
    t = 31 - np.asarray(shift, dtype=np.int64)
    r = (x * mult + (np.int64(1) << (t - 1))) >> t
    r = np.where(mult == 0, 0, r)
    return np.clip(r, -2**31, 2**31 - 1)


def act_range(layer, out_zp):
    lo = max(-128, out_zp) if layer["relu"] else -128
    return lo, 127


def conv(x, w, bias, mult, shift, L, zp_in, zp_out, lo, hi):
    n = x.shape[0]
    C, H, W = L["c_in"], L["h_in"], L["w_in"]
    O, OH, OW, KH, KW = L["c_out"], L["h_out"], L["w_out"], L["kh"], L["kw"]
    sh, sw, dh, dw, g = L["stride_h"], L["stride_w"], L["dilation_h"], L["dilation_w"], L["groups"]
    pt, pl = L["pad_top"], L["pad_left"]
    x = x.reshape(n, C, H, W)
    need_h = (OH - 1) * sh + (KH - 1) * dh + 1
    need_w = (OW - 1) * sw + (KW - 1) * dw + 1
    # padding holds the code of a real 0: the input's zero point
    xp = np.full((n, C, max(need_h, pt + H), max(need_w, pl + W)), zp_in, dtype=np.int64)
    xp[:, :, pt:pt + H, pl:pl + W] = x
    xp = xp - zp_in
    w = w.reshape(O, C // g, KH, KW).astype(np.int64)
    acc = np.zeros((n, O, OH, OW), dtype=np.int64) + bias.astype(np.int64)[None, :, None, None]
    cg, og = C // g, O // g
    for gi in range(g):
        xs = xp[:, gi * cg:(gi + 1) * cg]
        ws = w[gi * og:(gi + 1) * og]
        for ky in range(KH):
            for kx in range(KW):
                patch = xs[:, :, ky * dh:ky * dh + (OH - 1) * sh + 1:sh, kx * dw:kx * dw + (OW - 1) * sw + 1:sw]
                acc[:, gi * og:(gi + 1) * og] += np.einsum("ncyx,oc->noyx", patch, ws[:, :, ky, kx])
    y = requantize_fast(acc, mult[None, :, None, None], shift[None, :, None, None]) + zp_out
    return np.clip(y, lo, hi).reshape(n, -1)


def pool(x, L, zp, kind):
    n = x.shape[0]
    C, H, W, OH, OW = L["c"], L["h_in"], L["w_in"], L["h_out"], L["w_out"]
    KH, KW, sh, sw, pt, pl = L["kh"], L["kw"], L["stride_h"], L["stride_w"], L["pad_top"], L["pad_left"]
    x = x.reshape(n, C, H, W)
    out = np.zeros((n, C, OH, OW), dtype=np.int64)
    for oy in range(OH):
        for ox in range(OW):
            y0, x0 = oy * sh - pt, ox * sw - pl
            ys, xs = slice(max(y0, 0), min(y0 + KH, H)), slice(max(x0, 0), min(x0 + KW, W))
            win = x[:, :, ys, xs].reshape(n, C, -1)
            if kind == "max_pool2d":
                out[:, :, oy, ox] = win.max(axis=2)
                continue
            s = win.sum(axis=2)
            count = win.shape[2]
            if L["count_include_pad"]:
                s = s + (KH * KW - count) * zp
                count = KH * KW
            out[:, :, oy, ox] = np.sign(s) * ((np.abs(s) + count // 2) // count)
    return np.clip(out, -128, 127).reshape(n, -1)


def run(model, tensors, x):
    vals = {0: x}
    ts = model["tensors"]
    for i, L in enumerate(model["layers"]):
        a = vals[L["inputs"][0]]
        zi, zo = ts[L["inputs"][0]]["zero_point"], ts[L["output"]]["zero_point"]
        lo, hi = act_range(L, zo)
        k = L["kind"]
        p = lambda s: tensors["layer%d.%s" % (i, s)]
        if k == "dense":
            acc = (a - zi) @ p("weight").reshape(L["out"], L["in"]).astype(np.int64).T + p("bias")
            y = np.clip(requantize_fast(acc, p("multiplier"), p("shift")) + zo, lo, hi)
        elif k == "conv2d":
            y = conv(a, p("weight"), p("bias"), p("multiplier"), p("shift"), L, zi, zo, lo, hi)
        elif k in ("max_pool2d", "avg_pool2d"):
            y = pool(a, L, zi, k)
        elif k == "add":
            b = vals[L["inputs"][1]]
            zb = ts[L["inputs"][1]]["zero_point"]
            sa = requantize_fast((a - zi) << L["left_shift"], L["a_mult"], L["a_shift"])
            sb = requantize_fast((b - zb) << L["left_shift"], L["b_mult"], L["b_shift"])
            s = np.clip(sa + sb, -2**31, 2**31 - 1)
            y = np.clip(requantize_fast(s, L["out_mult"], L["out_shift"]) + zo, lo, hi)
        elif k == "unary":
            y = p("table").astype(np.int64)[a + 128]
        elif k == "softmax":
            t = p("table").astype(np.int64)
            classes = ts[L["output"]]["shape"][-1]
            r = a.reshape(a.shape[0], -1, classes)
            e = t[r.max(axis=2, keepdims=True) - r]
            s = e.sum(axis=2, keepdims=True)
            y = np.clip((e * 256 + s // 2) // s - 128, -128, 127).reshape(a.shape[0], -1)
        else:
            raise SystemExit("unknown layer kind %s" % k)
        vals[L["output"]] = y
    return vals[model["output"]]


def check_multipliers(model, tensors):
    """Each multiplier and shift against the scales they stand for."""
    ts = model["tensors"]
    worst = 0.0
    for i, L in enumerate(model["layers"]):
        if L["kind"] not in ("dense", "conv2d"):
            continue
        s_in, s_out = ts[L["inputs"][0]]["scale"], ts[L["output"]]["scale"]
        ws = tensors["layer%d.weight_scale" % i].astype(np.float64)
        m = tensors["layer%d.multiplier" % i].astype(np.float64)
        sh = tensors["layer%d.shift" % i].astype(np.float64)
        real = s_in * ws / s_out
        got = m * 2.0 ** (sh - 31)
        ok = m > 0
        worst = max(worst, float(np.max(np.abs(got[ok] - real[ok]) / real[ok])) if ok.any() else 0.0)
    return worst


def main():
    tensors, meta = read_safetensors(sys.argv[1])
    model = json.loads(meta["quantized"])
    ts = model["tensors"]
    n_in = int(np.prod(ts[0]["shape"]))
    n_out = int(np.prod(ts[model["output"]]["shape"]))
    x, expected = read_check(sys.argv[2], n_in, n_out)
    got = np.zeros_like(expected)
    for b in range(0, x.shape[0], 100):
        got[b:b + 100] = run(model, tensors, x[b:b + 100])
    # the exact integer requantization (Python integers) agrees with the int64 one used above
    probe = np.array([0, 1, -1, 12345, -12345, 2**31 - 1, -2**31], dtype=np.int64)
    assert (requantize(probe, 1 << 30, 0) == requantize_fast(probe, 1 << 30, 0)).all()
    rel = check_multipliers(model, tensors)
    bad = int((got != expected).any(axis=1).sum())
    print("reference: %d samples, %d differ from axon's host kernels; largest multiplier error %.2e (relative)"
          % (x.shape[0], bad, rel))
    sys.exit(1 if bad or rel > 2.0 ** -30 else 0)


if __name__ == "__main__":
    main()

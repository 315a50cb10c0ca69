#!/usr/bin/env python3
"""Check what axon computed (torch_dump's file) against PyTorch.

Every activation's forward and gradient, every loss's value and
gradients, and every optimizer's first 10 steps are recomputed by PyTorch
in float64 from the same float32 inputs, and compared element by element:
|axon - torch| <= 1e-5 * |torch| + 1e-6 (1e-5 relative; the absolute term
covers values near zero, where float32's own rounding is larger than a
relative bound). Exits 1 naming each mismatch; prints one line per case.

    compare.py DUMP_FILE
"""
import math
import sys

import torch
import torch.nn.functional as F

RTOL, ATOL = 1e-5, 1e-6
torch.set_default_dtype(torch.float64)


def parse(path):
    cases, cur = [], None
    with open(path) as f:
        for line in f:
            parts = line.split()
            if not parts:
                continue
            if parts[0] == "case":
                cur = {"kind": parts[1], "name": parts[2], "args": parts[3:], "v": {}}
            elif parts[0] == "end":
                cases.append(cur)
            else:
                n = int(parts[1])
                cur["v"][parts[0]] = torch.tensor([float(x) for x in parts[2:2 + n]])
    return cases


def kv(args):
    out = {}
    for a in args:
        k, v = a.split("=")
        out[k] = v
    return out


def activation(name, x, p):
    p0, p1, n = float(p["p0"]), float(p["p1"]), int(p["n_params"])
    table = {
        "identity": lambda x: x * 1.0,
        "step": lambda x: (x > 0).to(x.dtype),
        "sigmoid": torch.sigmoid,
        "tanh": torch.tanh,
        "relu": F.relu,
        "selu": F.selu,
        "softsign": F.softsign,
        "mish": F.mish,
        "sinc": lambda x: torch.sinc(x / math.pi),
        "log_sigmoid": F.logsigmoid,
        "arctan": torch.atan,
        "gelu": F.gelu,
        "erf": torch.erf,
        "hard_sigmoid": F.hardsigmoid,
        "leaky_relu": lambda x: F.leaky_relu(x, p0 if n else 0.01),
        "elu": lambda x: F.elu(x, p0 if n else 1.0),
        "softplus": lambda x: F.softplus(x, p0 if n else 1.0, p1 if n > 1 else 20.0),
        "swish": lambda x: x * torch.sigmoid((p0 if n else 1.0) * x),
        "rrelu": lambda x: F.rrelu(x, p0, p1, training=False),
    }
    return table[name](x)


def structured(name, v):
    x = v["x"].reshape(2, 3, 4).requires_grad_()
    a = v["a"].clone().requires_grad_() if "a" in v else None
    if name == "softmax":
        y = F.softmax(x, dim=1)
    elif name == "log_softmax":
        y = F.log_softmax(x, dim=2)
    elif name == "prelu":
        y = F.prelu(x, a)
    else:
        y = x.reshape(2, 4, 3).max(dim=2).values
    y.backward(v["dy"].reshape(y.shape))
    out = {"y": y.detach().flatten(), "dx": x.grad.flatten()}
    if a is not None:
        out["da"] = a.grad
    return out


def loss(name, v, p):
    sparse, red = p["sparse"] == "1", p["reduction"]
    eps, delta = float(p["smoothing"]), float(p["delta"])
    P = v["p"].reshape(5, 4).clone().requires_grad_()
    if sparse:
        T = v["t"].long()
    else:
        T = v["t"].reshape(5, 4).clone().requires_grad_()
    w = v.get("w")
    if name == "mse":
        L = F.mse_loss(P, T, reduction=red)
    elif name == "sse":
        L = 0.5 * ((P - T) ** 2).sum()
    elif name == "mae":
        L = F.l1_loss(P, T, reduction=red)
    elif name == "huber":
        L = F.huber_loss(P, T, reduction=red, delta=delta)
    elif name == "binary_cross_entropy":
        L = F.binary_cross_entropy(P, T, reduction=red)
    elif name == "binary_cross_entropy_with_logits":
        L = F.binary_cross_entropy_with_logits(P, T, reduction=red)
    elif name == "softmax_cross_entropy":
        L = F.cross_entropy(P, T, weight=w, reduction=red, label_smoothing=eps)
    elif name == "categorical_cross_entropy":
        # PyTorch's cross_entropy with log_softmax(x) replaced by log p (as
        # its nll_loss + label-smoothing path computes it)
        logp = torch.log(P.clamp(min=1e-7))
        C = P.shape[1]
        wv = w if w is not None else torch.ones(C)
        nll = F.nll_loss(logp, T, weight=w, reduction=red)
        smooth = -(logp * wv).sum(1)
        smooth = smooth.sum() / (wv[T].sum() if red == "mean" else 1.0)
        L = (1 - eps) * nll + eps / C * smooth
    else:
        raise KeyError(name)
    L.backward()
    out = {"loss": L.detach().reshape(1), "dp": P.grad.flatten()}
    if not sparse:
        out["dt"] = T.grad.flatten()
    return out


def conv(v, p):
    i = {k: int(x) for k, x in p.items()}
    x = v["x"].reshape(i["n"], i["c"], i["h"], i["w"]).requires_grad_()
    w = v["w"].reshape(i["o"], i["c"] // i["groups"], i["kh"], i["kw"]).requires_grad_()
    b = v["b"].clone().requires_grad_()
    y = F.conv2d(x, w, b, stride=(i["sh"], i["sw"]), padding=(i["ph"], i["pw"]),
                 dilation=(i["dh"], i["dw"]), groups=i["groups"])
    y.backward(v["dy"].reshape(y.shape))
    return {"y": y.detach().flatten(), "dx": x.grad.flatten(), "dw": w.grad.flatten(), "db": b.grad}


def pool(name, v, p):
    i = {k: int(x) for k, x in p.items()}
    x = v["x"].reshape(2, 3, i["h"], i["w"]).requires_grad_()
    k, s, pad = (i["kh"], i["kw"]), (i["sh"], i["sw"]), (i["ph"], i["pw"])
    if name == "max_pool2d":
        y = F.max_pool2d(x, k, s, pad)
    else:
        y = F.avg_pool2d(x, k, s, pad, count_include_pad=bool(i["include"]))
    y.backward(v["dy"].reshape(y.shape))
    return {"y": y.detach().flatten(), "dx": x.grad.flatten()}


def batch_norm(v, p):
    training = p["training"] == "1"
    bn = torch.nn.BatchNorm2d(3, eps=float(p["eps"]), momentum=float(p["momentum"]))
    with torch.no_grad():
        bn.weight.copy_(v["gamma"]); bn.bias.copy_(v["beta"])
        bn.running_mean.copy_(v["rm0"]); bn.running_var.copy_(v["rv0"])
    bn.train(training)
    with torch.no_grad():
        bn(v["x1"].reshape(4, 3, 5, 3))
    x = v["x"].reshape(4, 3, 5, 3).requires_grad_()
    y = bn(x)
    y.backward(v["dy"].reshape(y.shape))
    return {"y": y.detach().flatten(), "dx": x.grad.flatten(), "dgamma": bn.weight.grad,
            "dbeta": bn.bias.grad, "rm": bn.running_mean, "rv": bn.running_var}


def layernorm(v, p):
    ln = torch.nn.LayerNorm([4, 5], eps=float(p["eps"]))
    with torch.no_grad():
        ln.weight.copy_(v["w"].reshape(4, 5)); ln.bias.copy_(v["b"].reshape(4, 5))
    x = v["x"].reshape(3, 4, 5).requires_grad_()
    y = ln(x)
    y.backward(v["dy"].reshape(y.shape))
    return {"y": y.detach().flatten(), "dx": x.grad.flatten(), "dw": ln.weight.grad.flatten(),
            "db": ln.bias.grad.flatten()}


def heads(v, p):
    """Two inputs, two heads: h = tanh(deep W_h^T + b_h); y = [wide, h] W_y^T + b_y;
    kind = h W_k^T + b_k; loss = mse(y, t_y) + weight * cross_entropy(kind, t_kind)."""
    w = {k: v[k].clone().requires_grad_() for k in ("h.weight", "h.bias", "y_out.weight", "y_out.bias",
                                                     "kind_out.weight", "kind_out.bias")}
    h = torch.tanh(F.linear(v["deep"].reshape(4, 3), w["h.weight"].reshape(5, 3), w["h.bias"]))
    y = F.linear(torch.cat([v["wide"].reshape(4, 2), h], 1), w["y_out.weight"].reshape(1, 7), w["y_out.bias"])
    kind = F.linear(h, w["kind_out.weight"].reshape(3, 5), w["kind_out.bias"])
    loss_y = F.mse_loss(y, v["t_y"].reshape(4, 1))
    loss_kind = F.cross_entropy(kind, v["t_kind"].long())
    loss = loss_y + float(p["weight"]) * loss_kind
    loss.backward()
    want = {"loss_y": loss_y.detach().reshape(1), "loss_kind": loss_kind.detach().reshape(1),
            "loss": loss.detach().reshape(1)}
    want.update({"d_" + k: t.grad.flatten() for k, t in w.items()})
    return want


def shape_op(name, v, shapes):
    """The shape ops of dump.c's shape_case, with the shapes it records."""
    if name == "embedding":
        w = v["w"].reshape(6, 3).requires_grad_()
        y = F.embedding(v["ix"].long().reshape(2, 4), w)
        y.backward(v["dy"].reshape(y.shape))
        return {"y": y.detach().flatten(), "dw": w.grad.flatten()}
    sa, sb = shapes[name]
    a = v["a"].reshape(sa).requires_grad_()
    b = v["b"].reshape(sb).requires_grad_() if sb else None
    ops = {"add": lambda: a + b, "sub": lambda: a - b, "mul": lambda: a * b, "div": lambda: a / b,
           "slice": lambda: a[:, 1:6:2], "concat": lambda: torch.cat([a, b], dim=2),
           "transpose": lambda: a.permute(0, 2, 3, 1), "bmm": lambda: a.transpose(-1, -2) @ b.transpose(-1, -2),
           "bmm_shared": lambda: a @ b}
    y = ops[name]()
    y.backward(v["dy"].reshape(y.shape))
    out = {"y": y.detach().flatten(), "da": a.grad.flatten()}
    if b is not None:
        out["db"] = b.grad.flatten()
    return out


def recurrent(name, v, p):
    """torch.nn.RNN/LSTM/GRU (batch_first) with axon's weights by name,
    packed sequences for lengths, seeded on the output and final states
    (h_n, c_n as [N, layers * directions, H])."""
    L, D, bias = int(p["layers"]), int(p["directions"]), p["bias"] == "1"
    N, T, I, H = 3, 5, 4, 3
    kw = dict(input_size=I, hidden_size=H, num_layers=L, bias=bias, batch_first=True, bidirectional=D == 2)
    if name.startswith("rnn"):
        net = torch.nn.RNN(nonlinearity="relu" if name == "rnn_relu" else "tanh", **kw)
    else:
        net = (torch.nn.LSTM if name == "lstm" else torch.nn.GRU)(**kw)
    params = dict(net.named_parameters())
    with torch.no_grad():
        for k, t in params.items():
            t.copy_(v["rnn." + k].reshape(t.shape))
    x = v["x"].reshape(N, T, I).clone().requires_grad_()
    states = []
    for key in ("h0", "c0"):
        if key in v:
            states.append(v[key].reshape(N, L * D, H).transpose(0, 1).contiguous().requires_grad_())
    hx = None if not states else (tuple(states) if name == "lstm" else states[0])
    inp = x
    if "lengths" in v:
        inp = torch.nn.utils.rnn.pack_padded_sequence(x, v["lengths"].long(), batch_first=True, enforce_sorted=False)
    out, hn = net(inp, hx)
    if "lengths" in v:
        out, _ = torch.nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=T)
    finals = list(hn) if name == "lstm" else [hn]
    # dump.c joins them per sample: [N, T D H + (L D H) per state]
    allv = torch.cat([out.reshape(N, -1)] + [f.transpose(0, 1).reshape(N, -1) for f in finals], dim=1).flatten()
    (allv * v["seed"]).sum().backward()
    want = {"all": allv.detach(), "dx": x.grad.flatten()}
    for key, s in zip(("dh0", "dc0"), states):
        want[key] = s.grad.transpose(0, 1).flatten()
    for k, t in params.items():
        want["d:rnn." + k] = t.grad.flatten()
    return want


def read_safetensors(path):
    """Read the file by the format's definition: its F32 tensors (float64,
    the shapes the header names) and its metadata."""
    import json
    import struct
    raw = open(path, "rb").read()
    (n,) = struct.unpack_from("<Q", raw, 0)
    header, data = json.loads(raw[8:8 + n]), raw[8 + n:]
    out = {}
    for name, t in header.items():
        if name != "__metadata__":
            assert t["dtype"] == "F32"
            b, e = t["data_offsets"]
            out[name] = torch.frombuffer(bytearray(data[b:e]), dtype=torch.float32).reshape(t["shape"]).double()
    return out, header.get("__metadata__", {})


def safetensors(path, v):
    """axon's file read as PyTorch sees it: its tensors, flattened, for the
    values dump.c wrote, and its metadata."""
    tensors, meta = read_safetensors(path)
    assert meta == {"format": "axon"}
    assert set(tensors) == set(v), f"tensors {sorted(tensors)} against {sorted(v)}"
    return {name: t.flatten() for name, t in tensors.items()}


def write_safetensors(path, tensors):
    """The format by its definition: an 8-byte header length, the JSON
    header (padded with spaces to 8 bytes), the little-endian data."""
    import json
    import struct
    header, blobs, off = {}, [], 0
    for name, t in tensors.items():
        b = t.detach().float().contiguous().numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def lstm_files(path, v):
    """axon's LSTM file loaded into torch.nn.LSTM (strict), and a PyTorch
    LSTM's state dict written for `torch_dump --check-torch-lstm`."""
    N, T, I, H = 3, 5, 4, 3
    net = torch.nn.LSTM(I, H, num_layers=2, batch_first=True, bidirectional=True)
    tensors, _ = read_safetensors(path)
    net.load_state_dict({k[len("rnn."):]: t for k, t in tensors.items()}, strict=True)
    x = v["x"].reshape(N, T, I)
    with torch.no_grad():
        out, (h, c) = net(x)
    want = {"output": out.flatten(), "h_n": h.transpose(0, 1).flatten(), "c_n": c.transpose(0, 1).flatten()}
    torch.manual_seed(5)
    theirs = torch.nn.LSTM(I, H, num_layers=2, batch_first=True, bidirectional=True).float().double()  # float32 values
    stem = path[:-len(".lstm.safetensors")]
    write_safetensors(stem + ".torch.safetensors", {"rnn." + k: t for k, t in theirs.state_dict().items()})
    x2 = (torch.rand(N, T, I) * 2 - 1).float().double()
    with torch.no_grad():
        o2, (h2, c2) = theirs(x2)
    with open(stem + ".torch.txt", "w") as f:
        for label, t in (("x", x2), ("output", o2), ("h_n", h2.transpose(0, 1)), ("c_n", c2.transpose(0, 1))):
            vals = t.float().flatten().tolist()
            f.write(f"{label} {len(vals)} " + " ".join(f"{val:.9g}" for val in vals) + "\n")
    return want


def optimizer(args, v):
    cls = getattr(torch.optim, args[0])
    kw = {}
    for a in args[1:]:
        k, val = a.split("=")
        kw[k] = val == "True" if val in ("True", "False") else float(val)
    w = v["w0"].clone().requires_grad_()
    opt = cls([w], **kw)
    grads, traj = v["grads"].reshape(10, -1), []
    for g in grads:
        w.grad = g.clone()
        opt.step()
        traj.append(w.detach().clone())
    return {"traj": torch.cat(traj)}


def compare(label, got, want):
    err = (got - want).abs() - (RTOL * want.abs() + ATOL)
    worst = int(err.argmax())
    ok = bool((err <= 0).all())
    rel = float(((got - want).abs() / want.abs().clamp(min=1e-12)).max())
    return ok, f"{label}: max rel diff {rel:.1e}" + ("" if ok else
           f" FAIL at [{worst}]: axon {float(got[worst]):.9g}, torch {float(want[worst]):.9g}")


def main():
    cases = parse(sys.argv[1])
    failed = 0
    for c in cases:
        v, name = c["v"], c["name"]
        if c["kind"] == "act":
            p = kv(c["args"])
            x = v["x"].clone().requires_grad_()
            y = activation(name, x, p)
            want = {"y": y.detach()}
            if name != "step":  # the step has no gradient in PyTorch; axon's is 0 (test_activations)
                y.backward(v["dy"])
                want["dx"] = x.grad
            title = f"{name} {' '.join(c['args'])}"
        elif c["kind"] == "struct":
            want, title = structured(name, v), name
        elif c["kind"] == "loss":
            want, title = loss(name, v, kv(c["args"])), f"{name} {' '.join(c['args'])}" + (" weighted" if "w" in v else "")
        elif c["kind"] == "conv":
            want, title = conv(v, kv(c["args"])), "conv2d " + " ".join(c["args"])
        elif c["kind"] == "pool":
            want, title = pool(name, v, kv(c["args"])), name + " " + " ".join(c["args"])
        elif c["kind"] == "st":
            want, title = safetensors(name, v), "safetensors read by PyTorch: " + ", ".join(sorted(v))
        elif c["kind"] == "shape":
            shapes = {"slice": ((2, 7, 3), None), "concat": ((2, 3, 4), (2, 3, 2)),
                      "transpose": ((2, 3, 4, 5), None), "bmm": ((2, 3, 4, 5), (2, 3, 6, 4)),
                      "bmm_shared": ((2, 5, 4), (4, 3))}
            for op in ("add", "sub", "mul", "div"):
                shapes[op] = ((2, 3, 4), (3, 1) if "b" in v and v["b"].numel() == 3 else (2, 3, 4))
            want, title = shape_op(name, v, shapes), name + (f" b{list(shapes[name][1])}" if name in shapes and shapes[name][1] else "")
        elif c["kind"] == "seqce":
            x = v["x"].reshape(6, 5).clone().requires_grad_()
            ce = F.cross_entropy(x, v["t"].long(), weight=v.get("w"), ignore_index=-100,
                                   label_smoothing=float(kv(c["args"])["eps"]))
            ce.backward()
            want = {"loss": ce.detach().reshape(1), "dx": x.grad.flatten()}
            title = "softmax_cross_entropy over [2, 3, 5] steps, ignore_index" + (" weighted" if "w" in v else "")
        elif c["kind"] == "stlstm":
            want, title = lstm_files(name, v), "axon's LSTM file in torch.nn.LSTM (load_state_dict strict)"
        elif c["kind"] == "rnn":
            want, title = recurrent(name, v, kv(c["args"])), name + " " + " ".join(c["args"])
        elif c["kind"] == "heads":
            want, title = heads(v, kv(c["args"])), "two inputs, two heads (mse + 0.5 cross-entropy) " + name
        elif c["kind"] == "ln":
            want, title = layernorm(v, kv(c["args"])), "layernorm " + " ".join(c["args"])
        elif c["kind"] == "bn":
            want, title = batch_norm(v, kv(c["args"])), "batch_norm " + " ".join(c["args"])
        else:
            want, title = optimizer(c["args"], v), " ".join(c["args"])
        results = [compare(k, v[k], want[k]) for k in want]
        bad = [r for ok, r in results if not ok]
        failed += bool(bad)
        print(("FAIL " if bad else "ok   ") + title + " | " + "; ".join(r for _, r in results))
    print(f"{len(cases) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""examples/char_lstm.c's model in PyTorch, from the same initial weights
on the same windows: the losses of the first 100 steps must agree with
axon's to 1e-3.

    char_lstm_torch.py OUT_DIR [TEXT]

Reads OUT_DIR/char_lstm_init.safetensors (by the format's definition),
char_lstm_batches.txt (each step's window starts) and char_lstm_losses.txt
(axon's loss at each step); exits 1 if any of the 100 losses differs by
more than 1e-3."""
import json
import struct
import sys

import torch

BATCH, T, EMBED, HIDDEN, STEPS = 16, 48, 32, 128, 100


class CharLSTM(torch.nn.Module):
    def __init__(self, vocab):
        super().__init__()
        self.embed = torch.nn.Embedding(vocab, EMBED)
        self.lstm = torch.nn.LSTM(EMBED, HIDDEN, batch_first=True)
        self.head = torch.nn.Linear(HIDDEN, vocab)

    def forward(self, chars):
        out, _ = self.lstm(self.embed(chars))
        return self.head(out)


def read_safetensors(path):
    raw = open(path, "rb").read()
    (n,) = struct.unpack_from("<Q", raw, 0)
    header, data = json.loads(raw[8:8 + n]), raw[8 + n:]
    out = {}
    for name, t in header.items():
        if name != "__metadata__":
            b, e = t["data_offsets"]
            out[name] = torch.frombuffer(bytearray(data[b:e]), dtype=torch.float32).reshape(t["shape"])
    return out


def main():
    out_dir = sys.argv[1]
    path = sys.argv[2] if len(sys.argv) > 2 else "/usr/share/common-licenses/GPL-3"
    torch.set_num_threads(1)
    text = open(path, "rb").read()
    chars = sorted(set(text))
    code = {b: i for i, b in enumerate(chars)}
    data = torch.tensor([code[b] for b in text])
    model = CharLSTM(len(chars))
    model.load_state_dict(read_safetensors(f"{out_dir}/char_lstm_init.safetensors"), strict=True)
    opt = torch.optim.Adam(model.parameters(), lr=0.004)
    starts = [[int(s) for s in line.split()] for line in open(f"{out_dir}/char_lstm_batches.txt")]
    theirs = [float(line) for line in open(f"{out_dir}/char_lstm_losses.txt")]
    worst = 0.0
    for k in range(STEPS):
        x = torch.stack([data[s:s + T] for s in starts[k]])
        y = torch.stack([data[s + 1:s + T + 1] for s in starts[k]])
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x).reshape(-1, len(chars)), y.reshape(-1))
        loss.backward()
        opt.step()
        worst = max(worst, abs(loss.item() - theirs[k]))
    print(f"PyTorch from axon's initial weights on the same windows: loss at step {STEPS} {loss.item():.5f}, "
          f"axon {theirs[STEPS - 1]:.5f}; largest difference over the {STEPS} steps {worst:.2e} (limit 1e-3)")
    return 0 if worst <= 1e-3 else 1


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""An independent reader of axon's TensorBoard event files.

Checks the TFRecord framing (lengths and masked CRC-32C, computed here from
the polynomial), decodes every Event with Debian's python3-protobuf from
message definitions built here with TensorFlow's field numbers, and
compares what it finds with axon's other logs of the same run.

    tensorboard_read.py DIR [HEAD...]   DIR holds one events.out.tfevents.*
                                        and log.csv: the epoch scalars
    tensorboard_read.py --run DIR       a run folder (axon train --logdir):
                                        epoch and step scalars against
                                        epochs.jsonl and steps.jsonl, every
                                        histogram against histograms.jsonl,
                                        the GraphDef against run.json
Exits 1 on any mismatch; prints "N passed, N failed"."""
import csv
import glob
import json
import math
import struct
import sys

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

F = descriptor_pb2.FieldDescriptorProto


def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
    return crc ^ 0xFFFFFFFF


def masked(c):
    return (((c >> 15) | (c << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def event_class():
    fd = descriptor_pb2.FileDescriptorProto(name="tb_check.proto", package="tbcheck", syntax="proto3")
    v = fd.message_type.add(name="Value")
    v.field.add(name="tag", number=1, type=F.TYPE_STRING, label=F.LABEL_OPTIONAL)
    v.field.add(name="simple_value", number=2, type=F.TYPE_FLOAT, label=F.LABEL_OPTIONAL)
    v.field.add(name="histo", number=5, type=F.TYPE_MESSAGE, label=F.LABEL_OPTIONAL, type_name=".tbcheck.Histogram")
    h = fd.message_type.add(name="Histogram")
    for i, name in enumerate(["min", "max", "num", "sum", "sum_squares"]):
        h.field.add(name=name, number=i + 1, type=F.TYPE_DOUBLE, label=F.LABEL_OPTIONAL)
    h.field.add(name="bucket_limit", number=6, type=F.TYPE_DOUBLE, label=F.LABEL_REPEATED)
    h.field.add(name="bucket", number=7, type=F.TYPE_DOUBLE, label=F.LABEL_REPEATED)
    # graph.proto's GraphDef and node_def.proto's NodeDef (attr, a map, as its entries)
    dim = fd.message_type.add(name="Dim")
    dim.field.add(name="size", number=1, type=F.TYPE_INT64, label=F.LABEL_OPTIONAL)
    shape = fd.message_type.add(name="Shape")
    shape.field.add(name="dim", number=2, type=F.TYPE_MESSAGE, label=F.LABEL_REPEATED, type_name=".tbcheck.Dim")
    lst = fd.message_type.add(name="ListValue")
    lst.field.add(name="shape", number=7, type=F.TYPE_MESSAGE, label=F.LABEL_REPEATED, type_name=".tbcheck.Shape")
    av = fd.message_type.add(name="AttrValue")
    av.field.add(name="list", number=1, type=F.TYPE_MESSAGE, label=F.LABEL_OPTIONAL, type_name=".tbcheck.ListValue")
    entry = fd.message_type.add(name="AttrEntry")
    entry.field.add(name="key", number=1, type=F.TYPE_STRING, label=F.LABEL_OPTIONAL)
    entry.field.add(name="value", number=2, type=F.TYPE_MESSAGE, label=F.LABEL_OPTIONAL, type_name=".tbcheck.AttrValue")
    nd = fd.message_type.add(name="NodeDef")
    nd.field.add(name="name", number=1, type=F.TYPE_STRING, label=F.LABEL_OPTIONAL)
    nd.field.add(name="op", number=2, type=F.TYPE_STRING, label=F.LABEL_OPTIONAL)
    nd.field.add(name="input", number=3, type=F.TYPE_STRING, label=F.LABEL_REPEATED)
    nd.field.add(name="attr", number=5, type=F.TYPE_MESSAGE, label=F.LABEL_REPEATED, type_name=".tbcheck.AttrEntry")
    gd = fd.message_type.add(name="GraphDef")
    gd.field.add(name="node", number=1, type=F.TYPE_MESSAGE, label=F.LABEL_REPEATED, type_name=".tbcheck.NodeDef")
    s = fd.message_type.add(name="Summary")
    s.field.add(name="value", number=1, type=F.TYPE_MESSAGE, label=F.LABEL_REPEATED, type_name=".tbcheck.Value")
    e = fd.message_type.add(name="Event")
    e.field.add(name="wall_time", number=1, type=F.TYPE_DOUBLE, label=F.LABEL_OPTIONAL)
    e.field.add(name="step", number=2, type=F.TYPE_INT64, label=F.LABEL_OPTIONAL)
    e.field.add(name="file_version", number=3, type=F.TYPE_STRING, label=F.LABEL_OPTIONAL)
    e.field.add(name="graph_def", number=4, type=F.TYPE_BYTES, label=F.LABEL_OPTIONAL)
    e.field.add(name="summary", number=5, type=F.TYPE_MESSAGE, label=F.LABEL_OPTIONAL, type_name=".tbcheck.Summary")
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fd)
    factory = message_factory.MessageFactory(pool)
    return (factory.GetPrototype(pool.FindMessageTypeByName("tbcheck.Event")),
            factory.GetPrototype(pool.FindMessageTypeByName("tbcheck.GraphDef")))


class Checks:
    def __init__(self):
        self.ok = self.fail = 0

    def __call__(self, cond, what):
        if cond:
            self.ok += 1
        else:
            self.fail += 1
            print("FAIL", what)

    def done(self):
        print(f"{self.ok} passed, {self.fail} failed")
        return 1 if self.fail else 0


def read_events(path, check):
    """Every Event of one file, its framing checked record by record."""
    data = open(path, "rb").read()
    Event, _ = event_class()
    events, pos = [], 0
    while pos < len(data):
        (n,) = struct.unpack_from("<Q", data, pos)
        (hcrc,) = struct.unpack_from("<I", data, pos + 8)
        check(hcrc == masked(crc32c(data[pos:pos + 8])), f"length CRC at byte {pos}")
        body = data[pos + 12:pos + 12 + n]
        (dcrc,) = struct.unpack_from("<I", data, pos + 12 + n)
        check(dcrc == masked(crc32c(body)), f"data CRC at byte {pos}")
        ev = Event()
        ev.ParseFromString(body)
        events.append(ev)
        pos += 12 + n + 4
    check(pos == len(data), "records end exactly at the end of the file")
    check(events and events[0].file_version == "brain.Event:2", "first event carries the file version")
    return events


def f32(x):
    return struct.unpack("<f", struct.pack("<f", x))[0]


def close(a, b, rel=1e-5):
    return abs(a - b) <= rel * max(1.0, abs(b))


def check_run(d, check):
    """A run folder: everything in its event file against its JSON logs."""
    files = glob.glob(f"{d}/events.out.tfevents.*")
    check(len(files) == 1, f"one event file in {d}, found {files}")
    events = read_events(files[0], check)
    run = json.load(open(f"{d}/run.json"))
    lines = lambda name: [json.loads(l) for l in open(f"{d}/{name}") if l.strip()]
    epochs, steps, hists = lines("epochs.jsonl"), lines("steps.jsonl"), lines("histograms.jsonl")
    summaries = [e for e in events if e.HasField("summary")]
    scalar = {}  # (tag, step) -> value
    histo = {}   # (tag, step) -> HistogramProto
    for e in summaries:
        for v in e.summary.value:
            if v.HasField("histo"):
                histo[(v.tag, e.step)] = v.histo
            else:
                scalar[(v.tag, e.step)] = v.simple_value
    # the epochs: every metric of epochs.jsonl under its TensorBoard tag
    tag_of = {"loss": "loss", "accuracy": "accuracy", "val_loss": "val_loss", "val_accuracy": "val_accuracy",
              "lr": "learning_rate", "seconds": "epoch_seconds"}
    check(len(epochs) == run["epochs_run"], f"{len(epochs)} epoch lines, run.json says {run['epochs_run']} epochs")
    for o in epochs:
        for key, tag in tag_of.items():
            if key in o:
                got = scalar.get((tag, o["epoch"]))
                check(got is not None and close(got, o[key]), f"epoch {o['epoch']} {tag}: event {got}, log {o[key]}")
    # the steps: every line of steps.jsonl
    step_tags = {"loss": "step/loss", "lr": "step/learning_rate", "grad_norm": "step/grad_norm",
                 "step_ms": "step/step_ms", "samples_per_second": "step/samples_per_second"}
    check(len(steps) > 0 and all(o["step"] % run["scalar_every"] == 0 for o in steps),
          f"{len(steps)} step lines, each at a multiple of {run['scalar_every']}")
    for o in steps:
        for key, tag in step_tags.items():
            got = scalar.get((tag, o["step"]))
            check(got is not None and close(got, o[key], 1e-6), f"step {o['step']} {tag}: event {got}, log {o[key]}")
    # the histograms: the same counts, ranges and sizes
    check(len(hists) > 0, f"{len(hists)} histogram records")
    kinds = {"weight": "weights", "gradient": "gradients", "activation": "activations"}
    for rec in hists:
        for t in rec["tensors"]:
            h = histo.get((f"{kinds[t['kind']]}/{t['name']}", rec["step"]))
            if h is None:
                check(False, f"step {rec['step']}: no histogram {t['name']} ({t['kind']})")
                continue
            counts = [int(c) for c in h.bucket]
            limits = list(h.bucket_limit)
            check(counts == t["counts"] and int(h.num) == t["n"] == sum(counts),
                  f"step {rec['step']} {t['name']}: bucket counts and num match the log and add up")
            # the log writes a float's value with 9 digits: the same float32 back
            check(h.min == f32(t["min"]) and h.max == f32(t["max"]) and h.min <= h.max,
                  f"step {rec['step']} {t['name']}: min and max")
            check(all(a < b for a, b in zip(limits, limits[1:])) and close(limits[-1], t["hi"], 1e-12),
                  f"step {rec['step']} {t['name']}: bucket limits rise to the range's top")
    # the graph: one GraphDef, every node of run.json, inputs that name nodes
    graphs = [e for e in events if e.graph_def]
    check(len(graphs) == 1, f"one graph event ({len(graphs)})")
    if graphs:
        _, GraphDef = event_class()
        g = GraphDef()
        g.ParseFromString(graphs[0].graph_def)
        names = [n.name for n in g.node]
        nodes = run["model"]["nodes"]
        check(len(names) == len(set(names)) == len(nodes), f"{len(names)} graph nodes, unique, as in run.json")
        for n, want in zip(g.node, nodes):
            scoped = want["name"] if want["scope"] in ("", want["name"]) else f"{want['scope']}/{want['name']}"
            check(n.name == scoped and n.op == want["op"], f"node {n.name} ({n.op}) is {scoped} ({want['op']})")
            check(list(n.input) == [names[i] for i in want["inputs"]], f"node {n.name}: its inputs")
            shapes = [list(d.size for d in s.dim) for a in n.attr if a.key == "_output_shapes" for s in a.value.list.shape]
            check(shapes == [want["shape"]], f"node {n.name}: _output_shapes {shapes}")
        scopes = {n.split("/")[0] for n in names}
        check(all(l["name"] in scopes for l in run["model"]["layers"]), "every layer is a scope of the graph")


def main():
    check = Checks()
    if sys.argv[1] == "--run":
        check_run(sys.argv[2], check)
        return check.done()
    d = sys.argv[1]
    files = glob.glob(f"{d}/events.out.tfevents.*")
    check(len(files) == 1, f"one event file in {d}, found {files}")
    events = read_events(files[0], check)
    rows = list(csv.DictReader(open(f"{d}/log.csv")))
    scalars = events[1:]
    check(len(scalars) == len(rows) == 4, f"4 epochs logged: {len(scalars)} events, {len(rows)} CSV rows")
    for ev, row in zip(scalars, rows):
        check(ev.step == int(row["epoch"]), f"step {ev.step} = epoch {row['epoch']}")
        got = {v.tag: v.simple_value for v in ev.summary.value}
        # every figure of the CSV: the model's, and each head's (column
        # HEAD_loss or val_HEAD_accuracy is tag HEAD/loss, HEAD/val_accuracy);
        # a missing figure (nan: no accuracy) is no event
        for column in row:
            if column in ("epoch", "lr", "seconds") or row[column] == "":
                continue
            val, name = column.startswith("val_"), column[4:] if column.startswith("val_") else column
            head, _, measure = name.rpartition("_")
            tag = f"{head}/{'val_' if val else ''}{measure}" if head else column
            want = float(row[column])
            if math.isnan(want):
                check(tag not in got, f"epoch {ev.step} {tag}: no event for a missing figure")
                continue
            check(tag in got and abs(got[tag] - want) <= 1e-5 * max(1.0, abs(want)),
                  f"epoch {ev.step} {tag}: event {got.get(tag)}, csv {want}")
        heads = sys.argv[2:]
        check(all(f"{h}/val_loss" in got for h in heads), f"epoch {ev.step}: every head's tags ({heads})")
        check(ev.wall_time > 1.6e9, "wall time is a Unix time")
    return check.done()


if __name__ == "__main__":
    sys.exit(main())

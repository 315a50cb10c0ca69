#!/usr/bin/env python3
"""An independent reader of axon's TensorBoard event file.

Checks the TFRecord framing (lengths and masked CRC-32C, computed here from
the polynomial), decodes every Event with Debian's python3-protobuf from
message definitions built here with TensorFlow's field numbers, and
compares the scalars with the CSV log written in the same run.

    tensorboard_read.py DIR      (DIR holds one events.out.tfevents.* and log.csv)
Exits 1 on any mismatch; prints "N passed, N failed"."""
import csv
import glob
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
    s = fd.message_type.add(name="Summary")
    s.field.add(name="value", number=1, type=F.TYPE_MESSAGE, label=F.LABEL_REPEATED, type_name=".tbcheck.Value")
    e = fd.message_type.add(name="Event")
    e.field.add(name="wall_time", number=1, type=F.TYPE_DOUBLE, label=F.LABEL_OPTIONAL)
    e.field.add(name="step", number=2, type=F.TYPE_INT64, label=F.LABEL_OPTIONAL)
    e.field.add(name="file_version", number=3, type=F.TYPE_STRING, label=F.LABEL_OPTIONAL)
    e.field.add(name="summary", number=5, type=F.TYPE_MESSAGE, label=F.LABEL_OPTIONAL, type_name=".tbcheck.Summary")
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fd)
    return message_factory.MessageFactory(pool).GetPrototype(pool.FindMessageTypeByName("tbcheck.Event"))


def main():
    d = sys.argv[1]
    files = glob.glob(f"{d}/events.out.tfevents.*")
    ok = fail = 0

    def check(cond, what):
        nonlocal ok, fail
        if cond:
            ok += 1
        else:
            fail += 1
            print("FAIL", what)

    check(len(files) == 1, f"one event file in {d}, found {files}")
    data = open(files[0], "rb").read()
    Event = event_class()
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
    print(f"{ok} passed, {fail} failed")
    return 1 if fail else 0


if __name__ == "__main__":
    sys.exit(main())

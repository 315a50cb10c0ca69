"""ONNX files axon must refuse with a message naming the node, op type and
attribute (tests/onnx/run.sh checks each message):
    bad_models.py OUTDIR    writes NAME.onnx and NAME.expect (the text the error must hold)"""
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def model(nodes, inits=(), opset=17, shape=(None, 1, 8, 8)):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N"] + list(shape[1:]))
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    g = helper.make_graph(nodes, "bad", [x], [y], initializer=list(inits))
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])


w = numpy_helper.from_array(np.ones((2, 1, 3, 3), np.float32), "w")
cases = {
    "ceil_mode": (model([helper.make_node("MaxPool", ["x"], ["y"], name="pool", kernel_shape=[2, 2], ceil_mode=1)]),
                  "node 'pool' (MaxPool): attribute 'ceil_mode' = 1"),
    "unknown_attribute": (model([helper.make_node("Relu", ["x"], ["y"], name="act", slope=2.0)]),
                          "node 'act' (Relu): attribute 'slope' is not one axon reads"),
    "unknown_op": (model([helper.make_node("Resize", ["x"], ["y"], name="up")]),
                   "node 'up' (Resize): no axon mapping for this op"),
    "conv3d": (model([helper.make_node("Conv", ["x", "w3"], ["y"], name="c3")],
                     [numpy_helper.from_array(np.ones((2, 1, 3, 3, 3), np.float32), "w3")], shape=(None, 1, 8, 8, 8)),
               "node 'c3' (Conv): a convolution over 3-D data"),
    "old_opset": (model([helper.make_node("Relu", ["x"], ["y"])], opset=9), "ONNX opset 9 (axon reads opsets 13 to 17"),
    "bad_pads": (model([helper.make_node("Conv", ["x", "w"], ["y"], name="c", pads=[1, 1])], [w]),
                 "node 'c' (Conv): attribute 'pads' has 2 values, expected 4"),
    "undefined_input": (model([helper.make_node("Relu", ["nothing"], ["y"], name="r")]),
                        "node 'r' (Relu): input 0 ('nothing') is not defined before it"),
}
for name, (m, expect) in cases.items():
    onnx.save(m, "%s/%s.onnx" % (sys.argv[1], name))
    open("%s/%s.expect" % (sys.argv[1], name), "w").write(expect)
# external data: an initializer whose values live in another file
m = model([helper.make_node("Conv", ["x", "w"], ["y"], name="c")], [w])
t = m.graph.initializer[0]
t.ClearField("raw_data")
t.data_location = TensorProto.EXTERNAL
t.external_data.add(key="location", value="weights.bin")
onnx.save(m, "%s/external.onnx" % sys.argv[1])
open("%s/external.expect" % sys.argv[1], "w").write("keeps its data in an external file")
# a truncated file: the byte offset of the first bad byte
b = open("%s/ceil_mode.onnx" % sys.argv[1], "rb").read()
open("%s/truncated.onnx" % sys.argv[1], "wb").write(b[:len(b) - 7])
open("%s/truncated.expect" % sys.argv[1], "w").write("not an ONNX model: at byte ")

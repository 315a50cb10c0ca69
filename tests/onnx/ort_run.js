// Run an ONNX model in ONNX Runtime (npm's onnxruntime-node, CPU):
//   node ort_run.js RUNTIME_DIR MODEL.onnx X Y
// X and Y are float32 tensor files headed by rank and dimensions (int64),
// as tests/onnx/torch_models.py and onnx_run write them.
const fs = require('fs');
const path = require('path');
const [runtime, model, xPath, yPath] = process.argv.slice(2);
const ort = require(path.join(runtime, 'node_modules', 'onnxruntime-node'));

function readTensor(p) {
  const b = fs.readFileSync(p);
  const nd = Number(b.readBigInt64LE(0));
  const dims = [];
  for (let d = 0; d < nd; d++) dims.push(Number(b.readBigInt64LE(8 + 8 * d)));
  const start = 8 + 8 * nd;
  const data = new Float32Array(b.buffer.slice(b.byteOffset + start, b.byteOffset + b.length));
  return new ort.Tensor('float32', data, dims);
}

function writeTensor(p, t) {
  const head = Buffer.alloc(8 + 8 * t.dims.length);
  head.writeBigInt64LE(BigInt(t.dims.length), 0);
  t.dims.forEach((d, i) => head.writeBigInt64LE(BigInt(d), 8 + 8 * i));
  fs.writeFileSync(p, Buffer.concat([head, Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength)]));
}

(async () => {
  const session = await ort.InferenceSession.create(model, {graphOptimizationLevel: 'disabled'});
  const out = await session.run({[session.inputNames[0]]: readTensor(xPath)});
  writeTensor(yPath, out[session.outputNames[0]]);
})().catch((e) => { console.error('ort_run: ' + e.message); process.exit(1); });

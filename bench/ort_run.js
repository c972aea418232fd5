// Times one ONNX model in ONNX Runtime (onnxruntime-node) for bench/executor.sh:
//   node ort_run.js MODEL.onnx INPUT.npy THREADS REPEAT
// INPUT.npy is float32 [C,H,W]; a batch axis of 1 is added. Prints one JSON line:
// {"first_ms", "min_ms", "median_ms", "output": [...]} (the first output, flattened).
const fs = require('fs');
const ort = require('onnxruntime-node');

function readNpy(path) {
  const bytes = fs.readFileSync(path);
  const headerLength = bytes.readUInt16LE(8);
  const header = bytes.toString('latin1', 10, 10 + headerLength);
  if (!header.includes("'<f4'")) throw new Error(`${path}: expected <f4 data`);
  const shape = header.match(/\(([^)]*)\)/)[1].split(',').filter((s) => s.trim()).map(Number);
  const start = 10 + headerLength;
  const data = new Float32Array(bytes.buffer.slice(bytes.byteOffset + start, bytes.byteOffset + bytes.length));
  return { shape, data };
}

async function main() {
  const [model, inputPath, threads, repeat] = process.argv.slice(2);
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: Number(threads), interOpNumThreads: 1, executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const input = readNpy(inputPath);
  const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', input.data, [1, ...input.shape]) };
  let start = process.hrtime.bigint();
  const first = await session.run(feeds);
  const firstMs = Number(process.hrtime.bigint() - start) / 1e6;
  const times = [];
  for (let i = 0; i < Number(repeat); ++i) {
    start = process.hrtime.bigint();
    await session.run(feeds);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  times.sort((a, b) => a - b);
  const median = times.length % 2 ? times[(times.length - 1) / 2] : (times[times.length / 2 - 1] + times[times.length / 2]) / 2;
  const output = Array.from(first[session.outputNames[0]].data);
  console.log(JSON.stringify({ first_ms: firstMs, min_ms: times[0], median_ms: median, output }));
}

main().catch((error) => { console.error(`ort_run.js: ${error.message}`); process.exit(1); });

// ort_run.js — runs an ONNX model with onnxruntime-node, the reference of
// tests/e2e/onnx_qdq.sh: CPU, one thread, graph optimizations 'all' (the
// default, which turns QDQ groups into onnxruntime's integer kernels:
// QLinearConv, QGemm, int8 MaxPool).
//
//   NODE_PATH=/opt/quantc-node/node_modules node ort_run.js MODEL.onnx X.npy Y.npy [--batch N]
//   node ort_run.js MODEL.onnx X.npy --check-batch N
//
// X.npy: float32 [N, ...] (little-endian, C order); the model's first input
// has a dynamic batch axis and is fed in batches of --batch (default 100).
// Y.npy: the model's first output for all N samples, float32 [N, ...].
// --check-batch runs the first N samples one at a time and as one
// batch and fails unless the outputs are identical bit for bit.
// Timing goes to stderr.
'use strict';
const fs = require('fs');

let ort;
try {
	ort = require('onnxruntime-node');
} catch (e) {
	console.error('ort_run.js: onnxruntime-node is not installed: run .ci/install-deps ' +
		'(NODE_PATH=' + (process.env.NODE_PATH || '') + ')');
	process.exit(2);
}

function die(msg) {
	console.error('ort_run.js: ' + msg);
	process.exit(1);
}

// readNpy(path): {shape, data: Float32Array} of a version 1-3 float32 .npy
function readNpy(path) {
	const buf = fs.readFileSync(path);
	if (buf.length < 10 || buf.toString('latin1', 0, 6) !== '\x93NUMPY')
		die(path + ': not a .npy file');
	const major = buf[6];
	const hlen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
	const start = major === 1 ? 10 : 12;
	const hdr = buf.toString('latin1', start, start + hlen);
	if (!/'descr':\s*'<f4'/.test(hdr) || /'fortran_order':\s*True/.test(hdr))
		die(path + ': expected float32 little-endian in C order, got ' + hdr.trim());
	const m = /'shape':\s*\(([^)]*)\)/.exec(hdr);
	if (!m)
		die(path + ': no shape in header');
	const shape = m[1].split(',').map((s) => s.trim()).filter((s) => s).map(Number);
	const count = shape.reduce((a, b) => a * b, 1);
	const off = start + hlen;
	if (buf.length - off < count * 4)
		die(path + ': truncated');
	// copy into an aligned buffer: the file's data offset need not be a multiple of 4
	const data = new Float32Array(count);
	Buffer.from(data.buffer).set(buf.subarray(off, off + count * 4));
	return { shape, data };
}

// writeNpy(path, shape, Float32Array): version 1.0, header padded to 64 bytes
function writeNpy(path, shape, data) {
	const dims = shape.length === 1 ? shape[0] + ',' : shape.join(', ');
	let hdr = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + dims + '), }';
	const total = Math.ceil((10 + hdr.length + 1) / 64) * 64;
	hdr = hdr.padEnd(total - 10 - 1, ' ') + '\n';
	const pre = Buffer.alloc(10);
	pre.write('\x93NUMPY', 0, 'latin1');
	pre[6] = 1;
	pre[7] = 0;
	pre.writeUInt16LE(hdr.length, 8);
	const body = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
	fs.writeFileSync(path, Buffer.concat([pre, Buffer.from(hdr, 'latin1'), body]));
}

async function session(model) {
	return ort.InferenceSession.create(model, {
		executionProviders: ['cpu'],
		intraOpNumThreads: 1,
		interOpNumThreads: 1,
		graphOptimizationLevel: 'all',
		executionMode: 'sequential',
	});
}

// run(sess, x, first, n): the output of samples [first, first + n) as a
// Float32Array, and its per-sample shape
async function run(sess, x, first, n) {
	const per = x.shape.slice(1).reduce((a, b) => a * b, 1);
	const input = new ort.Tensor('float32', x.data.subarray(first * per, (first + n) * per),
		[n].concat(x.shape.slice(1)));
	const out = (await sess.run({ [sess.inputNames[0]]: input }))[sess.outputNames[0]];
	if (out.type !== 'float32')
		die('output ' + sess.outputNames[0] + ' is ' + out.type + ', expected float32');
	return { data: out.data, dims: out.dims.slice(1) };
}

async function checkBatch(sess, x, n) {
	n = Math.min(n, x.shape[0]);
	const whole = await run(sess, x, 0, n);
	const per = whole.data.length / n;
	let diff = 0;
	for (let i = 0; i < n; i++) {
		const one = await run(sess, x, i, 1);
		for (let j = 0; j < per; j++)
			if (!Object.is(one.data[j], whole.data[i * per + j]))
				diff++;
	}
	console.log(`${n} samples: batch 1 and batch ${n} give ` +
		(diff ? `${diff} different output elements` : 'the same outputs bit for bit'));
	return diff === 0;
}

async function main() {
	const args = process.argv.slice(2);
	let batch = 100;
	const bi = args.indexOf('--batch');
	if (bi >= 0) {
		batch = Number(args[bi + 1]);
		args.splice(bi, 2);
		if (!(batch >= 1))
			die('--batch wants a positive count');
	}
	const ci = args.indexOf('--check-batch');
	if (ci >= 0) {
		const n = Number(args.splice(ci, 2)[1]);
		if (args.length !== 2 || !(n >= 1))
			die('usage: ort_run.js MODEL.onnx X.npy --check-batch N');
		const sess = await session(args[0]);
		process.exit((await checkBatch(sess, readNpy(args[1]), n)) ? 0 : 1);
	}
	if (args.length !== 3)
		die('usage: ort_run.js MODEL.onnx X.npy Y.npy [--batch N] | MODEL.onnx X.npy --check-batch N');
	const [model, xpath, ypath] = args;
	const t0 = process.hrtime.bigint();
	const sess = await session(model);
	const x = readNpy(xpath);
	const n = x.shape[0];
	if (!(n >= 1))
		die(xpath + ': no samples');
	const t1 = process.hrtime.bigint();
	let y = null, dims = null;
	for (let i = 0; i < n; i += batch) {
		const b = Math.min(batch, n - i);
		const r = await run(sess, x, i, b);
		if (!y) {
			dims = r.dims;
			y = new Float32Array(n * (r.data.length / b));
		}
		y.set(r.data, i * (r.data.length / b));
	}
	const t2 = process.hrtime.bigint();
	writeNpy(ypath, [n].concat(dims), y);
	const ms = (a, b) => Number(b - a) / 1e6;
	console.error(`ort_run.js: onnxruntime ${ort.env.versions.common}: ${n} samples in ` +
		`${ms(t1, t2).toFixed(1)} ms (${(ms(t1, t2) * 1000 / n).toFixed(1)} us/sample, batch ${batch}, ` +
		`1 thread); session ${ms(t0, t1).toFixed(1)} ms`);
}

main().catch((e) => die(e && e.message ? e.message : String(e)));

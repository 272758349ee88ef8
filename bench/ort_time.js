// ort_time.js — bench/run.sh's onnxruntime-node timing: the single-thread,
// batch-1 latency of one ONNX model.
//
//   NODE_PATH=<prefix>/node_modules node bench/ort_time.js MODEL.onnx INPUT.f32 [SECONDS]
//
// INPUT.f32 holds one sample's floats, raw, little-endian; the model's one
// input is fed with shape [1, 1, 28, 28] (the Fashion-MNIST models'), or
// ORT_SHAPE="d0,d1,..." when set.  The session: CPU execution provider, one
// intra-op and one inter-op thread, sequential execution, all graph
// optimizations; ORT_OPTIMIZED=PATH also saves the optimized graph there
// (session option optimizedModelFilePath: bench/zoo.sh lists its op types,
// to show which integer kernels onnxruntime chose).  Warm-up for a quarter of SECONDS (default 1; at least 20
// runs), then timed runs, each with process.hrtime.bigint() around one
// awaited session.run (so the figure includes onnxruntime-node's own call
// overhead, as an application sees it), for about SECONDS (at least 50 runs,
// at most 200000).  Prints, like time_model.c:
//   median_us M min_us m runs N class C
'use strict';
const fs = require('fs');
const ort = require('onnxruntime-node');

function nowS() {
	return Number(process.hrtime.bigint()) / 1e9;
}

function argmax(a) {
	let best = 0;
	for (let i = 1; i < a.length; i++) if (a[i] > a[best]) best = i;
	return best;
}

async function main() {
	const [model, input, secs] = process.argv.slice(2);
	if (!model || !input) {
		console.error('usage: node ort_time.js MODEL.onnx INPUT.f32 [SECONDS]');
		process.exit(2);
	}
	const budget = secs ? Number(secs) : 1;
	const shape = (process.env.ORT_SHAPE || '1,1,28,28').split(',').map(Number);
	const buf = fs.readFileSync(input);
	const x = new Float32Array(buf.buffer, buf.byteOffset, buf.length / 4);
	const opts = {
		executionProviders: ['cpu'],
		intraOpNumThreads: 1,
		interOpNumThreads: 1,
		executionMode: 'sequential',
		graphOptimizationLevel: 'all',
	};
	if (process.env.ORT_OPTIMIZED) opts.optimizedModelFilePath = process.env.ORT_OPTIMIZED;
	const session = await ort.InferenceSession.create(model, opts);
	const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', x, shape) };
	const outName = session.outputNames[0];
	let out;

	let warm = 0;
	const t0 = nowS();
	let t;
	while ((t = nowS()) - t0 < budget / 4 || warm < 20) {
		out = await session.run(feeds);
		warm++;
	}
	const per = (t - t0) / warm;
	const runs = Math.min(200000, Math.max(50, Math.floor(budget / per)));
	const d = new Float64Array(runs);
	for (let r = 0; r < runs; r++) {
		const a = process.hrtime.bigint();
		out = await session.run(feeds);
		const b = process.hrtime.bigint();
		d[r] = Number(b - a) / 1e3;
	}
	d.sort();
	const med = runs % 2 ? d[(runs - 1) / 2] : (d[runs / 2 - 1] + d[runs / 2]) / 2;
	const cls = argmax(out[outName].data);
	console.log(`median_us ${med.toFixed(3)} min_us ${d[0].toFixed(3)} runs ${runs} class ${cls}`);
}

main().catch((e) => {
	console.error(`ort_time.js: ${e.message}`);
	process.exit(1);
});

// Benchmark: `krazy-tui exporter` over 100 light demo devices scraped by a real Prometheus every 15 s (CPU, memory,
// scrape latency against the node exporter's in the same Prometheus), and a 24 h history read back for one device.
import {spawn, type ChildProcess} from 'node:child_process';
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {PrometheusClient} from '../source/core/prometheus/prometheus-client.js';
import {deviceHistory} from '../source/core/prometheus/history.js';
import {startNodeExporter} from '../test/helpers/node-exporter.js';
import {startPrometheus} from '../test/helpers/prometheus.js';
import {cpuSeconds, median} from './bench-util.js';

/** The figure records of bench/results-format.ts (the trust helper's runner): {id, label, value, unit, goal?, ok?}. */
type Figure = {id: string; label: string; value: number; unit: string; goal?: string; ok?: boolean};

const quick = process.env.BENCH_QUICK === '1';
const deviceCount = Number(process.env.BENCH_DEVICES ?? 100);
const measureMs = Number(process.env.BENCH_MEASURE_MS ?? (quick ? 45_000 : 120_000));
const historyRounds = quick ? 7 : 21;
const cli = new URL('../dist/cli.js', import.meta.url).pathname;
const scratch = mkdtempSync(path.join(os.tmpdir(), 'krazy-bench-exporter-'));
const passwordFile = path.join(scratch, 'password');
writeFileSync(passwordFile, 'bench-light-fleet\n', {mode: 0o600});
const env = {...process.env, KRAZY_TUI_CONFIG_DIR: path.join(scratch, 'config'), GOKRAZY_PARENT_DIR: path.join(scratch, 'gokrazy')};
const children: ChildProcess[] = [];
const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

/** Starts `node dist/cli.js ARGS` and resolves with its first `lines` stdout lines, parsed as JSON. */
async function startCli<T>(args: string[], lines: number): Promise<{child: ChildProcess; lines: T[]}> {
	const child = spawn(process.execPath, [cli, ...args], {env, stdio: ['ignore', 'pipe', 'pipe']});
	children.push(child);
	let stderr = '';
	child.stderr!.setEncoding('utf8').on('data', (text: string) => {
		stderr = (stderr + text).slice(-4000);
	});
	const parsed = await new Promise<T[]>((resolve, reject) => {
		const got: T[] = [];
		let buffered = '';
		child.stdout!.setEncoding('utf8').on('data', (text: string) => {
			buffered += text;
			for (let newline = buffered.indexOf('\n'); newline !== -1 && got.length < lines; newline = buffered.indexOf('\n')) {
				got.push(JSON.parse(buffered.slice(0, newline)) as T);
				buffered = buffered.slice(newline + 1);
			}

			if (got.length >= lines) {
				resolve(got);
			}
		});
		child.once('exit', code => {
			reject(new Error(`krazy-tui ${args[0]} exited with ${code}: ${stderr}`));
		});
	});
	return {child, lines: parsed};
}

function rssMb(pid: number): {now: number; peak: number} {
	const status = readFileSync(`/proc/${pid}/status`, 'utf8');
	const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN) / 1024;
	return {now: field('VmRSS'), peak: field('VmHWM')};
}

const figures: Figure[] = [];
try {
	const fleet = await startCli<{baseUrl: string; hostname: string}>(['demo', '--serve', '--light', '--count', String(deviceCount), '--json', '--password-file', passwordFile], deviceCount);
	const exporter = await startCli<{port: number}>(['exporter', ...fleet.lines.map(device => device.baseUrl), '--password-file', passwordFile, '--interval', '15', '--listen', '127.0.0.1:0', '--json'], 1);
	const exporterPid = exporter.child.pid!;
	const node = await startNodeExporter({host: '127.0.0.2'});
	const prometheus = await startPrometheus({
		scrapeIntervalMs: 15_000,
		jobs: [
			{job: 'krazy-tui', targets: [`127.0.0.1:${exporter.lines[0]!.port}`]},
			{job: 'node', targets: [new URL(node.url).host]},
		],
	});
	try {
		// Every device answered once (first polls spread over 2 s, then every 15 s) and Prometheus scraped twice.
		await prometheus.waitFor(`count(gokrazy_device_up == 1) == ${deviceCount}`, result => result.length === 1, 90_000);
		await prometheus.waitFor('min(count_over_time(up[5m])) >= 2', result => result.length === 1, 60_000);

		const cpuBefore = cpuSeconds(exporterPid);
		const wallBefore = Date.now();
		await sleep(measureMs);
		const cpuPercent = ((cpuSeconds(exporterPid) - cpuBefore) / ((Date.now() - wallBefore) / 1000)) * 100;
		const memory = rssMb(exporterPid);
		const window = `${Math.round(measureMs / 1000)}s`;
		const [ours] = await prometheus.query(`avg_over_time(scrape_duration_seconds{job="krazy-tui"}[${window}])`);
		const [theirs] = await prometheus.query(`avg_over_time(scrape_duration_seconds{job="node"}[${window}])`);
		const [samples] = await prometheus.query('scrape_samples_scraped{job="krazy-tui"}');
		const [nodeSamples] = await prometheus.query('scrape_samples_scraped{job="node"}');
		const [down] = await prometheus.query('count(gokrazy_device_up == 0) or vector(0)');
		const scrapeMs = Number(ours!.value[1]) * 1000;
		const nodeScrapeMs = Number(theirs!.value[1]) * 1000;
		// The node exporter serves fewer samples: its cost per sample is the fair baseline.
		const perSample = (scrapeMs * 1000) / Number(samples!.value[1]);
		const nodePerSample = (nodeScrapeMs * 1000) / Number(nodeSamples!.value[1]);
		if (Number(down!.value[1]) !== 0) {
			throw new Error(`${down!.value[1]} light devices were down during the run`);
		}

		figures.push(
			{id: 'cpu', label: `exporter CPU over ${deviceCount} devices (15 s poll, 15 s scrape), share of one core`, value: cpuPercent, unit: '%', goal: '< 5 %', ok: cpuPercent < 5},
			{id: 'rss', label: 'exporter resident memory at the end of the run', value: memory.now, unit: 'MB', goal: '< 150 MB', ok: memory.now < 150},
			{id: 'rss-peak', label: 'exporter peak resident memory', value: memory.peak, unit: 'MB'},
			{id: 'scrape-ms', label: 'scrape latency seen by Prometheus (mean over the run)', value: scrapeMs, unit: 'ms', goal: '< 1000 ms', ok: scrapeMs < 1000},
			{id: 'samples', label: 'samples per scrape', value: Number(samples!.value[1]), unit: 'samples'},
			{id: 'node-scrape-ms', label: 'prometheus-node-exporter scrape latency, same Prometheus, same run', value: nodeScrapeMs, unit: 'ms'},
			{id: 'node-samples', label: 'prometheus-node-exporter samples per scrape', value: Number(nodeSamples!.value[1]), unit: 'samples'},
			{id: 'scrape-per-sample-ratio', label: 'exporter scrape time per sample ÷ node exporter\'s', value: perSample / nodePerSample, unit: 'ratio', goal: '≤ 2', ok: perSample / nodePerSample <= 2},
		);

		// 24 h history of one device (memory, CPU and network from its node exporter, per-service RSS): request → series.
		const client = new PrometheusClient(prometheus.url);
		const device = new URL(fleet.lines[0]!.baseUrl).host;
		const nodeInstance = new URL(node.url).host;
		const historyMs: number[] = [];
		const rawMs: number[] = [];
		const end = Date.now();
		const rawUrl = `${prometheus.url}/api/v1/query_range?query=${encodeURIComponent(`gokrazy_service_resident_memory_bytes{device="${device}"}`)}&start=${(end - 86_400_000) / 1000}&end=${end / 1000}&step=360`;
		for (let round = 0; round < historyRounds + 1; round++) {
			const started = performance.now();
			const history = await deviceHistory(client, {device, nodeInstance, window: '24h'});
			const took = performance.now() - started;
			if (history.problems.length > 0 || history.serviceRss.size < 5 || history.cpuPercent === null) {
				throw new Error(`the history was incomplete: ${history.problems.join('; ')}`);
			}

			const rawStarted = performance.now();
			const answer = await fetch(rawUrl);
			await answer.json();
			const rawTook = performance.now() - rawStarted;
			// The first round warms both (connections, Prometheus's caches).
			if (round > 0) {
				historyMs.push(took);
				rawMs.push(rawTook);
			}
		}

		client.close();
		const history = median(historyMs);
		figures.push(
			{id: 'history-24h-ms', label: '24 h history of one device, request → mapped series (5 range queries)', value: history, unit: 'ms', goal: '< 300 ms', ok: history < 300},
			{id: 'history-raw-ms', label: 'one raw range query of the same window with fetch(), same run', value: median(rawMs), unit: 'ms'},
		);
	} finally {
		await prometheus.stop();
		await node.stop();
	}
} finally {
	for (const child of children) {
		child.kill('SIGTERM');
	}

	await Promise.all(children.map(async child => (child.exitCode === null && child.signalCode === null ? new Promise(resolve => child.once('exit', resolve)) : undefined)));
	rmSync(scratch, {recursive: true, force: true});
}

const title = `krazy-tui exporter over ${deviceCount} light demo devices, Prometheus scraping every 15 s (${measureMs / 1000} s measured)`;
console.log(`\n${title}`);
for (const figure of figures) {
	const verdict = figure.ok === undefined ? '' : figure.ok ? '  ✓ goal met' : '  ✗ goal missed';
	console.log(`  ${figure.label.padEnd(80)} ${figure.value.toFixed(figure.unit === 'ratio' ? 2 : 1).padStart(9)} ${figure.unit}${figure.goal ? `  (goal ${figure.goal})` : ''}${verdict}`);
}

// The line bench/run.ts keeps (bench-util's report() prints the same once the trust helper's runner is merged).
console.log(JSON.stringify({bench: 'exporter', title, quick, figures}));

// Bench: the dashboard over 500 light demo devices, with `--prometheus URL` (alerts every 15 s, history on H) against the
// same dashboard with `--prometheus off`, in the same run on the same fleet: CPU share of a core and memory while idle,
// key-to-frame for the help overlay (both), and key-to-frame for a 24 h history read from Prometheus.
//
//   npm run build && node --import=tsx bench/dashboard-prometheus.ts   (BENCH_DEVICES=500 BENCH_SECONDS=20 BENCH_ROUNDS=2 BENCH_KEYS=11)
//
// The fleet (`demo --serve --light`), the exporter over it and a real Prometheus scraping it every 15 s run beside it;
// only the dashboard's process is measured. Figures that compare are ratios within the run (the machine is shared).
import {spawn, type ChildProcess} from 'node:child_process';
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {startPrometheus} from '../test/helpers/prometheus.js';
import {cpuSeconds, median, report, type Figure} from './bench-util.js';
import {startOnPty, type PtyRun} from './dashboard-pty.js';

const deviceCount = Number(process.env.BENCH_DEVICES ?? 500);
const seconds = Number(process.env.BENCH_SECONDS ?? 20);
const warmupSeconds = Number(process.env.BENCH_WARMUP ?? 10);
const rounds = Number(process.env.BENCH_ROUNDS ?? 2);
// Key presses per dashboard: a median of a few is at the mercy of what else the shared machine does at that moment.
const keyRounds = Number(process.env.BENCH_KEYS ?? 11);
const cli = new URL('../dist/cli.js', import.meta.url).pathname;
const rulesFile = new URL('../prometheus/krazy-tui.rules.yml', import.meta.url).pathname;
const scratch = mkdtempSync(path.join(os.tmpdir(), 'krazy-bench-dash-prom-'));
const passwordFile = path.join(scratch, 'password');
writeFileSync(passwordFile, 'bench-light-fleet\n', {mode: 0o600});
const env = {...process.env, KRAZY_TUI_CONFIG_DIR: path.join(scratch, 'config'), GOKRAZY_PARENT_DIR: path.join(scratch, 'gokrazy')};
const children: ChildProcess[] = [];
const sleep = async (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

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

function rssMb(pid: number): number {
	return Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? Number.NaN) / 1024;
}

type Sample = {cpuPercent: number; rssMb: number; helpMs: number[]; historyMs: number[]};

/** One dashboard over the fleet: idle CPU and memory, then keys and the frames they bring. */
async function measure(urls: string[], prometheus: string | null): Promise<Sample> {
	// BENCH_PROFILE=DIR: each dashboard writes a V8 CPU profile there (open it in Chrome's DevTools) to see where time goes.
	const profile = process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [];
	const dashboard: PtyRun = startOnPty(process.execPath, [...profile, cli, '--poll-interval', '5', '--password-file', passwordFile, '--prometheus', prometheus ?? 'off', ...urls], {columns: 140, rows: 45, env});
	try {
		await dashboard.waitFor(new RegExp(`${deviceCount} devices · ${deviceCount} online`), 0, 120_000);
		await sleep(warmupSeconds * 1000);
		const cpuBefore = cpuSeconds(dashboard.pid);
		const started = performance.now();
		await sleep(seconds * 1000);
		const cpuPercent = ((cpuSeconds(dashboard.pid) - cpuBefore) / ((performance.now() - started) / 1000)) * 100;
		const rss = rssMb(dashboard.pid);
		const helpMs: number[] = [];
		const historyMs: number[] = [];
		for (let index = 0; index < keyRounds; index++) {
			let since = performance.now();
			dashboard.write('?');
			helpMs.push(await dashboard.waitFor(/Keys ·/, since, 10_000));
			since = performance.now();
			dashboard.write('\u001B');
			await dashboard.waitFor(/HEALTH/, since, 10_000);
			await sleep(300);
			if (prometheus) {
				since = performance.now();
				dashboard.write('H');
				await dashboard.waitFor(/last hour[\s\S]*memory used/, since, 20_000);
				since = performance.now();
				dashboard.write('2');
				historyMs.push(await dashboard.waitFor(/last 24 hours[\s\S]*memory used/, since, 20_000));
				// Back to 1 h for the next round, then to the list.
				since = performance.now();
				dashboard.write('1');
				await dashboard.waitFor(/last hour[\s\S]*memory used/, since, 20_000);
				dashboard.write('\u001B');
				await dashboard.waitFor(/HEALTH/, performance.now(), 10_000);
				await sleep(300);
			}
		}

		console.error(`${prometheus ? 'with' : 'without'} Prometheus: help key-to-frame ${helpMs.map(ms => ms.toFixed(0)).join(', ')} ms; history ${historyMs.map(ms => ms.toFixed(0)).join(', ')} ms`);
		return {cpuPercent, rssMb: rss, helpMs, historyMs};
	} finally {
		await dashboard.kill();
	}
}

const figures: Figure[] = [];
try {
	const fleet = await startCli<{baseUrl: string}>(['demo', '--serve', '--light', '--count', String(deviceCount), '--json', '--password-file', passwordFile], deviceCount);
	const urls = fleet.lines.map(device => device.baseUrl);
	const exporter = await startCli<{port: number}>(['exporter', ...urls, '--password-file', passwordFile, '--interval', '15', '--listen', '127.0.0.1:0', '--json'], 1);
	const prometheus = await startPrometheus({scrapeIntervalMs: 15_000, ruleFiles: [rulesFile], jobs: [{job: 'krazy-tui', targets: [`127.0.0.1:${exporter.lines[0]!.port}`]}]});
	try {
		await prometheus.waitFor(`count(gokrazy_device_up == 1) == ${deviceCount}`, result => result.length === 1, 120_000);
		const without: Sample[] = [];
		const withProm: Sample[] = [];
		// Rounds alternate which dashboard goes first: Prometheus and the exporter grow busier over the run (more series,
		// more alerts to evaluate), and the second dashboard of a round would otherwise always meet the busier machine.
		for (let round = 0; round < rounds; round++) {
			if (round % 2 === 0) {
				without.push(await measure(urls, null));
				withProm.push(await measure(urls, prometheus.url));
			} else {
				withProm.push(await measure(urls, prometheus.url));
				without.push(await measure(urls, null));
			}
		}

		const cpuOff = median(without.map(sample => sample.cpuPercent));
		const cpuOn = median(withProm.map(sample => sample.cpuPercent));
		const helpOff = median(without.flatMap(sample => sample.helpMs));
		const helpOn = median(withProm.flatMap(sample => sample.helpMs));
		const history = median(withProm.flatMap(sample => sample.historyMs));
		const rssOn = Math.max(...withProm.map(sample => sample.rssMb));
		figures.push(
			{name: `idle CPU, ${deviceCount} devices, --prometheus off (share of a core)`, value: cpuOff, unit: '%'},
			{name: `idle CPU, ${deviceCount} devices, --prometheus URL`, value: cpuOn, unit: '%', goal: '< 10 %', pass: cpuOn < 10},
			{name: 'idle CPU with Prometheus ÷ without (same run)', value: cpuOn / cpuOff, unit: 'ratio'},
			{name: 'resident memory with Prometheus', value: rssOn, unit: 'MB', goal: '< 250 MB', pass: rssOn < 250},
			{name: 'key-to-frame (? help), --prometheus off, median', value: helpOff, unit: 'ms'},
			{name: 'key-to-frame (? help), --prometheus URL, median', value: helpOn, unit: 'ms', goal: '< 100 ms', pass: helpOn < 100},
			{name: 'key-to-frame with Prometheus ÷ without (same run)', value: helpOn / helpOff, unit: 'ratio'},
			{name: 'key-to-frame of a 24 h history from Prometheus, median', value: history, unit: 'ms', goal: '< 300 ms', pass: history < 300},
		);
		report(`bench/dashboard-prometheus: the dashboard over ${deviceCount} light demo devices, with and without Prometheus`, figures);
	} finally {
		await prometheus.stop();
	}
} finally {
	for (const child of children) {
		child.kill('SIGTERM');
	}

	await sleep(500);
	rmSync(scratch, {recursive: true, force: true});
}

// Bench: the dashboard idling over 1 and over 50 demo devices polled every 2 s: CPU share of one core and memory.
//
//   npm run build && node --import=tsx bench/dashboard-idle.ts [--seconds 30] [--warmup 10] [--counts 1,50]
//
// The dashboard runs from dist/ on a real pseudo-terminal (so it draws); the demo devices run in one helper process
// (`krazy-tui demo --serve --count N`), whose work is not counted. Goal (the issue) for 50 devices: under 10 % of
// one core and under 200 MB.
import {readFileSync} from 'node:fs';
import {execFileSync} from 'node:child_process';
import {parseArgs} from 'node:util';
import {benchConfigDir, type Figure, report} from './bench-util.js';
import {startDemoFleetProcess, startOnPty} from './dashboard-pty.js';

const {values} = parseArgs({
	options: {
		seconds: {type: 'string', default: '30'},
		warmup: {type: 'string', default: '10'},
		counts: {type: 'string', default: '1,50'},
	},
});
const seconds = Number(values.seconds);
const warmup = Number(values.warmup);
const counts = values.counts.split(',').map(Number);
const clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], {encoding: 'utf8'}).trim()) || 100;

function cpuTicks(pid: number): number {
	const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
	const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
	return Number(fields[11]) + Number(fields[12]);
}

function memoryKb(pid: number): {rss: number; hwm: number} {
	const status = readFileSync(`/proc/${pid}/status`, 'utf8');
	return {rss: Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0), hwm: Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0)};
}

const figures: Figure[] = [];
for (const count of counts) {
	const fleet = await startDemoFleetProcess(count);
	const dashboard = startOnPty(process.execPath, ['dist/cli.js', '--poll-interval', '2', ...fleet.urls], {
		columns: 120,
		rows: 40,
		env: {KRAZY_TUI_CONFIG_DIR: benchConfigDir(), ...(process.env.BENCH_NODE_ENV ? {NODE_ENV: process.env.BENCH_NODE_ENV} : {})},
	});
	try {
		await dashboard.waitFor(new RegExp(`${count} devices? · ${count} online`), 0, 60_000);
		await new Promise(resolve => setTimeout(resolve, warmup * 1000));
		const startTicks = cpuTicks(dashboard.pid);
		const started = performance.now();
		await new Promise(resolve => setTimeout(resolve, seconds * 1000));
		const cpuPercent = ((cpuTicks(dashboard.pid) - startTicks) / clockTicks) / ((performance.now() - started) / 1000) * 100;
		const memory = memoryKb(dashboard.pid);
		const fifty = count >= 50;
		figures.push(
			{name: `${count} device${count === 1 ? '' : 's'}: CPU (share of one core)`, value: cpuPercent, unit: '%', ...(fifty ? {goal: '< 10 %', pass: cpuPercent < 10} : {})},
			{name: `${count} device${count === 1 ? '' : 's'}: resident memory at the end`, value: memory.rss / 1024, unit: 'MB', ...(fifty ? {goal: '< 200 MB', pass: memory.rss / 1024 < 200} : {})},
			{name: `${count} device${count === 1 ? '' : 's'}: peak resident memory`, value: memory.hwm / 1024, unit: 'MB'},
		);
	} finally {
		await dashboard.kill();
		await fleet.stop();
	}
}

report(`dashboard idle, polling every 2 s (${seconds} s measured after ${warmup} s)`, figures);

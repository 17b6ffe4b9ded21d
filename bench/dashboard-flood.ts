// Bench: the log view during a 20 000 lines/s flood: median key-to-frame latency and the dashboard's CPU.
//
//   npm run build && node --import=tsx bench/dashboard-flood.ts [--rate 20000] [--presses 30] [--seconds 10]
//
// The demo device (one helper process) runs /user/flood at the given rate; the dashboard runs from dist/ on a real
// pseudo-terminal with that service's log open, following. A key press is "F" (follow ⇄ pause): its frame is the
// first output after the press that shows the new mode, which no frame before the press can show. Baseline in the
// same run: the same presses with the log of a quiet service open. Goal (the issue): median under 100 ms, CPU under
// one core.
import {execFileSync} from 'node:child_process';
import {readFileSync} from 'node:fs';
import path from 'node:path';
import {parseArgs} from 'node:util';
import {benchConfigDir, type Figure, median, report} from './bench-util.js';
import {startDemoFleetProcess, startOnPty, type PtyRun} from './dashboard-pty.js';

const {values} = parseArgs({
	options: {
		rate: {type: 'string', default: '20000'},
		presses: {type: 'string', default: '30'},
		seconds: {type: 'string', default: '10'},
	},
});
const presses = Number(values.presses);
const seconds = Number(values.seconds);
const clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], {encoding: 'utf8'}).trim()) || 100;

function cpuTicks(pid: number): number {
	const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
	const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
	return Number(fields[11]) + Number(fields[12]);
}

async function openLog(dashboard: PtyRun, service: string): Promise<void> {
	await dashboard.waitFor(new RegExp(`/user/${service}`), 0, 60_000);
	dashboard.write('\r');
	dashboard.write(`/${service}`);
	dashboard.write('\r');
	await dashboard.waitFor(new RegExp(`filter "${service}"`), 0, 10_000);
	dashboard.write('\r');
	await dashboard.waitFor(new RegExp(`Logs · .* /user/${service} · following`), 0, 10_000);
}

/** Presses F `count` times; each latency is from the write to the first output showing the new mode. */
async function keyLatencies(dashboard: PtyRun, count: number): Promise<number[]> {
	const latencies: number[] = [];
	let following = true;
	for (let press = 0; press < count; press++) {
		const sent = performance.now();
		dashboard.write('F');
		following = !following;
		latencies.push(await dashboard.waitFor(following ? /following ▼/ : /paused/, sent, 10_000));
		// A human pace: a few keys a second, not a burst.
		await new Promise(resolve => setTimeout(resolve, 150));
	}

	if (!following) {
		dashboard.write('F');
	}

	return latencies;
}

const fleet = await startDemoFleetProcess(1, ['--extra', 'flood', '--flood-rate', values.rate]);
const figures: Figure[] = [];
try {
	for (const [label, service] of [['quiet service (baseline)', 'chatty'], [`flood at ${values.rate} lines/s`, 'flood']] as const) {
		const dashboard = startOnPty(process.execPath, ['dist/cli.js', fleet.urls[0]], {
			columns: 120,
			rows: 40,
			// A settings folder per run: the dashboard remembers the last view, and the second run must start on the list.
			env: {KRAZY_TUI_CONFIG_DIR: path.join(benchConfigDir(), service), ...(process.env.BENCH_NODE_ENV ? {NODE_ENV: process.env.BENCH_NODE_ENV} : {})},
		});
		try {
			await openLog(dashboard, service);
			await new Promise(resolve => setTimeout(resolve, 2000));
			const startTicks = cpuTicks(dashboard.pid);
			const started = performance.now();
			const latencies = await keyLatencies(dashboard, presses);
			const remaining = seconds * 1000 - (performance.now() - started);
			if (remaining > 0) {
				await new Promise(resolve => setTimeout(resolve, remaining));
			}

			const cpu = ((cpuTicks(dashboard.pid) - startTicks) / clockTicks) / ((performance.now() - started) / 1000) * 100;
			const flood = service === 'flood';
			figures.push(
				{name: `${label}: median key-to-frame`, value: median(latencies), unit: 'ms', ...(flood ? {goal: '< 100 ms', pass: median(latencies) < 100} : {})},
				{name: `${label}: slowest key-to-frame`, value: Math.max(...latencies), unit: 'ms'},
				{name: `${label}: CPU (share of one core)`, value: cpu, unit: '%', ...(flood ? {goal: '< 100 %', pass: cpu < 100} : {})},
			);
		} finally {
			await dashboard.kill();
		}
	}
} finally {
	await fleet.stop();
}

report(`log view under a flood (${presses} presses of F, 120×40)`, figures);

// Shared by the benchmarks: timing child processes, medians, peak memory from /proc, and printing a table plus JSON.
import {spawn} from 'node:child_process';
import {readFileSync} from 'node:fs';

export type Run = {ms: number; code: number | null; stdout: string; peakRssKb: number};

/** Runs a command to completion, timing it from spawn to exit and sampling its peak RSS (VmHWM) just before it exits. */
export async function timeCommand(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Run> {
	const started = performance.now();
	const child = spawn(command, args, {env, stdio: ['ignore', 'pipe', 'pipe']});
	let stdout = '';
	let peakRssKb = 0;
	child.stdout.on('data', (chunk: Buffer) => {
		stdout += chunk.toString('utf8');
	});
	const sampler = setInterval(() => {
		peakRssKb = Math.max(peakRssKb, peakRss(child.pid!));
	}, 20);
	const code = await new Promise<number | null>(resolve => {
		child.on('close', resolve);
	});
	clearInterval(sampler);
	return {ms: performance.now() - started, code, stdout, peakRssKb};
}

/** VmHWM of a live process in KiB (0 when it is gone). */
export function peakRss(pid: number): number {
	try {
		const status = readFileSync(`/proc/${pid}/status`, 'utf8');
		return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
	} catch {
		return 0;
	}
}

/** utime + stime of a process in seconds. */
export function cpuSeconds(pid: number): number {
	const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
	const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
	return (Number(fields[11]) + Number(fields[12])) / 100;
}

export function median(values: number[]): number {
	const sorted = [...values].sort((a, b) => a - b);
	const middle = Math.floor(sorted.length / 2);
	return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export type Figure = {name: string; value: number; unit: string; goal?: string; pass?: boolean};

export function report(title: string, figures: Figure[]): void {
	console.log(`\n${title}`);
	for (const figure of figures) {
		const verdict = figure.pass === undefined ? '' : figure.pass ? '  ✓ goal met' : '  ✗ goal missed';
		console.log(`  ${figure.name.padEnd(52)} ${figure.value.toFixed(figure.unit === 'ratio' ? 2 : 1).padStart(9)} ${figure.unit}${figure.goal ? `  (goal ${figure.goal})` : ''}${verdict}`);
	}

	console.log(JSON.stringify({bench: title, figures}));
}

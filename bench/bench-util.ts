// Shared by the benchmarks: timing child processes, medians, peak memory from /proc, and printing a table plus JSON.
import {spawn} from 'node:child_process';
import {mkdtempSync, readdirSync, readFileSync, rmSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';

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

/** A process's command line as its arguments (empty when it is gone). */
export function commandLine(pid: number): string[] {
	try {
		return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(part => part !== '');
	} catch {
		return [];
	}
}

/** The direct children of a process, from /proc/<pid>/task/<tid>/children of each of its threads. */
export function childrenOf(pid: number): number[] {
	const children: number[] = [];
	let tasks: string[] = [];
	try {
		tasks = readdirSync(`/proc/${pid}/task`);
	} catch {
		return [];
	}

	for (const task of tasks) {
		try {
			children.push(...readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number));
		} catch {
			// The thread ended meanwhile.
		}
	}

	return children;
}

/**
 * The one process under `rootPid` (itself included, breadth first) that is node running `script` with `argument`:
 * the process a bench means to sample, not the shell or `env` around it. Waits up to `timeoutMs` for it to appear
 * (the shell forks it a moment after the pane starts) and throws, naming what it saw, when it does not.
 */
export async function nodeUnder(rootPid: number, script: string, argument: string, timeoutMs = 10_000): Promise<number> {
	const isTheNode = (argv: string[]) => argv.length > 1 && /(^|\/)node$/.test(argv[0]!) && argv.some(part => part.endsWith(script)) && argv.includes(argument);
	const deadline = Date.now() + timeoutMs;
	let seen: string[] = [];
	for (;;) {
		seen = [];
		const queue = [rootPid];
		while (queue.length > 0) {
			const pid = queue.shift()!;
			const argv = commandLine(pid);
			if (isTheNode(argv)) {
				return pid;
			}

			seen.push(`${pid}: ${argv.join(' ')}`);
			queue.push(...childrenOf(pid));
		}

		if (Date.now() > deadline) {
			throw new Error(`no node running ${script} ${argument} under pid ${rootPid}; found ${seen.join('; ')}`);
		}

		await new Promise(resolve => setTimeout(resolve, 100));
	}
}

let configDir: string | undefined;

/** A config folder of this bench's own for the CLI (none of the user's devices), removed when the bench exits. */
export function benchConfigDir(): string {
	if (configDir === undefined) {
		const dir = mkdtempSync(path.join(os.tmpdir(), 'krazy-bench-config-'));
		configDir = dir;
		process.once('exit', () => {
			rmSync(dir, {recursive: true, force: true});
		});
	}

	return configDir;
}

// Runs `krazy-tui exporter --json` (the built CLI) for a test, reads where it listens, and stops it by pid in teardown.
import type {ChildProcess} from 'node:child_process';
import type {ExecutionContext} from 'ava';
import {spawnCli} from './cli.js';

export type RunningExporter = {
	child: ChildProcess;
	/** http://127.0.0.1:PORT/metrics */
	url: string;
	/** host:port, as a scrape target. */
	target: string;
	devices: string[];
	stderr(): string;
	stop(): Promise<number | null>;
};

export async function useExporter(t: ExecutionContext, args: string[], options: {env?: NodeJS.ProcessEnv} = {}): Promise<RunningExporter> {
	const child = spawnCli(['exporter', '--json', '--listen', '127.0.0.1:0', ...args], {env: options.env});
	let stderr = '';
	child.stderr!.setEncoding('utf8').on('data', (text: string) => {
		stderr = (stderr + text).slice(-8000);
	});
	const exited = new Promise<number | null>(resolve => {
		child.once('exit', code => resolve(code));
	});
	const stop = async () => {
		if (child.exitCode === null && child.signalCode === null) {
			child.kill('SIGTERM');
		}

		return exited;
	};

	t.teardown(async () => {
		await stop();
	});
	const first = await new Promise<string>((resolve, reject) => {
		let buffered = '';
		const timer = setTimeout(() => reject(new Error(`exporter printed nothing within 30 s; stderr: ${stderr}`)), 30_000);
		child.stdout!.setEncoding('utf8').on('data', (text: string) => {
			buffered += text;
			const newline = buffered.indexOf('\n');
			if (newline !== -1) {
				clearTimeout(timer);
				resolve(buffered.slice(0, newline));
			}
		});
		void exited.then(code => {
			clearTimeout(timer);
			reject(new Error(`exporter exited with ${code} before saying where it listens; stderr: ${stderr}`));
		});
	});
	const line = JSON.parse(first) as {url: string; port: number; devices: string[]};
	return {child, url: line.url, target: `127.0.0.1:${line.port}`, devices: line.devices, stderr: () => stderr, stop};
}

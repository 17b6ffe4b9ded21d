// For the dashboard benchmarks: a program on a real pseudo-terminal (node-pty), its output as text, the demo fleet in a helper.
import {spawn as spawnChild, type ChildProcess} from 'node:child_process';
import {createInterface} from 'node:readline';
import {fileURLToPath} from 'node:url';
import pty from 'node-pty';

export const root = fileURLToPath(new URL('..', import.meta.url));

const ansi = /\u001b\[[\d;?]*[ -/]*[@-~]|\u001b\][^\u0007]*\u0007|\u001b[()][\dA-Z]|\u001b[=>78]/g;

export type PtyRun = {
	pid: number;
	/** Everything printed so far, escape sequences removed. */
	text(): string;
	/** Resolves with ms since `since` (performance.now() time) when printed text after that point matches. */
	waitFor(match: RegExp, since?: number, timeoutMs?: number): Promise<number>;
	write(data: string): void;
	kill(): Promise<void>;
};

/** Starts `command` on a pty of the given size; the clock for waitFor starts when this is called. */
export function startOnPty(command: string, args: string[], options: {columns?: number; rows?: number; env?: NodeJS.ProcessEnv} = {}): PtyRun {
	const terminal = pty.spawn(command, args, {
		name: 'xterm-256color',
		cols: options.columns ?? 100,
		rows: options.rows ?? 30,
		cwd: root,
		// A real terminal: no $CI (Ink would draw only the last frame, chalk no colour).
		env: Object.fromEntries(Object.entries({...process.env, ...options.env}).filter(([key, value]) => value !== undefined && key !== 'CI' && key !== 'CONTINUOUS_INTEGRATION')) as Record<string, string>,
	});
	// Chunks with their arrival time, so a wait can look only at what came after a key was sent.
	const chunks: Array<{at: number; text: string}> = [];
	let waiters: Array<() => void> = [];
	let exited = false;
	const exitPromise = new Promise<void>(resolve => {
		terminal.onExit(() => {
			exited = true;
			resolve();
		});
	});
	terminal.onData(data => {
		chunks.push({at: performance.now(), text: data.replace(ansi, '')});
		// Keep memory bounded during floods: only the last few thousand chunks matter.
		if (chunks.length > 5000) {
			chunks.splice(0, chunks.length - 2000);
		}

		const current = waiters;
		waiters = [];
		for (const wake of current) {
			wake();
		}
	});
	return {
		pid: terminal.pid,
		text: () => chunks.map(chunk => chunk.text).join(''),
		async waitFor(match, since = 0, timeoutMs = 30_000) {
			const started = performance.now();
			for (;;) {
				// Text from chunks after `since`, with a little of the one before (a match may straddle chunks).
				const recent = chunks.filter(chunk => chunk.at >= since);
				const joined = recent.map(chunk => chunk.text).join('');
				if (match.test(joined)) {
					// The time of the chunk that completed the match.
					let text = '';
					for (const chunk of recent) {
						text += chunk.text;
						if (match.test(text)) {
							return chunk.at - since;
						}
					}
				}

				if (performance.now() - started > timeoutMs || exited) {
					throw new Error(`no ${String(match)} within ${timeoutMs} ms; last output: ${joined.slice(-400)}`);
				}

				await new Promise<void>(resolve => {
					const timer = setTimeout(resolve, 50);
					waiters.push(() => {
						clearTimeout(timer);
						resolve();
					});
				});
			}
		},
		write(data) {
			terminal.write(data);
		},
		async kill() {
			if (!exited) {
				terminal.kill('SIGTERM');
				await Promise.race([exitPromise, new Promise(resolve => setTimeout(resolve, 3000))]);
				if (!exited) {
					terminal.kill('SIGKILL');
				}
			}
		},
	};
}

export type DemoFleet = {urls: string[]; pid: number; stop(): Promise<void>};

/** `krazy-tui demo --serve --json --count N` in its own process, so the devices' work is not the dashboard's. */
export async function startDemoFleetProcess(count: number, extra: string[] = []): Promise<DemoFleet> {
	const child: ChildProcess = spawnChild(process.execPath, ['dist/cli.js', 'demo', '--serve', '--json', '--count', String(count), ...extra], {
		cwd: root,
		stdio: ['ignore', 'pipe', 'inherit'],
	});
	const urls: string[] = [];
	const lines = createInterface({input: child.stdout!});
	await new Promise<void>((resolve, reject) => {
		lines.on('line', line => {
			urls.push((JSON.parse(line) as {url: string}).url);
			if (urls.length === count) {
				resolve();
			}
		});
		child.once('exit', code => {
			reject(new Error(`the demo fleet exited with ${code} after ${urls.length} devices`));
		});
	});
	return {
		urls,
		pid: child.pid!,
		async stop() {
			const gone = new Promise(resolve => child.once('exit', resolve));
			child.kill('SIGTERM');
			await Promise.race([gone, new Promise(resolve => setTimeout(resolve, 15_000))]);
		},
	};
}

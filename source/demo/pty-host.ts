// Pseudo-terminals for the demo's breakglass: node-pty when it loads, else script(1) from util-linux, else none (pipes).
import {spawn} from 'node:child_process';
import {existsSync} from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';

/** What a PTY session needs from a terminal, whichever way it is made. */
export type PtyProcess = {
	onData(listener: (data: string | Buffer) => void): void;
	onExit(listener: (exitCode: number) => void): void;
	write(data: Buffer): void;
	resize(cols: number, rows: number): void;
	/** Hangs the terminal up: the program on it gets SIGHUP, as when a real terminal goes away. */
	hangUp(): void;
};

export type PtySpawnOptions = {cols: number; rows: number; cwd: string; env: Record<string, string>; term: string};

export type PtyHost = {
	kind: 'node-pty' | 'script';
	spawn(file: string, args: string[], options: PtySpawnOptions): PtyProcess;
};

/**
 * The part of node-pty's API used here, declared locally: node-pty is an optional dependency whose native build may
 * fail (no compiler, no Node headers, install scripts refused), and the build must not need its types then.
 */
type NodePtyTerminal = {
	onData(listener: (data: string) => void): unknown;
	onExit(listener: (event: {exitCode: number; signal?: number}) => void): unknown;
	write(data: string | Buffer): void;
	resize(columns: number, rows: number): void;
	kill(signal?: string): void;
};
type NodePtyModule = {
	spawn(file: string, args: string[], options: {name: string; cols: number; rows: number; cwd: string; env: Record<string, string>}): NodePtyTerminal;
};

/** Set to 1, node-pty is treated as not installed (how the tests and CI prove the fallback works). */
export const noNodePtyVariable = 'KRAZY_NO_NODE_PTY';

async function loadNodePty(env: NodeJS.ProcessEnv): Promise<NodePtyModule | undefined> {
	if (env[noNodePtyVariable] === '1') {
		return undefined;
	}

	// A name in a variable: TypeScript then neither resolves the module nor needs its types.
	const name = 'node-pty';
	try {
		const module = (await import(name)) as NodePtyModule & {default?: NodePtyModule};
		const pty = module.default ?? module;
		return typeof pty.spawn === 'function' ? pty : undefined;
	} catch {
		return undefined;
	}
}

function nodePtyHost(pty: NodePtyModule): PtyHost {
	return {
		kind: 'node-pty',
		spawn(file, args, options) {
			const terminal = pty.spawn(file, args, {name: options.term, cols: options.cols, rows: options.rows, cwd: options.cwd, env: options.env});
			return {
				onData: listener => void terminal.onData(listener),
				onExit: listener => void terminal.onExit(({exitCode}) => listener(exitCode)),
				write: data => terminal.write(data),
				resize(cols, rows) {
					try {
						terminal.resize(Math.max(1, cols), Math.max(1, rows));
					} catch {
						// The program may have exited between the request and now.
					}
				},
				hangUp() {
					try {
						terminal.kill('SIGHUP');
					} catch {
						// Already gone.
					}
				},
			};
		},
	};
}

function findProgram(name: string, searchPath: string | undefined): string | undefined {
	for (const directory of (searchPath ?? '/usr/bin:/bin').split(':')) {
		const candidate = path.join(directory || '.', name);
		if (path.isAbsolute(candidate) && existsSync(candidate)) {
			return candidate;
		}
	}

	return undefined;
}

const shellQuote = (text: string) => `'${text.replaceAll('\'', '\'\\\'\'')}'`;

/**
 * util-linux's script(1) holds the pseudo-terminal: `script -qfec COMMAND /dev/null` runs COMMAND on a fresh one and
 * relays it over plain pipes. The size is set with stty from inside at the start; a resize is an stty on the same
 * terminal from outside, which makes the kernel send SIGWINCH as it would for node-pty.
 */
function scriptHost(script: string, stty: string | undefined): PtyHost {
	return {
		kind: 'script',
		spawn(file, args, options) {
			const size = (cols: number, rows: number) => `cols ${Math.max(1, cols)} rows ${Math.max(1, rows)}`;
			const command = [
				'unset SHELL',
				...(stty ? [`${shellQuote(stty)} ${size(options.cols, options.rows)} 2>/dev/null`] : []),
				`exec ${[file, ...args].map(shellQuote).join(' ')}`,
			].join('; ');
			const child = spawn(script, ['-q', '-f', '-e', '-c', command, '/dev/null'], {
				cwd: options.cwd,
				env: {...options.env, SHELL: '/bin/sh', TERM: options.term},
				stdio: ['pipe', 'pipe', 'ignore'],
			});
			child.stdin.on('error', () => {});
			let exited = false;
			child.once('exit', () => {
				exited = true;
			});
			/** The terminal's name (/dev/pts/N), read from the program script started, once it has started. */
			const terminalName = async (): Promise<string | undefined> => {
				try {
					const children = await fs.readFile(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8');
					const program = children.trim().split(/\s+/)[0];
					return program ? await fs.readlink(`/proc/${program}/fd/0`) : undefined;
				} catch {
					return undefined;
				}
			};

			return {
				onData: listener => void child.stdout.on('data', listener),
				onExit: listener => void child.once('close', (code, signal) => listener(code ?? (signal ? 128 : 1))),
				write(data) {
					if (!exited) {
						child.stdin.write(data);
					}
				},
				resize(cols, rows) {
					if (!stty || exited) {
						return;
					}

					void terminalName().then(name => {
						if (name?.startsWith('/dev/')) {
							spawn(stty, ['-F', name, ...size(cols, rows).split(' ')], {stdio: 'ignore'}).on('error', () => {});
						}
					});
				},
				hangUp() {
					// When script dies its terminal closes and the kernel sends the program on it SIGHUP. SIGKILL, because
					// script passes SIGTERM on as SIGTERM, which an interactive shell ignores.
					if (!exited) {
						child.kill('SIGKILL');
					}
				},
			};
		},
	};
}

/** The best way to make terminals on this machine; undefined when there is none (sessions then run on pipes). */
export async function loadPtyHost(env: NodeJS.ProcessEnv = process.env): Promise<PtyHost | undefined> {
	const pty = await loadNodePty(env);
	if (pty) {
		return nodePtyHost(pty);
	}

	const script = findProgram('script', env.PATH);
	return script ? scriptHost(script, findProgram('stty', env.PATH)) : undefined;
}

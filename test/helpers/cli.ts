// The one CLI runner: krazy-tui as a child process, the way scripts and users run it, for every test that runs it.
import {spawn, type ChildProcess} from 'node:child_process';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
export const cliPath = path.join(repoRoot, 'dist', 'cli.js');
export const sourceCliPath = path.join(repoRoot, 'source', 'cli.ts');
/** Makes an unhandled rejection in the CLI end it with exit 86 (runCli then throws): none may go unnoticed. */
const failOnUnhandled = new URL('fail-on-unhandled.mjs', import.meta.url).href;
const unhandledExitCode = 86;

export type CliResult = {code: number | null; stdout: string; stderr: string};

export type CliOptions = {
	/** The child's environment, over PATH and HOME of this process (the user's config stays out unless given). */
	env?: NodeJS.ProcessEnv;
	/** stdin's whole text (stdin is closed at once without it). */
	input?: string;
	/** Killed after this long (default 60 s): a hang fails the test, it does not stall the run. */
	timeoutMs?: number;
	nodeArgs?: string[];
	/** Run source/cli.ts through tsx (no build needed) instead of dist/cli.js. */
	fromSource?: boolean;
	/**
	 * Run as this uid (setpriv, no supplementary groups), for the tests that need to lack permission; always dist/
	 * (tsx's loader checks access with the real uid). CAP_DAC_READ_SEARCH lets it read the checkout wherever it is
	 * (CI clones into a 0700 folder) without any right to write.
	 */
	uid?: number;
	/** Each stdout line as it arrives. */
	onLine?: (line: string, child: ChildProcess) => void;
	/** stdout so far, after each chunk. */
	onOutput?: (soFar: string) => void;
};

export function spawnCli(args: readonly string[], options: CliOptions = {}): ChildProcess {
	const script = options.fromSource && options.uid === undefined ? ['--import=tsx', sourceCliPath] : [cliPath];
	const nodeArgs = [`--import=${failOnUnhandled}`, ...(options.nodeArgs ?? []), ...script, ...args];
	const [command, commandArgs] = options.uid === undefined
		? [process.execPath, nodeArgs]
		: ['/usr/bin/setpriv', [`--reuid=${options.uid}`, `--regid=${options.uid}`, '--clear-groups', '--inh-caps=+dac_read_search', '--ambient-caps=+dac_read_search', '--', process.execPath, ...nodeArgs]];
	return spawn(command, commandArgs, {
		cwd: repoRoot,
		env: {PATH: process.env.PATH, HOME: process.env.HOME, ...options.env},
		stdio: 'pipe',
	});
}

/** Runs `krazy-tui ...args` to completion. */
export async function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
	const child = spawnCli(args, options);
	let stdout = '';
	let stderr = '';
	let partial = '';
	child.stdout!.on('data', (chunk: Buffer) => {
		const text = chunk.toString('utf8');
		stdout += text;
		options.onOutput?.(stdout);
		if (options.onLine) {
			partial += text;
			const lines = partial.split('\n');
			partial = lines.pop() ?? '';
			for (const line of lines) {
				options.onLine(line, child);
			}
		}
	});
	child.stderr!.on('data', (chunk: Buffer) => {
		stderr += chunk.toString('utf8');
	});
	child.stdin!.on('error', () => undefined);
	child.stdin!.end(options.input ?? '');
	const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
	let result: CliResult;
	try {
		result = await new Promise<CliResult>((resolve, reject) => {
			child.on('error', reject);
			child.on('close', code => resolve({code, stdout, stderr}));
		});
	} finally {
		clearTimeout(timer);
	}

	if (result.code === unhandledExitCode && result.stderr.includes('KRAZY-TEST: unhandled rejection')) {
		throw new Error(`krazy-tui ${args.join(' ')} had an unhandled rejection:\n${result.stderr}`);
	}

	return result;
}

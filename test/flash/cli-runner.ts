// Runs the real CLI (`node --import=tsx source/cli.ts flash …`) for the flashing tests, optionally as another user (then
// the built dist/cli.js: tsx's loader checks access with the real uid and cannot see a checkout in a 0700 folder).
import {spawn, type ChildProcess} from 'node:child_process';
import {chmod, mkdir, symlink, writeFile} from 'node:fs/promises';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
export const cliPath = path.join(repoRoot, 'source', 'cli.ts');
const builtCliPath = path.join(repoRoot, 'dist', 'cli.js');

export type CliResult = {code: number | null; stdout: string; stderr: string};

export type CliOptions = {
	env?: NodeJS.ProcessEnv;
	/** Run as this uid (setpriv, no supplementary groups): for the tests that need to lack permission. */
	uid?: number;
	/** Called with each stdout line as it arrives. */
	onLine?: (line: string, child: ChildProcess) => void;
};

export function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
	const nodeArgs = options.uid === undefined ? ['--import=tsx', cliPath, ...args] : [builtCliPath, ...args];
	const [command, commandArgs] = options.uid === undefined
		? [process.execPath, nodeArgs]
		// CAP_DAC_READ_SEARCH lets the unprivileged user read the checkout wherever it is (CI clones into a 0700 temp
		// dir) without giving it any right to write: opening the card for writing is still refused.
		: ['/usr/bin/setpriv', [`--reuid=${options.uid}`, `--regid=${options.uid}`, '--clear-groups', '--inh-caps=+dac_read_search', '--ambient-caps=+dac_read_search', '--', process.execPath, ...nodeArgs]];
	return new Promise((resolve, reject) => {
		const child = spawn(command, commandArgs, {cwd: repoRoot, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe']});
		let stdout = '';
		let stderr = '';
		let partial = '';
		child.stdout.on('data', (data: Buffer) => {
			stdout += data.toString('utf8');
			partial += data.toString('utf8');
			const lines = partial.split('\n');
			partial = lines.pop() ?? '';
			for (const line of lines) {
				options.onLine?.(line, child);
			}
		});
		child.stderr.on('data', (data: Buffer) => {
			stderr += data.toString('utf8');
		});
		child.on('error', reject);
		child.on('close', code => resolve({code, stdout, stderr}));
	});
}

export function jsonLines(stdout: string): Array<Record<string, unknown>> {
	return stdout.split('\n').filter(line => line.trim() !== '').map(line => JSON.parse(line) as Record<string, unknown>);
}

/** A folder for PATH with only node and lsblk in it (so no sudo, udisksctl or eject unless a test adds one). */
export async function minimalPath(dir: string): Promise<string> {
	const bin = path.join(dir, 'bin');
	await mkdir(bin, {recursive: true});
	await symlink(process.execPath, path.join(bin, 'node'));
	await symlink('/usr/bin/lsblk', path.join(bin, 'lsblk'));
	return bin;
}

/** Puts an executable script into a folder. */
export async function installScript(bin: string, name: string, text: string): Promise<string> {
	const file = path.join(bin, name);
	await writeFile(file, text);
	await chmod(file, 0o755);
	return file;
}

/** `flash ARGS` in this process (no tsx start-up per call): the same command the CLI runs, with captured output. */
export async function runFlash(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<CliResult> {
	const {flashCommand} = await import('../../source/commands/flash.js');
	const {UsageError} = await import('../../source/commands/command-io.js');
	const {Writable} = await import('node:stream');
	let stdout = '';
	let stderr = '';
	const sink = (append: (text: string) => void) => new Writable({
		write(chunk: Buffer, _encoding, callback) {
			append(chunk.toString('utf8'));
			callback();
		},
	});
	const io = {
		stdout: sink(text => {
			stdout += text;
		}),
		stderr: sink(text => {
			stderr += text;
		}),
		env,
		stdoutIsTty: false,
		signal: new AbortController().signal,
	};
	try {
		const code = await flashCommand(args.slice(args[0] === 'flash' ? 1 : 0), io);
		return {code, stdout, stderr};
	} catch (error) {
		if (error instanceof UsageError) {
			return {code: 2, stdout, stderr: `${stderr}krazy-tui: ${error.message}\n`};
		}

		throw error;
	}
}

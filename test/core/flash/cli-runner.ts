// The flashing tests' ways to run `flash`: the real CLI through the one runner (helpers/cli.ts), or the command in this
// process; and a minimal PATH with scripts standing in for sudo, udisksctl or gok.
import {chmod, mkdir, symlink, writeFile} from 'node:fs/promises';
import path from 'node:path';
import {runCli as runKrazyTui, type CliOptions as SharedCliOptions, type CliResult} from '../../helpers/cli.js';

export {repoRoot} from '../../helpers/cli.js';
export type {CliResult} from '../../helpers/cli.js';

export type CliOptions = Pick<SharedCliOptions, 'env' | 'uid' | 'onLine'>;

/** `krazy-tui ARGS` from source (as another user: the built one), in this process's environment unless one is given. */
export async function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
	return runKrazyTui(args, {...options, env: options.env ?? process.env, fromSource: true});
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
	const {flashCommand} = await import('../../../source/commands/flash.js');
	const {UsageError} = await import('../../../source/commands/command-io.js');
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

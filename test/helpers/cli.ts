// Runs the built CLI (dist/cli.js) as a child process, the way scripts and users run it.
import {spawn, type ChildProcess} from 'node:child_process';
import {fileURLToPath} from 'node:url';

export const cliPath = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
/** Makes an unhandled rejection in the CLI end it with exit 86 (runCli then throws): none may go unnoticed. */
const failOnUnhandled = new URL('fail-on-unhandled.mjs', import.meta.url).href;
const unhandledExitCode = 86;

export type CliResult = {code: number | null; stdout: string; stderr: string};

export type CliOptions = {env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number; nodeArgs?: string[]};

/** Runs `node dist/cli.js ...args` to completion. The environment is isolated from the user's config by default. */
export async function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
	const child = spawnCli(args, options);
	let stdout = '';
	let stderr = '';
	child.stdout!.on('data', (chunk: Buffer) => {
		stdout += chunk.toString('utf8');
	});
	child.stderr!.on('data', (chunk: Buffer) => {
		stderr += chunk.toString('utf8');
	});
	if (options.input !== undefined) {
		child.stdin!.end(options.input);
	} else {
		child.stdin!.end();
	}

	const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
	const code = await new Promise<number | null>(resolve => {
		child.on('close', resolve);
	});
	clearTimeout(timer);
	if (code === unhandledExitCode && stderr.includes('KRAZY-TEST: unhandled rejection')) {
		throw new Error(`krazy-tui ${args.join(' ')} had an unhandled rejection:\n${stderr}`);
	}

	return {code, stdout, stderr};
}

export function spawnCli(args: string[], options: CliOptions = {}): ChildProcess {
	return spawn(process.execPath, [`--import=${failOnUnhandled}`, ...(options.nodeArgs ?? []), cliPath, ...args], {
		env: {PATH: process.env.PATH, HOME: process.env.HOME, ...options.env},
		stdio: 'pipe',
	});
}

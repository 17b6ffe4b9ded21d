// Writing as root when the card is not writable: the write and verify run in a `sudo krazy-tui flash … --json` child whose progress is read back.
import {spawn} from 'node:child_process';
import path from 'node:path';
import {FlashError} from './flash-error.js';
import type {FlashEvent, FlashOutcome} from './flash-job.js';
import {outcomeFromDone, parseRecord} from './flash-record.js';
import {findProgram} from './program-path.js';

/** How this program was started, to start it again under sudo. */
export type SelfInvocation = {node: string; execArgv: string[]; cli: string};

export function currentInvocation(): SelfInvocation {
	// Debugger flags would make the child wait for a debugger.
	const execArgv = process.execArgv.filter(flag => !flag.startsWith('--inspect'));
	return {node: process.execPath, execArgv, cli: process.argv[1] ?? ''};
}

export type ElevatedRequest = {imagePath: string; devicePath: string; fast?: boolean; verify?: boolean};

/** `sudo -n -- node [flags] cli flash --image ABS --device DEV --yes --json --no-power-off [--fast] [--no-verify]`. */
export function elevatedFlashArgs(invocation: SelfInvocation, request: ElevatedRequest): string[] {
	return [
		'-n', '--', invocation.node, ...invocation.execArgv, invocation.cli,
		'flash', '--image', path.resolve(request.imagePath), '--device', request.devicePath, '--yes', '--json', '--no-power-off',
		...(request.fast ? ['--fast'] : []),
		...(request.verify === false ? ['--no-verify'] : []),
	];
}

/** The message when the card needs root and there is no sudo to get it. */
export function noSudoMessage(devicePath: string): string {
	return `${devicePath}: permission denied, and sudo is not installed: run krazy-tui as root, or give your user write access to the device (e.g. the disk group)`;
}

export async function findSudo(env: NodeJS.ProcessEnv): Promise<string | undefined> {
	return findProgram('sudo', env);
}

/**
 * `sudo -v` on the terminal: asks for the password if sudo wants one. The caller has released the terminal (the
 * wizard stops reading keys) and takes it back afterwards.
 */
export async function validateSudo(sudo: string, env: NodeJS.ProcessEnv): Promise<void> {
	const code = await new Promise<number>(resolve => {
		const child = spawn(sudo, ['-v'], {env, stdio: 'inherit'});
		child.on('error', () => resolve(-1));
		child.on('close', exit => resolve(exit ?? -1));
	});
	if (code !== 0) {
		throw new FlashError('sudo', 'permission', 'could not get root rights (wrong password, or not allowed to use sudo)');
	}
}

/** Runs the flash in the sudo child, forwarding its progress; resolves with its outcome or throws its error. */
export async function runElevatedFlash(
	sudo: string,
	args: string[],
	options: {env: NodeJS.ProcessEnv; signal?: AbortSignal; onEvent?: (event: FlashEvent) => void; devicePath: string},
): Promise<FlashOutcome> {
	return new Promise((resolve, reject) => {
		const child = spawn(sudo, args, {env: options.env, stdio: ['ignore', 'pipe', 'pipe']});
		let outcome: FlashOutcome | undefined;
		let failure: FlashError | undefined;
		let partial = '';
		let stderr = '';
		const onAbort = () => child.kill('SIGINT');
		options.signal?.addEventListener('abort', onAbort, {once: true});
		child.stdout.on('data', (data: Buffer) => {
			partial += data.toString('utf8');
			const lines = partial.split('\n');
			partial = lines.pop() ?? '';
			for (const line of lines) {
				const record = parseRecord(line);
				if (!record) {
					continue;
				}

				if (record.phase === 'done') {
					outcome = outcomeFromDone(record);
				} else if (record.phase === 'error') {
					const prefix = `${options.devicePath}: `;
					const cause = record.message.startsWith(prefix) ? record.message.slice(prefix.length) : record.message;
					const kind = (record.kind ?? 'io') as FlashError['kind'];
					failure = new FlashError(options.devicePath, kind, cause);
				} else {
					options.onEvent?.(record);
				}
			}
		});
		child.stderr.on('data', (data: Buffer) => {
			stderr = (stderr + data.toString('utf8')).slice(-4096);
		});
		child.on('error', error => {
			reject(new FlashError(options.devicePath, 'permission', `could not run sudo: ${error.message}`));
		});
		child.on('close', code => {
			options.signal?.removeEventListener('abort', onAbort);
			if (outcome && code === 0) {
				resolve(outcome);
				return;
			}

			if (failure) {
				reject(failure);
				return;
			}

			const last = stderr.trim().split('\n').at(-1) || `exited with status ${code}`;
			reject(new FlashError(options.devicePath, 'permission', `the flash under sudo failed: ${last}`));
		});
	});
}

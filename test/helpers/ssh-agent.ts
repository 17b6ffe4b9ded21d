// Starts a real ssh-agent on its own socket, loads keys into it with ssh-add, stops it by pid.
import {execFile, spawn} from 'node:child_process';
import {existsSync} from 'node:fs';
import {mkdtemp, rm} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {promisify} from 'node:util';

const run = promisify(execFile);

export type SshAgent = {
	socket: string;
	pid: number;
	add(privateKeyPath: string): Promise<void>;
	stop(): Promise<void>;
};

export async function startSshAgent(): Promise<SshAgent> {
	const dir = await mkdtemp(path.join(os.tmpdir(), 'krazy-agent-'));
	const socket = path.join(dir, 'agent.sock');
	const child = spawn('ssh-agent', ['-a', socket, '-D'], {stdio: ['ignore', 'ignore', 'pipe']});
	const exited = new Promise<void>(resolve => child.once('exit', () => resolve()));
	const deadline = Date.now() + 5000;
	while (!existsSync(socket)) {
		if (child.exitCode !== null || Date.now() > deadline) {
			throw new Error('ssh-agent did not create its socket');
		}

		await new Promise(resolve => setTimeout(resolve, 20));
	}

	return {
		socket,
		pid: child.pid!,
		async add(privateKeyPath) {
			await run('ssh-add', [privateKeyPath], {env: {...process.env, SSH_AUTH_SOCK: socket}});
		},
		async stop() {
			if (child.exitCode === null && child.signalCode === null) {
				process.kill(child.pid!, 'SIGTERM');
				await exited;
			}

			await rm(dir, {recursive: true, force: true});
		},
	};
}

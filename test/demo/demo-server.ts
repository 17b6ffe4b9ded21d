// Starts the demo breakglass server in a child process for tests; stopped by pid.
import {spawn} from 'node:child_process';
import {mkdtempSync, rmSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import type {BreakglassServerOptions} from '../../source/demo/breakglass-server.js';

export type DemoBreakglass = {
	port: number;
	stdout(): string;
	stderr(): string;
	/** Polls its stderr log until it matches. */
	waitForLog(pattern: RegExp, timeoutMs?: number): Promise<string>;
	stop(): Promise<void>;
};

const entry = path.join(path.dirname(fileURLToPath(import.meta.url)), 'demo-server-process.ts');

/** `env` is added to this process's environment for the server (KRAZY_NO_NODE_PTY=1, for one). */
export async function startDemoBreakglass(given: BreakglassServerOptions, env: NodeJS.ProcessEnv = {}): Promise<DemoBreakglass> {
	// Its working folder goes into a folder of the test's own, removed at stop: a server killed before its exit
	// handler ran (still starting, or SIGKILL) cannot remove it itself.
	const ownTmp = given.tmpDir === undefined ? mkdtempSync(path.join(os.tmpdir(), 'krazy-breakglass-')) : undefined;
	const options = ownTmp === undefined ? given : {...given, tmpDir: ownTmp};
	const child = spawn(process.execPath, ['--import=tsx', entry, JSON.stringify(options)], {stdio: ['ignore', 'pipe', 'pipe'], env: {...process.env, ...env}});
	let stdout = '';
	let stderr = '';
	child.stdout.on('data', (data: Buffer) => {
		stdout += data.toString();
	});
	child.stderr.on('data', (data: Buffer) => {
		stderr += data.toString();
	});
	const exited = new Promise<void>(resolve => child.once('exit', () => {
		if (ownTmp !== undefined) {
			rmSync(ownTmp, {recursive: true, force: true});
		}

		resolve();
	}));
	const port = await new Promise<number>((resolve, reject) => {
		// A budget for a loaded machine: seven of these start at once in one test file, each loading TypeScript through tsx.
		const timer = setTimeout(() => {
			// Not left running: it would start later, unwatched, and keep its working folder.
			child.kill('SIGTERM');
			reject(new Error(`demo breakglass did not start: ${stderr}`));
		}, 60_000);
		const check = () => {
			const match = /^listening on .*:(\d+)$/m.exec(stdout);
			if (match && /^host key fingerprint: /m.test(stdout)) {
				clearTimeout(timer);
				resolve(Number(match[1]));
			}
		};

		child.stdout.on('data', check);
		child.once('exit', code => {
			clearTimeout(timer);
			reject(new Error(`demo breakglass exited with ${code}: ${stderr}`));
		});
	});
	return {
		port,
		stdout: () => stdout,
		stderr: () => stderr,
		async waitForLog(pattern, timeoutMs = 10_000) {
			const deadline = Date.now() + timeoutMs;
			while (!pattern.test(stderr)) {
				if (Date.now() > deadline) {
					throw new Error(`log never matched ${pattern}:\n${stderr}`);
				}

				await new Promise(resolve => setTimeout(resolve, 50));
			}

			return stderr;
		},
		async stop() {
			if (child.exitCode === null && child.signalCode === null) {
				process.kill(child.pid!, 'SIGTERM');
				await exited;
			}
		},
	};
}

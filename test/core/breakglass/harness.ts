// Test setup for the shell command: a temporary home with keys, krazy-tui's config dir, and running the real CLI.
import {execFile} from 'node:child_process';
import {mkdirSync} from 'node:fs';
import {mkdtemp, rm} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {runCli as runKrazyTui, sourceCliPath, type CliResult} from '../../helpers/cli.js';
import {makeKeyPair} from '../../helpers/sshd.js';

export {repoRoot} from '../../helpers/cli.js';
/** The CLI from source, so the tests need no build. */
export const cliArgv = ['--import=tsx', sourceCliPath];

export type Home = {
	dir: string;
	home: string;
	configDir: string;
	/** ~/.ssh/id_ed25519 of this home. */
	key: {privatePath: string; publicKey: string};
	env: NodeJS.ProcessEnv;
	knownHostsFile: string;
	remove(): Promise<void>;
};

/** A home with ~/.ssh/id_ed25519 (unencrypted unless a passphrase is given), no agent, its own config dir. */
export async function makeHome(options: {passphrase?: string} = {}): Promise<Home> {
	const dir = await mkdtemp(path.join(os.tmpdir(), 'krazy-home-'));
	const home = path.join(dir, 'home');
	const ssh = path.join(home, '.ssh');
	mkdirSync(ssh, {recursive: true, mode: 0o700});
	const key = await makeKeyPair(ssh, 'id_ed25519', options.passphrase ?? '');
	const configDir = path.join(dir, 'config');
	const env: NodeJS.ProcessEnv = {...process.env, HOME: home, KRAZY_TUI_CONFIG_DIR: configDir, TERM: 'xterm-256color'};
	delete env.SSH_AUTH_SOCK;
	delete env.KRAZY_PASSWORD;
	return {
		dir,
		home,
		configDir,
		key,
		env,
		knownHostsFile: path.join(configDir, 'known_hosts'),
		remove: () => rm(dir, {recursive: true, force: true}),
	};
}

export type {CliResult} from '../../helpers/cli.js';

/** Runs `krazy-tui ARGS` from source with stdin from `input` (closed at once when none); `onStdout` sees the output as it comes. */
export async function runCli(args: string[], env: NodeJS.ProcessEnv, input?: string, onStdout?: (soFar: string) => void): Promise<CliResult> {
	return runKrazyTui(args, {env, input, onOutput: onStdout, fromSource: true});
}

export function run(file: string, args: string[], env?: NodeJS.ProcessEnv): Promise<{stdout: string; stderr: string}> {
	return new Promise((resolve, reject) => {
		execFile(file, args, {env, maxBuffer: 64 * 1024 * 1024}, (error, stdout, stderr) => (error ? reject(Object.assign(error, {stdout, stderr})) : resolve({stdout, stderr})));
	});
}

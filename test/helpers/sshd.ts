// Starts a real OpenSSH sshd on a free loopback port with its own host key and authorized_keys; stopped by pid.
import {execFile, spawn} from 'node:child_process';
import type {ChildProcess} from 'node:child_process';
import {mkdirSync, existsSync} from 'node:fs';
import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {promisify} from 'node:util';

const run = promisify(execFile);

export type Sshd = {
	host: string;
	port: number;
	dir: string;
	/** The server's host public key line (`ssh-ed25519 AAAA…`). */
	hostPublicKey: string;
	authorizedKeysPath: string;
	/** Where SFTP uploads land (sftp-server -d), so tests never write into root's home. */
	sftpRoot: string;
	pid: number;
	/** What sshd logged (VERBOSE), each chunk stamped with the milliseconds since it started: for a failing test's report. */
	log(): string;
	/** Replaces authorized_keys (sshd reads it on every login). */
	authorize(publicKeys: string[]): Promise<void>;
	/** Kills the server (and, with `connections`, every session it forked) — a device dropping off the network. */
	kill(options?: {connections?: boolean}): Promise<void>;
	stop(): Promise<void>;
};

/** An ed25519 key pair made by ssh-keygen (optionally encrypted), in dir. */
export async function makeKeyPair(dir: string, name: string, passphrase = ''): Promise<{privatePath: string; publicKey: string}> {
	const privatePath = path.join(dir, name);
	await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', passphrase, '-C', name, '-f', privatePath]);
	return {privatePath, publicKey: (await readFile(`${privatePath}.pub`, 'utf8')).trim()};
}

export async function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const server = net.createServer();
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const {port} = server.address() as net.AddressInfo;
			server.close(() => resolve(port));
		});
	});
}

async function waitForBanner(port: number, child: ChildProcess, log: () => string): Promise<void> {
	const deadline = Date.now() + 10_000;
	for (;;) {
		if (child.exitCode !== null) {
			throw new Error(`sshd exited with ${child.exitCode}: ${log()}`);
		}

		const banner = await new Promise<string>(resolve => {
			const socket = net.connect({host: '127.0.0.1', port});
			let text = '';
			socket.setTimeout(1000, () => socket.destroy());
			socket.on('data', data => {
				text += data.toString('latin1');
				socket.destroy();
			});
			socket.on('error', () => resolve(''));
			socket.on('close', () => resolve(text));
		});
		if (banner.startsWith('SSH-2.0-')) {
			return;
		}

		if (Date.now() > deadline) {
			throw new Error(`sshd did not answer on port ${port}: ${log()}`);
		}

		await new Promise(resolve => setTimeout(resolve, 50));
	}
}

/** `sftp: false`: no SFTP subsystem (refused, as breakglass before SFTP did), and commands run in sftpRoot instead of root's home. */
export async function startSshd(options: {authorizedKeys?: string[]; port?: number; sftp?: boolean} = {}): Promise<Sshd> {
	const dir = await mkdtemp(path.join(os.tmpdir(), 'krazy-sshd-'));
	const port = options.port ?? (await freePort());
	const hostKeyPath = path.join(dir, 'ssh_host_ed25519_key');
	await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', hostKeyPath]);
	const authorizedKeysPath = path.join(dir, 'authorized_keys');
	await writeFile(authorizedKeysPath, (options.authorizedKeys ?? []).map(key => `${key}\n`).join(''), {mode: 0o600});
	const pidFile = path.join(dir, 'sshd.pid');
	const sftpRoot = path.join(dir, 'sftp-root');
	mkdirSync(sftpRoot);
	const config = [
		`Port ${port}`,
		'ListenAddress 127.0.0.1',
		`HostKey ${hostKeyPath}`,
		`PidFile ${pidFile}`,
		`AuthorizedKeysFile ${authorizedKeysPath}`,
		'UsePAM no',
		'StrictModes no',
		'PermitRootLogin yes',
		'PasswordAuthentication no',
		'KbdInteractiveAuthentication no',
		'PubkeyAuthentication yes',
		'PrintMotd no',
		'PrintLastLog no',
		'LogLevel VERBOSE',
		'AcceptEnv LANG LC_* KRAZY_*',
		'MaxStartups 100',
		...(options.sftp === false
			? [`ForceCommand cd ${sftpRoot} && eval "$SSH_ORIGINAL_COMMAND"`]
			: [`Subsystem sftp ${existsSync('/usr/lib/openssh/sftp-server') ? '/usr/lib/openssh/sftp-server' : 'internal-sftp'} -d ${sftpRoot}`]),
		'',
	].join('\n');
	const configPath = path.join(dir, 'sshd_config');
	await writeFile(configPath, config);
	// The privilege separation directory a Debian sshd insists on; systemd would make it, a container does not.
	mkdirSync('/run/sshd', {recursive: true, mode: 0o755});

	const child = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', configPath], {stdio: ['ignore', 'ignore', 'pipe']});
	let log = '';
	const started = Date.now();
	child.stderr!.on('data', data => {
		log += `[+${Date.now() - started} ms] ${String(data)}`;
		if (log.length > 20_000) {
			log = log.slice(-10_000);
		}
	});
	await waitForBanner(port, child, () => log);
	const hostPublicKey = (await readFile(`${hostKeyPath}.pub`, 'utf8')).trim();
	const exited = new Promise<void>(resolve => {
		if (child.exitCode !== null || child.signalCode !== null) {
			resolve();
		} else {
			child.once('exit', () => resolve());
		}
	});

	const kill = async (killOptions: {connections?: boolean} = {}) => {
		if (killOptions.connections) {
			// Each session is a child sshd of the listener: kill those first, by their parent's pid.
			await run('pkill', ['-KILL', '-P', String(child.pid)]).catch(() => {});
		}

		if (child.exitCode === null && child.signalCode === null) {
			process.kill(child.pid!, 'SIGKILL');
		}

		await exited;
	};

	return {
		host: '127.0.0.1',
		port,
		dir,
		hostPublicKey,
		authorizedKeysPath,
		sftpRoot,
		pid: child.pid!,
		log: () => log,
		async authorize(publicKeys) {
			await writeFile(authorizedKeysPath, publicKeys.map(key => `${key}\n`).join(''), {mode: 0o600});
		},
		kill,
		async stop() {
			await kill({connections: true});
			await rm(dir, {recursive: true, force: true});
		},
	};
}

// The demo device's breakglass: an ssh2 server that behaves like gokrazy's (banner, real PTY shell, exec, SFTP with .tar unpacking).
import {spawn} from 'node:child_process';
import {createHash} from 'node:crypto';
import {existsSync} from 'node:fs';
import fs from 'node:fs/promises';
import type {FileHandle} from 'node:fs/promises';
import type {Stats} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ssh2 from 'ssh2';
import type {AuthContext, Connection, ParsedKey, PseudoTtyInfo, ServerChannel, SFTPWrapper} from 'ssh2';
import * as tar from 'tar';
import {loadPtyHost, type PtyHost} from './pty-host.js';

const {Server, utils} = ssh2;
const {STATUS_CODE} = utils.sftp;

export type BreakglassServerOptions = {
	host: string;
	/** 0 picks a free port (printed in the `listening on` line). */
	port: number;
	hostKeyPath: string;
	authorizedKeysPath: string;
	banner: {hostname: string; model: string; build: string};
	/** $HOME for commands; the process's own HOME (the supervisor's /perm/home) when not given. */
	home?: string;
	/** Where the log lines go (stderr by default) and where the `listening on` lines go (stdout by default). */
	log?: NodeJS.WritableStream;
	out?: NodeJS.WritableStream;
};

export type BreakglassServer = {
	host: string;
	port: number;
	/** The fresh working directory: first on $PATH, where uploaded .tar files are unpacked. */
	workDir: string;
	hostKeyFingerprint: string;
	close(): Promise<void>;
};

/** busybox sh where installed (the device's serial-busybox), else the system's sh. */
function findShell(): {file: string; args: string[]} {
	for (const candidate of ['/bin/busybox', '/usr/bin/busybox']) {
		if (existsSync(candidate)) {
			return {file: candidate, args: ['sh']};
		}
	}

	return {file: '/bin/sh', args: []};
}

function goLogTime(date = new Date()): string {
	const pad = (value: number) => String(value).padStart(2, '0');
	return `${date.getFullYear()}/${pad(date.getMonth() + 1)}/${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

/** Go's %q for the argument lists breakglass logs. */
function goQuote(text: string): string {
	return JSON.stringify(text);
}

/** The banner exactly as breakglass formats it (hostname cut and padded to 17 columns), with CRLF line ends for a terminal. */
export function breakglassBanner(banner: BreakglassServerOptions['banner']): string {
	const maxSpace = 17;
	let hostname = banner.hostname.slice(0, maxSpace);
	hostname += '"';
	hostname += ' '.repeat(Math.max(0, maxSpace - hostname.length));
	const motd = [
		'              __                           ',
		' .-----.-----|  |--.----.---.-.-----.--.--.',
		' |  _  |  _  |    <|   _|  _  |-- __|  |  |',
		' |___  |_____|__|__|__| |___._|_____|___  |',
		` |_____|  host:  "${hostname} |_____|`,
		`          model: ${banner.model}`,
		`          build: ${banner.build}`,
		'',
		'',
	].join('\r\n');
	return motd;
}

/** Reads the OpenSSH host key, or creates an ed25519 one on first start, as breakglass does with /perm/breakglass.host_key. */
async function loadOrCreateHostKey(hostKeyPath: string, log: (line: string) => void): Promise<{text: string; key: ParsedKey}> {
	let text: string;
	try {
		text = await fs.readFile(hostKeyPath, 'utf8');
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
			throw error;
		}

		log('breakglass.go:203: host key not found, creating initial host key');
		const pair = utils.generateKeyPairSync('ed25519', {comment: 'breakglass host key'});
		await fs.mkdir(path.dirname(hostKeyPath), {recursive: true});
		await fs.writeFile(hostKeyPath, pair.private, {mode: 0o600});
		text = pair.private;
	}

	const parsed = utils.parseKey(text);
	const key = Array.isArray(parsed) ? parsed[0] : parsed;
	if (key instanceof Error) {
		throw new Error(`cannot parse host key ${hostKeyPath}: ${key.message}`);
	}

	return {text, key};
}

async function readAuthorizedKeys(file: string): Promise<Buffer[]> {
	const text = await fs.readFile(file, 'utf8');
	const keys: Buffer[] = [];
	for (const line of text.split('\n')) {
		const trimmed = line.trim();
		if (trimmed === '' || trimmed.startsWith('#')) {
			continue;
		}

		// Options before the key type (`from="…" ssh-ed25519 …`) are skipped: find the field that parses.
		const fields = trimmed.split(/\s+/);
		for (let index = 0; index < fields.length - 1; index++) {
			const parsed = utils.parseKey(`${fields[index]} ${fields[index + 1]}`);
			const key = Array.isArray(parsed) ? parsed[0] : parsed;
			if (!(key instanceof Error)) {
				keys.push(key.getPublicSSH());
				break;
			}
		}
	}

	return keys;
}

/** Starts the server and resolves once it listens. */
export async function startBreakglassServer(options: BreakglassServerOptions): Promise<BreakglassServer> {
	const logStream = options.log ?? process.stderr;
	const out = options.out ?? process.stdout;
	const log = (line: string) => logStream.write(`${goLogTime()} ${line}\n`);
	const hostKey = await loadOrCreateHostKey(options.hostKeyPath, log);
	const hostKeyFingerprint = `SHA256:${createHash('sha256').update(hostKey.key.getPublicSSH()).digest('base64').replace(/=+$/, '')}`;
	const workDir = await fs.mkdtemp(path.join(os.tmpdir(), 'breakglass'));
	const pty = await loadPtyHost();
	const shell = findShell();
	// The supervisor gives its programs HOME=/perm/home; breakglass passes it on to commands.
	const home = options.home ?? process.env.HOME ?? workDir;
	const banner = breakglassBanner(options.banner);
	const connections = new Set<Connection>();
	let ptyFallbackNoted = false;
	const notePtyFallback = () => {
		if (pty?.kind !== 'node-pty' && !ptyFallbackNoted) {
			ptyFallbackNoted = true;
			log(
				pty
					? 'demo: node-pty is not available; PTY sessions run through script(1)'
					: 'demo: neither node-pty nor script(1) is available; PTY sessions run on pipes (no line editing, no window size)',
			);
		}
	};

	const server = new Server({hostKeys: [hostKey.text], ident: 'Go'}, (client, info) => {
		connections.add(client);
		const remote = `${info.ip}:${info.port}`;
		let allowed: Promise<Buffer[]> | undefined;
		client.on('authentication', (context: AuthContext) => {
			if (context.method !== 'publickey') {
				context.reject(['publickey']);
				return;
			}

			// Re-read per connection, as breakglass reloads it: a key added for the demo works without a restart.
			allowed ??= readAuthorizedKeys(options.authorizedKeysPath).catch(error => {
				log(`breakglass.go:178: reading ${options.authorizedKeysPath}: ${(error as Error).message}`);
				return [];
			});
			void allowed.then(keys => {
				const match = keys.find(key => key.equals(context.key.data));
				if (!match) {
					context.reject(['publickey']);
					return;
				}

				if (context.signature && context.blob) {
					const parsed = utils.parseKey(match);
					const key = Array.isArray(parsed) ? parsed[0] : parsed;
					if (key instanceof Error || key.verify(context.blob, context.signature, context.hashAlgo) !== true) {
						context.reject(['publickey']);
						return;
					}

					log(`breakglass.go:192: user ${goQuote(context.username)} successfully authorized from remote addr ${remote}`);
				}

				context.accept();
			});
		});
		client.on('error', error => {
			log(`breakglass.go:249: handshake: ${error.message}`);
		});
		client.on('close', () => connections.delete(client));
		client.on('ready', () => {
			client.on('session', accept => {
				handleSession(accept(), {log, workDir, home, pty, shell, banner, notePtyFallback});
			});
		});
	});

	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(options.port, options.host, () => {
			server.off('error', reject);
			resolve();
		});
	});
	const {port} = server.address() as {port: number};
	const hostPort = options.host.includes(':') ? `[${options.host}]:${port}` : `${options.host}:${port}`;
	out.write(`listening on ${hostPort}\n`);
	out.write(`host key fingerprint: ${hostKeyFingerprint}\n`);

	return {
		host: options.host,
		port,
		workDir,
		hostKeyFingerprint,
		async close() {
			for (const connection of connections) {
				connection.end();
			}

			await new Promise<void>(resolve => server.close(() => resolve()));
			await fs.rm(workDir, {recursive: true, force: true});
		},
	};
}

/** The entry the demo device's breakglass program calls in its supervised child: listens until the process is killed. */
export async function runBreakglassServer(options: BreakglassServerOptions): Promise<void> {
	await startBreakglassServer(options);
}

type SessionContext = {
	log: (line: string) => void;
	workDir: string;
	home: string;
	pty: PtyHost | undefined;
	/** Says once, at the first PTY session, that node-pty is missing and what is used instead. */
	notePtyFallback: () => void;
	shell: {file: string; args: string[]};
	banner: string;
};

function handleSession(session: ssh2.Session, context: SessionContext): void {
	const {log} = context;
	let ptyInfo: PseudoTtyInfo | undefined;
	const env: Record<string, string> = {};
	let resize: ((cols: number, rows: number) => void) | undefined;

	session.on('pty', (accept, _reject, info) => {
		ptyInfo = info;
		accept?.();
	});
	session.on('window-change', (accept, _reject, info) => {
		if (ptyInfo) {
			ptyInfo = {...ptyInfo, cols: info.cols, rows: info.rows};
		}

		resize?.(info.cols, info.rows);
		accept?.();
	});
	session.on('env', (accept, _reject, info) => {
		env[info.key] = info.val;
		accept?.();
	});

	const commandEnv = (): Record<string, string> => ({
		PATH: `${context.workDir}:/user:/usr/local/sbin:/sbin:/usr/sbin:/usr/local/bin:/bin:/usr/bin`,
		HOME: context.home,
		...(ptyInfo ? {TERM: ptyInfo.term || 'xterm'} : {}),
		...env,
	});

	const start = (channel: ServerChannel, args: string[], showBanner: boolean) => {
		const argv = [context.shell.file, ...context.shell.args, ...args];
		log(`ssh.go:372: Starting cmd [${argv.map(goQuote).join(' ')}]`);
		if (showBanner) {
			channel.stderr.write(context.banner);
		}

		if (ptyInfo) {
			context.notePtyFallback();
		}

		if (ptyInfo && context.pty) {
			runOnPty(channel, argv, ptyInfo, commandEnv(), context, handler => {
				resize = handler;
			});
		} else {
			// Without node-pty a shell still works on pipes, told to be interactive so it prompts.
			runOnPipes(channel, ptyInfo && args.length === 0 ? [...argv, '-i'] : argv, commandEnv(), context, Boolean(ptyInfo));
		}
	};

	session.on('shell', accept => {
		const channel = accept();
		start(channel, [], true);
	});
	session.on('exec', (accept, _reject, info) => {
		const channel = accept();
		start(channel, ['-c', info.command], false);
	});
	session.on('sftp', accept => {
		const sftp = accept();
		serveSftp(sftp, context);
		// The client's EOF ends an SFTP session: breakglass answers with exit-status 0 and closes, and clients wait for that.
		session.once('end', () => {
			const channel = sftp as unknown as {_protocol: {exitStatus(id: number, status: number): void}; outgoing: {id: number; state: string}};
			if (channel.outgoing.state === 'open' || channel.outgoing.state === 'eof') {
				channel._protocol.exitStatus(channel.outgoing.id, 0);
			}

			sftp.end();
		});
	});
}

/** A real pseudo-terminal: no exit-status at the end, and the session closes when the client's stdin ends, as breakglass does. */
function runOnPty(
	channel: ServerChannel,
	argv: string[],
	info: PseudoTtyInfo,
	env: Record<string, string>,
	context: SessionContext,
	onResize: (handler: (cols: number, rows: number) => void) => void,
): void {
	const terminal = context.pty!.spawn(argv[0], argv.slice(1), {
		term: info.term || 'xterm',
		cols: info.cols || 80,
		rows: info.rows || 24,
		cwd: context.workDir,
		env,
	});
	onResize((cols, rows) => terminal.resize(cols, rows));
	let ended = false;
	const finish = () => {
		if (ended) {
			return;
		}

		ended = true;
		context.log('ssh.go:141: requests exhausted');
		channel.end();
	};

	terminal.onData(data => {
		if (!ended) {
			channel.write(data);
		}
	});
	terminal.onExit(exitCode => {
		if (exitCode !== 0) {
			context.log(`ssh.go:410: err: exit status ${exitCode}`);
		}

		// Let the last output reach the channel before it closes.
		setTimeout(finish, 20);
	});
	channel.on('data', (data: Buffer) => terminal.write(data));
	channel.on('end', () => {
		terminal.hangUp();
		finish();
	});
	channel.on('close', () => terminal.hangUp());
}

/** Pipes: exec without a pty, or a shell without one; the exit status is sent unless a PTY was asked for. */
function runOnPipes(channel: ServerChannel, argv: string[], env: Record<string, string>, context: SessionContext, hadPty: boolean): void {
	const child = spawn(argv[0], argv.slice(1), {cwd: context.workDir, env, stdio: 'pipe'});
	child.stdout.pipe(channel, {end: false});
	child.stderr.pipe(channel.stderr, {end: false});
	channel.pipe(child.stdin);
	child.stdin.on('error', () => {});
	child.on('error', error => {
		context.log(`ssh.go:129: request("exec"): ${error.message}`);
		channel.exit(127);
		channel.end();
	});
	child.on('close', (code, signal) => {
		if (code !== 0) {
			context.log(`ssh.go:410: err: ${signal ? `signal: ${signal}` : `exit status ${code}`}`);
		}

		if (!hadPty) {
			if (signal) {
				channel.exit(signal.replace(/^SIG/, ''), false, '');
			} else {
				channel.exit(code ?? 255);
			}
		}

		context.log('ssh.go:141: requests exhausted');
		channel.end();
	});
	channel.on('close', () => {
		if (child.exitCode === null && child.signalCode === null) {
			child.kill('SIGHUP');
		}
	});
}

type OpenFile = {kind: 'file'; handle: FileHandle; path: string; writing: boolean} | {kind: 'dir'; path: string; done: boolean};

function sftpAttrs(stats: Stats) {
	return {
		mode: stats.mode,
		uid: stats.uid,
		gid: stats.gid,
		size: stats.size,
		atime: Math.floor(stats.atimeMs / 1000),
		mtime: Math.floor(stats.mtimeMs / 1000),
	};
}

function longName(name: string, stats: Stats): string {
	const types: Array<[boolean, string]> = [
		[stats.isDirectory(), 'd'],
		[stats.isSymbolicLink(), 'l'],
	];
	const type = types.find(([is]) => is)?.[1] ?? '-';
	let permissions = '';
	for (let shift = 6; shift >= 0; shift -= 3) {
		const bits = (stats.mode >> shift) & 7;
		permissions += `${bits & 4 ? 'r' : '-'}${bits & 2 ? 'w' : '-'}${bits & 1 ? 'x' : '-'}`;
	}

	const date = stats.mtime.toLocaleString('en-US', {month: 'short', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false}).replace(',', '');
	return `${type}${permissions}    1 ${String(stats.uid).padEnd(8)} ${String(stats.gid).padEnd(8)} ${String(stats.size).padStart(8)} ${date} ${name}`;
}

/** Enough SFTP for `sftp` (pwd, ls, put, get) and krazy-tui's upload; a `.tar` closed after writing is unpacked in the working dir. */
function serveSftp(sftp: SFTPWrapper, context: SessionContext): void {
	const handles = new Map<number, OpenFile>();
	let nextHandle = 1;
	const resolvePath = (requested: string) => path.resolve(context.workDir, requested === '' ? '.' : requested);
	const newHandle = (entry: OpenFile) => {
		const id = nextHandle++;
		handles.set(id, entry);
		const buffer = Buffer.alloc(4);
		buffer.writeUInt32BE(id);
		return buffer;
	};

	const lookup = (handle: Buffer) => (handle.length === 4 ? handles.get(handle.readUInt32BE(0)) : undefined);
	const fail = (reqId: number, error: unknown) => {
		const code = (error as NodeJS.ErrnoException).code;
		const status = code === 'ENOENT' ? STATUS_CODE.NO_SUCH_FILE : code === 'EACCES' || code === 'EPERM' ? STATUS_CODE.PERMISSION_DENIED : STATUS_CODE.FAILURE;
		sftp.status(reqId, status, (error as Error).message);
	};

	const guard = (reqId: number, work: () => Promise<void>) => {
		work().catch(error => fail(reqId, error));
	};

	sftp.on('REALPATH', (reqId, requested) => {
		const resolved = resolvePath(requested);
		sftp.name(reqId, [{filename: resolved, longname: resolved, attrs: {} as never}]);
	});
	const stat = (reqId: number, requested: string, follow: boolean) =>
		guard(reqId, async () => {
			const stats = follow ? await fs.stat(resolvePath(requested)) : await fs.lstat(resolvePath(requested));
			sftp.attrs(reqId, sftpAttrs(stats));
		});
	sftp.on('STAT', (reqId, requested) => stat(reqId, requested, true));
	sftp.on('LSTAT', (reqId, requested) => stat(reqId, requested, false));
	sftp.on('FSTAT', (reqId, handle) =>
		guard(reqId, async () => {
			const entry = lookup(handle);
			if (!entry) {
				sftp.status(reqId, STATUS_CODE.FAILURE, 'bad handle');
				return;
			}

			sftp.attrs(reqId, sftpAttrs(entry.kind === 'file' ? await entry.handle.stat() : await fs.stat(entry.path)));
		}),
	);
	sftp.on('SETSTAT', reqId => sftp.status(reqId, STATUS_CODE.OK));
	sftp.on('FSETSTAT', reqId => sftp.status(reqId, STATUS_CODE.OK));
	sftp.on('OPEN', (reqId, filename, flags) =>
		guard(reqId, async () => {
			const mode = utils.sftp.flagsToString(flags) ?? 'r';
			const target = resolvePath(filename);
			const handle = await fs.open(target, mode, 0o644);
			sftp.handle(reqId, newHandle({kind: 'file', handle, path: target, writing: mode !== 'r'}));
		}),
	);
	sftp.on('WRITE', (reqId, handle, offset, data) =>
		guard(reqId, async () => {
			const entry = lookup(handle);
			if (entry?.kind !== 'file') {
				sftp.status(reqId, STATUS_CODE.FAILURE, 'bad handle');
				return;
			}

			await entry.handle.write(data, 0, data.length, offset);
			sftp.status(reqId, STATUS_CODE.OK);
		}),
	);
	sftp.on('READ', (reqId, handle, offset, length) =>
		guard(reqId, async () => {
			const entry = lookup(handle);
			if (entry?.kind !== 'file') {
				sftp.status(reqId, STATUS_CODE.FAILURE, 'bad handle');
				return;
			}

			const buffer = Buffer.alloc(Math.min(length, 256 * 1024));
			const {bytesRead} = await entry.handle.read(buffer, 0, buffer.length, offset);
			if (bytesRead === 0) {
				sftp.status(reqId, STATUS_CODE.EOF);
			} else {
				sftp.data(reqId, buffer.subarray(0, bytesRead));
			}
		}),
	);
	sftp.on('CLOSE', (reqId, handle) =>
		guard(reqId, async () => {
			const entry = lookup(handle);
			if (!entry) {
				sftp.status(reqId, STATUS_CODE.FAILURE, 'bad handle');
				return;
			}

			handles.delete(handle.readUInt32BE(0));
			if (entry.kind === 'file') {
				await entry.handle.close();
				// As breakglass does: a tarball sent into the working dir puts its programs on $PATH.
				if (entry.writing && entry.path.endsWith('.tar')) {
					await tar.x({file: entry.path, cwd: context.workDir});
					context.log(`breakglass.go:120: unpacked ${path.basename(entry.path)} into ${context.workDir}`);
				}
			}

			sftp.status(reqId, STATUS_CODE.OK);
		}),
	);
	sftp.on('OPENDIR', (reqId, requested) =>
		guard(reqId, async () => {
			const target = resolvePath(requested);
			if (!(await fs.stat(target)).isDirectory()) {
				sftp.status(reqId, STATUS_CODE.FAILURE, 'not a directory');
				return;
			}

			sftp.handle(reqId, newHandle({kind: 'dir', path: target, done: false}));
		}),
	);
	sftp.on('READDIR', (reqId, handle) =>
		guard(reqId, async () => {
			const entry = lookup(handle);
			if (entry?.kind !== 'dir') {
				sftp.status(reqId, STATUS_CODE.FAILURE, 'bad handle');
				return;
			}

			if (entry.done) {
				sftp.status(reqId, STATUS_CODE.EOF);
				return;
			}

			entry.done = true;
			const names = await fs.readdir(entry.path);
			const listing = [];
			for (const name of ['.', '..', ...names]) {
				const stats = await fs.lstat(path.join(entry.path, name)).catch(() => undefined);
				if (stats) {
					listing.push({filename: name, longname: longName(name, stats), attrs: sftpAttrs(stats)});
				}
			}

			sftp.name(reqId, listing);
		}),
	);
	sftp.on('REMOVE', (reqId, requested) =>
		guard(reqId, async () => {
			await fs.unlink(resolvePath(requested));
			sftp.status(reqId, STATUS_CODE.OK);
		}),
	);
	sftp.on('RMDIR', (reqId, requested) =>
		guard(reqId, async () => {
			await fs.rmdir(resolvePath(requested));
			sftp.status(reqId, STATUS_CODE.OK);
		}),
	);
	sftp.on('MKDIR', (reqId, requested) =>
		guard(reqId, async () => {
			await fs.mkdir(resolvePath(requested));
			sftp.status(reqId, STATUS_CODE.OK);
		}),
	);
	sftp.on('RENAME', (reqId, from, to) =>
		guard(reqId, async () => {
			await fs.rename(resolvePath(from), resolvePath(to));
			sftp.status(reqId, STATUS_CODE.OK);
		}),
	);
	sftp.on('close', () => {
		for (const entry of handles.values()) {
			if (entry.kind === 'file') {
				void entry.handle.close().catch(() => {});
			}
		}

		handles.clear();
	});
}

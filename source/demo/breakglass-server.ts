// The demo device's breakglass: an ssh2 server that answers SSH clients as gokrazy's does (banner, PTY shell, exec, SFTP, scp sink, refusals).
import {spawn} from 'node:child_process';
import {createHash} from 'node:crypto';
import {existsSync, readFileSync} from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import ssh2 from 'ssh2';
import type {AuthContext, Connection, ParsedKey, PseudoTtyInfo, ServerChannel, Session} from 'ssh2';
import {makeWorkDir, removeOnExit, unpackTar} from './breakglass-workdir.js';
import {loadPtyHost, type PtyHost} from './pty-host.js';
import {parseScpFlags, runScpSink, shlexSplit, type RequestError} from './scp-sink.js';
import {serveSftp} from './sftp-server.js';
import {refuseChannelOpensAsBreakglass, writeAndCloseSession} from './ssh2-internals.js';
import {ed25519KeyPair} from '../core/breakglass/key-pair.js';

const {Server, utils} = ssh2;

export type BreakglassServerOptions = {
	host: string;
	/** 0 picks a free port (printed in the `listening on` line). */
	port: number;
	hostKeyPath: string;
	authorizedKeysPath: string;
	banner: {hostname: string; model: string; build: string};
	/** $HOME for commands (the device's /perm/home); the process's own HOME when not given. */
	home?: string;
	/**
	 * The device's /tmp, where the `breakglass<number>` working folder is made. Given (the demo device passes one in
	 * its state folder), folders left by earlier runs there are removed at start; else the system's, left alone.
	 */
	tmpDir?: string;
	/** false answers as breakglass did before its SFTP support: the subsystem is refused, the scp sink takes uploads. */
	sftp?: boolean;
	/** Where the log lines go (stderr by default) and where the `listening on` lines go (stdout by default). */
	log?: NodeJS.WritableStream;
	out?: NodeJS.WritableStream;
};

export type BreakglassServer = {
	host: string;
	port: number;
	/** The fresh working directory (`breakglass<number>`): first on $PATH, where uploaded .tar files are unpacked. */
	workDir: string;
	hostKeyFingerprint: string;
	close(): Promise<void>;
	/** Kills what commands still run (each in a session of its own, as breakglass starts them); synchronous, for exit. */
	killCommands(): void;
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
		// One that parses (ssh2's generator makes a malformed one in 256: see key-pair.ts), before anything is written.
		const pair = ed25519KeyPair('breakglass host key');

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

/** Go's os/user lookups for `ls -l` owners: names from /etc/passwd and /etc/group, the number when there is none. */
function idNames(file: string): Map<number, string> {
	const names = new Map<number, string>();
	try {
		for (const line of readFileSync(file, 'utf8').split('\n')) {
			const [name, , id] = line.split(':');
			if (name && id && /^\d+$/.test(id) && !names.has(Number(id))) {
				names.set(Number(id), name);
			}
		}
	} catch {
		// No such file: numbers it is, as on a device without /etc/passwd.
	}

	return names;
}

/** How long the shell waits after its banner went out, so clients show the banner before the first prompt. */
const bannerLeadMs = 100;
/** After a command exits, how long its output may still arrive while a background child holds the pipes open. */
const outputDrainMs = 100;

/** Starts the server and resolves once it listens. */
export async function startBreakglassServer(options: BreakglassServerOptions): Promise<BreakglassServer> {
	const logStream = options.log ?? process.stderr;
	const out = options.out ?? process.stdout;
	const log = (line: string) => logStream.write(`${goLogTime()} ${line}\n`);
	const hostKey = await loadOrCreateHostKey(options.hostKeyPath, log);
	const hostKeyFingerprint = `SHA256:${createHash('sha256').update(hostKey.key.getPublicSSH()).digest('base64').replace(/=+$/, '')}`;
	const workDir = await makeWorkDir(options.tmpDir ?? os.tmpdir(), options.tmpDir !== undefined);
	const pty = await loadPtyHost();
	const shell = findShell();
	// gokrazy gives breakglass HOME=/perm/home, and breakglass passes its environment on to commands.
	const home = options.home ?? process.env.HOME ?? workDir;
	const banner = breakglassBanner(options.banner);
	const connections = new Set<Connection>();
	/** Process groups of commands run on pipes: they have sessions of their own, so the supervisor's group kill misses them. */
	const commandGroups = new Set<number>();
	const killCommands = () => {
		for (const group of commandGroups) {
			try {
				process.kill(-group, 'SIGKILL');
			} catch {
				// Gone already.
			}
		}

		commandGroups.clear();
	};

	const users = idNames('/etc/passwd');
	const groups = idNames('/etc/group');
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
		refuseChannelOpensAsBreakglass(client);
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
				handleSession(client, accept(), {
					log,
					logRaw: line => logStream.write(`${line}\n`),
					workDir,
					home,
					pty,
					shell,
					banner,
					notePtyFallback,
					sftp: options.sftp ?? true,
					commandGroups,
					userName: uid => users.get(uid) ?? String(uid),
					groupName: gid => groups.get(gid) ?? String(gid),
				});
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
		killCommands,
		async close() {
			killCommands();
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
	const server = await startBreakglassServer(options);
	// As breakglass's deferred os.RemoveAll: the working folder goes with the process, and so do commands still running.
	removeOnExit(server.workDir, server.killCommands);
}

type SessionContext = {
	log: (line: string) => void;
	/** A line on breakglass's stderr without the log prefix (what Go's flag package prints). */
	logRaw: (line: string) => void;
	workDir: string;
	home: string;
	pty: PtyHost | undefined;
	shell: {file: string; args: string[]};
	banner: string;
	/** Says once, at the first PTY session, that node-pty is missing and what is used instead. */
	notePtyFallback: () => void;
	sftp: boolean;
	commandGroups: Set<number>;
	userName: (uid: number) => string;
	groupName: (gid: number) => string;
};

/** What breakglass writes for a failed request: the error text, ending in a newline, "displayed as-is by ssh(1)". */
const errorLine = (message: string) => (message.endsWith('\n') ? message : `${message}\n`);

function handleSession(client: Connection, session: Session, context: SessionContext): void {
	const {log} = context;
	let ptyInfo: PseudoTtyInfo | undefined;
	const env: Record<string, string> = {};
	let resize: ((cols: number, rows: number) => void) | undefined;
	/** The stream once a command, scp or SFTP runs on the session. */
	let channel: ServerChannel | undefined;
	/** Stops what runs on the session when breakglass gives up on it (Go's exec.CommandContext: SIGKILL). */
	let kill: (() => void) | undefined;
	let failed = false;

	let exhausted = false;
	const requestsExhausted = () => {
		kill?.();
		if (!exhausted) {
			exhausted = true;
			log('ssh.go:141: requests exhausted');
		}
	};

	// The session's requests end when it closes, or when the client goes away without closing it.
	client.once('close', requestsExhausted);
	session.once('close', () => {
		client.off('close', requestsExhausted);
		requestsExhausted();
	});

	/** breakglass's answer to a request it cannot serve: logged, refused, the text written to the session, the session closed. */
	const fail = (requestType: string, message: string, reject?: () => void) => {
		log(`ssh.go:129: request(${goQuote(requestType)}): ${message}`);
		if (failed) {
			return;
		}

		failed = true;
		reject?.();
		if (channel) {
			kill?.();
			channel.write(errorLine(message));
			channel.close();
		} else {
			writeAndCloseSession(client, session, errorLine(message));
		}
	};

	const unknown = (requestType: string, reject?: () => void) => fail(requestType, `unknown request type: ${goQuote(requestType)}`, reject);

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
	// Agent and X11 forwarding (ssh -A, -X) and signals are requests breakglass does not know: it ends the session.
	session.on('auth-agent', (_accept, reject) => unknown('auth-agent-req@openssh.com', reject));
	session.on('x11', (_accept, reject) => unknown('x11-req', reject));
	session.on('signal', (_accept, reject) => unknown('signal', reject));

	const commandEnv = (): Record<string, string> => ({
		PATH: `${context.workDir}:/user:/usr/local/sbin:/sbin:/usr/sbin:/usr/local/bin:/bin:/usr/bin`,
		HOME: context.home,
		...(ptyInfo ? {TERM: ptyInfo.term || 'xterm'} : {}),
		...env,
	});

	const start = (stream: ServerChannel, args: string[], showBanner: boolean) => {
		const argv = [context.shell.file, ...context.shell.args, ...args];
		log(`ssh.go:372: Starting cmd [${argv.map(goQuote).join(' ')}]`);
		const run = () => {
			if (failed) {
				return;
			}

			if (ptyInfo) {
				context.notePtyFallback();
			}

			if (ptyInfo && context.pty) {
				kill = runOnPty(stream, argv, ptyInfo, commandEnv(), context, handler => {
					resize = handler;
				});
			} else {
				// Without any PTY a shell still works on pipes, told to be interactive so it prompts.
				kill = runOnPipes(stream, ptyInfo && args.length === 0 ? [...argv, '-i'] : argv, commandEnv(), context, Boolean(ptyInfo));
			}
		};

		if (showBanner) {
			// On a device the shell takes a moment to start; here it is quick enough that its first prompt could reach
			// the client together with the banner, and ssh writes stdout before stderr.
			stream.stderr.write(context.banner, () => setTimeout(run, bannerLeadMs));
		} else {
			run();
		}
	};

	/** exec and shell: breakglass splits the line (shlex) first; `scp …` goes to its own sink, the rest to `sh -c`. */
	const execute = (requestType: 'exec' | 'shell', command: string, accept: () => ServerChannel, reject?: () => void) => {
		if (channel || failed) {
			reject?.();
			return;
		}

		let words: string[];
		try {
			words = shlexSplit(command);
		} catch (error) {
			fail(requestType, (error as Error).message, reject);
			return;
		}

		if (words[0] === 'scp') {
			try {
				parseScpFlags(words.slice(1));
			} catch (error) {
				for (const line of (error as RequestError).stderrLines ?? []) {
					context.logRaw(line);
				}

				fail(requestType, (error as Error).message, reject);
				return;
			}

			const stream = accept();
			channel = stream;
			runScpSink(stream, {workDir: context.workDir, stagingDir: context.workDir, log}).then(
				() => {
					stream.exit(0);
					stream.close();
				},
				(error: unknown) => fail(requestType, (error as Error).message),
			);
			return;
		}

		channel = accept();
		start(channel, requestType === 'shell' ? [] : ['-c', command], requestType === 'shell');
	};

	session.on('shell', (accept, reject) => execute('shell', 'sh', accept, reject));
	session.on('exec', (accept, reject, info) => execute('exec', info.command, accept, reject));
	session.on('subsystem', (accept, reject, info) => {
		if (!context.sftp) {
			unknown('subsystem', reject);
			return;
		}

		if (info.name !== 'sftp') {
			fail('subsystem', `unknown subsystem: ${goQuote(info.name)}`, reject);
			return;
		}

		if (channel || failed) {
			reject?.();
			return;
		}

		const stream = accept();
		channel = stream;
		const written = new Set<string>();
		const {closed} = serveSftp(stream, {
			cwd: context.workDir,
			onWritten: file => written.add(file),
			userName: context.userName,
			groupName: context.groupName,
		});
		// At the end of the session, as breakglass: tarballs sent into the working folder are unpacked, then the
		// exit status goes out (clients wait for it), so a command on the next session finds what they held.
		void closed.then(async () => {
			for (const file of written) {
				if (path.dirname(file) === context.workDir && file.endsWith('.tar')) {
					await unpackTar(file, context.workDir, log).catch((error: unknown) => {
						log(`ssh.go:129: request("subsystem"): ${(error as Error).message}`);
					});
				}
			}

			stream.exit(0);
			stream.close();
		});
	});
}

/** A pseudo-terminal: no exit-status at the end, and the session closes when the client's stdin ends, as breakglass does. */
function runOnPty(
	channel: ServerChannel,
	argv: string[],
	info: PseudoTtyInfo,
	env: Record<string, string>,
	context: SessionContext,
	onResize: (handler: (cols: number, rows: number) => void) => void,
): () => void {
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
	return () => terminal.hangUp();
}

/** Go's text for a wait status that is a signal (`signal: killed`), as breakglass logs it. */
function goSignalText(signal: NodeJS.Signals): string {
	const names: Partial<Record<NodeJS.Signals, string>> = {
		SIGHUP: 'hangup',
		SIGINT: 'interrupt',
		SIGQUIT: 'quit',
		SIGILL: 'illegal instruction',
		SIGABRT: 'aborted',
		SIGBUS: 'bus error',
		SIGFPE: 'floating point exception',
		SIGKILL: 'killed',
		SIGUSR1: 'user defined signal 1',
		SIGSEGV: 'segmentation fault',
		SIGUSR2: 'user defined signal 2',
		SIGPIPE: 'broken pipe',
		SIGALRM: 'alarm clock',
		SIGTERM: 'terminated',
	};
	return `signal: ${names[signal] ?? signal}`;
}

/**
 * Pipes: exec without a pty, or a shell without one. As breakglass: the command runs in a session of its own, the
 * exit status is sent unless a PTY was asked for (0xFFFFFFFF when a signal ended it, Go's ExitStatus() of -1), and
 * the session ends when the command does, even while a background child still holds its output open.
 */
function runOnPipes(channel: ServerChannel, argv: string[], env: Record<string, string>, context: SessionContext, hadPty: boolean): () => void {
	const child = spawn(argv[0], argv.slice(1), {cwd: context.workDir, env, stdio: 'pipe', detached: true});
	for (const group of context.commandGroups) {
		try {
			process.kill(-group, 0);
		} catch {
			context.commandGroups.delete(group);
		}
	}

	if (child.pid !== undefined) {
		context.commandGroups.add(child.pid);
	}

	child.stdout.pipe(channel, {end: false});
	child.stderr.pipe(channel.stderr, {end: false});
	channel.pipe(child.stdin);
	child.stdin.on('error', () => {});
	let lastOutput = Date.now();
	child.stdout.on('data', () => {
		lastOutput = Date.now();
	});
	child.stderr.on('data', () => {
		lastOutput = Date.now();
	});
	let finished = false;
	const finish = (code: number | null, signal: NodeJS.Signals | null) => {
		if (finished) {
			return;
		}

		finished = true;
		if (code !== 0) {
			context.log(`ssh.go:410: err: ${signal ? goSignalText(signal) : `exit status ${code}`}`);
		}

		// What is still running gets EPIPE (SIGPIPE) on its next write, as with breakglass closing the pipes.
		child.stdout.unpipe(channel);
		child.stderr.unpipe(channel.stderr);
		child.stdout.destroy();
		child.stderr.destroy();
		if (!hadPty) {
			channel.exit(signal ? 0xFF_FF_FF_FF : (code ?? 255));
		}

		channel.end();
	};

	child.on('error', error => {
		if (!finished) {
			finished = true;
			context.log(`ssh.go:129: request("exec"): ${error.message}`);
			channel.exit(127);
			channel.end();
		}
	});
	child.once('exit', (code, signal) => {
		// Output already written still arrives: wait until it stops, or the pipes close, for a short while at most.
		const exited = Date.now();
		const settle = () => {
			if (finished) {
				return;
			}

			// Quiet for 20 ms since the exit or the last output: then one more turn of the event loop's poll (setImmediate
			// runs after it) reads what waited in the pipes while this process was not running, as under load; output
			// read then starts the wait again.
			if (Date.now() - Math.max(lastOutput, exited) >= 20 || Date.now() - exited >= outputDrainMs) {
				const seen = lastOutput;
				setImmediate(() => {
					if (lastOutput !== seen && Date.now() - exited < outputDrainMs) {
						setTimeout(settle, 10);
						return;
					}

					finish(code, signal);
				});
			} else {
				setTimeout(settle, 10);
			}
		};

		setTimeout(settle, 10);
	});
	child.once('close', (code, signal) => finish(code, signal));
	const kill = () => {
		if (child.exitCode === null && child.signalCode === null) {
			child.kill('SIGKILL');
		}
	};

	channel.on('close', kill);
	return kill;
}

// One SSH connection to breakglass (or any sshd) over ssh2: host key check, key auth, one-shot commands, PTY shells, SFTP upload.
import path from 'node:path';
import {Client} from 'ssh2';
import type {ClientChannel, PseudoTtyOptions, SFTPWrapper} from 'ssh2';
import {DeviceError} from '../device-error.js';
import {sendOverScp} from './scp-upload.js';
import {changedHostKeyMessage, fingerprint, keyTypeOf, knownHostName} from './known-hosts.js';
import type {HostKeyInfo, KnownHosts} from './known-hosts.js';
import {createAuthHandler} from './ssh-keys.js';
import type {AuthAttempts, KeySources} from './ssh-keys.js';

export type HostKeyPolicy = {
	knownHosts: KnownHosts;
	/** Remember an unknown key without asking (a changed one is still refused). */
	acceptNew?: boolean;
	/** Asks a person about an unknown key; without it (and without acceptNew) an unknown key is refused. */
	confirmHostKey?: (info: HostKeyInfo) => Promise<boolean>;
	/** Told when a key was added to known_hosts. */
	onRemembered?: (info: HostKeyInfo) => void;
};

export type ConnectOptions = {
	/** The name the user knows the device by, for messages. */
	device: string;
	host: string;
	port: number;
	/** breakglass ignores it; OpenSSH does not. */
	username: string;
	keys: KeySources;
	hostKeys: HostKeyPolicy;
	/** Time for TCP, handshake and authentication, not counting the time a person spends on a prompt. */
	timeoutMs?: number;
	/** Keepalives notice a device that vanished (reboot, cable) while the session is idle. */
	keepaliveIntervalMs?: number;
	signal?: AbortSignal;
};

/** A refusal of the host key; `details` holds the loud multi-line explanation to show before the one-line message. */
export class HostKeyError extends DeviceError {
	constructor(
		device: string,
		causeText: string,
		readonly details?: string,
	) {
		super(device, 'ssh', causeText);
	}
}

/** How a session channel ended. */
export type ChannelEnd = {
	/** The remote exit status, when the server sent one (breakglass sends none for PTY sessions). */
	exitCode?: number;
	/** The remote signal name (`SIGTERM`), when the command was killed by one. */
	exitSignal?: string;
	/** The connection dropped before the channel was closed. */
	lost: boolean;
};

export type ShellOptions = {
	/** false: a shell without a pseudo-terminal. */
	pty: PseudoTtyOptions | false;
	env?: Record<string, string>;
};

/** How `upload` sent the file. */
export type UploadMethod = 'sftp' | 'scp';

/** How long an upload waits for the device to end the SFTP session after the file went (breakglass unpacks tars then). */
const uploadCloseTimeoutMs = 30_000;

const lostHint = 'the connection was lost (did the device reboot or drop off the network?)';

/** A connected, authenticated session to one device. */
export class SshSession {
	private closedByUs = false;
	private lostListeners = new Set<() => void>();
	private lostFlag = false;

	private constructor(
		private readonly client: Client,
		readonly options: ConnectOptions,
	) {
		client.on('close', () => {
			if (!this.closedByUs) {
				this.lostFlag = true;
				for (const listener of this.lostListeners) {
					listener();
				}
			}
		});
		// Errors after the handshake (a reset socket) show up as a close; without a listener they would throw.
		client.on('error', () => {});
	}

	get lost(): boolean {
		return this.lostFlag;
	}

	/** Connects, checks the host key against known_hosts, authenticates; rejects with a DeviceError naming the device. */
	static async connect(options: ConnectOptions): Promise<SshSession> {
		const {device, host, port} = options;
		const client = new Client();
		const attempts: AuthAttempts = {offered: [], skipped: []};
		let refusal: DeviceError | undefined;
		const timeoutMs = options.timeoutMs ?? 15_000;

		return new Promise<SshSession>((resolve, reject) => {
			let settled = false;
			let timer: NodeJS.Timeout | undefined;
			const fail = (error: DeviceError) => {
				if (settled) {
					return;
				}

				settled = true;
				clearTimeout(timer);
				options.signal?.removeEventListener('abort', onAbort);
				client.removeAllListeners('ready');
				client.on('error', () => {});
				client.destroy();
				reject(error);
			};

			// The clock stops while a person reads a prompt: a slow answer must not turn into a timeout.
			const armTimer = () => {
				clearTimeout(timer);
				timer = setTimeout(() => {
					fail(new DeviceError(device, 'timeout', `no SSH answer from ${host}:${port} after ${Math.round(timeoutMs / 1000)} s`));
				}, timeoutMs);
			};

			const paused = async <T>(prompt: () => Promise<T>): Promise<T> => {
				clearTimeout(timer);
				try {
					return await prompt();
				} finally {
					if (!settled) {
						armTimer();
					}
				}
			};

			const onAbort = () => {
				fail(new DeviceError(device, 'aborted', 'interrupted'));
			};

			options.signal?.addEventListener('abort', onAbort, {once: true});

			const hostVerifier = (key: Buffer, verify: (valid: boolean) => void) => {
				void (async () => {
					const info: HostKeyInfo = {
						hostName: knownHostName(host, port),
						keyType: keyTypeOf(key),
						fingerprint: fingerprint(key),
						file: options.hostKeys.knownHosts.file,
					};
					const policy = options.hostKeys;
					const verdict = await policy.knownHosts.verify(host, port, key);
					if (verdict.status === 'known') {
						verify(true);
						return;
					}

					if (verdict.status === 'changed') {
						refusal = new HostKeyError(
							device,
							`host key of ${info.hostName} changed (now ${info.fingerprint}): refusing; forget the old one with: krazy-tui shell --forget-host '${info.hostName}'`,
							changedHostKeyMessage(info, verdict),
						);
						verify(false);
						return;
					}

					let accepted = Boolean(policy.acceptNew);
					if (!accepted && policy.confirmHostKey) {
						accepted = await paused(() => policy.confirmHostKey!(info)).catch(() => false);
						if (!accepted) {
							refusal = new HostKeyError(device, `host key ${info.fingerprint} of ${info.hostName} not accepted`);
						}
					} else if (!accepted) {
						refusal = new HostKeyError(
							device,
							`unknown host key ${info.keyType} ${info.fingerprint} for ${info.hostName}: re-run interactively to confirm it, or with --accept-new to remember it`,
						);
					}

					if (accepted) {
						await policy.knownHosts.add(host, port, key);
						policy.onRemembered?.(info);
					}

					verify(accepted);
				})().catch((error: unknown) => {
					refusal = new DeviceError(device, 'ssh', `cannot check the host key: ${(error as Error).message}`);
					verify(false);
				});
			};

			const keys: KeySources = {
				...options.keys,
				askPassphrase: options.keys.askPassphrase ? keyPath => paused(() => options.keys.askPassphrase!(keyPath)) : undefined,
			};

			client.on('ready', () => {
				if (settled) {
					return;
				}

				settled = true;
				clearTimeout(timer);
				options.signal?.removeEventListener('abort', onAbort);
				resolve(new SshSession(client, options));
			});

			client.on('error', (error: Error & {level?: string; code?: string}) => {
				// Agent trouble is not fatal: ssh2 goes on with the next key.
				if (error.level === 'agent') {
					attempts.skipped.push(`the SSH agent: ${error.message}`);
					return;
				}

				fail(refusal ?? classify(error, options, attempts));
			});

			client.on('close', () => {
				fail(refusal ?? new DeviceError(device, 'ssh', `${host}:${port} closed the connection before the session was ready`));
			});

			armTimer();
			client.connect({
				host,
				port,
				username: options.username,
				readyTimeout: 0,
				keepaliveInterval: options.keepaliveIntervalMs ?? 5000,
				keepaliveCountMax: 3,
				hostVerifier,
				authHandler: createAuthHandler(keys, options.username, attempts) as never,
			});
		});
	}

	onLost(listener: () => void): () => void {
		this.lostListeners.add(listener);
		return () => this.lostListeners.delete(listener);
	}

	/**
	 * Runs one command without a pseudo-terminal: stdout and stderr kept apart, stdin forwarded when given (else closed at once).
	 * Resolves with the remote exit status (255 when the server sent none, as ssh does).
	 */
	async exec(
		command: string,
		io: {stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream; stdin?: NodeJS.ReadableStream},
	): Promise<number> {
		let channel: ClientChannel;
		try {
			channel = await new Promise<ClientChannel>((resolve, reject) => {
				this.client.exec(command, (error, stream) => (error ? reject(error) : resolve(watchChannel(stream))));
			});
		} catch (error) {
			throw this.requestError(error, `the device refused to run ${JSON.stringify(command)}`);
		}

		channel.pipe(io.stdout, {end: false});
		channel.stderr.pipe(io.stderr, {end: false});
		if (io.stdin) {
			io.stdin.pipe(channel);
		} else {
			channel.end();
		}

		const end = await waitForChannelEnd(channel, this);
		if (io.stdin) {
			io.stdin.unpipe(channel);
		}

		if (end.lost) {
			throw new DeviceError(this.options.device, 'ssh', lostHint);
		}

		return exitStatus(end);
	}

	/** Opens a shell (with a PTY unless `pty: false`); the caller bridges its streams. */
	async openShell(options: ShellOptions): Promise<ClientChannel> {
		try {
			return await new Promise<ClientChannel>((resolve, reject) => {
				const callback = (error: Error | undefined, stream: ClientChannel) => (error ? reject(error) : resolve(watchChannel(stream)));
				if (options.pty === false) {
					this.client.shell(false, {env: options.env}, callback);
				} else {
					this.client.shell(options.pty, {env: options.env}, callback);
				}
			});
		} catch (error) {
			throw this.requestError(error, 'the device refused to open a shell (no sh on the device? add github.com/gokrazy/serial-busybox)');
		}
	}

	/**
	 * Sends a file into the remote working directory (breakglass unpacks a `.tar` there onto $PATH): over SFTP, or
	 * through breakglass's scp sink when the device refuses the SFTP subsystem (breakglass before its SFTP support).
	 * Resolves with the way it went once the device has ended the transfer's session, so a `.tar` is unpacked by then.
	 */
	async upload(localPath: string, remoteName = path.basename(localPath)): Promise<UploadMethod> {
		if (!(await this.offersSftp())) {
			await this.uploadOverScp(localPath, remoteName);
			return 'scp';
		}

		let sftp: SFTPWrapper;
		try {
			sftp = await new Promise<SFTPWrapper>((resolve, reject) => {
				this.client.sftp((error, wrapper) => (error ? reject(error) : resolve(wrapper)));
			});
		} catch (error) {
			throw this.requestError(error, 'the device refused SFTP');
		}

		const closed = new Promise<void>(resolve => sftp.once('close', () => resolve()));
		try {
			await new Promise<void>((resolve, reject) => {
				sftp.fastPut(localPath, remoteName, error => (error ? reject(error) : resolve()));
			});
		} catch (error) {
			sftp.end();
			throw this.lostFlag
				? new DeviceError(this.options.device, 'ssh', lostHint)
				: new DeviceError(this.options.device, 'ssh', `uploading ${localPath} failed: ${(error as Error).message}`);
		}

		// ssh2's end() closes the channel at once. As OpenSSH's sftp does, send EOF instead and wait for the device to
		// close: breakglass unpacks tars at the end of the session and closes after that, so the next command finds them.
		const channel = sftp as unknown as {outgoing: {id: number; state: string}; _protocol: {channelEOF(id: number): void}};
		if (channel.outgoing.state === 'open') {
			channel._protocol.channelEOF(channel.outgoing.id);
			channel.outgoing.state = 'eof';
		}

		let timer: NodeJS.Timeout | undefined;
		let stopListening: (() => void) | undefined;
		const lostOrTooLong = new Promise<void>(resolve => {
			stopListening = this.onLost(resolve);
			timer = setTimeout(resolve, uploadCloseTimeoutMs);
		});
		await Promise.race([closed, lostOrTooLong]);
		clearTimeout(timer);
		stopListening?.();
		sftp.end();
		if (this.lostFlag) {
			throw new DeviceError(this.options.device, 'ssh', lostHint);
		}

		return 'sftp';
	}

	/**
	 * Asks for the SFTP subsystem on a plain channel first. A breakglass that refuses it also writes its error text on
	 * the session; on ssh2's SFTP object that text would be read as a broken SFTP packet and end the whole connection.
	 */
	private async offersSftp(): Promise<boolean> {
		let probe: ClientChannel;
		try {
			probe = await new Promise<ClientChannel>((resolve, reject) => {
				this.client.subsys('sftp', (error, channel) => (error ? reject(error) : resolve(channel)));
			});
		} catch (error) {
			if (!this.lostFlag && /^Unable to start subsystem/.test((error as Error)?.message ?? '')) {
				return false;
			}

			throw this.requestError(error, 'the device refused SFTP');
		}

		probe.on('data', () => {});
		probe.close();
		return true;
	}

	/** The scp sink (`scp -t .`), which breakglass has had from the start; it unpacks the file as a tar. */
	private async uploadOverScp(localPath: string, remoteName: string): Promise<void> {
		let channel: ClientChannel;
		try {
			channel = await new Promise<ClientChannel>((resolve, reject) => {
				this.client.exec('scp -t .', (error, stream) => (error ? reject(error) : resolve(stream)));
			});
		} catch (error) {
			throw this.requestError(error, 'the device refused both SFTP and scp');
		}

		const ended = waitForChannelEnd(channel, this);
		try {
			await sendOverScp(channel, localPath, remoteName);
		} catch (error) {
			channel.close();
			await ended;
			throw this.lostFlag
				? new DeviceError(this.options.device, 'ssh', lostHint)
				: new DeviceError(this.options.device, 'ssh', `uploading ${localPath} over scp failed: ${(error as Error).message}`);
		}

		channel.end();
		const end = await ended;
		if (end.lost) {
			throw new DeviceError(this.options.device, 'ssh', lostHint);
		}

		if (exitStatus(end) !== 0) {
			throw new DeviceError(this.options.device, 'ssh', `uploading ${localPath} over scp failed: the device's scp ended with status ${exitStatus(end)}`);
		}
	}

	close(): void {
		this.closedByUs = true;
		this.client.end();
	}

	private requestError(error: unknown, refusedText: string): DeviceError {
		if (this.lostFlag) {
			return new DeviceError(this.options.device, 'ssh', lostHint);
		}

		const message = (error as Error)?.message ?? String(error);
		return new DeviceError(this.options.device, 'ssh', /^Unable to|Channel open failure/.test(message) ? refusedText : message);
	}
}

/** ssh's rule: the remote status when there is one, 255 otherwise (killed by a signal, or none sent). */
export function exitStatus(end: ChannelEnd): number {
	return end.exitCode ?? 255;
}

type ChannelWatch = {end: ChannelEnd; closed: Promise<void>};
const watches = new WeakMap<ClientChannel, ChannelWatch>();

/**
 * Starts collecting a channel's exit-status/exit-signal and its close, at once: ssh2 handles every packet of a chunk in
 * one go, so a quick command's exit-status, EOF and close can all be emitted before the code that opened the channel
 * runs again after its await (a listener added then misses the status, and the command seemed to end without one).
 */
export function watchChannel(channel: ClientChannel): ClientChannel {
	if (watches.has(channel)) {
		return channel;
	}

	const end: ChannelEnd = {lost: false};
	channel.on('exit', (code: number | null, signal?: string) => {
		if (typeof code === 'number') {
			end.exitCode = code;
		} else if (signal) {
			end.exitSignal = signal;
		}
	});
	const closed = new Promise<void>(resolve => {
		channel.once('close', () => {
			resolve();
		});
	});
	watches.set(channel, {end, closed});
	return channel;
}

/** Waits until the channel closes, with the exit-status/exit-signal if the server sent one (it may not: PTY sessions). */
export async function waitForChannelEnd(channel: ClientChannel, session: SshSession): Promise<ChannelEnd> {
	watchChannel(channel);
	const {end, closed} = watches.get(channel)!;
	const stop = session.onLost(() => {
		end.lost = true;
	});
	await closed;
	stop();
	if (session.lost) {
		end.lost = true;
	}

	return end;
}

function classify(error: Error & {level?: string; code?: string}, options: ConnectOptions, attempts: AuthAttempts): DeviceError {
	const {device, host, port} = options;
	const where = `${host}:${port}`;
	switch (error.code) {
		case 'ECONNREFUSED': {
			return new DeviceError(device, 'unreachable', `nothing accepts SSH connections on ${where} (does breakglass listen on another port? see --ssh-port)`);
		}

		case 'EHOSTUNREACH':
		case 'ENETUNREACH':
		case 'ENOTFOUND':
		case 'EAI_AGAIN': {
			return new DeviceError(device, 'unreachable', `cannot reach ${where} (${error.code})`);
		}

		case 'ECONNRESET':
		case 'EPIPE': {
			return new DeviceError(device, 'ssh', `${where} dropped the connection during the SSH handshake`);
		}

		default:
	}

	if (error.level === 'client-authentication') {
		const skipped = attempts.skipped.length > 0 ? `; skipped: ${attempts.skipped.join('; ')}` : '';
		if (attempts.offered.length === 0) {
			return new DeviceError(
				device,
				'auth',
				`no usable SSH key: no agent (SSH_AUTH_SOCK) and no readable ~/.ssh/id_* private key${skipped}`,
			);
		}

		return new DeviceError(
			device,
			'auth',
			`key refused by ${where}: tried ${attempts.offered.join(', ')}${skipped} (is your public key in breakglass.authorized_keys?)`,
		);
	}

	if (error.level === 'client-timeout') {
		return new DeviceError(device, 'timeout', `no SSH answer from ${where}`);
	}

	return new DeviceError(device, 'ssh', `SSH to ${where} failed: ${error.message}`);
}

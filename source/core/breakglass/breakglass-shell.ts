// A whole breakglass visit for a terminal: connect, upload, then an interactive PTY shell or one command, then optionally stop breakglass.
import {existsSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {DeviceError} from '../device-error.js';
import type {DeviceTarget} from '../device-target.js';
import {connectBreakglass, expandUploadName, stopBreakglass} from './breakglass-flow.js';
import type {BreakglassConnection, BreakglassDevice, BreakglassProgress} from './breakglass-flow.js';
import {demoIdentityPath} from './demo-keys.js';
import {KnownHosts, knownHostsPath} from './known-hosts.js';
import type {HostKeyInfo} from './known-hosts.js';
import {agentSocketFrom, discoverIdentityFiles} from './ssh-keys.js';
import type {AskPassphrase} from './ssh-keys.js';
import {exitStatus, waitForChannelEnd} from './ssh-session.js';
import {askPassphraseOnTerminal, bridgeTerminal, confirmHostKeyOnTerminal, ptyOptionsFor} from './terminal-bridge.js';
import type {TerminalStreams} from './terminal-bridge.js';

export type BreakglassShellOptions = {
	/** krazy-tui's config dir: known_hosts lives there. */
	configDir: string;
	/** Where ~/.ssh is. */
	home: string;
	env: NodeJS.ProcessEnv;
	sshPort?: number;
	/** Defaults to the local user name, as ssh does. */
	username?: string;
	/** Only this key file (after the agent) instead of ~/.ssh/id_*. */
	identityFile?: string;
	acceptNew?: boolean;
	/** A .tar to send over SFTP before the shell opens; `${GOARCH}` is replaced by the device's. */
	upload?: string;
	stopAfter?: boolean;
	/** One command instead of an interactive shell (joined with spaces, as ssh does). */
	command?: string[];
	/** The dashboard's own DeviceClient; one is made from the target otherwise. */
	device?: BreakglassDevice;
	signal?: AbortSignal;
	/** Override the terminal prompts (the defaults ask on io when stdin is a terminal). */
	confirmHostKey?: (info: HostKeyInfo) => Promise<boolean>;
	askPassphrase?: AskPassphrase;
	/** Override the progress lines written to io.stderr. */
	onProgress?: (progress: BreakglassProgress) => void;
	portTimeoutMs?: number;
};

export function localUserName(env: NodeJS.ProcessEnv): string {
	try {
		return os.userInfo().username;
	} catch {
		return env.USER ?? env.LOGNAME ?? 'root';
	}
}

/** Progress on stderr: one line rewritten in place on a terminal, each phase once otherwise. */
function progressPrinter(stderr: TerminalStreams['stderr'] & {isTTY?: boolean}) {
	const tty = Boolean(stderr.isTTY);
	let lastPhase = '';
	let open = false;
	// Without a terminal only what takes time or changes the device is worth a line in a script's log.
	const quietPhases = new Set(['status', 'connecting']);
	const show = (text: string, phase: string) => {
		if (tty) {
			stderr.write(`\r\x1b[K${text}`);
			open = true;
		} else if (phase !== lastPhase && !quietPhases.has(phase)) {
			stderr.write(`${text}\n`);
		}

		lastPhase = phase;
	};

	return {
		onProgress(progress: BreakglassProgress) {
			switch (progress.phase) {
				case 'status': {
					show(`${progress.device}: asking for breakglass…`, progress.phase);
					break;
				}

				case 'starting': {
					show(`${progress.device}: breakglass is stopped, starting it…`, progress.phase);
					break;
				}

				case 'waiting-for-port': {
					show(
						`${progress.device}: waiting for breakglass on ${progress.host}:${progress.port} (${(progress.elapsedMs / 1000).toFixed(1)} s of ${Math.round(progress.timeoutMs / 1000)} s)…`,
						progress.phase,
					);
					break;
				}

				case 'connecting': {
					show(`${progress.device}: connecting to ${progress.host}:${progress.port}…`, progress.phase);
					break;
				}

				case 'uploading': {
					show(`${progress.device}: uploading ${progress.file}…`, progress.phase);
					break;
				}

				case 'uploaded': {
					// A line that stays: which way the file went matters after the fact.
					if (open) {
						stderr.write('\r\x1b[K');
						open = false;
					}

					stderr.write(
						`${progress.device}: uploaded ${progress.file} ${progress.method === 'sftp' ? 'over SFTP' : 'through the scp sink (the device refused SFTP)'}\n`,
					);
					lastPhase = progress.phase;
					break;
				}

				case 'stopping': {
					show(`${progress.device}: stopping breakglass…`, progress.phase);
					break;
				}
			}
		},
		/** Clears the status line before anything else is written. */
		done() {
			if (open) {
				stderr.write('\r\x1b[K');
				open = false;
			}
		},
	};
}

/**
 * Runs a breakglass visit on the given terminal and resolves with the exit status (the remote command's for one-shot, the
 * shell's when the server sends one, else 0). Failures reject with a DeviceError naming the device (a HostKeyError carries the
 * loud explanation in `details`); the terminal is restored before either.
 */
export async function runBreakglassShell(target: DeviceTarget, options: BreakglassShellOptions, io: TerminalStreams): Promise<number> {
	const interactive = Boolean(io.stdin.isTTY && io.stdin.setRawMode);
	const printer = progressPrinter(io.stderr as TerminalStreams['stderr'] & {isTTY?: boolean});
	const onProgress = options.onProgress ?? printer.onProgress;
	const prompt = <T>(ask: () => Promise<T>) => {
		printer.done();
		return ask();
	};

	const confirmHostKey =
		options.confirmHostKey ?? (interactive ? (info: HostKeyInfo) => prompt(() => confirmHostKeyOnTerminal(io, target.name, info)) : undefined);
	const askPassphrase = options.askPassphrase ?? (interactive ? (keyPath: string) => prompt(() => askPassphraseOnTerminal(io, keyPath)) : undefined);
	// krazy-tui's own demo key comes last: it only exists when the demo had to make one, and then it is what the demo trusts.
	const demoKey = demoIdentityPath(options.configDir);
	const identityFiles = options.identityFile
		? [path.resolve(options.identityFile)]
		: [...(await discoverIdentityFiles(options.home)), ...(existsSync(demoKey) ? [demoKey] : [])];
	if (options.identityFile && !existsSync(identityFiles[0])) {
		throw new DeviceError(target.name, 'config', `identity file ${options.identityFile} does not exist`);
	}

	let connection: BreakglassConnection | undefined;
	try {
		connection = await connectBreakglass(target, {
			sshPort: options.sshPort,
			username: options.username ?? localUserName(options.env),
			keys: {agentSocket: agentSocketFrom(options.env), identityFiles, askPassphrase},
			hostKeys: {
				knownHosts: new KnownHosts(knownHostsPath(options.configDir)),
				acceptNew: options.acceptNew,
				confirmHostKey,
				onRemembered(info) {
					printer.done();
					io.stderr.write(`${target.name}: remembered host key ${info.fingerprint} for ${info.hostName} in ${info.file}\n`);
				},
			},
			device: options.device,
			portTimeoutMs: options.portTimeoutMs,
			onProgress,
			signal: options.signal,
		});
		const {session} = connection;

		if (options.upload) {
			const file = expandUploadName(options.upload, connection.goarch);
			if (!existsSync(file)) {
				throw new DeviceError(target.name, 'config', `cannot upload ${file}: no such file`);
			}

			onProgress({phase: 'uploading', device: target.name, file});
			const method = await session.upload(file);
			onProgress({phase: 'uploaded', device: target.name, file, method});
		}

		printer.done();
		if (options.command && options.command.length > 0) {
			return await session.exec(options.command.join(' '), {
				stdout: io.stdout,
				stderr: io.stderr,
				stdin: io.stdin.isTTY ? undefined : io.stdin,
			});
		}

		if (!interactive) {
			// As ssh does without a terminal: a shell without a PTY, fed from stdin, whose exit status breakglass does send.
			const channel = await session.openShell({pty: false});
			io.stdin.pipe(channel);
			channel.pipe(io.stdout, {end: false});
			channel.stderr.pipe(io.stderr, {end: false});
			const end = await waitForChannelEnd(channel, session);
			io.stdin.unpipe(channel);
			if (end.lost) {
				throw new DeviceError(target.name, 'ssh', 'the connection was lost (did the device reboot or drop off the network?)');
			}

			return exitStatus(end);
		}

		const channel = await session.openShell({pty: ptyOptionsFor(io, options.env)});
		const ending = waitForChannelEnd(channel, session);
		const how = await bridgeTerminal(channel, io, {signal: options.signal});
		const end = await ending;
		if (how === 'interrupted') {
			throw new DeviceError(target.name, 'aborted', 'session interrupted');
		}

		if (end.lost) {
			throw new DeviceError(target.name, 'ssh', 'the connection was lost (did the device reboot or drop off the network?)');
		}

		// breakglass sends no exit-status for PTY sessions: its absence is a normal end there.
		return end.exitCode ?? (end.exitSignal ? 255 : 0);
	} finally {
		printer.done();
		connection?.session.close();
		if (options.stopAfter && connection) {
			const problem = await stopBreakglass(connection.device, target.name, onProgress);
			printer.done();
			if (problem) {
				io.stderr.write(`${problem}\n`);
			}
		}
	}
}

/** The dashboard's entry: an interactive shell on the terminal Ink lent it (call while Ink is paused). */
export async function runInteractiveShell(
	target: DeviceTarget,
	options: Omit<BreakglassShellOptions, 'command'>,
	io: TerminalStreams,
): Promise<number> {
	return runBreakglassShell(target, options, io);
}

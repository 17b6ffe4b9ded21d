// Hands the local terminal to a remote PTY and back: raw mode, window size, prompts, and a restore that runs on every path.
import type {ClientChannel} from 'ssh2';
import type {HostKeyInfo} from './known-hosts.js';

/** The terminal as the caller owns it: process.stdin/stdout/stderr for the CLI, the same streams lent by Ink for the dashboard. */
export type TerminalStreams = {
	stdin: NodeJS.ReadableStream & {isTTY?: boolean; isRaw?: boolean; setRawMode?: (mode: boolean) => unknown};
	stdout: NodeJS.WritableStream & {isTTY?: boolean; columns?: number; rows?: number};
	stderr: NodeJS.WritableStream;
};

/**
 * Follows the DEC private modes (`ESC [ ? n h/l`) and keypad mode a remote program switches on, so a session that ends
 * abruptly (dropped connection, killed vim) can switch them off again: alternate screen, mouse reporting, bracketed paste.
 */
export class TerminalModeTracker {
	private readonly modes = new Set<number>();
	private keypad = false;
	private tail = '';

	feed(chunk: Buffer | string): void {
		const text = this.tail + (typeof chunk === 'string' ? chunk : chunk.toString('latin1'));
		for (const match of text.matchAll(/\x1b\[\?([\d;]+)([hl])|\x1b([=>])/g)) {
			if (match[3]) {
				this.keypad = match[3] === '=';
				continue;
			}

			for (const mode of match[1].split(';').map(Number)) {
				if (match[2] === 'h') {
					this.modes.add(mode);
				} else {
					this.modes.delete(mode);
				}
			}
		}

		// An escape sequence can be split across chunks: keep an unfinished one for the next chunk.
		const lastEscape = text.lastIndexOf('\x1b');
		this.tail = lastEscape !== -1 && text.length - lastEscape < 16 && !/[hl=>]/.test(text.slice(lastEscape + 1)) ? text.slice(lastEscape) : '';
	}

	/** What puts the terminal back: modes off (alternate screen last, so the rest apply to the main screen), attributes reset, cursor shown. */
	resetSequence(): string {
		let sequence = '';
		const modes = [...this.modes].filter(mode => mode !== 25);
		const alternate: number[] = modes.filter(mode => mode === 1049 || mode === 1047 || mode === 47);
		for (const mode of modes.filter(mode => !alternate.includes(mode))) {
			sequence += `\x1b[?${mode}l`;
		}

		for (const mode of alternate) {
			sequence += `\x1b[?${mode}l`;
		}

		if (this.keypad) {
			sequence += '\x1b>';
		}

		return `${sequence}\x1b[0m\x1b[?25h`;
	}
}

/** How a bridged session ended, seen from the terminal side. */
export type BridgeEnd = 'closed' | 'interrupted';

/**
 * Bridges a PTY channel to the terminal until the channel closes: raw mode on, every key (Ctrl-C too) to the device, output
 * back, resize forwarded; restores the terminal exactly as it found it on every path, including SIGTERM/SIGHUP and exit.
 * stdin's EOF is not forwarded: breakglass closes a PTY session when its stdin ends.
 */
export async function bridgeTerminal(channel: ClientChannel, io: TerminalStreams, options: {signal?: AbortSignal} = {}): Promise<BridgeEnd> {
	const {stdin, stdout, stderr} = io;
	const wasRaw = Boolean(stdin.isRaw);
	const wasFlowing = (stdin as NodeJS.ReadableStream & {readableFlowing?: boolean | null}).readableFlowing;
	const tracker = new TerminalModeTracker();
	let restored = false;
	let interrupted = false;

	const restore = () => {
		if (restored) {
			return;
		}

		restored = true;
		stdin.off('data', onInput);
		stdout.off('resize', onResize);
		channel.off('data', onOutput);
		channel.stderr.off('data', onError);
		process.off('SIGTERM', onSignal);
		process.off('SIGHUP', onSignal);
		process.off('exit', restore);
		options.signal?.removeEventListener('abort', onSignal);
		if (stdin.isTTY && stdin.setRawMode) {
			stdin.setRawMode(wasRaw);
		}

		if (wasFlowing !== true) {
			stdin.pause();
		}

		stdout.write(tracker.resetSequence());
	};

	const onInput = (chunk: Buffer) => {
		channel.write(chunk);
	};

	let waitingForDrain = false;
	const onOutput = (chunk: Buffer) => {
		tracker.feed(chunk);
		// Backpressure: a slow terminal slows the channel down instead of buffering without bound.
		if (!stdout.write(chunk) && !waitingForDrain) {
			waitingForDrain = true;
			channel.pause();
			stdout.once('drain', () => {
				waitingForDrain = false;
				channel.resume();
			});
		}
	};

	const onError = (chunk: Buffer) => {
		tracker.feed(chunk);
		stderr.write(chunk);
	};

	const onResize = () => {
		if (stdout.columns && stdout.rows) {
			channel.setWindow(stdout.rows, stdout.columns, 0, 0);
		}
	};

	const onSignal = () => {
		interrupted = true;
		channel.close();
	};

	if (stdin.isTTY && stdin.setRawMode) {
		stdin.setRawMode(true);
	}

	process.once('exit', restore);
	process.on('SIGTERM', onSignal);
	process.on('SIGHUP', onSignal);
	options.signal?.addEventListener('abort', onSignal, {once: true});
	stdin.on('data', onInput);
	stdin.resume();
	stdout.on('resize', onResize);
	channel.on('data', onOutput);
	channel.stderr.on('data', onError);

	try {
		await new Promise<void>(resolve => {
			if ((channel as ClientChannel & {destroyed?: boolean}).destroyed) {
				resolve();
				return;
			}

			channel.once('close', () => resolve());
		});
	} finally {
		restore();
	}

	return interrupted ? 'interrupted' : 'closed';
}

/** The size and TERM to ask the remote PTY for. */
export function ptyOptionsFor(io: TerminalStreams, env: NodeJS.ProcessEnv): {term: string; cols: number; rows: number; width: number; height: number} {
	return {
		term: env.TERM && env.TERM !== 'dumb' ? env.TERM : 'xterm-256color',
		cols: io.stdout.columns ?? 80,
		rows: io.stdout.rows ?? 24,
		width: 0,
		height: 0,
	};
}

/**
 * Reads one line from a terminal in raw mode, echoing it or not (passphrases). Ctrl-C or Ctrl-D on an empty line rejects.
 * Leaves raw mode and flowing as it found them.
 */
export async function askOnTerminal(io: TerminalStreams, question: string, options: {echo: boolean}): Promise<string> {
	const {stdin, stderr} = io;
	if (!stdin.isTTY || !stdin.setRawMode) {
		throw new Error('no terminal to ask on');
	}

	const wasRaw = Boolean(stdin.isRaw);
	const wasFlowing = (stdin as NodeJS.ReadableStream & {readableFlowing?: boolean | null}).readableFlowing;
	stderr.write(question);
	stdin.setRawMode(true);
	return new Promise<string>((resolve, reject) => {
		let answer = '';
		const finish = () => {
			stdin.off('data', onData);
			stdin.setRawMode!(wasRaw);
			if (wasFlowing !== true) {
				stdin.pause();
			}

			stderr.write('\r\n');
		};

		const onData = (chunk: Buffer) => {
			for (const character of chunk.toString('utf8')) {
				if (character === '\r' || character === '\n') {
					finish();
					resolve(answer);
					return;
				}

				if (character === '\x03' || (character === '\x04' && answer === '')) {
					finish();
					reject(new Error('cancelled'));
					return;
				}

				if (character === '\x7f' || character === '\b') {
					if (answer !== '') {
						answer = [...answer].slice(0, -1).join('');
						if (options.echo) {
							stderr.write('\b \b');
						}
					}

					continue;
				}

				if (character === '\x15') {
					if (options.echo) {
						stderr.write('\b \b'.repeat([...answer].length));
					}

					answer = '';
					continue;
				}

				if (character < ' ') {
					continue;
				}

				answer += character;
				if (options.echo) {
					stderr.write(character);
				}
			}
		};

		stdin.on('data', onData);
		stdin.resume();
	});
}

/** The first-use question, as ssh asks it, with where to check the fingerprint. */
export async function confirmHostKeyOnTerminal(io: TerminalStreams, device: string, info: HostKeyInfo): Promise<boolean> {
	const question = [
		`The authenticity of ${device} (${info.hostName}) can't be established.`,
		`${info.keyType.replace(/^ssh-/, '').toUpperCase()} key fingerprint is ${info.fingerprint}.`,
		`breakglass prints its fingerprint in its log when it starts: krazy-tui logs ${device} breakglass`,
		'Remember this key and connect (yes/no)? ',
	].join('\r\n');
	for (;;) {
		const answer = (await askOnTerminal(io, question, {echo: true})).trim().toLowerCase();
		if (answer === 'yes' || answer === 'y') {
			return true;
		}

		if (answer === 'no' || answer === 'n') {
			return false;
		}

		io.stderr.write('Please type \'yes\' or \'no\'.\r\n');
	}
}

export async function askPassphraseOnTerminal(io: TerminalStreams, keyPath: string): Promise<string> {
	return askOnTerminal(io, `Enter passphrase for key '${keyPath}': `, {echo: false});
}

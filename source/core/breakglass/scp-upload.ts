// The sending side of the scp protocol (`scp -t` on the device), for breakglass versions older than its SFTP support.
import {createReadStream} from 'node:fs';
import {stat} from 'node:fs/promises';
import type {Duplex} from 'node:stream';
import {sanitizeForTerminal} from '../sanitize-terminal.js';

/** Longest refusal text read from the device; the rest is cut. */
const maxReplyBytes = 1024;

/**
 * The device's answers: one byte, 0 for yes; otherwise a line of text. OpenSSH's scp sends 1 or 2 before the text;
 * breakglass writes its error text bare, so any other first byte starts the text.
 */
class Replies {
	private buffer = Buffer.alloc(0);
	private ended = false;
	private wake: (() => void) | undefined;

	constructor(channel: Duplex) {
		channel.on('data', (chunk: Buffer) => {
			this.buffer = Buffer.concat([this.buffer, chunk]);
			this.wake?.();
		});
		const end = () => {
			this.ended = true;
			this.wake?.();
		};

		channel.once('end', end);
		channel.once('close', end);
	}

	private async more(): Promise<boolean> {
		if (this.ended) {
			return false;
		}

		await new Promise<void>(resolve => {
			this.wake = resolve;
		});
		this.wake = undefined;
		return true;
	}

	/** Resolves at a 0 byte; rejects with the device's text otherwise, or when the channel ends first. */
	async ok(step: string): Promise<void> {
		while (this.buffer.length === 0) {
			if (!(await this.more())) {
				throw new Error(`the device closed the scp session ${step}`);
			}
		}

		if (this.buffer[0] === 0) {
			this.buffer = this.buffer.subarray(1);
			return;
		}

		const textStart = this.buffer[0] === 1 || this.buffer[0] === 2 ? 1 : 0;
		while (!this.buffer.includes(0x0a) && this.buffer.length < maxReplyBytes && (await this.more())) {
			// Read on until the line ends.
		}

		const end = this.buffer.indexOf(0x0a);
		const text = this.buffer.subarray(textStart, end === -1 ? Math.min(this.buffer.length, maxReplyBytes) : end).toString('utf8');
		throw new Error(sanitizeForTerminal(text).replaceAll('\t', ' ').trim() || `the device refused the file ${step}`);
	}
}

/** Sends one file to an `scp -t` sink on `channel`, as OpenSSH's scp -O does; rejects with the device's refusal. */
export async function sendOverScp(channel: Duplex, localPath: string, remoteName: string): Promise<void> {
	const replies = new Replies(channel);
	const {size, mode} = await stat(localPath);
	await replies.ok('before the transfer');
	channel.write(`C0${(mode & 0o777).toString(8).padStart(3, '0')} ${size} ${remoteName.replaceAll('\n', ' ')}\n`);
	await replies.ok('at the file header');
	for await (const chunk of createReadStream(localPath)) {
		if (!channel.write(chunk as Buffer)) {
			await new Promise<void>(resolve => {
				const done = () => {
					channel.off('drain', done);
					channel.off('close', done);
					resolve();
				};

				channel.once('drain', done);
				channel.once('close', done);
			});
		}
	}

	channel.write(Buffer.from([0]));
	await replies.ok('after the transfer');
}

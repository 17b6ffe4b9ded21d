// The demo breakglass's `scp -t` sink, in-process as breakglass's own: every file received is unpacked as a tar into the working folder.
import {createWriteStream} from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type {Duplex} from 'node:stream';
import {unpackTar} from './breakglass-workdir.js';

/** github.com/google/shlex's Split, which breakglass runs on every command line before anything else. */
export function shlexSplit(text: string): string[] {
	const words: string[] = [];
	let word: string | undefined;
	let index = 0;
	const take = () => {
		if (word !== undefined) {
			words.push(word);
			word = undefined;
		}
	};

	while (index < text.length) {
		const char = text[index++];
		if (/\s/.test(char)) {
			take();
		} else if (char === '#' && word === undefined) {
			// A comment runs to the end of the line.
			while (index < text.length && text[index] !== '\n') {
				index++;
			}
		} else if (char === '\\') {
			if (index >= text.length) {
				throw new Error('EOF found after escape character');
			}

			word = (word ?? '') + text[index++];
		} else if (char === '\'') {
			const end = text.indexOf('\'', index);
			if (end === -1) {
				throw new Error('EOF found when expecting closing quote');
			}

			word = (word ?? '') + text.slice(index, end);
			index = end + 1;
		} else if (char === '"') {
			let value = '';
			for (;;) {
				if (index >= text.length) {
					throw new Error('EOF found when expecting closing quote');
				}

				const next = text[index++];
				if (next === '"') {
					break;
				}

				if (next === '\\' && index < text.length && ['"', '\\', '$', '`', '\n'].includes(text[index])) {
					value += text[index++];
				} else {
					value += next;
				}
			}

			word = (word ?? '') + value;
		} else {
			word = (word ?? '') + char;
		}
	}

	take();
	return words;
}

/** The failure of a request as breakglass reports it: the text goes to the client and the log, then the session ends. */
export class RequestError extends Error {
	/** Extra lines breakglass's process writes to its stderr on the way (Go's flag package prints a usage). */
	constructor(
		message: string,
		readonly stderrLines: string[] = [],
	) {
		super(message);
	}
}

/** Go's flag package over scp's arguments with the one flag breakglass defines, `-t`: anything else is an error. */
export function parseScpFlags(args: string[]): {sink: boolean} {
	let sink = false;
	for (const argument of args) {
		if (argument === '--' || !argument.startsWith('-') || argument === '-') {
			break;
		}

		const [name, value] = argument.replace(/^--?/, '').split('=', 2);
		if (name !== 't') {
			throw new RequestError(`flag provided but not defined: -${name}`, [`flag provided but not defined: -${name}`, 'Usage of scp:', '  -t\tsink (to)']);
		}

		if (value !== undefined && !['1', 't', 'T', 'true', 'TRUE', 'True', '0', 'f', 'F', 'false', 'FALSE', 'False'].includes(value)) {
			throw new RequestError(`invalid boolean value "${value}" for -t: parse error`);
		}

		sink = value === undefined || ['1', 't', 'T', 'true', 'TRUE', 'True'].includes(value);
	}

	if (!sink) {
		throw new RequestError('expected -t');
	}

	return {sink};
}

/** Reads a channel as a byte stream with exact-length reads, as the sink protocol needs. */
class ChannelReader {
	private chunks: Buffer[] = [];
	private buffered = 0;
	private ended = false;
	private wake: (() => void) | undefined;

	constructor(channel: Duplex) {
		channel.on('data', (chunk: Buffer) => {
			this.chunks.push(chunk);
			this.buffered += chunk.length;
			this.wake?.();
		});
		const end = () => {
			this.ended = true;
			this.wake?.();
		};

		channel.once('end', end);
		channel.once('close', end);
	}

	private async waitFor(bytes: number): Promise<boolean> {
		while (this.buffered < bytes && !this.ended) {
			await new Promise<void>(resolve => {
				this.wake = resolve;
			});
			this.wake = undefined;
		}

		return this.buffered >= bytes;
	}

	private take(bytes: number): Buffer {
		const all = Buffer.concat(this.chunks);
		this.chunks = all.length > bytes ? [all.subarray(bytes)] : [];
		this.buffered = all.length - bytes;
		return all.subarray(0, bytes);
	}

	/** One protocol line (without its newline), or undefined at the end of the stream. */
	async line(limit: number): Promise<string | undefined> {
		for (;;) {
			const all = Buffer.concat(this.chunks);
			this.chunks = [all];
			const newline = all.indexOf(0x0a);
			if (newline !== -1) {
				return this.take(newline + 1).subarray(0, newline).toString('utf8');
			}

			if (all.length > limit) {
				throw new RequestError('scp: control message too long');
			}

			if (this.ended) {
				return all.length > 0 ? this.take(all.length).toString('utf8') : undefined;
			}

			await this.waitFor(all.length + 1);
		}
	}

	/** Up to `bytes` bytes, fewer only at the end of the stream. */
	async read(bytes: number): Promise<Buffer> {
		await this.waitFor(Math.min(bytes, 1));
		return this.take(Math.min(bytes, this.buffered));
	}
}

export type ScpSinkOptions = {
	workDir: string;
	/** Where a file being received is kept until it is unpacked. */
	stagingDir: string;
	log: (line: string) => void;
};

/**
 * The sink side of the scp protocol, as breakglass's scp.go: a 0 byte to say ready, a 0 byte after every control
 * line, and for each `C<mode> <size> <name>` file its bytes unpacked as a tar. `D`, `E` and `T` lines are
 * acknowledged and otherwise ignored (breakglass has no folders of its own to make). Resolves at the client's EOF.
 */
export async function runScpSink(channel: Duplex, options: ScpSinkOptions): Promise<void> {
	const reader = new ChannelReader(channel);
	const ack = () => channel.write(Buffer.from([0]));
	ack();
	for (;;) {
		const line = await reader.line(1024);
		if (line === undefined) {
			return;
		}

		ack();
		if (!line.startsWith('C')) {
			continue;
		}

		const message = line.trim();
		const parts = message.split(' ');
		if (parts.length !== 3) {
			throw new RequestError(`invalid number of space-separated tokens in control message ${JSON.stringify(message)}: got ${parts.length}, want 3`);
		}

		if (!/^[+-]?(0x[\da-f]+|0[0-7]*|[1-9]\d*)$/i.test(parts[1])) {
			throw new RequestError(`strconv.ParseInt: parsing ${JSON.stringify(parts[1])}: invalid syntax`);
		}

		const size = Number(parts[1]);
		await fs.mkdir(options.stagingDir, {recursive: true});
		const staged = path.join(options.stagingDir, `scp-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`);
		try {
			const out = createWriteStream(staged);
			let left = size;
			while (left > 0) {
				const chunk = await reader.read(Math.min(left, 64 * 1024));
				if (chunk.length === 0) {
					out.destroy();
					throw new RequestError('unexpected EOF');
				}

				left -= chunk.length;
				if (!out.write(chunk)) {
					await new Promise<void>(resolve => out.once('drain', () => resolve()));
				}
			}

			await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
			// The status byte the client sends after the file's bytes.
			await reader.read(1);
			try {
				await unpackTar(staged, options.workDir, options.log);
			} catch (error) {
				throw new RequestError((error as Error).message);
			}
		} finally {
			await fs.rm(staged, {force: true});
		}

		ack();
	}
}

// SHA-256 on a worker thread over shared buffers: hashing 2 GiB keeps a core busy longer than dd takes to write them.
import {createHash} from 'node:crypto';
import {Worker} from 'node:worker_threads';

/**
 * The worker's whole program, as CommonJS source: loaded with `eval` it needs no file next to the compiled code and
 * no TypeScript loader (tests run under tsx, the CLI from dist/). It hashes each message's spans in arrival order, so
 * the digests see the chunks in the order they were sent, and answers each message once its bytes are read.
 */
const workerProgram = `
const {parentPort} = require('node:worker_threads');
const {createHash} = require('node:crypto');
const {closeSync, openSync, readSync} = require('node:fs');
const memories = new Map();
let hashes = [];
parentPort.on('message', message => {
	try {
		if (message.type === 'start') {
			hashes = Array.from({length: message.streams}, () => createHash('sha256'));
		} else if (message.type === 'memory') {
			memories.set(message.id, new Uint8Array(message.memory));
		} else if (message.type === 'chunk') {
			const bytes = message.copy ?? memories.get(message.memory);
			for (let index = 0; index < message.spans.length; index += 3) {
				const base = message.offset;
				hashes[message.spans[index]].update(bytes.subarray(base + message.spans[index + 1], base + message.spans[index + 2]));
			}
			parentPort.postMessage({type: 'hashed'});
		} else if (message.type === 'file') {
			const hash = createHash('sha256');
			const buffer = Buffer.allocUnsafe(2 * 1024 * 1024);
			const fd = openSync(message.path, 'r');
			let bytes = 0;
			try {
				for (let read; (read = readSync(fd, buffer, 0, buffer.length, bytes)) > 0; bytes += read) {
					hash.update(buffer.subarray(0, read));
				}
			} finally {
				closeSync(fd);
			}
			parentPort.postMessage({type: 'file', sha256: hash.digest('hex'), bytes});
		} else if (message.type === 'digest') {
			parentPort.postMessage({type: 'digest', digests: hashes.map(hash => hash.digest('hex'))});
		}
	} catch (error) {
		parentPort.postMessage({type: 'failed', message: String(error && error.stack || error)});
	}
});
`;

/** A piece of a chunk for one of the hashes: [hash index, from, to), offsets within the chunk. */
export type HashSpan = readonly [stream: number, from: number, to: number];

/** What the writer and the verifier use of a hasher: tests hand in one that hashes late. */
export type ChunkHash = Pick<ChunkHasher, 'update' | 'digest' | 'close'> & Partial<Pick<ChunkHasher, 'hashFile'>>;

/** The SHA-256 of a whole file and how many bytes it had when read. */
export type FileDigest = {sha256: string; bytes: number};

/** Starts the hasher of a write or a verify; `streams` hashes are fed at once. */
export type StartHasher = (streams: number) => ChunkHash;

export const startWorkerHasher: StartHasher = streams => new ChunkHasher(streams);

/**
 * The hashes on this thread: for a compressed image, whose decoder is slower than SHA-256 and so sets the pace anyway;
 * it saves the worker's thread (some 10 MB) while the decoder's memory is in use too.
 */
export const startInlineHasher: StartHasher = streams => {
	const hashes = Array.from({length: streams}, () => createHash('sha256'));
	return {
		async update(chunk, spans = [[0, 0, chunk.length]]) {
			for (const [stream, from, to] of spans) {
				hashes[stream]!.update(chunk.subarray(from, to));
			}
		},
		digest: async () => hashes.map(hash => hash.digest('hex')),
		close: async () => undefined,
	};
};

type Waiter = {resolve: (value: unknown) => void; reject: (error: Error) => void};

/**
 * Feeds chunks to `streams` SHA-256 hashes on a worker thread. A chunk in shared memory (see aligned-memory.ts) is
 * read in place: the promise `update` returns settles once the worker is done with it, and only then may its buffer
 * be filled again. Any other chunk is copied. After `digest`, `begin` starts over on the same thread (a flash's write
 * and verify share one: a thread costs some 10 MB).
 */
export class ChunkHasher {
	private readonly worker: Worker;
	private readonly memoryIds = new Map<SharedArrayBuffer, number>();
	/** Answers come back in the order messages went out: one waiter per message, first in first out. */
	private readonly waiting: Waiter[] = [];
	private failure: Error | undefined;
	private closed = false;
	private streams = 0;

	constructor(streams = 1) {
		// It only ever holds a few small objects: a small young generation keeps its memory down.
		this.worker = new Worker(workerProgram, {eval: true, execArgv: [], resourceLimits: {maxYoungGenerationSizeMb: 2, maxOldGenerationSizeMb: 32}});
		// Kept alive only while an answer is awaited: an abandoned hasher must not keep the process alive, and one that is
		// being waited for must (nothing else may be pending then).
		this.worker.unref();
		this.worker.on('message', (message: {type: string; message?: string}) => {
			if (message.type === 'failed') {
				this.fail(new Error(`hash worker: ${message.message ?? 'failed'}`));
				return;
			}

			this.waiting.shift()?.resolve(message);
			if (this.waiting.length === 0) {
				this.worker.unref();
			}
		});
		this.worker.on('error', error => {
			this.fail(error);
		});
		this.worker.on('exit', code => {
			if (!this.closed) {
				this.fail(new Error(`hash worker exited (code ${code})`));
			}
		});
		this.begin(streams);
	}

	/** Starts `streams` new hashes (what was sent before is hashed into the old ones, which `digest` has reported). */
	begin(streams: number): void {
		this.streams = streams;
		this.worker.postMessage({type: 'start', streams});
	}

	/** This worker as the hasher of one write or verify: starts over, and closing it leaves the worker running. */
	session(streams: number): ChunkHash {
		this.begin(streams);
		return {
			update: async (chunk, spans) => this.update(chunk, spans),
			digest: async () => this.digest(),
			hashFile: async path => this.hashFile(path),
			close: async () => undefined,
		};
	}

	/**
	 * SHA-256 of a file read by the worker itself, from its start to its end. A raw image is hashed this way while it is
	 * written: nothing then ties a buffer of the writer to the hash, the card is written and flushed at its own pace and
	 * the hash only has to be done by the end of both. Meanwhile the worker takes nothing else.
	 */
	async hashFile(path: string): Promise<FileDigest> {
		const {sha256, bytes} = await this.send({type: 'file', path}) as FileDigest;
		return {sha256, bytes};
	}

	/** Hashes `spans` of `chunk` (by default all of it into hash 0); settles when the worker no longer reads `chunk`. */
	async update(chunk: Uint8Array, spans: readonly HashSpan[] = [[0, 0, chunk.length]]): Promise<void> {
		const flat = spans.flatMap(([stream, from, to]) => {
			if (stream < 0 || stream >= this.streams || from < 0 || to > chunk.length || from > to) {
				throw new RangeError(`bad hash span [${stream}, ${from}, ${to}) of a ${chunk.length}-byte chunk`);
			}

			return [stream, from, to];
		});
		if (chunk.buffer instanceof SharedArrayBuffer) {
			let memory = this.memoryIds.get(chunk.buffer);
			if (memory === undefined) {
				memory = this.memoryIds.size;
				this.memoryIds.set(chunk.buffer, memory);
				this.worker.postMessage({type: 'memory', id: memory, memory: chunk.buffer});
			}

			await this.send({type: 'chunk', memory, offset: chunk.byteOffset, spans: flat});
		} else {
			// A copy of its own (Buffer#slice would be a view: transferring its memory would take the caller's away).
			const copy = new Uint8Array(chunk);
			await this.send({type: 'chunk', copy, offset: 0, spans: flat}, [copy.buffer]);
		}
	}

	/** The hex digests, in stream order, once every chunk sent before is hashed. */
	async digest(): Promise<string[]> {
		const {digests} = await this.send({type: 'digest'}) as {digests: string[]};
		return digests;
	}

	/** Stops the worker; chunks still waiting fail, but only once it is gone: their buffers are then free for sure. */
	async close(): Promise<void> {
		if (this.closed) {
			return;
		}

		this.closed = true;
		await this.worker.terminate();
		this.fail(new Error('hash worker closed'));
	}

	private async send(message: object, transfer: ArrayBuffer[] = []): Promise<unknown> {
		if (this.failure) {
			throw this.failure;
		}

		return new Promise((resolve, reject) => {
			if (this.waiting.length === 0) {
				this.worker.ref();
			}

			this.waiting.push({resolve, reject});
			this.worker.postMessage(message, transfer);
		});
	}

	private fail(error: Error): void {
		this.failure ??= error;
		this.worker.unref();
		for (const waiter of this.waiting.splice(0)) {
			waiter.reject(this.failure);
		}
	}
}

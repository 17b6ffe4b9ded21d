// Opens an image file (raw, .gz, .xz or .zst) as a stream of its uncompressed bytes, with the uncompressed size when the format tells it.
import {createReadStream} from 'node:fs';
import {open, type FileHandle} from 'node:fs/promises';
import {Readable} from 'node:stream';
import {createGunzip} from 'node:zlib';
import {parsePartitionTable} from './partition-table.js';
import {formatBytes} from './flash-units.js';

export type ImageFormat = 'raw' | 'gzip' | 'xz' | 'zstd';

export type ImageInfo = {
	path: string;
	format: ImageFormat;
	/** Bytes of the file itself (compressed or not). */
	fileSize: number;
	/** Uncompressed bytes when known: raw always, xz from its index, zstd when every frame states it; never gzip. */
	size?: number;
};

export class ImageError extends Error {
	override readonly name = 'ImageError';
}

const magics: Array<[ImageFormat, number[]]> = [
	['gzip', [0x1f, 0x8b]],
	['xz', [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]],
	['zstd', [0x28, 0xb5, 0x2f, 0xfd]],
];

const extensions: Array<[ImageFormat, RegExp]> = [['gzip', /\.gz$/i], ['xz', /\.xz$/i], ['zstd', /\.zst$/i]];

const formatNames: Record<ImageFormat, string> = {raw: 'raw', gzip: 'gzip', xz: 'xz', zstd: 'zstd'};

async function readAt(file: FileHandle, position: number, length: number): Promise<Buffer> {
	const buffer = Buffer.alloc(length);
	const {bytesRead} = await file.read(buffer, 0, length, position);
	return buffer.subarray(0, bytesRead);
}

function readVarint(buffer: Buffer, cursor: {at: number}): number {
	let value = 0;
	let shift = 0;
	for (let index = 0; index < 9; index++) {
		if (cursor.at >= buffer.length) {
			throw new Error('varint past the end');
		}

		const byte = buffer[cursor.at++];
		value += (byte & 0x7f) * 2 ** shift;
		if ((byte & 0x80) === 0) {
			return value;
		}

		shift += 7;
	}

	throw new Error('varint too long');
}

/** The uncompressed size from the xz index of each concatenated stream, walking back from the end. */
async function xzSize(file: FileHandle, fileSize: number): Promise<number | undefined> {
	let end = fileSize;
	let total = 0;
	while (end > 0) {
		// Stream padding: groups of four zero bytes.
		const tail = await readAt(file, end - 4, 4);
		if (tail.length === 4 && tail.readUInt32LE(0) === 0) {
			end -= 4;
			continue;
		}

		if (end < 24) {
			return undefined;
		}

		const footer = await readAt(file, end - 12, 12);
		if (footer.toString('latin1', 10, 12) !== 'YZ') {
			return undefined;
		}

		const indexSize = (footer.readUInt32LE(4) + 1) * 4;
		const index = await readAt(file, end - 12 - indexSize, indexSize);
		if (index.length !== indexSize || index[0] !== 0) {
			return undefined;
		}

		const cursor = {at: 1};
		const records = readVarint(index, cursor);
		let blocks = 0;
		for (let record = 0; record < records; record++) {
			const unpadded = readVarint(index, cursor);
			total += readVarint(index, cursor);
			blocks += Math.ceil(unpadded / 4) * 4;
		}

		end -= 12 + indexSize + blocks + 12;
	}

	return end === 0 ? total : undefined;
}

/** The sum of every zstd frame's content size, or undefined when a frame does not state it. */
async function zstdSize(file: FileHandle, fileSize: number): Promise<number | undefined> {
	let window: Buffer = Buffer.alloc(0);
	let windowStart = 0;
	const bytesAt = async (position: number, length: number): Promise<Buffer | undefined> => {
		if (position < windowStart || position + length > windowStart + window.length) {
			window = await readAt(file, position, Math.max(length, 256 * 1024));
			windowStart = position;
		}

		const slice = window.subarray(position - windowStart, position - windowStart + length);
		return slice.length === length ? slice : undefined;
	};

	let position = 0;
	let total = 0;
	while (position < fileSize) {
		const header = await bytesAt(position, Math.min(18, fileSize - position));
		if (!header || header.length < 6) {
			return undefined;
		}

		const magic = header.readUInt32LE(0);
		if ((magic & 0xff_ff_ff_f0) === 0x18_4d_2a_50) {
			position += 8 + header.readUInt32LE(4);
			continue;
		}

		if (magic !== 0xfd_2f_b5_28) {
			return undefined;
		}

		const descriptor = header[4];
		const fcsFlag = descriptor >> 6;
		const singleSegment = (descriptor >> 5) & 1;
		const checksum = (descriptor >> 2) & 1;
		const dictionaryBytes = [0, 1, 2, 4][descriptor & 3];
		const fcsBytes = fcsFlag === 0 ? singleSegment : [0, 2, 4, 8][fcsFlag];
		if (fcsBytes === 0) {
			return undefined;
		}

		const fcsAt = 5 + (singleSegment ? 0 : 1) + dictionaryBytes;
		const field = await bytesAt(position + fcsAt, fcsBytes);
		if (!field) {
			return undefined;
		}

		total += fcsBytes === 1 ? field[0] : fcsBytes === 2 ? field.readUInt16LE(0) + 256 : fcsBytes === 4 ? field.readUInt32LE(0) : Number(field.readBigUInt64LE(0));
		position += fcsAt + fcsBytes;
		for (;;) {
			const block = await bytesAt(position, 3);
			if (!block) {
				return undefined;
			}

			const value = block[0] | (block[1] << 8) | (block[2] << 16);
			const last = value & 1;
			const type = (value >> 1) & 3;
			const size = value >>> 3;
			position += 3 + (type === 1 ? 1 : size);
			if (last) {
				break;
			}
		}

		position += checksum ? 4 : 0;
	}

	return position === fileSize ? total : undefined;
}

/** Checks the file and works out its format and size. Throws ImageError with a message naming the file. */
export async function inspectImage(imagePath: string): Promise<ImageInfo> {
	let file: FileHandle;
	try {
		file = await open(imagePath, 'r');
	} catch (error) {
		const code = (error as NodeJS.ErrnoException).code;
		const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a folder, not an image' : (error as Error).message;
		throw new ImageError(`${imagePath}: ${why}`);
	}

	try {
		const info = await file.stat();
		if (!info.isFile()) {
			throw new ImageError(`${imagePath}: not a regular file`);
		}

		if (info.size === 0) {
			throw new ImageError(`${imagePath}: the image is empty`);
		}

		const head = await readAt(file, 0, 1024 * 1024);
		const skippableZstd = (head[0] & 0xf0) === 0x50 && head[1] === 0x2a && head[2] === 0x4d && head[3] === 0x18;
		const format = skippableZstd ? 'zstd' : magics.find(([, bytes]) => bytes.every((byte, index) => head[index] === byte))?.[0] ?? 'raw';
		const named = extensions.find(([, pattern]) => pattern.test(imagePath))?.[0];
		if (named && named !== format) {
			throw new ImageError(`${imagePath}: not ${formatNames[named]} data (the file does not start like one)`);
		}

		const image: ImageInfo = {path: imagePath, format, fileSize: info.size};
		if (format === 'raw') {
			image.size = info.size;
			const table = parsePartitionTable(head);
			const end = Math.max(0, ...table.partitions.filter(partition => !partition.extended).map(partition => partition.start + partition.size));
			if (end > info.size) {
				throw new ImageError(`${imagePath}: the image is truncated (its partitions end at ${formatBytes(end)}, the file has ${formatBytes(info.size)})`);
			}
		} else if (format === 'xz') {
			image.size = await xzSize(file, info.size).catch(() => undefined);
		} else if (format === 'zstd') {
			image.size = await zstdSize(file, info.size).catch(() => undefined);
		}

		return image;
	} finally {
		await file.close();
	}
}

/** Fills caller-owned buffers with the image's uncompressed bytes, in order. */
export interface ImageReader {
	/** Fills `target` completely, or less at the end of the image; 0 once there is nothing left. */
	fill(target: Buffer): Promise<number>;
	/** Bytes read from the file so far (compressed bytes for compressed images): the progress of unknown totals. */
	readonly sourceBytes: number;
	close(): Promise<void>;
}

function describeDecodeError(image: ImageInfo, error: unknown): ImageError {
	if (error instanceof ImageError) {
		return error;
	}

	const raw = error instanceof Error ? error.message : String(error);
	const xzCodes: Record<string, string> = {
		5: 'not xz data', 6: 'unsupported xz options', 7: 'corrupt xz data', 8: 'truncated xz data (unexpected end of file)',
		2: 'unsupported xz check', 3: 'out of memory', 4: 'needs more memory than allowed',
	};
	const xzCode = /error code (\d+)/.exec(raw)?.[1];
	let why: string;
	if (image.format === 'xz' && xzCode) {
		why = xzCodes[xzCode] ?? `xz decoder error ${xzCode}`;
	} else if (image.format === 'zstd') {
		why = /unexpected EOF/i.test(raw) ? 'truncated zstd data (unexpected end of file)' : `corrupt zstd data (${raw})`;
	} else if (image.format === 'gzip') {
		why = /unexpected end/i.test(raw) ? 'truncated gzip data (unexpected end of file)' : `corrupt gzip data (${raw})`;
	} else {
		why = raw;
	}

	return new ImageError(`${image.path}: ${why}`);
}

type CollectGarbage = (options?: {type: 'minor' | 'major'}) => void;
let collector: CollectGarbage | null | undefined;

/**
 * V8's gc(), made reachable without --expose-gc. Decoders hand out a fresh buffer per chunk; V8 frees their memory
 * only when a collection runs, which external memory triggers only after some 64 MB: a minor collection every few
 * MiB keeps the process under 100 MB whatever the image size.
 */
async function garbageCollector(): Promise<CollectGarbage | null> {
	if (collector === undefined) {
		try {
			const [{setFlagsFromString}, {runInNewContext}] = await Promise.all([import('node:v8'), import('node:vm')]);
			setFlagsFromString('--expose-gc');
			collector = runInNewContext('gc') as CollectGarbage;
		} catch {
			collector = null;
		}
	}

	return collector;
}

const collectEvery = 4 * 1024 * 1024;

class ChunkReader implements ImageReader {
	private pending: Uint8Array | undefined;
	private done = false;
	private sinceCollection = 0;
	private collections = 0;
	private collect: CollectGarbage | null = null;

	constructor(
		private readonly image: ImageInfo,
		private readonly chunks: AsyncIterator<Uint8Array>,
		private readonly counted: () => number,
		private readonly stop: () => void,
	) {}

	get sourceBytes(): number {
		return this.counted();
	}

	async fill(target: Buffer): Promise<number> {
		this.collect ??= await garbageCollector();
		let filled = 0;
		while (filled < target.length) {
			if (!this.pending || this.pending.length === 0) {
				if (this.done) {
					break;
				}

				let next: IteratorResult<Uint8Array>;
				try {
					next = await this.chunks.next();
				} catch (error) {
					throw describeDecodeError(this.image, error);
				}

				if (next.done) {
					this.done = true;
					break;
				}

				this.pending = next.value;
				this.sinceCollection += next.value.length;
				if (this.sinceCollection >= collectEvery && this.collect) {
					this.sinceCollection = 0;
					this.collections++;
					// Now and then a full one too: what survived the quick ones would otherwise pile up with the image's size.
					this.collect({type: this.collections % 64 === 0 ? 'major' : 'minor'});
				}

				continue;
			}

			const take = Math.min(this.pending.length, target.length - filled);
			target.set(this.pending.subarray(0, take), filled);
			this.pending = this.pending.subarray(take);
			filled += take;
		}

		return filled;
	}

	async close(): Promise<void> {
		this.stop();
		await this.chunks.return?.();
	}
}

class RawReader implements ImageReader {
	private position = 0;

	constructor(private readonly file: FileHandle) {}

	get sourceBytes(): number {
		return this.position;
	}

	async fill(target: Buffer): Promise<number> {
		let filled = 0;
		while (filled < target.length) {
			const {bytesRead} = await this.file.read(target, filled, target.length - filled, this.position);
			if (bytesRead === 0) {
				break;
			}

			filled += bytesRead;
			this.position += bytesRead;
		}

		return filled;
	}

	async close(): Promise<void> {
		await this.file.close();
	}
}

/**
 * Cuts a zstd stream at frame and block boundaries. A block holds at most 128 KiB, but four bytes of it can stand for
 * all of them: fed one block at a time, the decoder never holds more than a block of output, however well it compressed.
 */
export class ZstdBlockSplitter {
	private buffer: Buffer = Buffer.alloc(0);
	private state: 'frame' | 'block' | 'checksum' | 'skip' = 'frame';
	private skipLeft = 0;
	private checksum = false;

	*push(chunk: Buffer): Generator<Buffer> {
		this.buffer = this.buffer.length > 0 ? Buffer.concat([this.buffer, chunk]) : chunk;
		for (;;) {
			const piece = this.next();
			if (!piece) {
				return;
			}

			yield piece;
		}
	}

	/** Whatever is left (a truncated stream): the decoder then reports it. */
	rest(): Buffer {
		const rest = this.buffer;
		this.buffer = Buffer.alloc(0);
		return rest;
	}

	private take(length: number): Buffer | undefined {
		if (this.buffer.length < length) {
			return undefined;
		}

		const piece = this.buffer.subarray(0, length);
		this.buffer = this.buffer.subarray(length);
		return piece;
	}

	private next(): Buffer | undefined {
		const {buffer} = this;
		switch (this.state) {
			case 'frame': {
				if (buffer.length < 8) {
					return undefined;
				}

				const magic = buffer.readUInt32LE(0);
				if ((magic & 0xff_ff_ff_f0) === 0x18_4d_2a_50) {
					this.state = 'skip';
					this.skipLeft = 8 + buffer.readUInt32LE(4);
					return this.next();
				}

				const descriptor = buffer[4];
				const singleSegment = (descriptor >> 5) & 1;
				const fcsFlag = descriptor >> 6;
				const headerBytes = 5 + (singleSegment ? 0 : 1) + [0, 1, 2, 4][descriptor & 3] + (fcsFlag === 0 ? singleSegment : [0, 2, 4, 8][fcsFlag]);
				const header = this.take(headerBytes);
				if (header) {
					this.checksum = ((descriptor >> 2) & 1) === 1;
					this.state = 'block';
				}

				return header;
			}

			case 'block': {
				if (buffer.length < 3) {
					return undefined;
				}

				const value = buffer[0] | (buffer[1] << 8) | (buffer[2] << 16);
				const type = (value >> 1) & 3;
				const block = this.take(3 + (type === 1 ? 1 : value >>> 3));
				if (block && (value & 1) === 1) {
					this.state = this.checksum ? 'checksum' : 'frame';
				}

				return block;
			}

			case 'checksum': {
				const checksum = this.take(4);
				if (checksum) {
					this.state = 'frame';
				}

				return checksum;
			}

			case 'skip': {
				if (buffer.length === 0) {
					return undefined;
				}

				const piece = this.take(Math.min(this.skipLeft, buffer.length))!;
				this.skipLeft -= piece.length;
				if (this.skipLeft === 0) {
					this.state = 'frame';
				}

				return piece;
			}
		}
	}
}

async function* zstdChunks(input: AsyncIterable<Buffer>): AsyncGenerator<Uint8Array> {
	// Decoders load only when an image needs them: a raw image's write carries none of their memory.
	const {Decompress} = await import('fzstd');
	let output: Uint8Array[] = [];
	const decoder = new Decompress(chunk => {
		if (chunk.length > 0) {
			output.push(chunk);
		}
	});
	// fzstd 0.1.1 leaves an empty view of every consumed chunk in its pending list: each keeps its whole chunk alive.
	const pending = decoder as unknown as {c: Uint8Array[]; l: number};
	const splitter = new ZstdBlockSplitter();
	for await (const chunk of input) {
		for (const piece of splitter.push(chunk)) {
			decoder.push(piece);
			if (pending.l === 0 && Array.isArray(pending.c)) {
				pending.c = [];
			}

			if (output.length > 0) {
				const ready = output;
				output = [];
				yield* ready;
			}
		}
	}

	decoder.push(splitter.rest(), true);
	yield* output;
}

type XzModule = {XzReadableStream: new (compressed: ReadableStream<Uint8Array>) => ReadableStream<Uint8Array>};

/** Opens the image for reading its uncompressed bytes from the start. */
export async function openImageReader(image: ImageInfo): Promise<ImageReader> {
	if (image.format === 'raw') {
		try {
			return new RawReader(await open(image.path, 'r'));
		} catch (error) {
			throw new ImageError(`${image.path}: ${(error as Error).message}`);
		}
	}

	const file = createReadStream(image.path, {highWaterMark: 256 * 1024});
	const counted = () => file.bytesRead;
	const stop = () => file.destroy();
	if (image.format === 'gzip') {
		const gunzip = createGunzip({chunkSize: 128 * 1024});
		file.on('error', error => gunzip.destroy(error));
		file.pipe(gunzip);
		return new ChunkReader(image, gunzip[Symbol.asyncIterator](), counted, () => {
			stop();
			gunzip.destroy();
		});
	}

	if (image.format === 'xz') {
		// A CommonJS module: Node puts its exports on `default`, tsx (the tests) also as named exports.
		const loaded = await import('xz-decompress') as unknown as XzModule & {default?: XzModule};
		const {XzReadableStream} = loaded.default?.XzReadableStream ? loaded.default : loaded;
		const web = Readable.toWeb(file) as unknown as ReadableStream<Uint8Array>;
		const xz = new XzReadableStream(web);
		return new ChunkReader(image, xz[Symbol.asyncIterator](), counted, stop);
	}

	return new ChunkReader(image, zstdChunks(file)[Symbol.asyncIterator](), counted, stop);
}

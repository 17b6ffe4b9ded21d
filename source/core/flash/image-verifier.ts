// Reads back what was written, past the page cache (O_DIRECT), and compares its SHA-256; on a mismatch finds the first bad byte.
import {createHash} from 'node:crypto';
import {alignedBuffers} from './aligned-memory.js';
import {startWorkerHasher, type ChunkHash, type StartHasher} from './chunk-hasher.js';
import type {FlashDevice} from './flash-device.js';
import {FlashError} from './flash-error.js';
import {ProgressThrottle, RateMeter, type VerifyProgress} from './flash-progress.js';
import {formatOffset} from './flash-units.js';
import {openImageReader, type ImageInfo} from './image-source.js';
import type {ByteRange} from './image-writer.js';

/** What writing and verifying use of a card (tests hand in cards that misbehave). */
export type CardAccess = Pick<FlashDevice, 'path' | 'size' | 'sectorSize' | 'writeSpan' | 'readExactly' | 'zero' | 'flush'>;

export type VerifyOptions = {
	signal?: AbortSignal;
	onProgress?: (progress: VerifyProgress) => void;
	progressIntervalMs?: number;
	chunkBytes?: number;
	depth?: number;
	/** Aligned buffers of chunkBytes to read into (depth of them), e.g. the writer's. */
	buffers?: Buffer[];
	/** The SHA-256 worker (default: a worker thread per verify). */
	startHasher?: StartHasher;
};

export type VerifyResult = {ok: boolean; sha256: string; bytes: number; seconds: number};

type Piece = {offset: number; length: number};

/** The ranges cut into aligned reads of at most `chunk` bytes; a range's unaligned end is read up to the next sector. */
function* pieces(ranges: readonly ByteRange[], chunk: number): Generator<Piece> {
	for (const [start, end] of ranges) {
		for (let offset = start; offset < end; offset += chunk) {
			yield {offset, length: Math.min(chunk, end - offset)};
		}
	}
}

const alignUp = (value: number, to: number) => Math.ceil(value / to) * to;

/** SHA-256 over `ranges` of the card, read with O_DIRECT so the page cache cannot answer for the card. */
export async function hashDeviceRanges(device: CardAccess, ranges: readonly ByteRange[], options: VerifyOptions = {}): Promise<VerifyResult> {
	const started = performance.now();
	const chunkBytes = options.chunkBytes ?? options.buffers?.[0]?.length ?? 4 * 1024 * 1024;
	const depth = options.depth ?? 4;
	const buffers = options.buffers?.slice(0, depth) ?? alignedBuffers(depth, chunkBytes);
	// Reading is cheap next to hashing: the hash goes to a worker, and a buffer is read into again once it is hashed.
	const hasher = (options.startHasher ?? startWorkerHasher)(1);
	const total = ranges.reduce((sum, [start, end]) => sum + end - start, 0);
	const meter = new RateMeter();
	const throttle = new ProgressThrottle(options.progressIntervalMs ?? 100);
	const queue: Array<{piece: Piece; slot: number; read: Promise<void>}> = [];
	/** Per buffer: settled once the worker is done with what was last read into it. */
	const free: Array<Promise<unknown>> = buffers.map(async () => undefined);
	const source = pieces(ranges, chunkBytes);
	let done = 0;

	const launch = (slot: number): void => {
		const next = source.next();
		if (next.done) {
			return;
		}

		const piece = next.value;
		const target = buffers[slot].subarray(0, alignUp(piece.length, device.sectorSize));
		const read = free[slot].then(async () => device.readExactly(target, piece.offset));
		// Handled when its turn comes; until then a rejection must not count as unhandled.
		read.catch(() => undefined);
		queue.push({piece, slot, read});
	};

	try {
		for (let slot = 0; slot < buffers.length; slot++) {
			launch(slot);
		}

		while (queue.length > 0) {
			if (options.signal?.aborted) {
				throw new FlashError(device.path, 'cancelled', 'verification cancelled; the card was written but not checked');
			}

			const {piece, slot, read} = queue.shift()!;
			await read;
			const hashed = hasher.update(buffers[slot].subarray(0, piece.length));
			hashed.catch(() => undefined);
			free[slot] = hashed;
			launch(slot);
			done += piece.length;
			if (options.onProgress && throttle.due(queue.length === 0)) {
				options.onProgress({phase: 'verify', bytes: done, total, bytesPerSecond: meter.sample(done)});
			}
		}

		const [sha256] = await hasher.digest();
		return {ok: true, sha256, bytes: done, seconds: (performance.now() - started) / 1000};
	} finally {
		await Promise.allSettled([...queue.map(async entry => entry.read), ...free]);
		await hasher.close();
	}
}

/**
 * The first byte of `ranges` where the card differs from the image, found by reading the image again; undefined when
 * they agree. Only run after a hash mismatch.
 */
export async function firstDifference(image: ImageInfo, device: CardAccess, ranges: readonly ByteRange[], chunkBytes = 4 * 1024 * 1024): Promise<number | undefined> {
	const reader = await openImageReader(image);
	const [deviceBuffer] = alignedBuffers(1, chunkBytes);
	const imageBuffer = Buffer.alloc(chunkBytes);
	try {
		let offset = 0;
		for (;;) {
			const filled = await reader.fill(imageBuffer);
			if (filled === 0) {
				return undefined;
			}

			for (const [start, end] of ranges) {
				const from = Math.max(start, offset);
				const to = Math.min(end, offset + filled);
				if (from >= to) {
					continue;
				}

				// Chunks start on 1 MiB boundaries and so do ranges: `from` is sector-aligned.
				const length = to - from;
				await device.readExactly(deviceBuffer.subarray(0, alignUp(length, device.sectorSize)), from);
				const expected = imageBuffer.subarray(from - offset, to - offset);
				const actual = deviceBuffer.subarray(0, length);
				if (!expected.equals(actual)) {
					let index = 0;
					while (index < length && expected[index] === actual[index]) {
						index++;
					}

					return from + index;
				}
			}

			offset += filled;
		}
	} finally {
		await reader.close().catch(() => undefined);
	}
}

/** Verifies the card against the hash taken while writing; a mismatch is a FlashError naming the first bad offset. */
export async function verifyWrite(
	image: ImageInfo,
	device: CardAccess,
	written: {ranges: readonly ByteRange[]; rangesSha256: string},
	options: VerifyOptions = {},
): Promise<VerifyResult> {
	const result = await hashDeviceRanges(device, written.ranges, options);
	if (result.sha256 === written.rangesSha256) {
		return result;
	}

	const offset = await firstDifference(image, device, written.ranges).catch(() => undefined);
	const where = offset === undefined ? 'the card reads back differently from what was written' : `the card differs from the image at byte ${formatOffset(offset)}`;
	throw new FlashError(device.path, 'verify', `verification failed: ${where}; the card is faulty or was changed`, {offset});
}

/** A written piece of the card to read back once its write has settled. */
type WrittenPiece = {offset: number; length: number; written: Promise<unknown>};

/**
 * Reads back what the writer wrote while it writes: each piece once its write has completed, in the order the writer
 * hashed them, into hash stream 1 of the writer's hasher (the writer's own bytes go to stream 0), so the two digests
 * agree when the card holds what was written. A card with separate read and write paths (the simulator, some USB
 * readers) hides the read-back behind the writes; an SD card reads and writes one command at a time on one bus, so
 * there the reads take the time they would after the writes: the overlap gains nothing, and costs nothing either.
 * Memory: its own buffers (two of 1 MiB), whatever the image.
 */
export class ReadBack {
	/** Bytes read back and hashed so far. */
	bytes = 0;
	readonly done: Promise<void>;
	private readonly pieces: WrittenPiece[] = [];
	private closed = false;
	private dropped = false;
	private wake: (() => void) | undefined;

	constructor(
		private readonly device: CardAccess,
		private readonly hasher: ChunkHash,
		private readonly buffers: Buffer[],
		private readonly onRead?: (bytes: number) => void,
	) {
		this.done = this.run();
		this.done.catch(() => undefined);
	}

	/** Reads [offset, offset + length) back once `written` settles (a rejected write ends the read-back with its error). */
	add(offset: number, length: number, written: Promise<unknown>): void {
		const size = this.buffers[0]!.length;
		for (let at = offset; at < offset + length; at += size) {
			this.pieces.push({offset: at, length: Math.min(size, offset + length - at), written});
		}

		this.notify();
	}

	/** No more pieces: `done` settles once the last is read and handed to the hash; `drop` leaves out those not started. */
	close(drop = false): void {
		this.closed = true;
		this.dropped ||= drop;
		this.notify();
	}

	private notify(): void {
		const wake = this.wake;
		this.wake = undefined;
		wake?.();
	}

	private async next(): Promise<WrittenPiece | undefined> {
		for (;;) {
			if (this.dropped) {
				return undefined;
			}

			const piece = this.pieces.shift();
			if (piece) {
				return piece;
			}

			if (this.closed) {
				return undefined;
			}

			await new Promise<void>(resolve => {
				this.wake = resolve;
			});
		}
	}

	private async run(): Promise<void> {
		const depth = this.buffers.length;
		/** Per buffer: settled once the hash worker is done with what was last read into it. */
		const free: Array<Promise<unknown>> = this.buffers.map(async () => undefined);
		const reading: Array<{piece: WrittenPiece; slot: number; read: Promise<void>}> = [];
		const consume = async () => {
			const {piece, slot, read} = reading.shift()!;
			await read;
			const hashed = this.hasher.update(this.buffers[slot]!.subarray(0, piece.length), [[1, 0, piece.length]]);
			hashed.catch(() => undefined);
			free[slot] = hashed;
			this.bytes += piece.length;
			this.onRead?.(this.bytes);
		};

		try {
			let count = 0;
			for (let piece = await this.next(); piece; piece = await this.next()) {
				const slot = count++ % depth;
				const target = this.buffers[slot]!.subarray(0, alignUp(piece.length, this.device.sectorSize));
				const {offset, written} = piece;
				const read = Promise.all([written, free[slot]]).then(async () => this.device.readExactly(target, offset));
				read.catch(() => undefined);
				reading.push({piece, slot, read});
				if (reading.length >= depth) {
					await consume();
				}
			}

			while (reading.length > 0 && !this.dropped) {
				await consume();
			}
		} finally {
			await Promise.allSettled([...reading.map(async entry => entry.read), ...free]);
		}
	}
}

/** One page of a written piece: where, how long, and the SHA-256 of what was written there. */
export type SamplePage = {offset: number; length: number; sha256: string};

/** Bytes between the pages the final check samples, and a page's size (the card's sector, if larger). */
export const sampleStride = 512 * 1024;
export const samplePageBytes = 512;

/**
 * The pages of a written piece [from, to) the final check reads again: its first and last page and one at every 512 KiB
 * boundary inside it. A counterfeit card that wraps a later write onto an earlier range (one that drops high address
 * bits: a period that is a multiple of 512 KiB) changes at least one of them, as long as the later write is 512 KiB
 * or longer or starts on a 512 KiB boundary, as all of the fast mode's do on a card partitioned on MiB boundaries.
 * A page is one sector: the wrapped write covers the whole page, and a card reads a few hundred of them in a few ms
 * (at 4 KiB they took 20 ms at 80 MB/s, after the last write, where nothing else hides them).
 */
export function samplePages(from: number, to: number, pageBytes = samplePageBytes): Array<[start: number, end: number]> {
	const pages: Array<[number, number]> = [[from, Math.min(to, from + pageBytes)]];
	for (let at = (Math.floor(from / sampleStride) + 1) * sampleStride; at < to; at += sampleStride) {
		pages.push([at, Math.min(to, at + pageBytes)]);
	}

	const last = Math.max(from, Math.floor((to - 1) / pageBytes) * pageBytes);
	if (last > pages.at(-1)![0]) {
		pages.push([last, to]);
	}

	return pages;
}

/**
 * Reads the sampled pages again (after the last write and the flush) and returns the first whose bytes are not what was
 * written there, or undefined.
 */
export async function firstChangedSample(device: CardAccess, samples: readonly SamplePage[], onRead?: (bytes: number) => void): Promise<SamplePage | undefined> {
	// Hundreds of one-sector reads: many under way at once (4 took 20–40 ms for a gokrazy image's 274 at card speed).
	const depth = 16;
	const buffers = alignedBuffers(depth, 64 * 1024);
	let next = 0;
	let bytes = 0;
	const changed: SamplePage[] = [];
	await Promise.all(buffers.map(async buffer => {
		while (next < samples.length) {
			const sample = samples[next++]!;
			const target = buffer.subarray(0, alignUp(sample.length, device.sectorSize));
			await device.readExactly(target, sample.offset);
			if (createHash('sha256').update(target.subarray(0, sample.length)).digest('hex') !== sample.sha256) {
				changed.push(sample);
			}

			bytes += sample.length;
			onRead?.(bytes);
		}
	}));
	return changed.sort((a, b) => a.offset - b.offset)[0];
}

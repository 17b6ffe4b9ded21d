// Reads back what was written, past the page cache (O_DIRECT), and compares its SHA-256; on a mismatch finds the first bad byte.
import {alignedBuffers} from './aligned-memory.js';
import {startWorkerHasher, type StartHasher} from './chunk-hasher.js';
import type {FlashDevice} from './flash-device.js';
import {FlashError} from './flash-error.js';
import {ProgressThrottle, RateMeter, type VerifyProgress} from './flash-progress.js';
import {formatOffset} from './flash-units.js';
import {openImageReader, type ImageInfo} from './image-source.js';
import type {ByteRange} from './image-writer.js';

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
export async function hashDeviceRanges(device: FlashDevice, ranges: readonly ByteRange[], options: VerifyOptions = {}): Promise<VerifyResult> {
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
export async function firstDifference(image: ImageInfo, device: FlashDevice, ranges: readonly ByteRange[], chunkBytes = 4 * 1024 * 1024): Promise<number | undefined> {
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
	device: FlashDevice,
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

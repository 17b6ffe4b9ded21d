// Writes an image to an opened card: large aligned writes, SHA-256 while writing, first MiB zeroed at once and written last.
import {AlignedPool, alignedBuffers} from './aligned-memory.js';
import {startWorkerHasher, type StartHasher} from './chunk-hasher.js';
import {FastWritePlanner, fastBlockSize, type FastWriteReport} from './fast-write.js';
import type {FlashDevice} from './flash-device.js';
import {FlashError} from './flash-error.js';
import {ProgressThrottle, RateMeter, type WriteProgress} from './flash-progress.js';
import {formatBytes} from './flash-units.js';
import {openImageReader, type ImageInfo} from './image-source.js';

/** The first MiB holds the partition table: a card whose write stopped early must not look bootable. */
export const heldBackBytes = 1024 * 1024;

export type ByteRange = [start: number, end: number];

export type WriteOptions = {
	/** Write only non-zero blocks and what must be invalidated (see fast-write.ts). */
	fast?: boolean;
	signal?: AbortSignal;
	onProgress?: (progress: WriteProgress) => void;
	progressIntervalMs?: number;
	/** Bytes per write (a multiple of 1 MiB). */
	chunkBytes?: number;
	/** Sizes the writer's own pool: depth + 1 buffers, depth chunks out being written and hashed while one is read. */
	depth?: number;
	/** Aligned buffers of chunkBytes to use instead (all of them), e.g. shared with the verifier. */
	buffers?: Buffer[];
	/** The SHA-256 worker (default: a worker thread per write). */
	startHasher?: StartHasher;
};

export type WriteResult = {
	/** Bytes of the (uncompressed) image. */
	imageBytes: number;
	/** SHA-256 of the whole image. */
	sha256: string;
	/** What went to the card, in order; the verifier reads exactly these. */
	ranges: ByteRange[];
	/** SHA-256 of the bytes of `ranges` in order (the image's own hash when everything was written). */
	rangesSha256: string;
	writtenBytes: number;
	skippedBytes: number;
	fast?: FastWriteReport;
	seconds: number;
};

function addRange(ranges: ByteRange[], start: number, end: number): void {
	const last = ranges.at(-1);
	if (last && last[1] === start) {
		last[1] = end;
	} else {
		ranges.push([start, end]);
	}
}

function cancelled(device: FlashDevice, done: number, total: number | undefined): FlashError {
	const of = total === undefined ? '' : ` of ${formatBytes(total)}`;
	return new FlashError(device.path, 'cancelled', `cancelled after ${formatBytes(done)}${of}: the card is incomplete and will not boot; flash it again`, {bytesDone: done, incomplete: true});
}

/** Writes the image to the card and flushes it. The card's first MiB is zeroed before and written after all else. */
export async function writeImage(image: ImageInfo, device: FlashDevice, options: WriteOptions = {}): Promise<WriteResult> {
	const started = performance.now();
	const chunkBytes = options.chunkBytes ?? options.buffers?.[0]?.length ?? 4 * 1024 * 1024;
	const depth = options.depth ?? 2;
	if (chunkBytes % fastBlockSize !== 0) {
		throw new RangeError('chunkBytes must be a multiple of 1 MiB');
	}

	if (image.size !== undefined && image.size > device.size) {
		throw new FlashError(device.path, 'too-small', `is smaller than the image (${formatBytes(device.size)} < ${formatBytes(image.size)}), refusing`);
	}

	// Zero until the first chunk arrives: it serves to zero the card's first and last MiB before it holds the first MiB.
	const [held] = alignedBuffers(1, heldBackBytes);
	const zeros = held;
	const pool = new AlignedPool(options.buffers ?? alignedBuffers(depth + 1, chunkBytes));
	const planner = options.fast ? new FastWritePlanner() : undefined;
	const ranges: ByteRange[] = [];
	const meter = new RateMeter();
	const throttle = new ProgressThrottle(options.progressIntervalMs ?? 100);
	const reader = await openImageReader(image);
	// Hash 0: the image; hash 1 (fast mode): the bytes that went to the card. Both off the main thread, which then only
	// moves bytes: SHA-256 (some 1.6 GB/s a core) is slower than a loop device, and would add its time to the write's.
	const hasher = (options.startHasher ?? startWorkerHasher)(options.fast ? 2 : 1);
	// A raw image written whole is hashed by the worker reading the file itself, beside the writer rather than chunk by
	// chunk behind it: the card's final flush then overlaps the hash instead of following it (bench/flash.ts). Should
	// the file change meanwhile, its size differs (refused below) or its hash does (verify fails, naming the offset).
	const fileHash = image.format === 'raw' && !options.fast && hasher.hashFile ? hasher.hashFile(image.path) : undefined;
	const pending = new Set<Promise<void>>();
	let failure: unknown;
	let done = 0;
	let written = 0;
	let skipped = 0;
	let heldLength = 0;

	const report = (force = false) => {
		if (!options.onProgress || !throttle.due(force)) {
			return;
		}

		options.onProgress({
			phase: 'write',
			bytes: done,
			total: image.size ?? null,
			bytesPerSecond: meter.sample(done),
			sourceBytes: reader.sourceBytes,
			sourceTotal: image.fileSize,
			writtenBytes: written,
			skippedBytes: skipped,
		});
	};

	const launch = (buffer: Buffer, write: Promise<void>, hashed: Promise<void>, length: number) => {
		const tracked: Promise<void> = Promise.allSettled([write, hashed]).then(([wrote, hash]) => {
			// Only now may the buffer be filled again: the card and the hash worker both read it until here.
			pool.give(buffer);
			pending.delete(tracked);
			if (wrote.status === 'rejected' || hash.status === 'rejected') {
				failure ??= wrote.status === 'rejected' ? wrote.reason : (hash as PromiseRejectedResult).reason;
				return;
			}

			done += length;
			report();
		});
		pending.add(tracked);
	};

	fileHash?.catch((error: unknown) => {
		failure ??= error;
	});
	try {
		// A cancelled or failed write must leave no partition table behind, neither the old one (its partitions now half
		// overwritten) nor a stale backup GPT at the card's end.
		const lastMiB = Math.max(0, Math.floor((device.size - heldBackBytes) / device.sectorSize) * device.sectorSize);
		await device.zero(0, Math.min(heldBackBytes, device.size), zeros);
		if (Number.isFinite(device.size) && lastMiB >= heldBackBytes) {
			await device.zero(lastMiB, device.size - lastMiB, zeros);
		}

		await device.flush();

		let offset = 0;
		for (;;) {
			if (failure) {
				throw failure;
			}

			if (options.signal?.aborted) {
				throw cancelled(device, done, image.size);
			}

			const buffer = await pool.take();
			if (failure) {
				pool.give(buffer);
				throw failure;
			}

			let filled: number;
			try {
				filled = await reader.fill(buffer);
			} catch (error) {
				pool.give(buffer);
				throw error;
			}

			if (filled === 0) {
				pool.give(buffer);
				break;
			}

			if (offset + filled > device.size) {
				pool.give(buffer);
				throw new FlashError(device.path, 'too-small', `the image is larger than the card (${formatBytes(device.size)}); stopped there, the card is incomplete`, {bytesDone: done, incomplete: true});
			}

			const chunk = buffer.subarray(0, filled);
			const spans: Array<[stream: number, from: number, to: number]> = [[0, 0, filled]];
			const writes: Array<[from: number, to: number]> = [];
			let chunkSkipped = 0;
			for (let from = 0; from < filled; from += fastBlockSize) {
				const to = Math.min(filled, from + fastBlockSize);
				const block = chunk.subarray(from, to);
				const write = planner ? planner.decide(offset + from, block) : true;
				if (!write) {
					chunkSkipped += block.length;
					continue;
				}

				if (planner) {
					const last = spans.at(-1)!;
					if (last[0] === 1 && last[2] === from) {
						last[2] = to;
					} else {
						spans.push([1, from, to]);
					}
				}

				addRange(ranges, offset + from, offset + to);
				if (offset + from < heldBackBytes) {
					// The first MiB waits for the end (the image's first chunk always starts at 0).
					heldLength = Math.min(heldBackBytes, to);
					block.subarray(0, heldLength - from).copy(held, from);
					if (to > heldBackBytes) {
						writes.push([heldBackBytes, to]);
					}

					continue;
				}

				const last = writes.at(-1);
				if (last && last[1] === from) {
					last[1] = to;
				} else {
					writes.push([from, to]);
				}
			}

			skipped += chunkSkipped;
			written += filled - chunkSkipped;
			const base = offset;
			// Sent before the write starts: the worker gets the chunks in image order.
			const hashed = fileHash ? Promise.resolve() : hasher.update(chunk, spans);
			launch(buffer, (async () => {
				for (const [from, to] of writes) {
					await device.writeSpan(buffer, from, to, base + from);
				}
			})(), hashed, filled);
			offset += filled;
		}

		// Asked now, it is answered as soon as the last chunk is hashed, while the card flushes.
		const imageBytes = offset;
		const digests = fileHash?.then(({sha256, bytes}) => {
			if (bytes !== imageBytes) {
				throw new FlashError(image.path, 'image', `the image changed while it was written (${formatBytes(imageBytes)} written, ${formatBytes(bytes)} read for its hash); the card is incomplete and will not boot, flash it again`, {bytesDone: done, incomplete: true});
			}

			return [sha256];
		}) ?? hasher.digest();
		digests.catch(() => undefined);
		await Promise.all(pending);
		if (failure) {
			throw failure;
		}

		if (options.signal?.aborted) {
			throw cancelled(device, done, image.size);
		}

		await device.flush();
		// The image is whole (as hashed) before its partition table goes to the card.
		const [sha256, rangesSha256 = sha256] = await digests;
		await device.writeSpan(held, 0, heldLength, 0);
		await device.flush();
		report(true);
		return {
			imageBytes: offset,
			sha256,
			ranges,
			rangesSha256,
			writtenBytes: written,
			skippedBytes: skipped,
			fast: planner?.report(),
			seconds: (performance.now() - started) / 1000,
		};
	} finally {
		await Promise.allSettled(pending);
		await Promise.all([reader.close().catch(() => undefined), hasher.close()]);
	}
}

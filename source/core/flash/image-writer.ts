// Writes an image to an opened card: large aligned writes, several in flight, SHA-256 while writing, first MiB zeroed at once and written last.
import {createHash} from 'node:crypto';
import {open, stat, type FileHandle} from 'node:fs/promises';
import {AlignedPool, alignedBuffers} from './aligned-memory.js';
import {startWorkerHasher, type ChunkHash, type StartHasher} from './chunk-hasher.js';
import {FastWritePlanner, RawImageScan, fastBlockSize, invalidationSpans, type FastWriteReport} from './fast-write.js';
import {dirtyPages} from './flash-device.js';
import {FlashError} from './flash-error.js';
import {ProgressThrottle, RateMeter, type VerifyProgress, type WriteProgress} from './flash-progress.js';
import {formatBytes, formatOffset} from './flash-units.js';
import {openImageReader, type ImageInfo, type ImageReader} from './image-source.js';
import {firstChangedSample, firstDifference, ReadBack, samplePages, samplePageBytes, type CardAccess, type SamplePage} from './image-verifier.js';

/** The first MiB holds the partition table: a card whose write stopped early must not look bootable. */
export const heldBackBytes = 1024 * 1024;

/** Zero writes of the fast mode's plan under way beside its data writes (each reads first, a 256 KiB buffer each). */
const zeroingDepth = 4;

export type ByteRange = [start: number, end: number];

export type WriteOptions = {
	/** Write only non-zero blocks and what must be invalidated (see fast-write.ts). */
	fast?: boolean;
	signal?: AbortSignal;
	onProgress?: (progress: WriteProgress) => void;
	/** With readBack: the check's progress after the last write. */
	onVerifyProgress?: (progress: VerifyProgress) => void;
	progressIntervalMs?: number;
	/** Bytes per write (a multiple of 1 MiB). */
	chunkBytes?: number;
	/** Sizes the writer's own pool: depth + 1 buffers, depth chunks out being written and hashed while one is read. */
	depth?: number;
	/** Aligned buffers of chunkBytes to use instead (all of them), e.g. shared with the verifier. */
	buffers?: Buffer[];
	/** The SHA-256 worker (default: a worker thread per write). */
	startHasher?: StartHasher;
	/**
	 * The fast mode only: verify while writing (see ReadBack), each piece read back once written, and after the last
	 * write a sample of every written range again (a card that wraps later writes onto earlier ranges). A difference is
	 * a FlashError of kind `verify` naming the first bad offset.
	 */
	readBack?: boolean;
};

export type WriteResult = {
	/** Bytes of the (uncompressed) image. */
	imageBytes: number;
	/**
	 * SHA-256 of the whole image; not taken in the fast mode, which reads past the zeros it skips: hashing them would
	 * make a 16 GiB image cost its size (some 12 s of a core) instead of its content.
	 */
	sha256?: string;
	/** What went to the card, in order; the verifier reads exactly these. */
	ranges: ByteRange[];
	/** SHA-256 of the bytes of `ranges` in order (the image's own hash when everything was written). */
	rangesSha256: string;
	writtenBytes: number;
	skippedBytes: number;
	/** Of the zeros meant for the card (its first MiB and end first, old signatures in the fast mode), the bytes it held as zeros already: read, not written. */
	alreadyZeroBytes: number;
	fast?: FastWriteReport;
	/** Until the image's first MiB is on the card and flushed. */
	seconds: number;
	/** With readBack: what was read back, and the seconds the check took after the write (the part the writes did not hide). */
	readBack?: {bytes: number; sampledBytes: number; samples: number; seconds: number};
};

function addRange(ranges: ByteRange[], start: number, end: number): void {
	const last = ranges.at(-1);
	if (last && last[1] === start) {
		last[1] = end;
	} else {
		ranges.push([start, end]);
	}
}

function cancelled(device: CardAccess, done: number, total: number | undefined): FlashError {
	const of = total === undefined ? '' : ` of ${formatBytes(total)}`;
	return new FlashError(device.path, 'cancelled', `cancelled after ${formatBytes(done)}${of}: the card is incomplete and will not boot; flash it again`, {bytesDone: done, incomplete: true});
}

/** Reads `length` bytes of the image file at `position` into `target` from `at`; a short read means the file shrank. */
async function readImageBytes(file: FileHandle, image: ImageInfo, target: Buffer, at: number, length: number, position: number, done: number): Promise<void> {
	let filled = 0;
	while (filled < length) {
		const {bytesRead} = await file.read(target, at + filled, length - filled, position + filled);
		if (bytesRead === 0) {
			throw new FlashError(image.path, 'image', `the image changed while it was written (it ends at ${formatBytes(position + filled)} now); the card is incomplete and will not boot, flash it again`, {bytesDone: done, incomplete: true});
		}

		filled += bytesRead;
	}
}

/** Where partition tables are: an MBR, a GPT's header and entries (with 512-byte or 4 KiB sectors), its backup. */
const partitionTableBytes = 64 * 1024;

type Span = [start: number, end: number];

/**
 * What a write makes zero on the card first: its first MiB (partition table and boot code) and its end where signatures
 * are (see invalidationSpans: a backup GPT, RAID and ZFS labels of the whole card). `before` is on the card (flushed)
 * before any byte of the image: the card's first 64 KiB, where the partition tables and the headers boot ROMs look for
 * are, and its last 64 KiB, where a backup GPT is. A write that stops early then leaves no partition table and nothing
 * a boot ROM would start. `beside`, the rest, is made zero while the first data is written (the card reads it for that
 * at its read speed, beside its writes), and is zero before the image's first MiB goes to the card. The flash job has
 * the card read all of it as soon as it is open (FlashDevice.prefetch), `before` first, while the writer gets ready.
 */
export function firstZeroed(size: number): {before: Span[]; beside: Span[]} {
	const head = Math.min(heldBackBytes, size);
	const before: Span[] = [[0, Math.min(partitionTableBytes, head)]];
	const beside: Span[] = head > partitionTableBytes ? [[partitionTableBytes, head]] : [];
	const end = Number.isFinite(size) ? invalidationSpans(0, size).at(-1) : undefined;
	if (end && end[0] >= heldBackBytes) {
		const tail = Math.max(end[0], end[1] - partitionTableBytes);
		if (tail > end[0]) {
			beside.push([end[0], tail]);
		}

		before.push([tail, end[1]]);
	}

	return {before, beside};
}

/** Writes the image to the card and flushes it. The card's first MiB is zeroed before and written after all else. */
export async function writeImage(image: ImageInfo, device: CardAccess, options: WriteOptions = {}): Promise<WriteResult> {
	const started = performance.now();
	const chunkBytes = options.chunkBytes ?? options.buffers?.[0]?.length ?? 4 * 1024 * 1024;
	const depth = options.depth ?? 2;
	if (chunkBytes % fastBlockSize !== 0) {
		throw new RangeError('chunkBytes must be a multiple of 1 MiB');
	}

	if (image.size !== undefined && image.size > device.size) {
		throw new FlashError(device.path, 'too-small', `is smaller than the image (${formatBytes(device.size)} < ${formatBytes(image.size)}), refusing`);
	}

	// The image's first MiB, held back until the end, and a MiB of zeros: for the card's first and last MiB before
	// anything else, and for the zero blocks the fast mode writes.
	const [held, zeros] = alignedBuffers(2, heldBackBytes);
	const buffers = options.buffers ?? alignedBuffers(depth + 1, chunkBytes);
	const pool = new AlignedPool(buffers);
	const fast = Boolean(options.fast);
	const readingBack = fast && Boolean(options.readBack);
	// A raw image in the fast mode is planned ahead by a scan of its file, and what is planned read again when written
	// (see RawImageScan); a compressed one can only be read once, in order, and is planned as it streams past.
	const scan = fast && image.format === 'raw' ? new RawImageScan(image.path) : undefined;
	const planner = fast && !scan ? new FastWritePlanner() : undefined;
	const ranges: ByteRange[] = [];
	const meter = new RateMeter();
	const throttle = new ProgressThrottle(options.progressIntervalMs ?? 100);
	const reader = scan ? undefined : await openImageReader(image);
	const data = scan ? await open(image.path, 'r').catch((error: unknown) => {
		void scan.close();
		throw new FlashError(image.path, 'image', (error as Error).message);
	}) : undefined;
	const before = scan ? await stat(image.path) : undefined;
	// One hash, off the main thread, which then only moves bytes: SHA-256 (some 1.6 GB/s a core) is slower than a loop
	// device, and would add its time to the write's. It is the image's when all of it is written, else that of the bytes
	// that went to the card (the fast mode), which is what the verifier compares the card with.
	let hasher: ChunkHash;
	try {
		hasher = (options.startHasher ?? startWorkerHasher)(readingBack ? 2 : 1);
	} catch (error) {
		await Promise.all([scan?.close(), data?.close(), reader?.close()]);
		throw error;
	}

	// A raw image written whole is hashed by the worker reading the file itself, beside the writer rather than chunk by
	// chunk behind it: the card's final flush then overlaps the hash instead of following it (bench/flash.ts). Should
	// the file change meanwhile, its size differs (refused below) or its hash does (verify fails, naming the offset).
	const fileHash = image.format === 'raw' && !fast && hasher.hashFile ? hasher.hashFile(image.path) : undefined;
	/** Writes (and their hashes) under way: each settles once its buffer may be filled again. */
	const pending = new Map<Promise<void>, number>();
	let failure: unknown;
	let done = 0;
	let written = 0;
	let skipped = 0;
	let heldLength = 0;
	let alreadyZero = 0;
	/** The rest of the first zeroing, which runs beside the first writes (see firstZeroed), and its end. */
	let beside: Span[] = [];
	let besideDone: Promise<void> | undefined;
	/** Makes a range of the card zero, writing only the pages that are not (FlashDevice.zero). */
	const zeroed = async (offset: number, length: number, first = false) => {
		if (!first && besideDone && beside.some(([start, end]) => offset < end && start < offset + length)) {
			// The plan's zeros at the card's end (an image as large as the card) come after the first zeroing of that end:
			// read once it is done, they are found zero and not written twice.
			await besideDone.catch(() => undefined);
		}

		const wrote = await device.zero(offset, length, zeros);
		alreadyZero += length - wrote;
	};
	/** The read-back beside the writes, and the pages the final check reads again with the hashes of what was written. */
	let verifying = false;
	let verified = 0;
	let verifyTotal = 0;
	const verifyMeter = new RateMeter();
	const reportVerify = (bytes: number, force = false) => {
		if (verifying && options.onVerifyProgress && throttle.due(force)) {
			options.onVerifyProgress({phase: 'verify', bytes, total: verifyTotal, bytesPerSecond: verifyMeter.sample(bytes)});
		}
	};

	/** Bytes the final check has read again (beside the last read-back): progress counts both. */
	let sampled = 0;
	const readBack = readingBack ? new ReadBack(device, hasher, alignedBuffers(2, fastBlockSize), bytes => {
		verified = bytes;
		reportVerify(verified + sampled);
	}) : undefined;
	const samples: SamplePage[] = [];
	const zeroPageHashes = new Map<number, string>();
	/** After a write is launched (its bytes final in `source` from `at`): the pages to sample, and the read-back. */
	const track = (offset: number, length: number, write: Promise<void>, source: Buffer, at: number) => {
		if (!readBack) {
			return;
		}

		readBack.add(offset, length, write);
		for (const [start, end] of samplePages(offset, offset + length, Math.max(samplePageBytes, device.sectorSize))) {
			const bytes = source.subarray(at + start - offset, at + end - offset);
			let sha256: string | undefined;
			if (source === zeros) {
				sha256 = zeroPageHashes.get(bytes.length);
				if (!sha256) {
					sha256 = createHash('sha256').update(bytes).digest('hex');
					zeroPageHashes.set(bytes.length, sha256);
				}
			}

			samples.push({offset: start, length: end - start, sha256: sha256 ?? createHash('sha256').update(bytes).digest('hex')});
		}
	};

	/** Where the fast mode's writer is: before it everything is planned and handed to a write. */
	let position = 0;
	let withinRun = false;

	const progressBytes = () => {
		if (!scan) {
			return done;
		}

		// Everything before the first write still under way is on the card, and so is what the plan skipped up to where
		// the writer is (or, between two runs, up to the next run planned).
		let at = withinRun ? position : scan.frontier;
		for (const start of pending.values()) {
			at = Math.min(at, start);
		}

		done = Math.max(done, at);
		return done;
	};

	const report = (force = false) => {
		if (!options.onProgress || !throttle.due(force)) {
			return;
		}

		const bytes = progressBytes();
		options.onProgress({
			phase: 'write',
			bytes,
			total: image.size ?? null,
			bytesPerSecond: meter.sample(bytes),
			sourceBytes: scan?.scanned ?? reader?.sourceBytes ?? 0,
			sourceTotal: image.fileSize,
			writtenBytes: written,
			skippedBytes: scan ? scan.planner.counts.skippedBytes : skipped,
		});
	};

	/** Tracks a write and its hash; `buffer` goes back to the pool once both are done with it. */
	const launch = (start: number, length: number, write: Promise<void>, hashed: Promise<void>, buffer?: Buffer, imageBytes = 0) => {
		const tracked: Promise<void> = Promise.allSettled([write, hashed]).then(([wrote, hash]) => {
			// Only now may the buffer be filled again: the card and the hash worker both read it until here.
			if (buffer) {
				pool.give(buffer);
			}

			pending.delete(tracked);
			if (wrote.status === 'rejected' || hash.status === 'rejected') {
				failure ??= wrote.status === 'rejected' ? wrote.reason : (hash as PromiseRejectedResult).reason;
				return;
			}

			done += imageBytes;
			if (scan) {
				written += length;
			}

			report();
		});
		pending.set(tracked, start);
		return tracked;
	};

	const check = () => {
		if (failure) {
			throw failure;
		}

		if (options.signal?.aborted) {
			throw cancelled(device, progressBytes(), image.size);
		}
	};

	/** The zero writes of the plan under way (also in pending), at most zeroingDepth. */
	const zeroing = new Set<Promise<void>>();
	/** The fast mode's writes of a raw image, as its scan plans them: large, neighbours coalesced, several in flight. */
	const writePlanned = async (scan: RawImageScan, file: FileHandle) => {
		for (;;) {
			check();
			withinRun = false;
			const planned = await scan.next();
			if (!planned) {
				return;
			}

			withinRun = true;
			if (planned.end > heldBackBytes) {
				// The first MiB is written last, and so comes last in the ranges and the hash (see the end).
				addRange(ranges, Math.max(heldBackBytes, planned.start), planned.end);
			}

			let from = planned.start;
			position = from;
			if (from < heldBackBytes) {
				// The first MiB waits for the end (the plan's first run always starts at 0).
				const to = Math.min(planned.end, heldBackBytes);
				if (!planned.zero) {
					await readImageBytes(file, image, held, from, to - from, from, done);
				}

				heldLength = to;
				launch(from, to - from, Promise.resolve(), Promise.resolve());
				from = to;
			}

			while (from < planned.end) {
				check();
				// Room for one more write: as many in flight as the pool has buffers keeps the card busy without end. Zeros
				// take no buffer and are mostly reads (see zeroed): a few of them beside, so that the data after them is
				// written while the card reads them, not after.
				while (planned.zero ? zeroing.size >= zeroingDepth : pending.size - zeroing.size >= buffers.length) {
					await Promise.race(planned.zero ? zeroing : pending.keys());
				}

				check();
				position = from;
				if (planned.zero) {
					const to = Math.min(planned.end, from + zeros.length);
					const write = zeroed(from, to - from);
					const tracked = launch(from, to - from, write, hasher.update(zeros.subarray(0, to - from)));
					zeroing.add(tracked);
					void tracked.then(() => zeroing.delete(tracked));
					track(from, to - from, write, zeros, 0);
					from = to;
					continue;
				}

				const to = Math.min(planned.end, from + chunkBytes);
				const buffer = await pool.take();
				try {
					await readImageBytes(file, image, buffer, 0, to - from, from, done);
				} catch (error) {
					pool.give(buffer);
					throw error;
				}

				// Sent before the write starts: the worker gets the runs in image order.
				const hashed = hasher.update(buffer.subarray(0, to - from));
				const write = device.writeSpan(buffer, 0, to - from, from);
				track(from, to - from, write, buffer, 0);
				launch(from, to - from, write, hashed, buffer);
				from = to;
			}

			position = planned.end;
		}
	};

	/** Any image, read once in order: every block written, or (the fast mode) those the planner keeps. */
	const writeStreamed = async (reader: ImageReader) => {
		let offset = 0;
		for (;;) {
			check();
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
				return offset;
			}

			if (offset + filled > device.size) {
				pool.give(buffer);
				throw new FlashError(device.path, 'too-small', `the image is larger than the card (${formatBytes(device.size)}); stopped there, the card is incomplete`, {bytesDone: done, incomplete: true});
			}

			const chunk = buffer.subarray(0, filled);
			/** What the hash takes of this chunk: all of it, or in the fast mode what goes to the card. */
			const spans: Array<[stream: number, from: number, to: number]> = planner ? [] : [[0, 0, filled]];
			const writes: Array<[from: number, to: number]> = [];
			let chunkWritten = 0;
			for (let block = 0; block < filled; block += fastBlockSize) {
				const blockEnd = Math.min(filled, block + fastBlockSize);
				const planned = planner ? planner.plan(offset + block, chunk.subarray(block, blockEnd)) : [{start: offset + block, end: offset + blockEnd}];
				for (const span of planned) {
					const from = span.start - offset;
					const to = span.end - offset;
					chunkWritten += to - from;
					// In the fast mode the first MiB comes last in the ranges and the hash, as it comes last to the card.
					const listed = planner ? Math.max(from, heldBackBytes - offset) : from;
					if (planner && listed < to) {
						const last = spans.at(-1);
						if (last && last[2] === listed) {
							last[2] = to;
						} else {
							spans.push([0, listed, to]);
						}
					}

					if (listed < to) {
						addRange(ranges, offset + listed, offset + to);
					}

					if (offset + from < heldBackBytes) {
						// The first MiB waits for the end (the image's first chunk always starts at 0).
						heldLength = Math.min(heldBackBytes, to);
						chunk.subarray(from, heldLength).copy(held, from);
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
			}

			const chunkSkipped = filled - chunkWritten;
			skipped += chunkSkipped;
			written += filled - chunkSkipped;
			const base = offset;
			// Sent before the write starts: the worker gets the chunks in image order. A chunk the fast mode skips whole
			// is neither written nor hashed: its buffer is free again at once.
			const hashed = fileHash || spans.length === 0 ? Promise.resolve() : hasher.update(chunk, spans);
			const write = (async () => {
				for (const [from, to] of writes) {
					await device.writeSpan(buffer, from, to, base + from);
				}
			})();
			for (const [from, to] of writes) {
				track(base + from, to - from, write, buffer, from);
			}

			launch(base, filled - chunkSkipped, write, hashed, buffer, filled);
			offset += filled;
		}
	};

	fileHash?.catch((error: unknown) => {
		failure ??= error;
	});
	try {
		// A cancelled or failed write must leave no partition table behind, neither the old one (its partitions now half
		// overwritten) nor a stale backup GPT at the card's end.
		// Its partition tables first, flushed before any byte of the image; the rest beside the first data (firstZeroed).
		const first = firstZeroed(device.size);
		const ahead = first.before;
		beside = first.beside;
		await Promise.all(ahead.map(async ([start, end]) => zeroed(start, end - start)));
		await device.flush();
		// The rest while the first data goes to the card: tracked as a write under way, so that nothing ends (the image's
		// first MiB, a failure, a cancel) before it is done; a zero write of the plan where it is waits for it (zeroed).
		if (beside.length > 0) {
			besideDone = Promise.all(beside.map(async ([start, end]) => zeroed(start, end - start, true))).then(() => undefined);
			const tracked: Promise<void> = besideDone.then(() => {
				pending.delete(tracked);
				zeroing.delete(tracked);
			}, (error: unknown) => {
				failure ??= error;
				pending.delete(tracked);
				zeroing.delete(tracked);
			});
			pending.set(tracked, beside[0]![0]);
			zeroing.add(tracked);
		}

		let imageBytes: number;
		if (scan && data) {
			await writePlanned(scan, data);
			imageBytes = scan.scanned;
		} else {
			imageBytes = await writeStreamed(reader!);
		}

		if (fast) {
			// The first MiB, written last, is hashed (and listed) last.
			ranges.push([0, heldLength]);
			void hasher.update(held.subarray(0, heldLength)).catch(() => undefined);
		}

		// Asked now, it is answered as soon as the last chunk is hashed, while the card flushes. With the read-back, the
		// digests wait for its last piece: asked at the end.
		const digests = readBack ? undefined : fileHash?.then(({sha256, bytes}) => {
			if (bytes !== imageBytes) {
				throw new FlashError(image.path, 'image', `the image changed while it was written (${formatBytes(imageBytes)} written, ${formatBytes(bytes)} read for its hash); the card is incomplete and will not boot, flash it again`, {bytesDone: done, incomplete: true});
			}

			return [sha256];
		}) ?? hasher.digest();
		digests?.catch(() => undefined);
		await Promise.all(pending.keys());
		check();
		if (scan && before) {
			// What was planned from one read of the file was written from another: the file must not have changed between.
			const after = await stat(image.path);
			if (after.size !== before.size || after.mtimeMs !== before.mtimeMs || imageBytes !== before.size) {
				throw new FlashError(image.path, 'image', 'the image changed while it was written; the card is incomplete and will not boot, flash it again', {bytesDone: done, incomplete: true});
			}
		}

		await device.flush();
		// The image is whole (as hashed) before its partition table goes to the card.
		const digest = digests ? (await digests)[0] : undefined;
		// The card's first MiB was made zero at the start and nothing else wrote there: only the image's pages that are
		// not zero need to go (its boot code and partition table; a gokrazy image's first MiB is mostly zeros).
		alreadyZero += heldLength;
		for (const [start, end] of dirtyPages(held.subarray(0, heldLength))) {
			await device.writeSpan(held, start, end, start);
			alreadyZero -= end - start;
		}
		await device.flush();
		done = imageBytes;
		report(true);
		const seconds = (performance.now() - started) / 1000;
		let checked: WriteResult['readBack'];
		let rangesSha256 = digest;
		if (readBack) {
			const verifyStarted = performance.now();
			verifying = true;
			const sampledTotal = samples.reduce((sum, sample) => sum + sample.length, 0);
			verifyTotal = ranges.reduce((sum, [start, end]) => sum + end - start, 0) + sampledTotal;
			readBack.add(0, heldLength, Promise.resolve());
			readBack.close();
			// Nothing is written after this: a wrap-around shows now in the pages written before. They are read beside
			// the first MiB's read-back: the card answers small reads one by one, and neither waits for the other.
			const [sampling, readingBack] = await Promise.allSettled([
				firstChangedSample(device, samples, bytes => {
					sampled = bytes;
					reportVerify(verified + bytes);
				}),
				readBack.done,
			]);
			// Both have ended (no read left under way on the card) before either's failure is told.
			if (readingBack.status === 'rejected') {
				throw readingBack.reason;
			}

			if (sampling.status === 'rejected') {
				throw sampling.reason;
			}

			const changed = sampling.value;
			const [wrote, read] = await hasher.digest();
			if (wrote !== read || changed) {
				const offset = await firstDifference(image, device, ranges).catch(() => undefined) ?? changed?.offset;
				const where = offset === undefined ? 'the card reads back differently from what was written' : `the card differs from the image at byte ${formatOffset(offset)}`;
				throw new FlashError(device.path, 'verify', `verification failed: ${where}; the card is faulty, counterfeit (smaller than it says) or was changed`, {offset});
			}

			reportVerify(verified + sampled, true);
			rangesSha256 = wrote;
			checked = {bytes: verified, sampledBytes: sampled, samples: samples.length, seconds: (performance.now() - verifyStarted) / 1000};
		}

		const counts = scan ? scan.planner.counts : {writtenBytes: written, skippedBytes: skipped};
		return {
			imageBytes,
			...(fast ? {} : {sha256: rangesSha256}),
			ranges,
			rangesSha256: rangesSha256!,
			writtenBytes: counts.writtenBytes,
			skippedBytes: counts.skippedBytes,
			alreadyZeroBytes: alreadyZero,
			fast: (scan?.planner ?? planner)?.report(),
			seconds,
			...(checked ? {readBack: checked} : {}),
		};
	} finally {
		await Promise.allSettled(pending.keys());
		readBack?.close(true);
		await readBack?.done.catch(() => undefined);
		await Promise.all([scan?.close(), data?.close().catch(() => undefined), reader?.close().catch(() => undefined), hasher.close()]);
	}
}

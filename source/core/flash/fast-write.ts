// The fast mode's plan: which 1 MiB blocks of an image must reach the card and which all-zero ones may be skipped safely.
import {constants} from 'node:fs';
import {open, type FileHandle} from 'node:fs/promises';
import {alignedBuffers} from './aligned-memory.js';
import {ImageError} from './image-source.js';
import {parsePartitionTable, recognizeFileSystem, type FatLayout, type FileSystemGuess, type Partition, type PartitionTable} from './partition-table.js';

export const fastBlockSize = 1024 * 1024;

/** How much of a partition's start is looked at to recognise its file system. */
const headBytes = 64 * 1024;

export type PartitionHandling =
	/** Zero blocks skipped; where signatures live (see invalidationSpans) zeros written, invalidating an old file system. */
	| 'invalidated'
	/** Zero blocks skipped only where the file system does not use them (free FAT clusters, after squashfs). */
	| 'sparse'
	/** Every block written: a file system whose free space cannot be told apart (ext4…) or nothing recognised. */
	| 'full';

export type PartitionPlan = {
	number: number;
	start: number;
	size: number;
	content: FileSystemGuess['kind'] | 'extended' | 'pending';
	handling: PartitionHandling;
};

export type FastWriteReport = {
	scheme: PartitionTable['scheme'];
	partitions: PartitionPlan[];
	writtenBytes: number;
	skippedBytes: number;
	/** Zero bytes written on purpose (where old signatures may be, file system metadata, the first MiB). */
	zeroWrittenBytes: number;
};

type Interval = [start: number, end: number];

/** A run of bytes to write, in image order; `zero` when all of it is zero (written from a zero buffer). */
export type PlannedWrite = {start: number; end: number; zero: boolean};

const KiB = 1024;
const MiB = 1024 * KiB;

/**
 * Bytes at the start of a region (a partition, or space no partition claims) where file systems, volume managers and
 * RAID keep the signatures blkid and wipefs look for: FAT, NTFS, exFAT, squashfs, XFS, LUKS at 0 (FAT32's backup boot
 * sector at sector 6, exFAT's backup region at sector 12), ext2/3/4, HFS+, F2FS, nilfs2, erofs at 1 KiB, LVM in the
 * first four sectors, mdraid 1.1/1.2 at 0 and 4 KiB, swap at the end of a page (up to 64 KiB), ISO9660, JFS and
 * UDF's recognition sequence from 32 KiB, btrfs, ReiserFS and GFS2 at 64 KiB, UFS up to 256 KiB, and ZFS's labels L0
 * and L1 (256 KiB each): 512 KiB.
 */
export const headInvalidationBytes = 512 * KiB;

/** The single pages further in that hold a signature too, as offsets from the region's start. */
export const signaturePageOffsets: readonly number[] = [
	// LUKS2's secondary header, whose place follows the primary's size (blkid looks at 16 KiB…4 MiB; below 512 KiB
	// is in the head), and UDF's anchor at sector 256 of 4 KiB sectors; VMFS's volume header.
	512 * KiB, MiB, 2 * MiB, 4 * MiB,
	// VMFS's file system header.
	19 * MiB,
	// btrfs's superblock mirrors: the kernel and btrfs-progs fall back to them when the primary is gone.
	64 * MiB, 256 * 1024 * MiB,
];

export const signaturePageBytes = 4 * KiB;

/**
 * Where a region's old signatures may be, as byte ranges to overwrite: its first 512 KiB, the signature pages inside it,
 * and its end from ZFS's labels L2 and L3 (the last 512 KiB of its size rounded down to 256 KiB), which also covers
 * mdraid 0.90 and 1.0 (last 64–128 KiB), a backup GPT (the last 33 sectors), NTFS's backup boot sector, nilfs2's
 * secondary superblock and the hardware RAID formats (DDF, Intel, Promise…: the last sectors).
 */
export function invalidationSpans(start: number, end: number): Interval[] {
	const size = end - start;
	if (size <= 0) {
		return [];
	}

	const spans: Interval[] = [[start, Math.min(end, start + headInvalidationBytes)]];
	for (const offset of signaturePageOffsets) {
		if (offset + signaturePageBytes <= size) {
			spans.push([start + offset, start + offset + signaturePageBytes]);
		}
	}

	const zfsLabels = Math.floor(size / (256 * KiB)) * 256 * KiB - 512 * KiB;
	spans.push([Math.max(start, Math.min(end - 512 * KiB, start + zfsLabels)), end]);
	return mergeIntervals(spans);
}

/** Sorted, with overlapping and touching intervals joined. */
export function mergeIntervals(intervals: readonly Interval[]): Interval[] {
	const sorted = [...intervals].filter(([a, b]) => a < b).sort((x, y) => x[0] - y[0]);
	const merged: Interval[] = [];
	for (const [a, b] of sorted) {
		const last = merged.at(-1);
		if (last && a <= last[1]) {
			last[1] = Math.max(last[1], b);
		} else {
			merged.push([a, b]);
		}
	}

	return merged;
}

type PartitionState = {
	partition: Partition;
	head: Buffer;
	headFilled: number;
	guess?: FileSystemGuess;
	/** FAT12 tables are small and their 12-bit entries straddle bytes: kept whole until complete. */
	fat12?: Buffer;
};

const isZero = (block: Buffer, zero: Buffer) => block.equals(zero.subarray(0, block.length));

/** Data is trimmed to pages of this size (the sector of most cards, and O_DIRECT-aligned on all). */
const dataPageBytes = 4096;
const zeroPage = Buffer.alloc(dataPageBytes);

/** The offsets in a block that is not all zero of its first page holding data and of the end of its last. */
function dataPages(block: Buffer): [first: number, end: number] {
	let first = 0;
	while (first + dataPageBytes < block.length && block.subarray(first, first + dataPageBytes).equals(zeroPage)) {
		first += dataPageBytes;
	}

	let end = Math.ceil(block.length / dataPageBytes) * dataPageBytes;
	while (end - dataPageBytes > first && isZero(block.subarray(end - dataPageBytes, Math.min(block.length, end)), zeroPage)) {
		end -= dataPageBytes;
	}

	return [first, end];
}

/** Whether `range` overlaps any of `sorted` (in order, disjoint). */
function overlapsAny(sorted: readonly Interval[], [start, end]: Interval): boolean {
	let low = 0;
	let high = sorted.length;
	// The first interval ending after `start`.
	while (low < high) {
		const middle = (low + high) >> 1;
		if (sorted[middle]![1] <= start) {
			low = middle + 1;
		} else {
			high = middle;
		}
	}

	return low < sorted.length && sorted[low]![0] < end;
}

function overlaps([a, b]: Interval, [c, d]: Interval): boolean {
	return a < d && c < b;
}

/**
 * Decides block by block, in image order, whether a block is written. Everything it needs to know about a block comes
 * from earlier bytes of the image: the partition table from the first MiB, each file system from its first 64 KiB,
 * the FAT's allocation from the FAT itself, which precedes the clusters it describes.
 */
export class FastWritePlanner {
	readonly blockSize = fastBlockSize;
	private table: PartitionTable = {scheme: 'none', partitions: []};
	private readonly states: PartitionState[] = [];
	/** Byte ranges every block of which is written even when zero. */
	private readonly dense: Interval[] = [];
	/** Byte ranges written even when zero, the rest of their block skipped (old signatures; sorted, merged). */
	private invalidate: Interval[] = [];
	/** Byte ranges of allocated FAT clusters, in order (clusters are read from the FAT in order), neighbours joined. */
	private readonly allocated: Interval[] = [];
	private readonly zero = Buffer.alloc(fastBlockSize);
	private written = 0;
	private skipped = 0;
	private zeroWritten = 0;
	private started = false;

	/** Whether any of the block at `offset` (a multiple of the block size; the last one may be shorter) goes to the card. */
	decide(offset: number, block: Buffer): boolean {
		return this.plan(offset, block).length > 0;
	}

	/**
	 * What of the block at `offset` goes to the card, in order (blocks come in image order): all of it when it holds
	 * data or its zeros are needed (file system metadata, allocated clusters, a file system whose free space cannot be
	 * told apart), else only the pieces of it where old signatures may be (zeros), else nothing.
	 */
	plan(offset: number, block: Buffer): PlannedWrite[] {
		if (!this.started) {
			this.start(block);
		}

		this.observe(offset, block);
		const end = offset + block.length;
		const zero = isZero(block, this.zero);
		let spans: PlannedWrite[];
		if (zero) {
			spans = this.mustWrite([offset, end]) ? [{start: offset, end, zero}] : this.invalidated(offset, end);
		} else {
			// Data: from its first page holding any to its last, and the zero pages before and after as zeros elsewhere (a
			// file's last MiB, the end of a squashfs: what follows is free, zero in the image, and need not be written).
			const [first, last] = dataPages(block);
			const data = offset + first;
			const dataEnd = Math.min(end, offset + last);
			// Zero pages that must be written (metadata, allocated clusters, a file system written whole) stay in the run.
			let from = offset;
			while (from < data && !this.mustWrite([from, Math.min(data, from + dataPageBytes)])) {
				from = Math.min(data, from + dataPageBytes);
			}

			let to = end;
			while (to > dataEnd && !this.mustWrite([Math.max(dataEnd, to - dataPageBytes), to])) {
				to = Math.max(dataEnd, to - dataPageBytes);
			}

			spans = [...this.invalidated(offset, from), {start: from, end: to, zero: false}, ...this.invalidated(to, end)];
		}

		for (const span of spans) {
			this.written += span.end - span.start;
			if (span.zero) {
				this.zeroWritten += span.end - span.start;
			}
		}

		this.skipped += block.length - spans.reduce((sum, span) => sum + span.end - span.start, 0);
		return spans;
	}

	/** The pieces of [from, to) where old signatures may be, as zero writes. */
	private invalidated(from: number, to: number): PlannedWrite[] {
		const spans: PlannedWrite[] = [];
		for (const [a, b] of this.invalidate) {
			if (a >= to) {
				break;
			}

			const start = Math.max(a, from);
			const end = Math.min(b, to);
			if (start < end) {
				spans.push({start, end, zero: true});
			}
		}

		return spans;
	}

	/** Bytes of the blocks classified so far that go to the card, and that are skipped. */
	get counts(): {writtenBytes: number; skippedBytes: number} {
		return {writtenBytes: this.written, skippedBytes: this.skipped};
	}

	report(): FastWriteReport {
		return {
			scheme: this.table.scheme,
			partitions: this.states.map(state => ({
				number: state.partition.number,
				start: state.partition.start,
				size: state.partition.size,
				content: state.partition.extended ? 'extended' : state.guess?.kind ?? 'pending',
				handling: this.handling(state),
			})),
			writtenBytes: this.written,
			skippedBytes: this.skipped,
			zeroWrittenBytes: this.zeroWritten,
		};
	}

	private handling(state: PartitionState): PartitionHandling {
		if (state.partition.extended) {
			return 'full';
		}

		switch (state.guess?.kind) {
			case 'empty': {
				return 'invalidated';
			}

			case 'fat':
			case 'squashfs': {
				return 'sparse';
			}

			default: {
				return 'full';
			}
		}
	}

	private start(first: Buffer): void {
		this.started = true;
		this.table = parsePartitionTable(first);
		// The first MiB (partition table, boot code, the raw offsets SoCs' boot ROMs load a boot loader from) always.
		this.dense.push([0, fastBlockSize]);
		const partitions = this.table.partitions.filter(partition => partition.size > 0);
		if (partitions.length === 0) {
			// No table: the image may be a bare file system; treat it as one partition at 0.
			const whole: Partition = {number: 0, start: 0, size: Number.MAX_SAFE_INTEGER, type: '', extended: false};
			this.states.push({partition: whole, head: Buffer.alloc(headBytes), headFilled: 0});
			return;
		}

		const invalidate: Interval[] = [];
		for (const partition of partitions) {
			this.states.push({partition, head: Buffer.alloc(headBytes), headFilled: 0});
			const end = partition.start + partition.size;
			if (partition.extended) {
				this.dense.push([partition.start, end]);
				continue;
			}

			// Invalidate: whatever was on the card where a file system, RAID or volume manager keeps its signature (ext4,
			// FAT, RAID and ZFS labels…) must not outlive the write.
			invalidate.push(...invalidationSpans(partition.start, end));
		}

		// Space no partition claims before the last one (the gap after the first MiB, between partitions) is invalidated
		// like a partition: an old one may have started there (1 MiB is fdisk's default). After the last partition (a
		// backup GPT, whatever the image holds there) everything is written.
		const claimed = partitions.map(partition => [partition.start, partition.start + partition.size] as Interval).sort((a, b) => a[0] - b[0]);
		let cursor = fastBlockSize;
		for (const [start, end] of claimed) {
			if (start > cursor) {
				invalidate.push(...invalidationSpans(cursor, start));
			}

			cursor = Math.max(cursor, end);
		}

		this.dense.push([cursor, Number.MAX_SAFE_INTEGER]);
		this.invalidate = mergeIntervals(invalidate);
	}

	private mustWrite(range: Interval): boolean {
		if (this.dense.some(interval => overlaps(interval, range))) {
			return true;
		}

		if (overlapsAny(this.allocated, range)) {
			return true;
		}

		for (const state of this.states) {
			const {start, size} = state.partition;
			if (!overlaps([start, start + size], range)) {
				continue;
			}

			// Until the file system is known (a partition shorter than its head), nothing in it is skipped.
			if (!state.guess || state.partition.extended) {
				return true;
			}

			const kind = state.guess.kind;
			if (kind === 'ext' || kind === 'unknown') {
				return true;
			}
		}

		return false;
	}

	private observe(offset: number, block: Buffer): void {
		const blockEnd = offset + block.length;
		for (const state of this.states) {
			const {start, size} = state.partition;
			if (state.partition.extended) {
				continue;
			}

			if (!state.guess) {
				const from = Math.max(start, offset);
				const to = Math.min(start + headBytes, start + size, blockEnd);
				if (from < to) {
					block.copy(state.head, from - start, from - offset, to - offset);
					state.headFilled = Math.max(state.headFilled, to - start);
				}

				if (state.headFilled >= Math.min(headBytes, size)) {
					this.recognize(state);
				}
			}

			if (state.guess?.kind === 'fat') {
				this.readFat(state, state.guess, offset, block);
			}
		}
	}

	private recognize(state: PartitionState): void {
		const guess = recognizeFileSystem(state.head.subarray(0, Math.min(headBytes, state.partition.size)), state.partition.size);
		state.guess = guess;
		const {start} = state.partition;
		if (guess.kind === 'fat') {
			// Boot sector, reserved sectors, every FAT copy and the FAT12/16 root directory.
			this.dense.push([start, start + guess.dataStart]);
			if (guess.bits === 12) {
				state.fat12 = Buffer.alloc(guess.fatBytes);
			}
		} else if (guess.kind === 'squashfs') {
			this.dense.push([start, start + guess.bytesUsed]);
		}
	}

	/** Marks the blocks of every allocated cluster, reading the first FAT as it streams past. */
	private readFat(state: PartitionState, layout: FatLayout, offset: number, block: Buffer): void {
		const fatStart = state.partition.start + layout.fatStart;
		const fatEnd = fatStart + layout.fatBytes;
		const from = Math.max(fatStart, offset);
		const to = Math.min(fatEnd, offset + block.length);
		if (from >= to) {
			return;
		}

		if (layout.bits === 12 && state.fat12) {
			block.copy(state.fat12, from - fatStart, from - offset, to - offset);
			if (to === fatEnd) {
				const table = state.fat12;
				for (let cluster = 2; cluster < layout.clusters + 2; cluster++) {
					const at = Math.floor(cluster * 1.5);
					if (at + 1 >= table.length) {
						break;
					}

					const pair = table.readUInt16LE(at);
					const entry = cluster % 2 === 0 ? pair & 0xfff : pair >> 4;
					if (entry !== 0) {
						this.markCluster(state, layout, cluster);
					}
				}
			}

			return;
		}

		const width = layout.bits / 8;
		const firstCluster = Math.max(2, Math.ceil((from - fatStart) / width));
		const lastCluster = Math.min(layout.clusters + 1, Math.floor((to - fatStart) / width) - 1);
		for (let cluster = firstCluster; cluster <= lastCluster; cluster++) {
			const at = fatStart + cluster * width - offset;
			const entry = width === 2 ? block.readUInt16LE(at) : block.readUInt32LE(at) & 0x0f_ff_ff_ff;
			if (entry !== 0) {
				this.markCluster(state, layout, cluster);
			}
		}
	}

	private markCluster(state: PartitionState, layout: FatLayout, cluster: number): void {
		const begin = state.partition.start + layout.dataStart + (cluster - 2) * layout.clusterBytes;
		const end = begin + layout.clusterBytes;
		const last = this.allocated.at(-1);
		if (last && last[1] === begin) {
			last[1] = end;
		} else {
			this.allocated.push([begin, end]);
		}
	}
}

export type ScanOptions = {
	/**
	 * Bytes per read (a multiple of 1 MiB); two buffers of it are used, one read while the other is planned. 4 MiB:
	 * scanning 16 GiB of holes took 1.8 s of CPU here (2.4 s in 2 MiB reads, 1.5 s in 8 MiB ones, which cost 8 MB more).
	 */
	readBytes?: number;
	/** Past the page cache when the file system allows (default true). */
	direct?: boolean;
};

/**
 * The fast mode's plan of a raw image file, made ahead of the writer. The file is read once, in image order, past the
 * page cache where the file system allows: a hole then reads back as zeros at memory speed instead of filling the page
 * cache with zero pages (some 0.3 GB/s here, the 14 GiB of an empty /perm taking most of a minute), and the plan runs
 * ahead of the card by as far as it likes, since it holds offsets, not bytes: the writer reads each planned run again
 * when its turn comes. So the card never waits for a scan through gigabytes of zeros, and a 16 GiB image costs about
 * what a 1.5 GiB one with the same content does while the card is slower than the scan.
 */
export class RawImageScan {
	readonly planner = new FastWritePlanner();
	/** Image bytes planned so far. */
	scanned = 0;
	private readonly queue: PlannedWrite[] = [];
	private finished = false;
	private stopped = false;
	private failure: unknown;
	private wake: (() => void) | undefined;
	private readonly running: Promise<void>;

	constructor(readonly path: string, options: ScanOptions = {}) {
		this.running = this.run(options.readBytes ?? 4 * fastBlockSize, options.direct ?? true).catch((error: unknown) => {
			this.failure = error;
		}).finally(() => {
			this.finished = true;
			this.notify();
		});
	}

	/** The next run to write (coalesced with whatever followed it while the writer was busy), or undefined at the end. */
	async next(): Promise<PlannedWrite | undefined> {
		for (;;) {
			const planned = this.queue.shift();
			if (planned) {
				return planned;
			}

			if (this.failure) {
				throw this.failure;
			}

			if (this.finished) {
				return undefined;
			}

			await new Promise<void>(resolve => {
				this.wake = resolve;
			});
		}
	}

	/** The image offset before which everything is planned and handed out. */
	get frontier(): number {
		return this.queue[0]?.start ?? this.scanned;
	}

	/** Stops scanning (a failed or cancelled write) and waits until the file is closed. */
	async close(): Promise<void> {
		this.stopped = true;
		await this.running;
	}

	private notify(): void {
		const wake = this.wake;
		this.wake = undefined;
		wake?.();
	}

	private plan(start: number, end: number, zero: boolean): void {
		const last = this.queue.at(-1);
		if (last && last.end === start && last.zero === zero) {
			last.end = end;
		} else {
			this.queue.push({start, end, zero});
		}

		this.notify();
	}

	private async run(readBytes: number, direct: boolean): Promise<void> {
		let file: FileHandle;
		try {
			file = await open(this.path, constants.O_RDONLY | (direct ? constants.O_DIRECT : 0));
		} catch (error) {
			if (direct && (error as NodeJS.ErrnoException).code === 'EINVAL') {
				// A file system without O_DIRECT (some FUSE ones): read through the page cache.
				return this.run(readBytes, false);
			}

			throw new ImageError(`${this.path}: ${(error as Error).message}`);
		}

		const buffers = alignedBuffers(2, readBytes);
		const fill = async (buffer: Buffer, position: number): Promise<number> => {
			let filled = 0;
			while (filled < buffer.length) {
				// O_DIRECT reads whole sectors: a file ending inside one is read to its end, which comes back short.
				const {bytesRead} = await file.read(buffer, filled, buffer.length - filled, position + filled);
				if (bytesRead === 0) {
					break;
				}

				filled += bytesRead;
				if (filled % 512 !== 0) {
					break;
				}
			}

			return filled;
		};

		try {
			let offset = 0;
			let index = 0;
			let reading = fill(buffers[0], 0);
			for (;;) {
				let filled: number;
				try {
					filled = await reading;
				} catch (error) {
					if (direct && offset === 0 && (error as NodeJS.ErrnoException).code === 'EINVAL') {
						await file.close();
						file = await open(this.path, 'r');
						direct = false;
						reading = fill(buffers[0], 0);
						continue;
					}

					throw new ImageError(`${this.path}: cannot read at byte ${offset}: ${(error as Error).message}`);
				}

				if (filled === 0 || this.stopped) {
					break;
				}

				const buffer = buffers[index % 2];
				// The next read goes on while this one is planned.
				reading = filled === buffer.length ? fill(buffers[(index + 1) % 2], offset + filled) : Promise.resolve(0);
				reading.catch(() => undefined);
				for (let from = 0; from < filled; from += fastBlockSize) {
					const to = Math.min(filled, from + fastBlockSize);
					for (const span of this.planner.plan(offset + from, buffer.subarray(from, to))) {
						this.plan(span.start, span.end, span.zero);
					}
				}

				offset += filled;
				this.scanned = offset;
				index++;
			}

			await reading.catch(() => undefined);
		} finally {
			await file.close();
		}
	}
}

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
	/** Zero blocks skipped; the first and last MiB written (zeros there invalidate an old file system). */
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
	/** All-zero blocks written on purpose (partition starts and ends, file system metadata). */
	zeroWrittenBytes: number;
};

/** What becomes of one block: skipped, written, or written although all zero (then from a zero buffer). */
export type BlockAction = 'skip' | 'write' | 'write-zero';

type Interval = [start: number, end: number];

type PartitionState = {
	partition: Partition;
	head: Buffer;
	headFilled: number;
	guess?: FileSystemGuess;
	/** FAT12 tables are small and their 12-bit entries straddle bytes: kept whole until complete. */
	fat12?: Buffer;
};

const isZero = (block: Buffer, zero: Buffer) => block.equals(zero.subarray(0, block.length));

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
	/** Block indexes holding allocated FAT clusters. */
	private readonly allocatedBlocks = new Set<number>();
	private readonly zero = Buffer.alloc(fastBlockSize);
	private written = 0;
	private skipped = 0;
	private zeroWritten = 0;
	private started = false;

	/** Whether the block at `offset` (a multiple of the block size; the last one may be shorter) goes to the card. */
	decide(offset: number, block: Buffer): boolean {
		return this.classify(offset, block) !== 'skip';
	}

	/** What becomes of the block at `offset`; blocks come in image order. */
	classify(offset: number, block: Buffer): BlockAction {
		if (!this.started) {
			this.start(block);
		}

		this.observe(offset, block);
		const range: Interval = [offset, offset + block.length];
		const zero = isZero(block, this.zero);
		if (zero && !this.mustWrite(range)) {
			this.skipped += block.length;
			return 'skip';
		}

		this.written += block.length;
		if (zero) {
			this.zeroWritten += block.length;
			return 'write-zero';
		}

		return 'write';
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
		// The first MiB (partition table, boot code, some SoCs' boot loaders) always.
		this.dense.push([0, fastBlockSize]);
		const partitions = this.table.partitions.filter(partition => partition.size > 0);
		if (partitions.length === 0) {
			// No table: the image may be a bare file system; treat it as one partition at 0.
			const whole: Partition = {number: 0, start: 0, size: Number.MAX_SAFE_INTEGER, type: '', extended: false};
			this.states.push({partition: whole, head: Buffer.alloc(headBytes), headFilled: 0});
			return;
		}

		for (const partition of partitions) {
			this.states.push({partition, head: Buffer.alloc(headBytes), headFilled: 0});
			const end = partition.start + partition.size;
			if (partition.extended) {
				this.dense.push([partition.start, end]);
				continue;
			}

			// Invalidate: whatever was on the card at a partition's start or end (ext4, FAT, RAID and ZFS labels…)
			// must not outlive the write.
			this.dense.push([partition.start, partition.start + fastBlockSize], [Math.max(partition.start, end - fastBlockSize), end]);
		}

		// Space no partition claims (gaps, the tail, a backup GPT) is written in full: some boards boot from raw offsets.
		const claimed = partitions.map(partition => [partition.start, partition.start + partition.size] as Interval).sort((a, b) => a[0] - b[0]);
		let cursor = 0;
		for (const [start, end] of claimed) {
			if (start > cursor) {
				this.dense.push([cursor, start]);
			}

			cursor = Math.max(cursor, end);
		}

		this.dense.push([cursor, Number.MAX_SAFE_INTEGER]);
	}

	private mustWrite(range: Interval): boolean {
		if (this.dense.some(interval => overlaps(interval, range))) {
			return true;
		}

		const index = Math.floor(range[0] / fastBlockSize);
		if (this.allocatedBlocks.has(index)) {
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
		for (let index = Math.floor(begin / fastBlockSize); index * fastBlockSize < end; index++) {
			this.allocatedBlocks.add(index);
		}
	}
}

/** A run of neighbouring blocks to write, in image order; `zero` when all of it is zero (written from a zero buffer). */
export type PlannedWrite = {start: number; end: number; zero: boolean};

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
					const action = this.planner.classify(offset + from, buffer.subarray(from, to));
					if (action !== 'skip') {
						this.plan(offset + from, offset + to, action === 'write-zero');
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

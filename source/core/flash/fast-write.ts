// The fast mode's plan: which 1 MiB blocks of an image must reach the card and which all-zero ones may be skipped safely.
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
		if (!this.started) {
			this.start(block);
		}

		this.observe(offset, block);
		const range: Interval = [offset, offset + block.length];
		const zero = isZero(block, this.zero);
		const write = !zero || this.mustWrite(range);
		if (!write) {
			this.skipped += block.length;
		} else {
			this.written += block.length;
			if (zero) {
				this.zeroWritten += block.length;
			}
		}

		return write;
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

// The card while it is being flashed: opened exclusively with O_DIRECT, written and read in sector-aligned pieces.
import {constants} from 'node:fs';
import {open, type FileHandle} from 'node:fs/promises';
import {alignedBuffers} from './aligned-memory.js';
import {blockDeviceSize, requireBlockDevice, logicalBlockSize} from './block-device.js';
import {FlashError} from './flash-error.js';
import {formatBytes, formatOffset} from './flash-units.js';

const ioFailureCodes = new Set(['EIO', 'ENODEV', 'ENXIO', 'ENOMEDIUM', 'ENOSPC', 'ESHUTDOWN', 'EREMOTEIO']);

/** The error for a failed read or write at `offset`: a card pulled out mid-write shows up as EIO, ENODEV or ENOSPC. */
export function ioFailure(device: string, action: 'write' | 'read', offset: number, error: unknown): FlashError {
	const code = (error as NodeJS.ErrnoException).code ?? '';
	const why = ioFailureCodes.has(code)
		? 'the card was removed or is failing'
		: (error as Error).message;
	return new FlashError(device, 'io', `${action} failed at byte ${formatOffset(offset)} (${code || 'error'}): ${why}`, {offset, incomplete: action === 'write'});
}

/** What zero() reads at a time (one buffer per call under way, kept for the next). */
const zeroReadBytes = 256 * 1024;
const pageBytes = 4 * 1024;
const zeroPage = Buffer.alloc(pageBytes);

/** The runs of 4 KiB pages of `bytes` (the last may be shorter) holding anything but zeros, neighbours joined. */
export function dirtyPages(bytes: Buffer): Array<[start: number, end: number]> {
	const runs: Array<[number, number]> = [];
	for (let page = 0; page < bytes.length; page += pageBytes) {
		const end = Math.min(bytes.length, page + pageBytes);
		if (!bytes.subarray(page, end).equals(zeroPage.subarray(0, end - page))) {
			const last = runs.at(-1);
			if (last && last[1] === page) {
				last[1] = end;
			} else {
				runs.push([page, end]);
			}
		}
	}

	return runs;
}

export class FlashDevice {
	private readonly scratch = alignedBuffers(1, 64 * 1024)[0];
	private readonly zeroScratch: Buffer[] = [];
	/** Reads started by prefetch(), by offset: each taken once by zero(). */
	private readonly prefetched = new Map<number, {length: number; read: Promise<Buffer>}>();

	private constructor(
		readonly path: string,
		readonly file: FileHandle,
		readonly size: number,
		readonly sectorSize: number,
	) {}

	/**
	 * Opens a block device for flashing. Anything but a block device is refused before it is opened; O_EXCL makes the
	 * kernel refuse while a file system on it is mounted, and keeps automounters away until we close it.
	 */
	static async open(devicePath: string): Promise<FlashDevice> {
		const target = await requireBlockDevice(devicePath);

		let file: FileHandle;
		try {
			file = await open(target.resolved, constants.O_RDWR | constants.O_EXCL | constants.O_DIRECT);
		} catch (error) {
			const code = (error as NodeJS.ErrnoException).code;
			if (code === 'EACCES' || code === 'EPERM') {
				throw new FlashError(devicePath, 'permission', 'permission denied (writing to a card needs root)');
			}

			if (code === 'EBUSY') {
				throw new FlashError(devicePath, 'busy', 'is in use (a file system on it is mounted, or another program has it open), refusing');
			}

			if (code === 'EROFS') {
				throw new FlashError(devicePath, 'refused', 'is read-only (write-protect switch?), refusing');
			}

			if (code === 'ENOMEDIUM' || code === 'ENXIO') {
				throw new FlashError(devicePath, 'io', 'has no medium (is the card inserted?)');
			}

			throw new FlashError(devicePath, 'io', `cannot open: ${(error as Error).message}`);
		}

		const size = await blockDeviceSize(target.majMin) ?? Number.POSITIVE_INFINITY;
		return new FlashDevice(devicePath, file, size, await logicalBlockSize(target.majMin));
	}

	/**
	 * Writes bytes [from, to) of an aligned buffer at `offset` (sector-aligned). A tail shorter than a sector is merged
	 * into the sector read back from the card, so the bytes after the image stay as they were.
	 */
	async writeSpan(buffer: Buffer, from: number, to: number, offset: number): Promise<void> {
		const length = to - from;
		const aligned = length - (length % this.sectorSize);
		let done = 0;
		try {
			while (done < aligned) {
				const {bytesWritten} = await this.file.write(buffer, from + done, aligned - done, offset + done);
				if (bytesWritten === 0) {
					throw Object.assign(new Error('no bytes written'), {code: 'ENOSPC'});
				}

				done += bytesWritten;
			}

			if (aligned < length) {
				await this.mergeTail(buffer.subarray(from + aligned, to), offset + aligned);
			}
		} catch (error) {
			if (error instanceof FlashError) {
				throw error;
			}

			throw ioFailure(this.path, 'write', offset + done, error);
		}
	}

	private async mergeTail(tail: Buffer, offset: number): Promise<void> {
		const sector = this.scratch.subarray(0, this.sectorSize);
		await this.readExactly(sector, offset);
		tail.copy(sector);
		await this.file.write(sector, 0, this.sectorSize, offset);
	}

	/** Fills an aligned buffer from the card at a sector-aligned offset (past the page cache). */
	async readExactly(buffer: Buffer, offset: number): Promise<void> {
		let done = 0;
		try {
			while (done < buffer.length) {
				const {bytesRead} = await this.file.read(buffer, done, buffer.length - done, offset + done);
				if (bytesRead === 0) {
					throw Object.assign(new Error(`the card ends at ${formatBytes(offset + done)}`), {code: 'ENOSPC'});
				}

				done += bytesRead;
			}
		} catch (error) {
			throw ioFailure(this.path, 'read', offset + done, error);
		}
	}

	/**
	 * Makes [offset, offset + length) (sector-aligned) zero: reads it first and writes zeros only over the 4 KiB pages
	 * that are not zero already. A card reads several times faster than it writes, and a blank or re-flashed card holds
	 * zeros where old signatures would be. Calls may run side by side. Returns the bytes written.
	 */
	async zero(offset: number, length: number, zeros: Buffer): Promise<number> {
		const scratch = this.zeroScratch.pop() ?? alignedBuffers(1, zeroReadBytes)[0]!;
		let written = 0;
		try {
			for (let at = 0; at < length; at += zeroReadBytes) {
				const size = Math.min(zeroReadBytes, length - at);
				const early = this.prefetched.get(offset + at);
				let seen: Buffer;
				if (early?.length === size) {
					this.prefetched.delete(offset + at);
					seen = await early.read;
				} else {
					seen = scratch.subarray(0, size);
					await this.readExactly(seen, offset + at);
				}

				for (const [start, end] of dirtyPages(seen)) {
					for (let from = start; from < end; from += zeros.length) {
						const to = Math.min(end, from + zeros.length);
						await this.writeSpan(zeros, 0, to - from, offset + at + from);
						written += to - from;
					}
				}
			}
		} finally {
			this.zeroScratch.push(scratch);
		}

		return written;
	}

	/**
	 * Starts reading [offset, offset + length) (sector-aligned) now, for a zero() of the same range later: the card reads
	 * what the write will first check while the writer is still being made ready (its modules, the image, the hash
	 * worker), and the check then waits on nothing. Only reads: what it finds is not changed until zero() is called.
	 */
	prefetch(offset: number, length: number): void {
		// One aligned allocation for the range, cut the way zero() reads it.
		const buffers = alignedBuffers(Math.ceil(length / zeroReadBytes), zeroReadBytes);
		for (let at = 0; at < length; at += zeroReadBytes) {
			const size = Math.min(zeroReadBytes, length - at);
			if (this.prefetched.has(offset + at)) {
				continue;
			}

			const buffer = buffers[at / zeroReadBytes]!.subarray(0, size);
			const read = this.readExactly(buffer, offset + at).then(() => buffer);
			// A failure is told by the zero() that takes it, as its own read's would be; one never taken is not an error.
			read.catch(() => undefined);
			this.prefetched.set(offset + at, {length: size, read});
		}
	}

	async flush(): Promise<void> {
		try {
			await this.file.datasync();
		} catch (error) {
			throw ioFailure(this.path, 'write', 0, error);
		}
	}

	async close(): Promise<void> {
		// Reads prefetched but never taken (a write refused before it began) end before the card is let go.
		await Promise.allSettled([...this.prefetched.values()].map(async ({read}) => read));
		this.prefetched.clear();
		await this.file.close().catch(() => undefined);
	}
}

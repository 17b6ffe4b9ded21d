// Loop devices for the flashing tests: a sparse file attached with losetup, detached (and the file removed) in teardown.
import {execFile} from 'node:child_process';
import {existsSync} from 'node:fs';
import {mkdir, mkdtemp, open, rm, truncate, writeFile} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {promisify} from 'node:util';
import type {ExecutionContext} from 'ava';

const run = promisify(execFile);

export type LoopDevice = {
	/** /dev/loopN */
	path: string;
	backingFile: string;
	size: number;
	/** Detaches and removes the backing file; safe to call twice. */
	detach(): Promise<void>;
};

export type LoopOptions = {
	size: number;
	sectorSize?: 512 | 4096;
	/** Bytes to put at the start of the backing file before attaching (a stale card's content). */
	content?: Uint8Array;
	/** Let the kernel read the partition table (/dev/loopNp1…). */
	partitions?: boolean;
};

/** Creates a loop device over a new sparse file; with `t`, detached when the test ends, also on failure. */
export async function createLoopDevice(options: LoopOptions, t?: ExecutionContext): Promise<LoopDevice> {
	// In memory where possible: the tests measure behaviour, not the disk, and a shared CI disk is slow and noisy.
	const dir = await mkdtemp(path.join(existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir(), 'krazy-loop-'));
	const backingFile = path.join(dir, 'card.img');
	await writeFile(backingFile, options.content ?? new Uint8Array(0));
	await truncate(backingFile, options.size);
	const args = ['--find', '--show', ...(options.sectorSize ? ['--sector-size', String(options.sectorSize)] : []), ...(options.partitions ? ['--partscan'] : []), backingFile];
	let devicePath: string;
	try {
		devicePath = (await run('losetup', args)).stdout.trim();
	} catch (error) {
		await rm(dir, {recursive: true, force: true});
		throw error;
	}

	if (options.partitions) {
		// Kernels built without partition table parsers (this CI's) scan nothing: partx reads the table and adds them.
		await run('partx', ['--update', devicePath]).catch(() => undefined);
	}

	let detached = false;
	const detach = async () => {
		if (detached) {
			return;
		}

		detached = true;
		if (options.partitions) {
			await run('partx', ['--delete', devicePath]).catch(() => undefined);
		}

		for (let attempt = 0; attempt < 20; attempt++) {
			try {
				await run('losetup', ['--detach', devicePath]);
				break;
			} catch {
				// Still open somewhere (a reader closing): try again shortly.
				await new Promise(resolve => setTimeout(resolve, 100));
			}
		}

		await rm(dir, {recursive: true, force: true});
	};

	t?.teardown(detach);
	return {path: devicePath, backingFile, size: options.size, detach};
}

/** Tells the loop driver the backing file changed size (losetup --set-capacity), as when a card is pulled out. */
export async function refreshCapacity(device: LoopDevice): Promise<void> {
	await run('losetup', ['--set-capacity', device.path]);
}

/** `length` bytes of a device (or file) from `offset`, through the page cache. */
export async function readDevice(devicePath: string, offset: number, length: number): Promise<Buffer> {
	const file = await open(devicePath, 'r');
	try {
		const buffer = Buffer.alloc(length);
		await file.read(buffer, 0, length, offset);
		return buffer;
	} finally {
		await file.close();
	}
}

/** Makes an ext4 file system on the loop device and mounts it at `dir`/mnt until the test ends (if still mounted). */
export async function mountExt4(loop: LoopDevice, dir: string, t: ExecutionContext): Promise<string> {
	await run('mkfs.ext4', ['-q', '-F', loop.path]);
	const mountpoint = path.join(dir, 'mnt');
	await mkdir(mountpoint);
	await run('mount', [loop.path, mountpoint]);
	t.teardown(async () => {
		await run('umount', [mountpoint]).catch(() => undefined);
	});
	return mountpoint;
}

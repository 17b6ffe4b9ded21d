// What the kernel says about a device path: is it a block device, its number, size and sector size, and which devices hold a file.
import {readFile, realpath, stat} from 'node:fs/promises';
import path from 'node:path';
import {FlashError} from './flash-error.js';
import {walkDevices, type BlockDevice} from './lsblk.js';

/** "8:16" from a stat() dev/rdev number (glibc's gnu_dev_major/minor). */
export function majMinOf(dev: number): string {
	const big = BigInt(dev);
	const major = ((big >> 8n) & 0xfffn) | ((big >> 32n) & ~0xfffn);
	const minor = (big & 0xffn) | ((big >> 12n) & ~0xffn);
	return `${major}:${minor}`;
}

export type TargetInfo = {
	/** The path as given. */
	given: string;
	/** Symlinks (/dev/disk/by-id/…) resolved. */
	resolved: string;
	isBlockDevice: boolean;
	isFile: boolean;
	majMin: string;
};

export class TargetPathError extends Error {
	override readonly name = 'TargetPathError';
}

/** stat() of a --device path, without opening it. */
export async function inspectTargetPath(given: string): Promise<TargetInfo> {
	let resolved: string;
	try {
		resolved = await realpath(given);
	} catch (error) {
		const code = (error as NodeJS.ErrnoException).code;
		throw new TargetPathError(`${given}: ${code === 'ENOENT' ? 'no such device' : (error as Error).message}`);
	}

	const info = await stat(resolved);
	return {
		given,
		resolved,
		isBlockDevice: info.isBlockDevice(),
		isFile: info.isFile(),
		majMin: info.isBlockDevice() ? majMinOf(info.rdev) : '',
	};
}

/** A --device path that must be a block device: anything else is refused (kind `refused`) before it is opened. */
export async function requireBlockDevice(devicePath: string): Promise<TargetInfo> {
	let target;
	try {
		target = await inspectTargetPath(devicePath);
	} catch (error) {
		throw new FlashError(devicePath, 'refused', (error as Error).message.replace(`${devicePath}: `, ''));
	}

	if (!target.isBlockDevice) {
		throw new FlashError(devicePath, 'refused', `${target.isFile ? 'is a regular file' : 'is not a block device'}, refusing`);
	}

	return target;
}

async function readSys(majMin: string, file: string): Promise<string | undefined> {
	try {
		return (await readFile(path.join('/sys/dev/block', majMin, file), 'utf8')).trim();
	} catch {
		return undefined;
	}
}

/** The logical sector size: O_DIRECT offsets and lengths must be multiples of it. */
export async function logicalBlockSize(majMin: string): Promise<number> {
	const own = await readSys(majMin, 'queue/logical_block_size') ?? await readSys(majMin, '../queue/logical_block_size');
	const size = Number(own);
	return Number.isInteger(size) && size >= 512 ? size : 512;
}

/** The size in bytes from sysfs (always counted in 512-byte units there), or undefined. */
export async function blockDeviceSize(majMin: string): Promise<number | undefined> {
	const sectors = Number(await readSys(majMin, 'size'));
	return Number.isFinite(sectors) ? sectors * 512 : undefined;
}

/**
 * The devices (disks or partitions) on which a file lives: by its st_dev, and by the mountpoint that is the longest
 * prefix of its real path (btrfs and overlay report anonymous device numbers).
 */
export async function devicesHoldingFile(filePath: string, devices: readonly BlockDevice[]): Promise<Set<string>> {
	const holders = new Set<string>();
	let real: string;
	let dev: number;
	try {
		real = await realpath(filePath);
		dev = (await stat(real)).dev;
	} catch {
		return holders;
	}

	const number = majMinOf(dev);
	let best: {path: string; length: number} | undefined;
	for (const node of walkDevices(devices)) {
		if (node.majMin === number) {
			holders.add(node.path);
		}

		for (const mountpoint of node.mountpoints) {
			const prefix = mountpoint.endsWith('/') ? mountpoint : `${mountpoint}/`;
			if ((real === mountpoint || real.startsWith(prefix)) && (!best || mountpoint.length > best.length)) {
				best = {path: node.path, length: mountpoint.length};
			}
		}
	}

	if (best) {
		holders.add(best.path);
	}

	return holders;
}

/** MAJ:MIN of the devices under /, /boot, /usr…: anonymous numbers (major 0: overlay, tmpfs) are left out. */
export async function systemDeviceNumbers(paths: readonly string[] = ['/', '/boot', '/boot/efi', '/boot/firmware', '/usr', '/home', '/var']): Promise<Set<string>> {
	const numbers = new Set<string>();
	await Promise.all(paths.map(async candidate => {
		try {
			const number = majMinOf((await stat(candidate)).dev);
			if (!number.startsWith('0:')) {
				numbers.add(number);
			}
		} catch {
			// Not there on this system.
		}
	}));
	return numbers;
}

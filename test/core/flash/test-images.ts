// Images for the flashing tests: random and zero regions, their compressed forms (by the real gzip, xz and zstd), and a gokrazy-shaped disk.
import {execFile} from 'node:child_process';
import {randomBytes} from 'node:crypto';
import {mkdtemp, open, readFile, rm, writeFile} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {promisify} from 'node:util';
import type {ExecutionContext} from 'ava';

const run = promisify(execFile);
export const MiB = 1024 * 1024;

export async function tempDir(t: ExecutionContext): Promise<string> {
	const dir = await mkdtemp(path.join(os.tmpdir(), 'krazy-flash-test-'));
	t.teardown(() => rm(dir, {recursive: true, force: true}));
	return dir;
}

/** Random MiBs, zero MiBs, a half-random MiB, and a tail that ends off any sector boundary (`tail` bytes). */
export function mixedImage(mebibytes = 9, tail = 0): Buffer {
	const image = Buffer.alloc(mebibytes * MiB + tail);
	for (let index = 0; index < mebibytes; index++) {
		const kind = index % 3;
		if (kind === 0) {
			randomBytes(MiB).copy(image, index * MiB);
		} else if (kind === 2) {
			randomBytes(MiB / 2).copy(image, index * MiB + MiB / 4);
		}
	}

	if (tail > 0) {
		randomBytes(tail).copy(image, mebibytes * MiB);
	}

	return image;
}

export type ImageFiles = {raw: string; gz: string; xz: string; zst: string};

/** The image as .img and (the forms asked for) compressed with the gzip, xz and zstd programs. */
export async function writeImageFiles(dir: string, name: string, image: Uint8Array, forms: ReadonlyArray<'gz' | 'xz' | 'zst'> = ['gz', 'xz', 'zst']): Promise<ImageFiles> {
	const raw = path.join(dir, `${name}.img`);
	await writeFile(raw, image);
	await Promise.all([
		forms.includes('gz') ? run('gzip', ['-k', '-1', raw]) : undefined,
		forms.includes('xz') ? run('xz', ['-k', '-0', '-T1', raw]) : undefined,
		forms.includes('zst') ? run('zstd', ['-q', '-k', raw]) : undefined,
	]);
	return {raw, gz: `${raw}.gz`, xz: `${raw}.xz`, zst: `${raw}.zst`};
}

function mbrEntry(table: Buffer, index: number, type: number, startSector: number, sectors: number): void {
	const at = 446 + index * 16;
	table[at] = index === 0 ? 0x80 : 0;
	table[at + 4] = type;
	table.writeUInt32LE(startSector, at + 8);
	table.writeUInt32LE(sectors, at + 12);
}

export type FatFile = {name: string; content: Buffer};

export type FatPlacement = {name: string; offset: number; length: number};

/**
 * A FAT16 file system (what gokrazy's boot partition is) with the files laid out contiguously from cluster 2.
 * Returns the image and where each file's bytes sit in it.
 */
export function fat16(size: number, files: FatFile[]): {bytes: Buffer; placements: FatPlacement[]; dataStart: number} {
	const sector = 512;
	const sectorsPerCluster = 4;
	const clusterBytes = sector * sectorsPerCluster;
	const reserved = 4;
	const rootEntries = 512;
	const totalSectors = size / sector;
	const clusters = Math.floor(totalSectors / sectorsPerCluster);
	const fatSectors = Math.ceil(((clusters + 2) * 2) / sector);
	const rootSectors = (rootEntries * 32) / sector;
	const dataSector = reserved + 2 * fatSectors + rootSectors;
	const bytes = Buffer.alloc(size);
	bytes[0] = 0xeb;
	bytes[1] = 0x3c;
	bytes[2] = 0x90;
	bytes.write('MSWIN4.1', 3, 'latin1');
	bytes.writeUInt16LE(sector, 11);
	bytes[13] = sectorsPerCluster;
	bytes.writeUInt16LE(reserved, 14);
	bytes[16] = 2;
	bytes.writeUInt16LE(rootEntries, 17);
	bytes.writeUInt16LE(totalSectors < 65_536 ? totalSectors : 0, 19);
	bytes[21] = 0xf8;
	bytes.writeUInt16LE(fatSectors, 22);
	bytes.writeUInt32LE(totalSectors < 65_536 ? 0 : totalSectors, 32);
	bytes[38] = 0x29;
	bytes.write('GOKRAZY    FAT16   ', 43, 'latin1');
	bytes[510] = 0x55;
	bytes[511] = 0xaa;

	const fatStart = reserved * sector;
	const rootStart = (reserved + 2 * fatSectors) * sector;
	const dataStart = dataSector * sector;
	const setEntry = (cluster: number, value: number) => {
		for (let copy = 0; copy < 2; copy++) {
			bytes.writeUInt16LE(value, fatStart + copy * fatSectors * sector + cluster * 2);
		}
	};

	setEntry(0, 0xfff8);
	setEntry(1, 0xffff);
	let cluster = 2;
	const placements: FatPlacement[] = [];
	files.forEach((file, index) => {
		const count = Math.max(1, Math.ceil(file.content.length / clusterBytes));
		const first = cluster;
		for (let step = 0; step < count; step++) {
			setEntry(first + step, step === count - 1 ? 0xffff : first + step + 1);
		}

		const offset = dataStart + (first - 2) * clusterBytes;
		file.content.copy(bytes, offset);
		placements.push({name: file.name, offset, length: file.content.length});
		const entry = rootStart + index * 32;
		const [base, extension = ''] = file.name.toUpperCase().split('.');
		bytes.write(base.padEnd(8, ' ').slice(0, 8) + extension.padEnd(3, ' ').slice(0, 3), entry, 'latin1');
		bytes[entry + 11] = 0x20;
		bytes.writeUInt16LE(first, entry + 26);
		bytes.writeUInt32LE(file.content.length, entry + 28);
		cluster += count;
	});
	return {bytes, placements, dataStart};
}

export type GokrazyLayout = {
	image: Buffer;
	partitions: Array<{number: number; start: number; size: number}>;
	/** Absolute placements of the boot partition's files. */
	files: FatPlacement[];
	squashfsBytes: number;
};

/**
 * A small disk shaped like `gok overwrite --full`: MBR, boot FAT16 at 4 MiB, root A (a squashfs that fills part of
 * its partition), root B and /perm empty. The kernel file holds a MiB of zeros inside it: allocated, so never skipped.
 */
export function gokrazyImage(totalBytes = 96 * MiB): GokrazyLayout {
	const bootStart = 4 * MiB;
	const bootSize = 16 * MiB;
	const rootSize = 20 * MiB;
	const rootA = bootStart + bootSize;
	const rootB = rootA + rootSize;
	const perm = rootB + rootSize;
	const image = Buffer.alloc(totalBytes);
	// Boot code and the disk signature, as gokrazy's MBR carries them.
	randomBytes(440).copy(image, 0);
	// Real boot code starts with a jump: never zero (a zero there made a test's first differing byte the second, 1 in 256).
	image[0] = 0xEB;
	mbrEntry(image, 0, 0x0c, bootStart / 512, bootSize / 512);
	mbrEntry(image, 1, 0x83, rootA / 512, rootSize / 512);
	mbrEntry(image, 2, 0x83, rootB / 512, rootSize / 512);
	mbrEntry(image, 3, 0x83, perm / 512, (totalBytes - perm) / 512);
	image[510] = 0x55;
	image[511] = 0xaa;

	const kernel = Buffer.concat([randomBytes(MiB + 4096), Buffer.alloc(2 * MiB), randomBytes(300_000)]);
	const boot = fat16(bootSize, [
		{name: 'cmdline.txt', content: Buffer.from('console=tty1 root=PARTUUID=2e18c40c-02 init=/gokrazy/init rootwait\n')},
		{name: 'vmlinuz', content: kernel},
		{name: 'config.txt', content: Buffer.from('enable_uart=1\n')},
	]);
	boot.bytes.copy(image, bootStart);
	const squashfsBytes = 5 * MiB + 12_345;
	const squashfs = randomBytes(squashfsBytes);
	squashfs.write('hsqs', 0, 'latin1');
	squashfs.writeBigUInt64LE(BigInt(squashfsBytes), 40);
	squashfs.copy(image, rootA);
	return {
		image,
		partitions: [
			{number: 1, start: bootStart, size: bootSize},
			{number: 2, start: rootA, size: rootSize},
			{number: 3, start: rootB, size: rootSize},
			{number: 4, start: perm, size: totalBytes - perm},
		],
		files: boot.placements.map(placement => ({...placement, offset: placement.offset + bootStart})),
		squashfsBytes,
	};
}

export type GokrazyFileLayout = {
	size: number;
	partitions: Array<{number: number; start: number; size: number}>;
	/** What the image holds that is not zero (its data ranges on disk: the file is sparse elsewhere). */
	dataRanges: Array<[start: number, end: number]>;
	bootFileBytes: number;
	squashfsBytes: number;
};

/**
 * A sparse image file shaped like `gok overwrite --full --target_storage_bytes SIZE`: MBR, a 100 MiB FAT16 boot
 * partition at 4 MiB holding `bootFileBytes` of files (kernel, firmware, device trees), root A holding a squashfs of
 * `squashfsBytes`, root B and /perm empty, /perm up to `size`. Only what is not zero is written: holes elsewhere, so
 * `bmaptool create` maps what a real image's builder writes.
 */
export async function writeGokrazyImageFile(file: string, size: number, options: {bootFileBytes?: number; squashfsBytes?: number} = {}): Promise<GokrazyFileLayout> {
	const bootFileBytes = options.bootFileBytes ?? 30 * MiB;
	const squashfsBytes = options.squashfsBytes ?? 60 * MiB;
	const bootStart = 4 * MiB;
	const bootSize = 100 * MiB;
	// Root partitions of 500 MiB as gokrazy makes them, smaller on a small card: the squashfs must still fit.
	const rootSize = Math.min(500 * MiB, Math.floor((size - bootStart - bootSize - MiB) / 3 / MiB) * MiB);
	if (rootSize < squashfsBytes + MiB) {
		throw new RangeError(`a gokrazy image of ${size} bytes has no room for a ${squashfsBytes}-byte root file system`);
	}

	const rootA = bootStart + bootSize;
	const rootB = rootA + rootSize;
	const perm = rootB + rootSize;
	const mbr = Buffer.alloc(512);
	randomBytes(440).copy(mbr);
	mbrEntry(mbr, 0, 0x0c, bootStart / 512, bootSize / 512);
	mbrEntry(mbr, 1, 0x83, rootA / 512, rootSize / 512);
	mbrEntry(mbr, 2, 0x83, rootB / 512, rootSize / 512);
	mbrEntry(mbr, 3, 0x83, perm / 512, (size - perm) / 512);
	mbr[510] = 0x55;
	mbr[511] = 0xaa;
	// A kernel, the firmware blobs and a few dozen device trees, as a Raspberry Pi boot partition has them.
	const kernelBytes = Math.floor(bootFileBytes * 0.4);
	const firmwareBytes = Math.floor(bootFileBytes * 0.5);
	const treeBytes = Math.floor((bootFileBytes - kernelBytes - firmwareBytes) / 40);
	const files = [
		{name: 'vmlinuz', content: randomBytes(kernelBytes)},
		{name: 'start4.elf', content: randomBytes(Math.floor(firmwareBytes / 2))},
		{name: 'fixup4.dat', content: randomBytes(firmwareBytes - Math.floor(firmwareBytes / 2))},
		...Array.from({length: 40}, (_, index) => ({name: `bcm${index}.dtb`, content: randomBytes(treeBytes)})),
		{name: 'cmdline.txt', content: Buffer.from('console=tty1 root=PARTUUID=2e18c40c-02 init=/gokrazy/init rootwait\n')},
	];
	const fat = fat16(bootSize, files);
	const fatUsed = Math.max(...fat.placements.map(placement => placement.offset + placement.length));
	const squashfs = randomBytes(squashfsBytes);
	squashfs.write('hsqs', 0, 'latin1');
	squashfs.writeBigUInt64LE(BigInt(squashfsBytes), 40);
	const pieces: Array<[offset: number, bytes: Buffer]> = [[0, mbr], [bootStart, fat.bytes.subarray(0, fatUsed)], [rootA, squashfs]];
	const handle = await open(file, 'w');
	try {
		for (const [offset, bytes] of pieces) {
			await handle.write(bytes, 0, bytes.length, offset);
		}

		await handle.truncate(size);
	} finally {
		await handle.close();
	}

	return {
		size,
		partitions: [
			{number: 1, start: bootStart, size: bootSize},
			{number: 2, start: rootA, size: rootSize},
			{number: 3, start: rootB, size: rootSize},
			{number: 4, start: perm, size: size - perm},
		],
		dataRanges: pieces.map(([offset, bytes]) => [offset, offset + bytes.length]),
		bootFileBytes: files.reduce((sum, entry) => sum + entry.content.length, 0),
		squashfsBytes,
	};
}

/** An ext4 file system image of `size` bytes with one file in it, made by mkfs.ext4 and debugfs. */
export async function ext4Image(dir: string, size: number): Promise<Buffer> {
	const file = path.join(dir, `ext4-${size}.img`);
	const content = path.join(dir, 'hello.txt');
	await writeFile(content, 'hello from the old card\n');
	await run('truncate', ['-s', String(size), file]);
	await run('mkfs.ext4', ['-q', '-F', '-L', 'perm', file]);
	await run('debugfs', ['-w', '-R', `write ${content} hello.txt`, file]);
	return readFile(file);
}

/** What blkid finds at `offset` of a device or file ('' when nothing). */
export async function probeFileSystem(device: string, offset: number): Promise<string> {
	try {
		const {stdout} = await run('blkid', ['-p', '-O', String(offset), '-o', 'value', '-s', 'TYPE', device]);
		return stdout.trim();
	} catch {
		return '';
	}
}

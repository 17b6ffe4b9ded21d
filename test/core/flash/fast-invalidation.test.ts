// The fast mode against a used card full of old signatures (made by mkfs.ext4, mkfs.vfat, mksquashfs, mkswap, or as the magic bytes at their documented offsets): nothing old survives for blkid or wipefs.
import {execFile} from 'node:child_process';
import {randomBytes} from 'node:crypto';
import {mkdir, readFile, writeFile} from 'node:fs/promises';
import path from 'node:path';
import {promisify} from 'node:util';
import test, {type ExecutionContext} from 'ava';
import {FlashDevice} from '../../../source/core/flash/flash-device.js';
import {inspectImage} from '../../../source/core/flash/image-source.js';
import {verifyWrite} from '../../../source/core/flash/image-verifier.js';
import {writeImage} from '../../../source/core/flash/image-writer.js';
import {createLoopDevice, readDevice} from '../../helpers/loop-device.js';
import {ext4Image, gokrazyImage, MiB, tempDir, writeImageFiles} from './test-images.js';

const run = promisify(execFile);
const KiB = 1024;
const imageSize = 200 * MiB;
/** Larger than the image: the card's own end (a backup GPT, whole-disk RAID) lies past it. */
const cardSize = 224 * MiB;

async function mkfsImage(dir: string, kind: 'vfat16' | 'vfat32' | 'squashfs' | 'swap'): Promise<Buffer> {
	const file = path.join(dir, `${kind}.img`);
	switch (kind) {
		case 'vfat16': {
			await run('mkfs.vfat', ['-F', '16', '-n', 'OLDBOOT', '-C', file, String(16 * 1024)]);
			break;
		}

		case 'vfat32': {
			await run('mkfs.vfat', ['-F', '32', '-n', 'OLDDATA', '-C', file, String(40 * 1024)]);
			break;
		}

		case 'squashfs': {
			const content = path.join(dir, 'squashfs-content');
			await mkdir(content, {recursive: true});
			await writeFile(path.join(content, 'old-root.txt'), randomBytes(300 * KiB));
			await run('mksquashfs', [content, file, '-quiet', '-noappend', '-no-progress']);
			break;
		}

		case 'swap': {
			await run('truncate', ['-s', String(2 * MiB), file]);
			await run('mkswap', ['-L', 'oldswap', file]);
			break;
		}
	}

	return readFile(file);
}

type Planted = {name: string; offset: number; bytes: Buffer};

/** Magic bytes where blkid and the tools that own them look, relative to a region of `size` bytes at `start`. */
function magicSignatures(start: number, size: number): Planted[] {
	const zfsEnd = Math.floor(size / (256 * KiB)) * 256 * KiB;
	const uberblock = Buffer.from([0x0c, 0xb1, 0xba, 0x00, 0, 0, 0, 0]);
	const md = Buffer.from([0xfc, 0x4e, 0x2b, 0xa9]);
	const planted: Planted[] = [
		{name: 'btrfs primary superblock', offset: start + 64 * KiB + 0x40, bytes: Buffer.from('_BHRfS_M')},
		{name: 'XFS superblock', offset: start, bytes: Buffer.from('XFSB')},
		{name: 'ISO9660 volume descriptor', offset: start + 32 * KiB, bytes: Buffer.from('\u0001CD001', 'latin1')},
		{name: 'LVM2 label', offset: start + 512, bytes: Buffer.from('LABELONE')},
		{name: 'UFS2 superblock at 256 KiB', offset: start + 256 * KiB + 1372, bytes: Buffer.from([0x19, 0x01, 0x54, 0x19])},
		{name: 'LUKS2 secondary header at 512 KiB', offset: start + 512 * KiB, bytes: Buffer.from('SKUL\u00ba\u00be', 'latin1')},
		{name: 'LUKS2 secondary header at 4 MiB', offset: start + 4 * MiB, bytes: Buffer.from('SKUL\u00ba\u00be', 'latin1')},
		{name: 'UDF anchor at 256 sectors of 4 KiB', offset: start + MiB, bytes: Buffer.from([2, 0, 2, 0])},
		...[0, 256 * KiB, zfsEnd - 512 * KiB, zfsEnd - 256 * KiB].map((label, index) => ({name: `ZFS label L${index} uberblock`, offset: start + label + 128 * KiB, bytes: uberblock})),
		{name: 'mdraid 0.90 superblock', offset: start + Math.floor(size / (64 * KiB)) * 64 * KiB - 64 * KiB, bytes: md},
		{name: 'mdraid 1.0 superblock', offset: start + (Math.floor((size / 512 - 16) / 8) * 8 * 512), bytes: md},
		{name: 'NTFS backup boot sector', offset: start + size - 512 + 3, bytes: Buffer.from('NTFS    ')},
	];
	if (size >= 64 * MiB + 4 * KiB) {
		planted.push({name: 'btrfs superblock mirror at 64 MiB', offset: start + 64 * MiB + 0x40, bytes: Buffer.from('_BHRfS_M')});
	}

	return planted;
}

/** What blkid -p (every prober) finds in [offset, offset + size) of the device: '' for nothing, 'ambivalent' for several. */
async function blkidProbe(device: string, offset: number, size: number): Promise<string> {
	try {
		const {stdout} = await run('blkid', ['-p', '-O', String(offset), '-S', String(size), '-o', 'export', device]);
		return stdout.split('\n').filter(line => /^(TYPE|PTTYPE)=/.test(line)).join(' ');
	} catch (error) {
		const code = (error as {code?: number}).code;
		return code === 2 ? '' : code === 8 ? 'ambivalent' : `blkid failed (${code})`;
	}
}

/** The signatures wipefs -n lists on [offset, offset + size) of the device (a read-only loop device over the region). */
async function wipefsList(t: ExecutionContext, device: string, offset: number, size: number): Promise<string[]> {
	const backing = (await run('losetup', ['--noheadings', '--output', 'BACK-FILE', device])).stdout.trim();
	const region = (await run('losetup', ['--find', '--show', '--read-only', '--offset', String(offset), '--sizelimit', String(size), backing])).stdout.trim();
	try {
		const {stdout} = await run('wipefs', ['--no-act', '--noheadings', '--output', 'TYPE,OFFSET', region]);
		return stdout.split('\n').map(line => line.trim().replace(/\s+/g, ' ')).filter(Boolean);
	} finally {
		await run('losetup', ['--detach', region]).catch(() => t.log(`could not detach ${region}`));
	}
}

const scenarios = [
	{gap: 'swap', rootB: 'ext4', perm: 'vfat32'},
	{gap: 'squashfs', rootB: 'vfat16', perm: 'ext4'},
] as const;

for (const [index, scenario] of scenarios.entries()) {
	test(`after a fast write of a used card (${scenario.gap} before the boot partition, ${scenario.rootB} in root B, ${scenario.perm} in /perm, RAID, ZFS, LUKS2, btrfs and GPT signatures), blkid and wipefs find only the image's file systems`, async t => {
		const dir = await tempDir(t);
		const layout = gokrazyImage(imageSize);
		const files = await writeImageFiles(dir, `fresh-${index}`, layout.image, []);
		const [boot, rootA, rootB, perm] = layout.partitions;
		const content = randomBytes(cardSize);
		const make = async (kind: 'ext4' | 'vfat16' | 'vfat32' | 'squashfs' | 'swap') => kind === 'ext4' ? ext4Image(dir, 8 * MiB) : mkfsImage(dir, kind);
		// Old file systems at the starts of the regions the image leaves empty (an old partition at 1 MiB, fdisk's default).
		const regions = [
			{name: 'the gap after the first MiB', start: MiB, size: boot.start - MiB, kind: scenario.gap},
			{name: 'root B', start: rootB.start, size: rootB.size, kind: scenario.rootB},
			{name: '/perm', start: perm.start, size: perm.size, kind: scenario.perm},
		];
		for (const region of regions) {
			const old = await make(region.kind);
			old.subarray(0, Math.min(old.length, region.size)).copy(content, region.start);
		}

		// Magic bytes after them (blkid would call two signatures in one region ambivalent: these are checked byte by byte),
		// in the empty partitions, at the ends of the boot and root A partitions (free space there), and at the card's end.
		const planted: Planted[] = [
			...[rootB, perm].flatMap(partition => magicSignatures(partition.start, partition.size).filter(signature => signature.offset >= partition.start + 64 * KiB)),
			...[boot, rootA].flatMap(partition => magicSignatures(partition.start, partition.size).filter(signature => signature.offset >= partition.start + partition.size - 512 * KiB)),
			...magicSignatures(0, cardSize).filter(signature => signature.offset >= imageSize),
			{name: 'backup GPT header at the card\'s last sector', offset: cardSize - 512, bytes: Buffer.from('EFI PART')},
		];
		for (const signature of planted) {
			signature.bytes.copy(content, signature.offset);
		}

		const card = await createLoopDevice({size: cardSize, content}, t);
		// Before: every old file system is there for blkid and wipefs to find.
		for (const region of regions) {
			const expected = region.kind.startsWith('vfat') ? 'vfat' : region.kind;
			t.not(await blkidProbe(card.path, region.start, region.size), '', `before: ${region.name}`);
			const listed = await wipefsList(t, card.path, region.start, region.size);
			t.log(`before, ${region.name}: ${listed.join(', ')}`);
			t.true(listed.some(line => line.startsWith(expected)), `before: wipefs on ${region.name}`);
		}

		const info = await inspectImage(files.raw);
		const device = await FlashDevice.open(card.path);
		try {
			const written = await writeImage(info, device, {fast: true});
			await verifyWrite(info, device, written);
			t.true(written.skippedBytes > imageSize / 2, 'it did skip');
		} finally {
			await device.close();
		}

		// After: the image's own and nothing else, to every prober.
		t.is(await blkidProbe(card.path, 0, cardSize), 'PTTYPE=dos', 'the whole card');
		t.deepEqual(await wipefsList(t, card.path, 0, cardSize), ['dos 0x1fe'], 'the whole card');
		t.is(await blkidProbe(card.path, boot.start, boot.size), 'TYPE=vfat', 'boot');
		t.is(await blkidProbe(card.path, rootA.start, rootA.size), 'TYPE=squashfs', 'root A');
		for (const region of regions) {
			t.is(await blkidProbe(card.path, region.start, region.size), '', `after: ${region.name}`);
			t.deepEqual(await wipefsList(t, card.path, region.start, region.size), [], `after: wipefs on ${region.name}`);
		}

		const after = await readDevice(card.path, 0, cardSize);
		for (const signature of planted) {
			const expected = signature.offset < imageSize ? layout.image.subarray(signature.offset, signature.offset + signature.bytes.length) : Buffer.alloc(signature.bytes.length);
			t.true(after.subarray(signature.offset, signature.offset + signature.bytes.length).equals(expected), `${signature.name} at ${signature.offset} is gone`);
		}

		// Old file system bodies survive where nothing looks: the fast mode did skip them.
		t.false(after.subarray(perm.start + 100 * MiB, perm.start + 101 * MiB).equals(Buffer.alloc(MiB)));
	});
}

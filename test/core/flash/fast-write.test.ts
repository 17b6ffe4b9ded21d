// The fast mode on loop devices: byte-identical where it wrote, zeroed where it invalidated, and a card that boots as a full write's would.
import {execFile} from 'node:child_process';
import {randomBytes} from 'node:crypto';
import {writeFile} from 'node:fs/promises';
import path from 'node:path';
import {promisify} from 'node:util';
import test from 'ava';
import {FastWritePlanner, fastBlockSize} from '../../../source/core/flash/fast-write.js';
import {FlashDevice} from '../../../source/core/flash/flash-device.js';
import {inspectImage} from '../../../source/core/flash/image-source.js';
import {verifyWrite} from '../../../source/core/flash/image-verifier.js';
import {writeImage, type WriteResult} from '../../../source/core/flash/image-writer.js';
import {parsePartitionTable, recognizeFileSystem} from '../../../source/core/flash/partition-table.js';
import {createLoopDevice, readDevice, type LoopDevice} from '../../helpers/loop-device.js';
import {ext4Image, gokrazyImage, MiB, probeFileSystem, tempDir, writeImageFiles} from './test-images.js';

const run = promisify(execFile);

async function flash(loop: LoopDevice, imagePath: string, fast: boolean): Promise<WriteResult> {
	const info = await inspectImage(imagePath);
	const device = await FlashDevice.open(loop.path);
	try {
		const written = await writeImage(info, device, {fast});
		await verifyWrite(info, device, written);
		return written;
	} finally {
		await device.close();
	}
}

/** A used card: random junk everywhere, and stale ext4 file systems where the new image has empty partitions. */
async function usedCard(dir: string, size: number, staleAt: number[]): Promise<Buffer> {
	const content = randomBytes(size);
	const stale = await ext4Image(dir, 4 * MiB);
	for (const offset of staleAt) {
		stale.copy(content, offset);
	}

	return content;
}

test('the partition table and file systems of a gokrazy image are recognised', t => {
	const layout = gokrazyImage();
	const table = parsePartitionTable(layout.image.subarray(0, MiB));
	t.is(table.scheme, 'mbr');
	t.deepEqual(table.partitions.map(partition => [partition.number, partition.start, partition.size]), layout.partitions.map(partition => [partition.number, partition.start, partition.size]));
	const [boot, rootA, rootB] = layout.partitions;
	const fat = recognizeFileSystem(layout.image.subarray(boot.start, boot.start + 65_536), boot.size);
	t.is(fat.kind, 'fat');
	t.is(fat.kind === 'fat' ? fat.bits : 0, 16);
	t.deepEqual(recognizeFileSystem(layout.image.subarray(rootA.start, rootA.start + 65_536), rootA.size), {kind: 'squashfs', bytesUsed: layout.squashfsBytes});
	t.deepEqual(recognizeFileSystem(layout.image.subarray(rootB.start, rootB.start + 65_536), rootB.size), {kind: 'empty'});
});

test('the planner skips only zero blocks nothing uses', t => {
	const layout = gokrazyImage();
	const planner = new FastWritePlanner();
	const decisions: boolean[] = [];
	for (let offset = 0; offset < layout.image.length; offset += fastBlockSize) {
		decisions.push(planner.decide(offset, layout.image.subarray(offset, offset + fastBlockSize)));
	}

	const report = planner.report();
	t.deepEqual(report.partitions.map(partition => [partition.content, partition.handling]), [
		['fat', 'sparse'], ['squashfs', 'sparse'], ['empty', 'invalidated'], ['empty', 'invalidated'],
	]);
	const block = (offset: number) => decisions[Math.floor(offset / fastBlockSize)];
	const kernel = layout.files.find(file => file.name === 'vmlinuz')!;
	// The kernel's zero MiB is allocated: skipping it would leave junk inside the kernel.
	const zeroInsideKernel = Math.ceil((kernel.offset + MiB + 4096) / MiB) * MiB;
	t.true(layout.image.subarray(zeroInsideKernel, zeroInsideKernel + MiB).every(byte => byte === 0));
	t.true(block(zeroInsideKernel));
	for (const partition of layout.partitions.slice(2)) {
		t.true(block(partition.start), 'an empty partition\'s first MiB is written (zeros)');
		t.true(block(partition.start + partition.size - 1), 'and its last');
		t.false(block(partition.start + 4 * MiB), 'its inside is skipped');
	}

	t.false(block(layout.partitions[0].start + 10 * MiB), 'free FAT clusters are skipped');
	t.true(report.skippedBytes > layout.image.length / 2);
	t.is(report.writtenBytes + report.skippedBytes, layout.image.length);
});

test('the fast mode writes what a full write does where it matters, invalidates the rest, and says how much it skipped', async t => {
	const dir = await tempDir(t);
	const layout = gokrazyImage(96 * MiB);
	const files = await writeImageFiles(dir, 'gokrazy', layout.image, ['zst']);
	const [boot, rootA, rootB, perm] = layout.partitions;
	const staleAt = [rootB.start, perm.start];
	const content = await usedCard(dir, 112 * MiB, staleAt);
	const fastCard = await createLoopDevice({size: 112 * MiB, content}, t);
	const fullCard = await createLoopDevice({size: 112 * MiB, content}, t);
	t.is(await probeFileSystem(fastCard.path, perm.start), 'ext4', 'the used card has a stale file system where /perm goes');

	const fast = await flash(fastCard, files.zst, true);
	const full = await flash(fullCard, files.raw, false);
	t.is(fast.sha256, full.sha256, 'the image hash is the same either way');
	t.true(fast.skippedBytes > 40 * MiB, `skipped ${fast.skippedBytes}`);
	t.is(fast.writtenBytes + fast.skippedBytes, layout.image.length);
	t.is(full.skippedBytes, 0);

	const fastBytes = await readDevice(fastCard.path, 0, layout.image.length);
	const fullBytes = await readDevice(fullCard.path, 0, layout.image.length);
	t.true(fullBytes.equals(layout.image));
	// Byte-identical wherever it wrote.
	for (const [start, end] of fast.ranges) {
		t.true(fastBytes.subarray(start, end).equals(layout.image.subarray(start, end)), `range ${start}-${end}`);
	}

	// What the boot loader and kernel read is identical: MBR, the whole FAT file system's used parts, the squashfs.
	t.true(fastBytes.subarray(0, boot.start).equals(fullBytes.subarray(0, boot.start)));
	for (const file of layout.files) {
		t.true(fastBytes.subarray(file.offset, file.offset + file.length).equals(fullBytes.subarray(file.offset, file.offset + file.length)), file.name);
	}

	t.true(fastBytes.subarray(boot.start, boot.start + MiB).equals(fullBytes.subarray(boot.start, boot.start + MiB)), 'FAT metadata');
	t.true(fastBytes.subarray(rootA.start, rootA.start + layout.squashfsBytes).equals(fullBytes.subarray(rootA.start, rootA.start + layout.squashfsBytes)));
	// Zeroed where it invalidated: no stale file system survives at the start of an empty partition.
	for (const partition of [rootB, perm]) {
		t.true(fastBytes.subarray(partition.start, partition.start + MiB).equals(Buffer.alloc(MiB)));
		t.true(fastBytes.subarray(partition.start + partition.size - MiB, partition.start + partition.size).equals(Buffer.alloc(MiB)));
		t.is(await probeFileSystem(fastCard.path, partition.start), '');
	}

	// And it did skip: junk from the used card is still inside the empty partitions.
	t.false(fastBytes.subarray(perm.start + 8 * MiB, perm.start + 9 * MiB).equals(Buffer.alloc(MiB)));
	t.deepEqual(fast.fast?.partitions.map(partition => partition.handling), ['sparse', 'sparse', 'invalidated', 'invalidated']);
});

test('an ext4 partition is written in full and checks clean with its file in it', async t => {
	const dir = await tempDir(t);
	const layout = gokrazyImage(64 * MiB);
	const perm = layout.partitions[3];
	const ext4 = await ext4Image(dir, perm.size);
	ext4.copy(layout.image, perm.start);
	const files = await writeImageFiles(dir, 'with-perm', layout.image, []);
	const card = await createLoopDevice({size: 64 * MiB, content: randomBytes(64 * MiB)}, t);
	const written = await flash(card, files.raw, true);
	t.is(written.fast?.partitions[3].content, 'ext');
	t.is(written.fast?.partitions[3].handling, 'full');
	const bytes = await readDevice(card.path, perm.start, perm.size);
	t.true(bytes.equals(layout.image.subarray(perm.start, perm.start + perm.size)));
	t.is(await probeFileSystem(card.path, perm.start), 'ext4');
	const copy = path.join(dir, 'perm-from-card.img');
	await writeFile(copy, bytes);
	await t.notThrowsAsync(run('e2fsck', ['-fn', copy]));
	t.is((await run('debugfs', ['-R', 'cat hello.txt', copy])).stdout, 'hello from the old card\n');
});

// The fast mode on loop devices: byte-identical where it wrote, zeroed where it invalidated, and a card that boots as a full write's would.
import {execFile} from 'node:child_process';
import {createHash, randomBytes} from 'node:crypto';
import {closeSync, openSync, writeSync} from 'node:fs';
import {readFile, stat, writeFile} from 'node:fs/promises';
import path from 'node:path';
import {promisify} from 'node:util';
import test from 'ava';
import fc from 'fast-check';
import {FastWritePlanner, RawImageScan, fastBlockSize, invalidationSpans, type PlannedWrite} from '../../../source/core/flash/fast-write.js';
import {FlashDevice} from '../../../source/core/flash/flash-device.js';
import {FlashError} from '../../../source/core/flash/flash-error.js';
import {inspectImage} from '../../../source/core/flash/image-source.js';
import {verifyWrite} from '../../../source/core/flash/image-verifier.js';
import {writeImage, type WriteResult} from '../../../source/core/flash/image-writer.js';
import {parsePartitionTable, recognizeFileSystem} from '../../../source/core/flash/partition-table.js';
import {createLoopDevice, readDevice, type LoopDevice} from '../../helpers/loop-device.js';
import {ext4Image, gokrazyImage, MiB, probeFileSystem, tempDir, writeGokrazyImageFile, writeImageFiles} from './test-images.js';

const run = promisify(execFile);
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

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

test('the planner skips only zero blocks nothing uses, and of an empty partition writes only where old signatures live', t => {
	const layout = gokrazyImage();
	const planner = new FastWritePlanner();
	const decisions: boolean[] = [];
	const planned: PlannedWrite[] = [];
	for (let offset = 0; offset < layout.image.length; offset += fastBlockSize) {
		const spans = planner.plan(offset, layout.image.subarray(offset, offset + fastBlockSize));
		decisions.push(spans.length > 0);
		planned.push(...spans);
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
	t.true(block(0), 'the first MiB');
	for (const partition of layout.partitions.slice(2)) {
		const end = partition.start + partition.size;
		const inside = planned.filter(span => span.start < end && span.end > partition.start).map(span => [span.start, span.end]);
		t.deepEqual(coalesced(inside.map(([start, end]) => ({start, end, zero: true}))).map(span => [span.start, span.end]), invalidationSpans(partition.start, end));
		t.is(inside[0]?.[0], partition.start, 'an empty partition\'s first 512 KiB is written (zeros)');
		t.is(inside[0]?.[1], partition.start + 512 * 1024 + 4096, '(with the page after it)');
		t.deepEqual(inside.at(-1), [end - 512 * 1024, end], 'and its last');
		t.true(inside.some(([start, to]) => start === partition.start + 4 * MiB && to === start + 4096), 'and the page of a LUKS2 secondary header at 4 MiB');
		t.false(block(partition.start + 6 * MiB), 'its inside is skipped');
	}

	t.false(block(layout.partitions[0].start + 10 * MiB), 'free FAT clusters are skipped');
	t.true(report.skippedBytes > layout.image.length / 2);
	t.is(report.writtenBytes + report.skippedBytes, layout.image.length);
	t.is(report.writtenBytes, planned.reduce((sum, span) => sum + span.end - span.start, 0));
});

test('a block holding data is written from its first page of data to its last, with the allocated zeros between and nothing free after', t => {
	const layout = gokrazyImage();
	const planner = new FastWritePlanner();
	const planned: PlannedWrite[] = [];
	for (let offset = 0; offset < layout.image.length; offset += fastBlockSize) {
		planned.push(...planner.plan(offset, layout.image.subarray(offset, offset + fastBlockSize)));
	}

	const config = layout.files.find(file => file.name === 'config.txt')!;
	const holding = planned.find(span => !span.zero && span.start <= config.offset && config.offset < span.end)!;
	t.truthy(holding);
	// The last file's cluster (2 KiB) is written, the free clusters after it in the same MiB are not.
	t.true(holding.end >= config.offset + 2048 && holding.end <= Math.ceil((config.offset + 2048) / 4096) * 4096, `ends at ${holding.end}`);
	t.true(holding.end % MiB !== 0);
	// The kernel's zero MiB, allocated, is inside what is written.
	const kernel = layout.files.find(file => file.name === 'vmlinuz')!;
	const zeroInsideKernel = Math.ceil((kernel.offset + MiB + 4096) / MiB) * MiB;
	t.true(planned.some(span => span.start <= zeroInsideKernel && zeroInsideKernel + MiB <= span.end));
	// Byte-identical wherever it writes, all-zero where it says so.
	for (const span of planned) {
		t.is(span.zero, layout.image.subarray(span.start, span.end).every(byte => byte === 0));
	}
});

test('the invalidated pieces of a region: its head, the signature pages inside it, and its end from ZFS\'s last labels', t => {
	fc.assert(fc.property(fc.integer({min: 0, max: 1 << 20}), fc.integer({min: 1, max: 1 << 22}), (startSectors, sizeSectors) => {
		const start = startSectors * 512;
		const end = start + sizeSectors * 512;
		const spans = invalidationSpans(start, end);
		const covered = (from: number, to: number) => spans.some(([a, b]) => a <= Math.max(start, from) && Math.min(end, to) <= b);
		// Sorted, disjoint, inside the region, sector-aligned.
		for (const [index, [a, b]] of spans.entries()) {
			if (a >= b || a < start || b > end || a % 512 !== 0 || b % 512 !== 0 || (index > 0 && a <= spans[index - 1]![1])) {
				return false;
			}
		}

		const size = end - start;
		const zfs = Math.floor(size / (256 * 1024)) * 256 * 1024;
		return covered(start, start + 512 * 1024)
			&& covered(end - 512 * 1024, end)
			&& (zfs < 512 * 1024 || covered(start + zfs - 512 * 1024, start + zfs))
			&& (size < 64 * MiB + 4096 || covered(start + 64 * MiB, start + 64 * MiB + 4096));
	}));
	const gib = 1024 * MiB;
	const page = (at: number): [number, number] => [gib + at, gib + at + 4096];
	// The head and the page of a LUKS2 secondary header at 512 KiB touch: one piece.
	t.deepEqual(invalidationSpans(gib, 2 * gib), [
		[gib, gib + 512 * 1024 + 4096], page(MiB), page(2 * MiB), page(4 * MiB), page(19 * MiB), page(64 * MiB), [2 * gib - 512 * 1024, 2 * gib],
	]);
});

for (const form of ['raw', 'zst'] as const) {
	test(`the fast mode writes what a full write does where it matters, invalidates the rest, and says how much it skipped (${form} image)`, async t => {
		const dir = await tempDir(t);
		const layout = gokrazyImage(96 * MiB);
		const files = await writeImageFiles(dir, 'gokrazy', layout.image, ['zst']);
		const [boot, rootA, rootB, perm] = layout.partitions;
		const staleAt = [rootB.start, perm.start];
		const content = await usedCard(dir, 112 * MiB, staleAt);
		const fastCard = await createLoopDevice({size: 112 * MiB, content}, t);
		const fullCard = await createLoopDevice({size: 112 * MiB, content}, t);
		t.is(await probeFileSystem(fastCard.path, perm.start), 'ext4', 'the used card has a stale file system where /perm goes');

		const fast = await flash(fastCard, files[form], true);
		const full = await flash(fullCard, files.raw, false);
		t.is(full.sha256, sha256(layout.image));
		t.is(fast.sha256, undefined, 'the fast mode hashes what it writes, not the zeros it skips');
		t.is(fast.rangesSha256, sha256(Buffer.concat(fast.ranges.map(([start, end]) => layout.image.subarray(start, end)))));
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
		t.true(fastBytes.subarray(0, MiB).equals(fullBytes.subarray(0, MiB)));
		for (const [start, end] of invalidationSpans(MiB, boot.start)) {
			t.true(fastBytes.subarray(start, end).equals(Buffer.alloc(end - start)), `the gap before the boot partition, ${start}-${end}`);
		}

		for (const file of layout.files) {
			t.true(fastBytes.subarray(file.offset, file.offset + file.length).equals(fullBytes.subarray(file.offset, file.offset + file.length)), file.name);
		}

		t.true(fastBytes.subarray(boot.start, boot.start + MiB).equals(fullBytes.subarray(boot.start, boot.start + MiB)), 'FAT metadata');
		t.true(fastBytes.subarray(rootA.start, rootA.start + layout.squashfsBytes).equals(fullBytes.subarray(rootA.start, rootA.start + layout.squashfsBytes)));
		// Zeroed where it invalidated: no stale file system survives in an empty partition.
		for (const partition of [rootB, perm]) {
			for (const [start, end] of invalidationSpans(partition.start, partition.start + partition.size)) {
				t.true(fastBytes.subarray(start, end).equals(Buffer.alloc(end - start)), `invalidated ${start}-${end}`);
			}

			t.is(await probeFileSystem(fastCard.path, partition.start), '');
		}

		// And it did skip: junk from the used card is still inside the empty partitions.
		t.false(fastBytes.subarray(perm.start + 8 * MiB, perm.start + 9 * MiB).equals(Buffer.alloc(MiB)));
		t.deepEqual(fast.fast?.partitions.map(partition => partition.handling), ['sparse', 'sparse', 'invalidated', 'invalidated']);
	});
}

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

/** Runs of a kind that touch, as one (how far the scan ran ahead of the one taking runs decides where they split). */
function coalesced(runs: readonly PlannedWrite[]): PlannedWrite[] {
	const joined: PlannedWrite[] = [];
	for (const planned of runs) {
		const last = joined.at(-1);
		if (last && last.end === planned.start && last.zero === planned.zero) {
			last.end = planned.end;
		} else {
			joined.push({...planned});
		}
	}

	return joined;
}

async function planOf(file: string, direct = true): Promise<{runs: PlannedWrite[]; scan: RawImageScan}> {
	const scan = new RawImageScan(file, {direct});
	const runs: PlannedWrite[] = [];
	for (let planned = await scan.next(); planned; planned = await scan.next()) {
		assertAfter(runs, planned);
		runs.push(planned);
	}

	await scan.close();
	return {runs: coalesced(runs), scan};
}

/** Runs come in image order and never overlap. */
function assertAfter(runs: readonly PlannedWrite[], planned: PlannedWrite): void {
	const last = runs.at(-1);
	if ((last && planned.start < last.end) || planned.end <= planned.start) {
		throw new Error(`run ${planned.start}-${planned.end} after ${last?.start}-${last?.end}`);
	}
}

test('a raw image file is planned the same whether its zeros are holes or written, read past the page cache or through it', async t => {
	const dir = await tempDir(t);
	const sparse = path.join(dir, 'sparse.img');
	const layout = await writeGokrazyImageFile(sparse, 200 * MiB, {bootFileBytes: 3 * MiB, squashfsBytes: 5 * MiB});
	const dense = path.join(dir, 'dense.img');
	await run('cp', ['--sparse=never', sparse, dense]);
	t.true((await stat(sparse)).blocks * 512 < 20 * MiB, 'the sparse file has holes');
	const image = await readFile(dense);
	const fromHoles = await planOf(sparse);
	const fromZeros = await planOf(dense);
	const buffered = await planOf(sparse, false);
	t.deepEqual(fromHoles.runs, fromZeros.runs);
	t.deepEqual(buffered.runs, fromHoles.runs);
	t.deepEqual(fromHoles.scan.planner.report(), fromZeros.scan.planner.report());
	t.is(fromHoles.scan.scanned, 200 * MiB);

	// The same decisions as the planner fed block by block, coalesced: neighbours of a kind form one run.
	const planner = new FastWritePlanner();
	const expected: PlannedWrite[] = [];
	for (let offset = 0; offset < image.length; offset += fastBlockSize) {
		const block = image.subarray(offset, offset + fastBlockSize);
		for (const span of planner.plan(offset, block)) {
			t.true(span.start >= offset && span.end <= offset + block.length && span.start < span.end);
			t.is(span.zero, image.subarray(span.start, span.end).every(byte => byte === 0));
			const last = expected.at(-1);
			if (last && last.end === span.start && last.zero === span.zero) {
				last.end = span.end;
			} else {
				expected.push({...span});
			}
		}
	}

	t.deepEqual(fromHoles.runs, expected);
	for (const [start, end] of layout.dataRanges) {
		t.true(fromHoles.runs.some(planned => !planned.zero && planned.start <= start && end <= planned.end), `data ${start}-${end} is in one run`);
	}

	// Data, the first MiB, FAT metadata, and per empty region (the gap before the boot partition, root B, /perm) its head,
	// its end and up to five signature pages; the boot and root A partitions' ends and pages inside them.
	t.true(fromHoles.runs.length <= 30, `${fromHoles.runs.length} runs`);
});

test('a raw image changed while the fast mode writes it is refused before its partition table goes to the card', async t => {
	const dir = await tempDir(t);
	const layout = gokrazyImage(64 * MiB);
	const files = await writeImageFiles(dir, 'changing', layout.image, []);
	const loop = await createLoopDevice({size: 64 * MiB, content: randomBytes(64 * MiB)}, t);
	const device = await FlashDevice.open(loop.path);
	const squashfs = layout.partitions[1].start + 4096;
	let changed = false;
	try {
		const error = await t.throwsAsync(writeImage(await inspectImage(files.raw), device, {
			fast: true,
			chunkBytes: MiB,
			progressIntervalMs: 0,
			onProgress() {
				if (!changed) {
					// Synchronously, before the writer goes on: the squashfs is planned from the old bytes by now or not.
					changed = true;
					const file = openSync(files.raw, 'r+');
					writeSync(file, Buffer.from([layout.image[squashfs]! ^ 0xff]), 0, 1, squashfs);
					closeSync(file);
				}
			},
		}), {instanceOf: FlashError});
		t.is(error?.kind, 'image');
		t.true(error?.details.incomplete);
		t.regex(error?.message ?? '', /changing\.img: the image changed while it was written; the card is incomplete and will not boot, flash it again/);
	} finally {
		await device.close();
	}

	t.true(changed);
	t.true((await readDevice(loop.path, 0, MiB)).equals(Buffer.alloc(MiB)), 'no partition table: the card does not look bootable');
});

test('cancelling a fast write of a raw image stops cleanly, leaves the first MiB zeroed, and its progress only grew', async t => {
	const dir = await tempDir(t);
	const layout = gokrazyImage(96 * MiB);
	const files = await writeImageFiles(dir, 'cancel-fast', layout.image, []);
	const loop = await createLoopDevice({size: 96 * MiB, content: randomBytes(96 * MiB)}, t);
	const device = await FlashDevice.open(loop.path);
	const controller = new AbortController();
	const seen: number[] = [];
	const rootA = layout.partitions[1];
	try {
		const error = await t.throwsAsync(writeImage(await inspectImage(files.raw), device, {
			fast: true,
			signal: controller.signal,
			chunkBytes: MiB,
			progressIntervalMs: 0,
			onProgress(event) {
				seen.push(event.bytes);
				if (event.bytes >= rootA.start + MiB) {
					controller.abort();
				}
			},
		}), {instanceOf: FlashError});
		t.is(error?.kind, 'cancelled');
		t.true(error?.details.incomplete);
	} finally {
		await device.close();
	}

	t.true(seen.length > 2);
	t.deepEqual(seen, [...seen].sort((a, b) => a - b), 'progress never went back');
	t.true(seen.at(-1)! < layout.image.length);
	const card = await readDevice(loop.path, 0, layout.image.length);
	t.true(card.subarray(0, MiB).equals(Buffer.alloc(MiB)), 'no partition table: the card cannot look bootable');
	const kernel = layout.files.find(file => file.name === 'vmlinuz')!;
	t.true(card.subarray(kernel.offset, kernel.offset + kernel.length).equals(layout.image.subarray(kernel.offset, kernel.offset + kernel.length)), 'what was written before the stop is the image');
	const rootB = layout.partitions[2];
	const lastOfRootB = rootB.start + rootB.size - MiB;
	t.false(card.subarray(lastOfRootB, lastOfRootB + MiB).equals(Buffer.alloc(MiB)), 'the write stopped before root B\'s end was invalidated');
});

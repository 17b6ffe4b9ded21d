// Writing and verifying on real loop devices: every image form, the hash worker, corruption caught by verify, cancellation, a card pulled out.
import {execFile} from 'node:child_process';
import {createHash, randomBytes} from 'node:crypto';
import {appendFile, open, readFile, truncate} from 'node:fs/promises';
import {setTimeout as sleep} from 'node:timers/promises';
import {promisify} from 'node:util';
import test from 'ava';
import {ChunkHasher, type StartHasher} from '../../../source/core/flash/chunk-hasher.js';
import {FlashDevice} from '../../../source/core/flash/flash-device.js';
import {FlashError} from '../../../source/core/flash/flash-error.js';
import type {WriteProgress} from '../../../source/core/flash/flash-progress.js';
import {inspectImage, type ImageInfo} from '../../../source/core/flash/image-source.js';
import {verifyWrite} from '../../../source/core/flash/image-verifier.js';
import {writeImage, type WriteResult} from '../../../source/core/flash/image-writer.js';
import {createLoopDevice, readDevice, refreshCapacity} from '../../helpers/loop-device.js';
import {gokrazyImage, MiB, mixedImage, tempDir, writeImageFiles} from './test-images.js';

const run = promisify(execFile);
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const sha256sum = async (file: string) => (await run('sha256sum', [file])).stdout.split(' ')[0];

/**
 * The worker hasher, but each chunk reaches it only `delayMs` after it was handed over (in order): a buffer given back
 * to be filled again before its hash settled would be hashed with the next bytes in it.
 */
function lateHasher(delayMs: number, seen: {chunks: number}): StartHasher {
	return streams => {
		const worker = new ChunkHasher(streams);
		let turn: Promise<unknown> = Promise.resolve();
		return {
			async update(chunk, spans) {
				seen.chunks++;
				const hashed = turn.then(async () => {
					await sleep(delayMs);
					return worker.update(chunk, spans);
				});
				turn = hashed.catch(() => undefined);
				return hashed;
			},
			digest: async () => turn.then(async () => worker.digest()),
			close: async () => worker.close(),
		};
	};
}

for (const form of ['raw', 'gz', 'xz', 'zst'] as const) {
	test(`writes and verifies a ${form} image with random and zero regions`, async t => {
		const dir = await tempDir(t);
		const image = mixedImage(9, 3 * 512);
		const files = await writeImageFiles(dir, 'mixed', image, form === 'raw' ? [] : [form]);
		// A used card: whatever was there must not survive where the image has zeros.
		const loop = await createLoopDevice({size: 16 * MiB, content: randomBytes(16 * MiB)}, t);
		const info = await inspectImage(files[form]);
		t.is(info.format, form === 'raw' ? 'raw' : form === 'gz' ? 'gzip' : form === 'xz' ? 'xz' : 'zstd');
		if (form === 'gz') {
			t.is(info.size, undefined, 'gzip does not tell its size reliably');
		} else {
			t.is(info.size, image.length);
		}

		const device = await FlashDevice.open(loop.path);
		const events: WriteProgress[] = [];
		try {
			const written = await writeImage(info, device, {onProgress: event => events.push(event), progressIntervalMs: 0});
			t.is(written.imageBytes, image.length);
			t.is(written.sha256, sha256(image));
			t.deepEqual(written.ranges, [[0, image.length]]);
			const verified = await verifyWrite(info, device, written);
			t.is(verified.sha256, sha256(image));
		} finally {
			await device.close();
		}

		const card = await readDevice(loop.path, 0, 16 * MiB);
		t.true(card.subarray(0, image.length).equals(image));
		t.true(card.subarray(16 * MiB - 512 * 1024).equals(Buffer.alloc(512 * 1024)), 'the last 512 KiB (a stale backup GPT, RAID and ZFS labels) is zeroed');
		t.true(events.length > 1);
		for (let index = 1; index < events.length; index++) {
			t.true(events[index].bytes >= events[index - 1].bytes, 'progress never goes back');
			t.true(events[index].sourceBytes >= events[index - 1].sourceBytes);
		}

		t.is(events.at(-1)?.bytes, image.length);
	});
}

test('the SHA-256 taken while writing is sha256sum\'s, also when the hash falls behind the card', async t => {
	const dir = await tempDir(t);
	const image = mixedImage(12, 1000);
	const files = await writeImageFiles(dir, 'late', image, []);
	const loop = await createLoopDevice({size: 16 * MiB}, t);
	const device = await FlashDevice.open(loop.path);
	try {
		const info = await inspectImage(files.raw);
		const expected = await sha256sum(files.raw);
		const quick = await writeImage(info, device, {chunkBytes: MiB});
		t.is(quick.sha256, expected);
		// 1 MiB chunks go to the card in well under the 20 ms the hash waits for each: released early, a buffer would be
		// refilled with a later chunk before its own is hashed.
		const seen = {chunks: 0};
		const late = await writeImage(info, device, {chunkBytes: MiB, depth: 2, startHasher: lateHasher(20, seen)});
		t.is(seen.chunks, 13);
		t.is(late.sha256, expected);
		t.is(late.rangesSha256, expected);
		const verified = await verifyWrite(info, device, late, {chunkBytes: MiB, depth: 2, startHasher: lateHasher(20, seen)});
		t.is(verified.sha256, expected);
		t.is(seen.chunks, 26, 'the verify read back through the late hasher too');
	} finally {
		await device.close();
	}

	t.true((await readDevice(loop.path, 0, image.length)).equals(image));
});

/**
 * The worker hasher with its calls counted; a raw image's file hash starts only once `gate` opens, so a test can
 * change the file between the writer reading it and the hash reading it.
 */
function countingHasher(calls: {update: number; hashFile: number}, gate: Promise<unknown> = Promise.resolve()): StartHasher {
	return streams => {
		const worker = new ChunkHasher(streams);
		return {
			async update(chunk, spans) {
				calls.update++;
				return worker.update(chunk, spans);
			},
			async hashFile(file) {
				calls.hashFile++;
				await gate;
				return worker.hashFile(file);
			},
			digest: async () => worker.digest(),
			close: async () => worker.close(),
		};
	};
}

/**
 * Writes a raw image whose file hash (see countingHasher) starts only after `change` has run on the file, once the
 * writer reported the whole image written: the file changes between the writer reading it and the hash reading it.
 */
async function writeChangedMeanwhile(info: ImageInfo, device: FlashDevice, change: () => Promise<void>): Promise<WriteResult> {
	let open!: () => void;
	let wroteAll!: () => void;
	const gate = new Promise<void>(resolve => {
		open = resolve;
	});
	const written = new Promise<void>(resolve => {
		wroteAll = resolve;
	});
	const writing = writeImage(info, device, {
		chunkBytes: MiB,
		progressIntervalMs: 0,
		onProgress(progress) {
			if (progress.bytes === info.size) {
				wroteAll();
			}
		},
		startHasher: countingHasher({update: 0, hashFile: 0}, gate),
	});
	await Promise.race([written, writing]);
	await change();
	open();
	return writing;
}

test('a raw image written whole is hashed from its file beside the writer, a compressed or fast one chunk by chunk', async t => {
	const dir = await tempDir(t);
	const image = mixedImage(10, 777);
	const files = await writeImageFiles(dir, 'beside', image, ['zst']);
	const loop = await createLoopDevice({size: 16 * MiB}, t);
	const device = await FlashDevice.open(loop.path);
	try {
		const expected = await sha256sum(files.raw);
		const raw = {update: 0, hashFile: 0};
		const written = await writeImage(await inspectImage(files.raw), device, {chunkBytes: MiB, startHasher: countingHasher(raw)});
		t.deepEqual(raw, {update: 0, hashFile: 1});
		t.is(written.sha256, expected);
		t.is(written.rangesSha256, expected);
		t.is((await verifyWrite(await inspectImage(files.raw), device, written)).sha256, expected);

		const zst = {update: 0, hashFile: 0};
		t.is((await writeImage(await inspectImage(files.zst), device, {chunkBytes: MiB, startHasher: countingHasher(zst)})).sha256, expected);
		t.is(zst.hashFile, 0);
		t.true(zst.update >= 10);

		// The fast mode hashes what goes to the card, piece by piece as written (here all of it: without a partition
		// table nothing may be skipped), and not the image.
		const fast = {update: 0, hashFile: 0};
		const fastWritten = await writeImage(await inspectImage(files.raw), device, {fast: true, chunkBytes: MiB, startHasher: countingHasher(fast)});
		t.is(fastWritten.sha256, undefined);
		t.is(fastWritten.rangesSha256, sha256(Buffer.concat(fastWritten.ranges.map(([start, end]) => image.subarray(start, end)))));
		t.is(fast.hashFile, 0);
		t.is(fastWritten.skippedBytes, 0);
		t.is(fast.update, Math.ceil(fastWritten.writtenBytes / MiB));
	} finally {
		await device.close();
	}
});

test('a raw image that grows while it is written: refused before its partition table goes to the card', async t => {
	const dir = await tempDir(t);
	const image = mixedImage(6, 0);
	const files = await writeImageFiles(dir, 'grows', image, []);
	const loop = await createLoopDevice({size: 16 * MiB, content: randomBytes(16 * MiB)}, t);
	const device = await FlashDevice.open(loop.path);
	try {
		const writing = writeChangedMeanwhile(await inspectImage(files.raw), device, async () => appendFile(files.raw, randomBytes(MiB)));
		const error = await t.throwsAsync(writing, {instanceOf: FlashError});
		t.is(error?.kind, 'image');
		t.true(error?.details.incomplete);
		t.regex(error?.message ?? '', /grows\.img: the image changed while it was written \(6\.3 MB written, 7\.3 MB read for its hash\); the card is incomplete/);
	} finally {
		await device.close();
	}

	t.true((await readDevice(loop.path, 0, MiB)).equals(Buffer.alloc(MiB)), 'no partition table: the card does not look bootable');
	t.true((await readDevice(loop.path, MiB, 5 * MiB)).equals(image.subarray(MiB)));
});

test('a raw image changed in place while it is written: verify fails at the changed byte', async t => {
	const dir = await tempDir(t);
	const image = mixedImage(6, 0);
	const files = await writeImageFiles(dir, 'changed', image, []);
	const loop = await createLoopDevice({size: 16 * MiB}, t);
	const device = await FlashDevice.open(loop.path);
	const changedAt = (3 * MiB) + 12_345;
	try {
		const info = await inspectImage(files.raw);
		const written = await writeChangedMeanwhile(info, device, async () => {
			const file = await open(files.raw, 'r+');
			await file.write(Buffer.from([image[changedAt]! ^ 0xff]), 0, 1, changedAt);
			await file.close();
		});
		const error = await t.throwsAsync(verifyWrite(info, device, written), {instanceOf: FlashError});
		t.is(error?.kind, 'verify');
		t.is(error?.details.offset, changedAt);
	} finally {
		await device.close();
	}
});

for (const form of ['raw', 'zst'] as const) {
	test(`the fast mode's hash of what was written stays right when the hash falls behind (${form} image)`, async t => {
		const dir = await tempDir(t);
		const {image} = gokrazyImage(64 * MiB);
		const files = await writeImageFiles(dir, 'late-fast', image, form === 'raw' ? [] : [form]);
		const loop = await createLoopDevice({size: 64 * MiB}, t);
		const device = await FlashDevice.open(loop.path);
		try {
			const info = await inspectImage(files[form]);
			const seen = {chunks: 0};
			const written = await writeImage(info, device, {fast: true, chunkBytes: 2 * MiB, startHasher: lateHasher(20, seen)});
			t.is(written.sha256, undefined, 'the image itself is not hashed: the zeros skipped are not read into a hash');
			t.true(written.skippedBytes > 16 * MiB, 'zero blocks were skipped');
			const expected = createHash('sha256');
			for (const [start, end] of written.ranges) {
				expected.update(image.subarray(start, end));
			}

			t.is(written.rangesSha256, expected.digest('hex'));
			await verifyWrite(info, device, written, {startHasher: lateHasher(20, seen)});
		} finally {
			await device.close();
		}
	});
}

test('the bytes after an image that ends inside a sector stay as they were', async t => {
	const dir = await tempDir(t);
	const image = mixedImage(2, 700);
	const files = await writeImageFiles(dir, 'odd', image, []);
	const before = randomBytes(4 * MiB);
	const loop = await createLoopDevice({size: 8 * MiB, content: before}, t);
	const device = await FlashDevice.open(loop.path);
	try {
		const info = await inspectImage(files.raw);
		const written = await writeImage(info, device);
		await verifyWrite(info, device, written);
	} finally {
		await device.close();
	}

	const card = await readDevice(loop.path, 0, 4 * MiB);
	t.true(card.subarray(0, image.length).equals(image));
	t.true(card.subarray(image.length, 3 * MiB).equals(before.subarray(image.length, 3 * MiB)));
});

test('corruption on the card after writing is caught and the first bad byte named', async t => {
	const dir = await tempDir(t);
	const image = mixedImage(6);
	const files = await writeImageFiles(dir, 'corrupt', image, ['zst']);
	const loop = await createLoopDevice({size: 8 * MiB}, t);
	const info = await inspectImage(files.zst);
	const device = await FlashDevice.open(loop.path);
	try {
		const written = await writeImage(info, device);
		// Flip one byte behind the driver's back, through the backing file.
		const badOffset = 3 * MiB + 12_345;
		const backing = await open(loop.backingFile, 'r+');
		const byte = Buffer.from([image[badOffset] ^ 0xff]);
		await backing.write(byte, 0, 1, badOffset);
		await backing.sync();
		await backing.close();
		const error = await t.throwsAsync(verifyWrite(info, device, written), {instanceOf: FlashError});
		t.is(error?.kind, 'verify');
		t.is(error?.details.offset, badOffset);
		t.regex(error?.message ?? '', new RegExp(`^${loop.path}: verification failed: .*byte ${badOffset} `));
	} finally {
		await device.close();
	}
});

test('cancelling mid-write stops cleanly and leaves the first MiB zeroed', async t => {
	const dir = await tempDir(t);
	const image = mixedImage(48);
	const files = await writeImageFiles(dir, 'cancel', image, []);
	const loop = await createLoopDevice({size: 64 * MiB, content: randomBytes(2 * MiB)}, t);
	const device = await FlashDevice.open(loop.path);
	const controller = new AbortController();
	try {
		const info = await inspectImage(files.raw);
		const error = await t.throwsAsync(writeImage(info, device, {
			signal: controller.signal,
			chunkBytes: MiB,
			depth: 1,
			progressIntervalMs: 0,
			onProgress(event) {
				if (event.bytes >= 8 * MiB) {
					controller.abort();
				}
			},
		}), {instanceOf: FlashError});
		t.is(error?.kind, 'cancelled');
		t.regex(error?.message ?? '', /cancelled after .* of .*: the card is incomplete and will not boot/);
		t.true((error?.details.bytesDone ?? 0) < image.length);
	} finally {
		await device.close();
	}

	const card = await readDevice(loop.path, 0, 48 * MiB);
	t.true(card.subarray(0, MiB).equals(Buffer.alloc(MiB)), 'no partition table: the card cannot look bootable');
	t.true(card.subarray(MiB, 8 * MiB).equals(image.subarray(MiB, 8 * MiB)), 'what was written before the stop is the image');
	t.false(card.subarray(40 * MiB, 48 * MiB).equals(image.subarray(40 * MiB, 48 * MiB)), 'the write stopped early');
});

test('a card pulled out mid-write fails with a message that says so', async t => {
	const dir = await tempDir(t);
	const image = mixedImage(24);
	const files = await writeImageFiles(dir, 'pulled', image, []);
	const loop = await createLoopDevice({size: 32 * MiB}, t);
	const device = await FlashDevice.open(loop.path);
	let pulled: Promise<void> | undefined;
	try {
		const info = await inspectImage(files.raw);
		const error = await t.throwsAsync(writeImage(info, device, {
			chunkBytes: MiB,
			depth: 1,
			progressIntervalMs: 0,
			onProgress(event) {
				if (event.bytes >= 4 * MiB && !pulled) {
					// The card is gone: the device's capacity drops to nothing.
					pulled = truncate(loop.backingFile, 0).then(async () => refreshCapacity(loop));
				}
			},
		}), {instanceOf: FlashError});
		t.is(error?.kind, 'io');
		t.regex(error?.message ?? '', new RegExp(`^${loop.path}: write failed at byte \\d+ .*: the card was removed or is failing$`));
	} finally {
		await pulled;
		await device.close();
	}
});

test('an image larger than the card is refused before anything is written', async t => {
	const dir = await tempDir(t);
	const image = mixedImage(12);
	const files = await writeImageFiles(dir, 'big', image, ['xz']);
	const content = randomBytes(MiB);
	const loop = await createLoopDevice({size: 8 * MiB, content}, t);
	const device = await FlashDevice.open(loop.path);
	try {
		const error = await t.throwsAsync(writeImage(await inspectImage(files.xz), device), {instanceOf: FlashError});
		t.is(error?.kind, 'too-small');
	} finally {
		await device.close();
	}

	t.true((await readFile(loop.backingFile)).subarray(0, MiB).equals(content), 'untouched');
});

test('a gzip image larger than the card (size unknown up front) stops at the card\'s end', async t => {
	const dir = await tempDir(t);
	const image = mixedImage(12);
	const files = await writeImageFiles(dir, 'big', image, ['gz']);
	const loop = await createLoopDevice({size: 8 * MiB}, t);
	const device = await FlashDevice.open(loop.path);
	try {
		const error = await t.throwsAsync(writeImage(await inspectImage(files.gz), device), {instanceOf: FlashError});
		t.is(error?.kind, 'too-small');
		t.regex(error?.message ?? '', /the image is larger than the card/);
	} finally {
		await device.close();
	}

	const card = await readDevice(loop.path, 0, MiB);
	t.true(card.equals(Buffer.alloc(MiB)), 'the incomplete card has no partition table');
});

test('a regular file is refused as a target before it is opened', async t => {
	const dir = await tempDir(t);
	const files = await writeImageFiles(dir, 'x', mixedImage(1), []);
	const error = await t.throwsAsync(FlashDevice.open(files.raw), {instanceOf: FlashError});
	t.is(error?.kind, 'refused');
	t.is(error?.message, `${files.raw}: is a regular file, refusing`);
});

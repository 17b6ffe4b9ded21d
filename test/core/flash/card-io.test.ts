// What reaches the card, counted by the card simulator's kernel counters: the fast mode writes its plan and no more, verify reads back exactly what was written.
import {randomBytes} from 'node:crypto';
import {readFile} from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import {alignedBuffers} from '../../../source/core/flash/aligned-memory.js';
import {dirtyPages, FlashDevice} from '../../../source/core/flash/flash-device.js';
import {inspectImage} from '../../../source/core/flash/image-source.js';
import {verifyWrite} from '../../../source/core/flash/image-verifier.js';
import {writeImage} from '../../../source/core/flash/image-writer.js';
import {createCardSimulator, type CardSimulator} from '../../helpers/card-simulator.js';
import {readDevice} from '../../helpers/loop-device.js';
import {waitFor} from '../../helpers/wait-for.js';
import {MiB, tempDir, writeGokrazyImageFile} from './test-images.js';

/** Fast enough to keep the tests short: they are about which bytes go where, the bench measures speed. */
const quick = {name: 'quick', label: 'test card', writeBytesPerSecond: 400e6, readBytesPerSecond: 800e6};
const size = 200 * MiB;

/** Runs `body` with this process inside the card's group (a process is in one group at a time: these tests are serial). */
async function throttled<T>(card: CardSimulator, body: () => Promise<T>): Promise<T> {
	await card.enter();
	try {
		return await body();
	} finally {
		await card.leave();
	}
}

const cards = [
	{card: 'a used card', content: () => randomBytes(size)},
	{card: 'a blank card', content: () => undefined},
] as const;

for (const fast of [true, false]) {
	for (const {card: which, content} of cards) {
		test.serial(`${fast ? 'fast' : 'full'} write and verify of a gokrazy image on ${which}: the card writes ${fast ? 'the plan' : 'the image'} and the zeroing its pages need, verify reads back exactly what was written`, async t => {
			const dir = await tempDir(t);
			const file = path.join(dir, 'gokrazy.img');
			await writeGokrazyImageFile(file, size, {bootFileBytes: 4 * MiB, squashfsBytes: 6 * MiB});
			const image = await readFile(file);
			const card = await createCardSimulator({size, profile: quick, content: content()}, t);
			const info = await inspectImage(file);
			const device = await FlashDevice.open(card.path);
			try {
				const written = await throttled(card, async () => writeImage(info, device, {fast}));
				const wrote = await card.io();
				// The card's first MiB is zeroed before anything else and written last; its last 512 KiB (a backup GPT, RAID and
				// ZFS labels) is zeroed first too; the fast mode zeroes where old signatures may be. Zeroing reads first and
				// writes only the 4 KiB pages that are not zero already.
				const zeroing = MiB + (512 * 1024) + (fast ? written.fast!.zeroWrittenBytes : 0);
				t.is(wrote.writeBytes, written.writtenBytes + MiB + (512 * 1024) - written.alreadyZeroBytes);
				if (content()) {
					// Random content: every page to zero is written once. The fast plan's last invalidation span is the card's last
					// 512 KiB, which the start zeroed already: read, and no longer written twice. The image's first MiB, written
					// last over the zeroed one, goes only where it is not zero.
					const firstMiBZeros = MiB - dirtyPages(image.subarray(0, MiB)).reduce((sum, [start, end]) => sum + end - start, 0);
					t.true(firstMiBZeros > MiB / 2, 'a gokrazy image\'s first MiB is mostly zeros');
					t.is(written.alreadyZeroBytes, (fast ? 512 * 1024 : 0) + firstMiBZeros);
				} else {
					t.true(written.alreadyZeroBytes >= MiB + (512 * 1024), `a blank card needs no zeroing (${written.alreadyZeroBytes} bytes already zero)`);
				}

				t.true(wrote.readBytes >= MiB + (512 * 1024) && wrote.readBytes <= zeroing, `writing reads only what it zeroes (${wrote.readBytes} of at most ${zeroing})`);
				if (fast) {
					t.true(written.writtenBytes < 24 * MiB, `wrote ${written.writtenBytes}`);
					t.is(written.writtenBytes + written.skippedBytes, size);
				} else {
					t.is(written.writtenBytes, size);
				}

				await card.resetIo();
				await throttled(card, async () => verifyWrite(info, device, written));
				const read = await card.io();
				t.is(read.readBytes, written.writtenBytes, 'verify reads back what was written, nothing else');
				t.is(read.writeBytes, 0);
				const onCard = await readDevice(card.path, 0, size);
				for (const [start, end] of written.ranges) {
					t.true(onCard.subarray(start, end).equals(image.subarray(start, end)), `range ${start}-${end}`);
				}

				if (fast) {
					// Where old signatures may be (outside the image's data), the card is zero now, whatever it held.
					const headOfRootB = written.fast!.partitions.find(partition => partition.handling === 'invalidated');
					t.truthy(headOfRootB, 'the image has an empty partition to invalidate');
					t.true(onCard.subarray(headOfRootB!.start, headOfRootB!.start + (512 * 1024)).equals(Buffer.alloc(512 * 1024)));
				}
			} finally {
				await device.close();
			}
		});
	}
}

test.serial('a prefetched range is the read zero() uses: the card reads it once, zeroes only its pages that are not zero, and one never taken is let go on close', async t => {
	const content = Buffer.alloc(2 * MiB);
	// Old data in two pages of the first MiB and one of the second.
	content.fill(0xab, 8192, 12_288);
	content.fill(0xcd, 700 * 1024, 704 * 1024);
	content.fill(0xef, MiB + 4096, MiB + 8192);
	const card = await createCardSimulator({size: 4 * MiB, profile: quick, content}, t);
	const device = await FlashDevice.open(card.path);
	try {
		const [zeros] = alignedBuffers(1, MiB);
		await throttled(card, async () => {
			device.prefetch(0, MiB);
			device.prefetch(MiB, MiB);
			// The reads are under way before zero() is asked: the card reads while the writer gets ready.
			await waitFor(async () => (await card.io()).readBytes === 2 * MiB, {what: 'both prefetched MiB read before any zero()'});
			t.is(await device.zero(0, MiB, zeros!), 8192);
		});
		const io = await card.io();
		t.is(io.readBytes, 2 * MiB, 'zero() took the prefetched MiB instead of reading it again');
		t.is(io.writeBytes, 8192, 'only the two pages that held data were written');
		const onCard = await readDevice(card.path, 0, 2 * MiB);
		t.true(onCard.subarray(0, MiB).equals(Buffer.alloc(MiB)));
		t.true(onCard.subarray(MiB, 2 * MiB).equals(content.subarray(MiB)), 'the second MiB, prefetched but never zeroed, is as it was');
	} finally {
		await device.close();
	}
});

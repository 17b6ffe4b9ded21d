// What reaches the card, counted by the card simulator's kernel counters: the fast mode writes its plan and no more, verify reads back exactly what was written.
import {randomBytes} from 'node:crypto';
import {readFile} from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import {FlashDevice} from '../../../source/core/flash/flash-device.js';
import {inspectImage} from '../../../source/core/flash/image-source.js';
import {verifyWrite} from '../../../source/core/flash/image-verifier.js';
import {writeImage} from '../../../source/core/flash/image-writer.js';
import {createCardSimulator, type CardSimulator} from '../../helpers/card-simulator.js';
import {readDevice} from '../../helpers/loop-device.js';
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

for (const fast of [true, false]) {
	test.serial(`${fast ? 'fast' : 'full'} write and verify of a gokrazy image: the card writes ${fast ? 'the plan' : 'the image'} and 1.5 MiB of zeroing, verify reads back exactly what was written`, async t => {
		const dir = await tempDir(t);
		const file = path.join(dir, 'gokrazy.img');
		await writeGokrazyImageFile(file, size, {bootFileBytes: 4 * MiB, squashfsBytes: 6 * MiB});
		const image = await readFile(file);
		const card = await createCardSimulator({size, profile: quick, content: randomBytes(size)}, t);
		const info = await inspectImage(file);
		const device = await FlashDevice.open(card.path);
		try {
			const written = await throttled(card, async () => writeImage(info, device, {fast}));
			const wrote = await card.io();
			// The card's first MiB is zeroed before anything else and written last; its last 512 KiB (a backup GPT, RAID and
			// ZFS labels) is zeroed first too.
			t.is(wrote.writeBytes, written.writtenBytes + MiB + 512 * 1024);
			t.is(wrote.readBytes, 0, 'writing reads nothing from the card');
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
		} finally {
			await device.close();
		}
	});
}

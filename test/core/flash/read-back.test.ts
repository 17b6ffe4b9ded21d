// The fast mode's verify while writing: the read-back of each written piece, and the final sample that catches a counterfeit card wrapping later writes onto earlier ranges.
import {createHash, randomBytes} from 'node:crypto';
import {setImmediate as tick} from 'node:timers/promises';
import test from 'ava';
import fc from 'fast-check';
import {FastWritePlanner} from '../../../source/core/flash/fast-write.js';
import {FlashError} from '../../../source/core/flash/flash-error.js';
import {inspectImage} from '../../../source/core/flash/image-source.js';
import {samplePages, sampleStride, type CardAccess} from '../../../source/core/flash/image-verifier.js';
import {writeImage} from '../../../source/core/flash/image-writer.js';
import {createLoopDevice, readDevice} from '../../helpers/loop-device.js';
import {FlashDevice} from '../../../source/core/flash/flash-device.js';
import {gokrazyImage, MiB, tempDir, writeImageFiles} from './test-images.js';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/**
 * A card that says it holds `size` bytes but has only `real.length`: like a counterfeit card that drops high address
 * bits, it puts (and reads) an offset at or past its real size onto offset − real size.
 */
class WrappingCard implements CardAccess {
	readonly path = '/dev/counterfeit';
	readonly sectorSize = 512;
	reads = 0;

	constructor(readonly size: number, readonly real: Buffer) {}

	async writeSpan(buffer: Buffer, from: number, to: number, offset: number): Promise<void> {
		await tick();
		for (let at = 0; at < to - from;) {
			const inside = (offset + at) % this.real.length;
			const length = Math.min(to - from - at, this.real.length - inside);
			buffer.copy(this.real, inside, from + at, from + at + length);
			at += length;
		}
	}

	async readExactly(buffer: Buffer, offset: number): Promise<void> {
		await tick();
		this.reads++;
		this.view(offset, offset + buffer.length).copy(buffer);
	}

	async zero(offset: number, length: number, zeros: Buffer): Promise<number> {
		for (let at = 0; at < length; at += zeros.length) {
			await this.writeSpan(zeros, 0, Math.min(zeros.length, length - at), offset + at);
		}

		return length;
	}

	async flush(): Promise<void> {
		await tick();
	}

	/** What the card shows at [start, end) of what it claims to be. */
	view(start: number, end: number): Buffer {
		const pieces: Buffer[] = [];
		for (let at = start; at < end;) {
			const inside = at % this.real.length;
			const length = Math.min(end - at, this.real.length - inside);
			pieces.push(this.real.subarray(inside, inside + length));
			at += length;
		}

		return Buffer.concat(pieces);
	}
}

test('verify while writing: a card that holds what it says reads back identical, each written piece once and a sample of each again', async t => {
	const dir = await tempDir(t);
	const layout = gokrazyImage(96 * MiB);
	const files = await writeImageFiles(dir, 'honest', layout.image, ['zst']);
	for (const file of [files.raw, files.zst]) {
		const card = new WrappingCard(96 * MiB, randomBytes(96 * MiB));
		const verifyEvents: number[] = [];
		const written = await writeImage(await inspectImage(file), card, {fast: true, readBack: true, chunkBytes: 2 * MiB, progressIntervalMs: 0, onVerifyProgress: event => verifyEvents.push(event.bytes)});
		t.truthy(written.readBack);
		t.is(written.readBack!.bytes, written.writtenBytes, 'every written byte read back once');
		t.true(written.readBack!.samples >= written.writtenBytes / sampleStride, `${written.readBack!.samples} samples`);
		t.deepEqual(written.ranges.at(-1), [0, MiB], 'the first MiB is written, hashed and listed last');
		t.is(written.rangesSha256, sha256(Buffer.concat(written.ranges.map(([start, end]) => layout.image.subarray(start, end)))));
		for (const [start, end] of written.ranges) {
			t.true(card.view(start, end).equals(layout.image.subarray(start, end)), `${file}: range ${start}-${end}`);
		}

		t.deepEqual(verifyEvents, [...verifyEvents].sort((a, b) => a - b), 'verify progress never goes back');
	}
});

test('verify while writing fails on a card that wraps later writes onto earlier ranges, naming the first bad offset', async t => {
	const dir = await tempDir(t);
	const layout = gokrazyImage(96 * MiB);
	const files = await writeImageFiles(dir, 'wrapped', layout.image, ['zst']);
	for (const file of [files.raw, files.zst]) {
		// 64 MiB of flash sold as 96 MiB: /perm's start, its signature pages and end, and the card's end land on the boot
		// partition and root A.
		const card = new WrappingCard(96 * MiB, randomBytes(64 * MiB));
		const error = await t.throwsAsync(writeImage(await inspectImage(file), card, {fast: true, readBack: true, chunkBytes: 2 * MiB}), {instanceOf: FlashError});
		t.is(error?.kind, 'verify');
		// The first offset of what the fast mode writes (the planner's spans) where the card shows something else.
		const planner = new FastWritePlanner();
		let first: number | undefined;
		for (let offset = 0; offset < layout.image.length && first === undefined; offset += MiB) {
			for (const span of planner.plan(offset, layout.image.subarray(offset, offset + MiB))) {
				const shown = card.view(span.start, span.end);
				const expected = layout.image.subarray(span.start, span.end);
				if (first === undefined && !shown.equals(expected)) {
					let index = 0;
					while (shown[index] === expected[index]) {
						index++;
					}

					first = span.start + index;
				}
			}
		}

		t.is(error?.details.offset, first, 'the first bad offset');
		t.is(first, 64 * MiB);
		t.is(typeof error?.details.offset, 'number');
		t.not(first, undefined);
		// Here: /perm's signature page at 64 MiB, zeros, put onto the card's first MiB, which the partition table then
		// overwrote (it goes last): read back at once it was right, re-read after the last write it shows the MBR.
		t.true(card.view(error!.details.offset!, error!.details.offset! + 1)[0] !== layout.image[error!.details.offset!], 'the card differs there');
		t.regex(error?.message ?? '', new RegExp(`differs from the image at byte ${error!.details.offset!} \\(0x[0-9a-f]+\\); the card is faulty, counterfeit \\(smaller than it says\\) or was changed`));
	}
});

test('verify while writing fails on a card that keeps a wrong byte, naming its offset', async t => {
	const dir = await tempDir(t);
	const layout = gokrazyImage(64 * MiB);
	const files = await writeImageFiles(dir, 'flipped', layout.image, []);
	const kernel = layout.files.find(file => file.name === 'vmlinuz')!;
	const bad = kernel.offset + 12_345;
	/** Stores one bit wrong at `bad` whenever it is written. */
	class FlippingCard extends WrappingCard {
		override async writeSpan(buffer: Buffer, from: number, to: number, offset: number): Promise<void> {
			await super.writeSpan(buffer, from, to, offset);
			if (offset <= bad && bad < offset + to - from) {
				this.real[bad] ^= 0x10;
			}
		}
	}

	const card = new FlippingCard(64 * MiB, randomBytes(64 * MiB));
	const error = await t.throwsAsync(writeImage(await inspectImage(files.raw), card, {fast: true, readBack: true}), {instanceOf: FlashError});
	t.is(error?.kind, 'verify');
	t.is(error?.details.offset, bad);
	t.regex(error?.message ?? '', new RegExp(`^/dev/counterfeit: verification failed: the card differs from the image at byte ${bad} `));
});

test('the sampled pages of a written piece catch any later write wrapped onto it by a multiple of 512 KiB', t => {
	const KiB = 1024;
	fc.assert(fc.property(
		fc.integer({min: 0, max: 4096}), fc.integer({min: 1, max: 2048}),
		fc.integer({min: 0, max: 2048}), fc.integer({min: 1, max: 1024}), fc.boolean(),
		fc.integer({min: 1, max: 64}),
		(aPage, aPages, bOffsetPages, bPages, aligned, periods) => {
			// An earlier piece A (4 KiB pages), a later write B (512 KiB-aligned, or at least 512 KiB long), and the card's
			// real size N (a multiple of 512 KiB): B lands on B − N.
			const a = aPage * 4 * KiB;
			const aEnd = a + aPages * 4 * KiB;
			const period = periods * sampleStride;
			const b = aligned ? Math.floor(bOffsetPages * 4 * KiB / sampleStride) * sampleStride : bOffsetPages * 4 * KiB;
			const bLength = aligned ? bPages * 4 * KiB : sampleStride + bPages * 4 * KiB;
			const landed = [b, b + bLength];
			for (const shift of [0, period]) {
				const [start, end] = [landed[0]! + shift - period, landed[1]! + shift - period];
				if (start < aEnd && end > a) {
					const hit = samplePages(a, aEnd).some(([from, to]) => from < end && to > start);
					if (!hit) {
						return false;
					}
				}
			}

			return true;
		},
	));
	// One sector per page (512 bytes), or the card's sector when that is bigger.
	t.deepEqual(samplePages(0, 1536 * KiB + 100), [[0, 512], [512 * KiB, 512 * KiB + 512], [1024 * KiB, 1024 * KiB + 512], [1536 * KiB, 1536 * KiB + 100]]);
	t.deepEqual(samplePages(4 * KiB, 12 * KiB), [[4 * KiB, 4 * KiB + 512], [12 * KiB - 512, 12 * KiB]]);
	t.deepEqual(samplePages(4 * KiB, 12 * KiB, 4 * KiB), [[4 * KiB, 8 * KiB], [8 * KiB, 12 * KiB]]);
	t.deepEqual(samplePages(0, 1536 * KiB + 100, 4 * KiB), [[0, 4 * KiB], [512 * KiB, 516 * KiB], [1024 * KiB, 1028 * KiB], [1536 * KiB, 1536 * KiB + 100]]);
});

test('verify while writing on a loop device: every written byte read back, the card byte-identical where written', async t => {
	const dir = await tempDir(t);
	const layout = gokrazyImage(64 * MiB);
	const files = await writeImageFiles(dir, 'loop', layout.image, []);
	const loop = await createLoopDevice({size: 64 * MiB, content: randomBytes(64 * MiB)}, t);
	const device = await FlashDevice.open(loop.path);
	try {
		const written = await writeImage(await inspectImage(files.raw), device, {fast: true, readBack: true});
		t.is(written.readBack?.bytes, written.writtenBytes);
		const card = await readDevice(loop.path, 0, layout.image.length);
		for (const [start, end] of written.ranges) {
			t.true(card.subarray(start, end).equals(layout.image.subarray(start, end)), `range ${start}-${end}`);
		}
	} finally {
		await device.close();
	}
});

// The order in which a write reaches the card: the partition tables are gone (flushed) before any byte of the image,
// the rest of the first zeroing runs beside the first data, and all of it is done before the image's first MiB goes out.
import {randomBytes} from 'node:crypto';
import {setImmediate as tick} from 'node:timers/promises';
import test from 'ava';
import {inspectImage} from '../../../source/core/flash/image-source.js';
import type {CardAccess} from '../../../source/core/flash/image-verifier.js';
import {firstZeroed, writeImage} from '../../../source/core/flash/image-writer.js';
import {gokrazyImage, MiB, tempDir, writeImageFiles} from './test-images.js';

const KiB = 1024;

type Event =
	| {type: 'zero-start' | 'zero-end'; start: number; end: number}
	| {type: 'write'; start: number; end: number; zeros: boolean}
	| {type: 'flush'};

/** A card in memory that logs what reaches it; a zeroing that starts at one of `slowAt` waits for the first data. */
class LoggingCard implements CardAccess {
	readonly path = '/dev/logged';
	readonly sectorSize = 512;
	readonly events: Event[] = [];

	constructor(readonly bytes: Buffer, readonly slowAt: readonly number[] = []) {}

	get size() {
		return this.bytes.length;
	}

	async writeSpan(buffer: Buffer, from: number, to: number, offset: number): Promise<void> {
		await tick();
		const piece = buffer.subarray(from, to);
		this.events.push({type: 'write', start: offset, end: offset + piece.length, zeros: piece.every(byte => byte === 0)});
		piece.copy(this.bytes, offset);
	}

	async readExactly(buffer: Buffer, offset: number): Promise<void> {
		await tick();
		this.bytes.copy(buffer, 0, offset, offset + buffer.length);
	}

	async zero(offset: number, length: number, zeros: Buffer): Promise<number> {
		this.events.push({type: 'zero-start', start: offset, end: offset + length});
		if (this.slowAt.includes(offset)) {
			// Slow: until the image's first data has been written, or 15 s (a writer that waits for this zeroing before
			// writing data then shows as data written after it, not as a hang).
			const until = Date.now() + 15_000;
			while (Date.now() < until && !this.events.some(event => event.type === 'write' && event.start >= MiB && !event.zeros)) {
				await new Promise(resolve => {
					setTimeout(resolve, 5);
				});
			}
		}

		let written = 0;
		for (let at = 0; at < length; at += zeros.length) {
			const piece = Math.min(zeros.length, length - at);
			if (!this.bytes.subarray(offset + at, offset + at + piece).every(byte => byte === 0)) {
				await this.writeSpan(zeros, 0, piece, offset + at);
				written += piece;
			}
		}

		this.events.push({type: 'zero-end', start: offset, end: offset + length});
		return written;
	}

	async flush(): Promise<void> {
		await tick();
		this.events.push({type: 'flush'});
	}
}

test('the first zeroing: 64 KiB at each end before anything, the rest of the first MiB and of the end\'s signatures beside', t => {
	const size = 128 * MiB;
	const {before, beside} = firstZeroed(size);
	t.deepEqual(before, [[0, 64 * KiB], [size - (64 * KiB), size]]);
	t.deepEqual(beside, [[64 * KiB, MiB], [size - (512 * KiB), size - (64 * KiB)]]);
	// A card smaller than a MiB: all of it before, nothing beside, nothing twice.
	t.deepEqual(firstZeroed(48 * KiB), {before: [[0, 48 * KiB]], beside: []});
	t.deepEqual(firstZeroed(512 * KiB), {before: [[0, 64 * KiB]], beside: [[64 * KiB, 512 * KiB]]});
	// A card of unknown size: its start only.
	t.deepEqual(firstZeroed(Number.POSITIVE_INFINITY), {before: [[0, 64 * KiB]], beside: [[64 * KiB, MiB]]});
});

for (const fast of [true, false]) {
	test(`${fast ? 'fast' : 'full'} write: partition tables gone and flushed before the image's first byte; the slow rest of the zeroing runs beside the data and ends before the image's first MiB`, async t => {
		const dir = await tempDir(t);
		const layout = gokrazyImage(96 * MiB);
		const files = await writeImageFiles(dir, 'ordered', layout.image, []);
		const size = 128 * MiB;
		// A used card (random everywhere), whose zeroing of the rest of the first MiB and of the end is slow.
		const card = new LoggingCard(randomBytes(size), [64 * KiB, size - (512 * KiB)]);
		await writeImage(await inspectImage(files.raw), card, {fast, chunkBytes: 2 * MiB});
		const {events} = card;
		const index = (predicate: (event: Event) => boolean) => events.findIndex(event => predicate(event));
		const firstData = index(event => event.type === 'write' && event.start >= MiB && !event.zeros);
		t.true(firstData > 0, 'image data was written');
		const headDone = index(event => event.type === 'zero-end' && event.start === 0);
		const tailDone = index(event => event.type === 'zero-end' && event.end === size && event.start === size - (64 * KiB));
		t.true(headDone >= 0 && tailDone >= 0, 'both ends\' partition tables zeroed');
		const flushAfter = events.findIndex((event, at) => at > Math.max(headDone, tailDone) && event.type === 'flush');
		t.true(flushAfter > 0 && flushAfter < firstData, 'flushed after both, before the image\'s first byte');
		// Beside: it started before the first data and ended after it (it was slow), and before the image's first MiB.
		const restStart = index(event => event.type === 'zero-start' && event.start === 64 * KiB);
		const restEnd = index(event => event.type === 'zero-end' && event.start === 64 * KiB);
		const endRestEnd = index(event => event.type === 'zero-end' && event.start === size - (512 * KiB) && event.end === size - (64 * KiB));
		t.true(restStart >= 0 && restStart < firstData, 'the rest of the first MiB is zeroed from the start');
		t.true(restEnd > firstData, 'and it did not hold up the data');
		const headWrite = index(event => event.type === 'write' && event.start < MiB && !event.zeros);
		t.true(headWrite > Math.max(restEnd, endRestEnd), 'the image\'s first MiB goes out after all of the zeroing');
		// What is on the card: the image where written; in its first MiB and its last 512 KiB nothing old is left.
		t.true(card.bytes.subarray(0, MiB).equals(layout.image.subarray(0, MiB)), 'the first MiB is the image\'s, no old byte');
		t.true(card.bytes.subarray(size - (512 * KiB)).equals(Buffer.alloc(512 * KiB)), 'the card\'s end is zero');
	});
}

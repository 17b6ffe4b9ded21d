// What FlashDevice.zero writes: the 4 KiB pages of what it read that are not zero, neighbours joined, nothing else.
import test from 'ava';
import fc from 'fast-check';
import {dirtyPages} from '../../../source/core/flash/flash-device.js';

const page = 4096;

test('dirtyPages: a few known pages', t => {
	const bytes = Buffer.alloc(10 * page + 512);
	bytes[0] = 1;
	bytes[page + 7] = 2;
	bytes[4 * page + page - 1] = 3;
	bytes[10 * page + 511] = 4;
	t.deepEqual(dirtyPages(bytes), [[0, 2 * page], [4 * page, 5 * page], [10 * page, (10 * page) + 512]]);
	t.deepEqual(dirtyPages(Buffer.alloc(3 * page)), []);
});

test('dirtyPages: the runs cover every non-zero byte, only pages holding one, sorted, apart', t => {
	fc.assert(fc.property(
		fc.integer({min: 0, max: 40 * page}),
		fc.array(fc.tuple(fc.nat(), fc.integer({min: 1, max: 255})), {maxLength: 30}),
		(length, pokes) => {
			const bytes = Buffer.alloc(length);
			for (const [at, value] of pokes) {
				if (length > 0) {
					bytes[at % length] = value;
				}
			}

			const runs = dirtyPages(bytes);
			const covered = new Uint8Array(Math.ceil(length / page));
			let previousEnd = -1;
			for (const [start, end] of runs) {
				// On page boundaries (the last run may end with the buffer), in order, never touching the one before.
				if (start % page !== 0 || (end % page !== 0 && end !== length) || start >= end || start <= previousEnd) {
					return false;
				}

				previousEnd = end;
				for (let p = start / page; p < Math.ceil(end / page); p++) {
					covered[p] = 1;
				}
			}

			for (let p = 0; p < covered.length; p++) {
				const dirty = bytes.subarray(p * page, Math.min(length, (p + 1) * page)).some(byte => byte !== 0);
				if (dirty !== (covered[p] === 1)) {
					return false;
				}
			}

			return true;
		},
	), {numRuns: 300});
	t.pass('fast-check found no counterexample');
});

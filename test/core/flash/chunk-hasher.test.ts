// The SHA-256 worker: chunks hashed in the order sent, in place from shared memory or copied, several hashes at once, whole files.
import {createHash, randomBytes} from 'node:crypto';
import {mkdtemp, rm, writeFile} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import {alignedBuffers} from '../../../source/core/flash/aligned-memory.js';
import {ChunkHasher, startInlineHasher, startWorkerHasher, type HashSpan} from '../../../source/core/flash/chunk-hasher.js';

const sha256 = (...parts: Uint8Array[]) => {
	const hash = createHash('sha256');
	for (const part of parts) {
		hash.update(part);
	}

	return hash.digest('hex');
};

test('aligned buffers are shared memory on page boundaries', t => {
	const buffers = alignedBuffers(3, 128 * 1024);
	t.is(buffers.length, 3);
	for (const [index, buffer] of buffers.entries()) {
		t.true(buffer.buffer instanceof SharedArrayBuffer);
		t.is(buffer.length, 128 * 1024);
		t.is(buffer.byteOffset, index * 128 * 1024);
	}

	t.throws(() => alignedBuffers(1, 1000), {instanceOf: RangeError});
});

test('chunks sent without waiting are hashed in the order sent, shared ones in place and others copied', async t => {
	const shared = alignedBuffers(4, 64 * 1024);
	const parts: Uint8Array[] = [];
	const hasher = new ChunkHasher(1);
	try {
		const sent: Array<Promise<void>> = [];
		for (let index = 0; index < 24; index++) {
			// Sizes from 1 byte up, some from shared memory (each buffer reused only once its chunk is hashed), some plain.
			const length = 1 + ((index * 7919) % (64 * 1024));
			const bytes = randomBytes(length);
			let chunk: Uint8Array;
			if (index % 3 === 2) {
				chunk = bytes;
			} else {
				const slot = index % shared.length;
				await sent[index - shared.length];
				chunk = shared[slot].subarray(0, length);
				bytes.copy(chunk);
			}

			parts.push(Buffer.from(bytes));
			sent.push(hasher.update(chunk));
		}

		await Promise.all(sent);
		t.deepEqual(await hasher.digest(), [sha256(...parts)]);
	} finally {
		await hasher.close();
	}
});

test('spans feed several hashes from one chunk', async t => {
	const [buffer] = alignedBuffers(1, 64 * 1024);
	const first = randomBytes(64 * 1024);
	const second = randomBytes(64 * 1024);
	const hasher = new ChunkHasher(2);
	try {
		first.copy(buffer);
		await hasher.update(buffer, [[0, 0, buffer.length], [1, 100, 200], [1, 300, 400]]);
		second.copy(buffer);
		await hasher.update(buffer.subarray(0, 5000), [[0, 0, 5000], [1, 0, 10]]);
		t.deepEqual(await hasher.digest(), [
			sha256(first, second.subarray(0, 5000)),
			sha256(first.subarray(100, 200), first.subarray(300, 400), second.subarray(0, 10)),
		]);
	} finally {
		await hasher.close();
	}
});

test('a span outside its chunk or hash is refused; a closed hasher refuses more', async t => {
	const hasher = new ChunkHasher(1);
	await t.throwsAsync(hasher.update(Buffer.alloc(10), [[0, 0, 11]]), {instanceOf: RangeError});
	await t.throwsAsync(hasher.update(Buffer.alloc(10), [[1, 0, 5]]), {instanceOf: RangeError});
	await hasher.update(Buffer.from('abc'));
	await hasher.close();
	await t.throwsAsync(hasher.update(Buffer.from('more')), {message: /closed/});
});

test('one worker serves a write and then a verify: each session starts fresh, closing one keeps the worker', async t => {
	const hasher = new ChunkHasher();
	try {
		const first = hasher.session(2);
		await first.update(Buffer.from('image'), [[0, 0, 5], [1, 0, 2]]);
		t.deepEqual(await first.digest(), [sha256(Buffer.from('image')), sha256(Buffer.from('im'))]);
		await first.close();
		const second = hasher.session(1);
		await second.update(Buffer.from('card'));
		t.deepEqual(await second.digest(), [sha256(Buffer.from('card'))]);
		await t.throwsAsync(second.update(Buffer.from('x'), [[1, 0, 1]]), {instanceOf: RangeError}, 'the second session has one hash');
	} finally {
		await hasher.close();
	}
});

test('the hasher of compressed images (this thread) gives the worker\'s digests for the same chunks and spans', async t => {
	const chunks: Array<[Buffer, HashSpan[]]> = [
		[randomBytes(70_000), [[0, 0, 70_000], [1, 10, 20_000]]],
		[randomBytes(3), [[0, 0, 3]]],
		[randomBytes(50_000), [[0, 0, 50_000], [1, 0, 1], [1, 49_000, 50_000]]],
	];
	const digests = async (start: typeof startWorkerHasher) => {
		const hasher = start(2);
		try {
			for (const [chunk, spans] of chunks) {
				await hasher.update(chunk, spans);
			}

			return await hasher.digest();
		} finally {
			await hasher.close();
		}
	};

	const inline = await digests(startInlineHasher);
	t.deepEqual(inline, await digests(startWorkerHasher));
	t.is(inline[1], sha256(chunks[0][0].subarray(10, 20_000), chunks[2][0].subarray(0, 1), chunks[2][0].subarray(49_000)));
});

test('a file hashed by the worker itself: its SHA-256 and size, across read sizes; a session can do it; a missing file fails', async t => {
	const dir = await mkdtemp(path.join(os.tmpdir(), 'krazy-hash-file-'));
	t.teardown(async () => rm(dir, {recursive: true, force: true}));
	const hasher = new ChunkHasher();
	t.teardown(async () => hasher.close());
	for (const size of [0, 1, (2 * 1024 * 1024) - 1, (5 * 1024 * 1024) + 3]) {
		const bytes = randomBytes(size);
		const file = path.join(dir, `${size}.img`);
		await writeFile(file, bytes);
		t.deepEqual(await hasher.session(1).hashFile!(file), {sha256: sha256(bytes), bytes: size});
	}

	// The worker is free for chunks again afterwards.
	const session = hasher.session(1);
	await session.update(Buffer.from('abc'));
	t.deepEqual(await session.digest(), [sha256(Buffer.from('abc'))]);
	await t.throwsAsync(hasher.hashFile(path.join(dir, 'missing.img')), {message: /ENOENT.*missing\.img/});
});

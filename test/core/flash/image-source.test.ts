// Image files: format by content, uncompressed size where the format states it, and clear errors for broken files.
import {execFile} from 'node:child_process';
import {createHash} from 'node:crypto';
import {mkdir, readFile, writeFile} from 'node:fs/promises';
import path from 'node:path';
import {promisify} from 'node:util';
import test from 'ava';
import {ImageError, inspectImage, openImageReader, type ImageInfo} from '../../../source/core/flash/image-source.js';
import {MiB, mixedImage, tempDir, writeImageFiles} from './test-images.js';

const run = promisify(execFile);

async function readAll(image: ImageInfo): Promise<{hash: string; bytes: number}> {
	const reader = await openImageReader(image);
	const hash = createHash('sha256');
	const buffer = Buffer.alloc(3 * MiB + 17);
	let bytes = 0;
	try {
		for (;;) {
			const filled = await reader.fill(buffer);
			if (filled === 0) {
				break;
			}

			hash.update(buffer.subarray(0, filled));
			bytes += filled;
		}
	} finally {
		await reader.close();
	}

	return {hash: hash.digest('hex'), bytes};
}

test('each form reads back the same bytes, and the size is known except for gzip', async t => {
	const dir = await tempDir(t);
	const image = mixedImage(5, 1000);
	const files = await writeImageFiles(dir, 'forms', image);
	const expected = createHash('sha256').update(image).digest('hex');
	for (const [form, file] of Object.entries(files)) {
		const info = await inspectImage(file);
		t.is(info.size, form === 'gz' ? undefined : image.length, form);
		t.deepEqual(await readAll(info), {hash: expected, bytes: image.length}, form);
	}
});

test('concatenated xz streams and zstd frames add up; a zstd without content sizes has no size', async t => {
	const dir = await tempDir(t);
	const first = mixedImage(2);
	const second = mixedImage(1, 4096);
	const a = await writeImageFiles(dir, 'a', first, ['xz', 'zst']);
	const b = await writeImageFiles(dir, 'b', second, ['xz', 'zst']);
	const joinedXz = path.join(dir, 'joined.img.xz');
	const joinedZst = path.join(dir, 'joined.img.zst');
	await writeFile(joinedXz, Buffer.concat([await readFile(a.xz), await readFile(b.xz)]));
	await writeFile(joinedZst, Buffer.concat([await readFile(a.zst), await readFile(b.zst)]));
	t.is((await inspectImage(joinedXz)).size, first.length + second.length);
	t.is((await inspectImage(joinedZst)).size, first.length + second.length);
	const joined = Buffer.concat([first, second]);
	t.is((await readAll(await inspectImage(joinedXz))).hash, createHash('sha256').update(joined).digest('hex'));

	// A skippable frame (as pzstd and seekable zstd write) in front: skipped, not counted.
	const skippable = Buffer.alloc(8 + 100, 7);
	skippable.writeUInt32LE(0x18_4d_2a_5e, 0);
	skippable.writeUInt32LE(100, 4);
	const withSkippable = path.join(dir, 'skippable.img.zst');
	await writeFile(withSkippable, Buffer.concat([skippable, await readFile(a.zst)]));
	t.is((await inspectImage(withSkippable)).size, first.length);
	t.is((await readAll(await inspectImage(withSkippable))).hash, createHash('sha256').update(first).digest('hex'));

	const noSize = path.join(dir, 'nosize.img.zst');
	await run('zstd', ['-q', '--no-content-size', '-o', noSize, a.raw]);
	t.is((await inspectImage(noSize)).size, undefined);
	t.is((await readAll(await inspectImage(noSize))).bytes, first.length);
});

test('truncated and corrupt compressed images fail with the format named', async t => {
	const dir = await tempDir(t);
	const files = await writeImageFiles(dir, 'broken', mixedImage(3));
	const cut = async (file: string) => {
		const bytes = await readFile(file);
		const target = file.replace('broken.img', 'cut.img');
		await writeFile(target, bytes.subarray(0, Math.floor(bytes.length / 2)));
		return target;
	};

	const expectations: Array<[string, RegExp]> = [
		[await cut(files.gz), /cut\.img\.gz: truncated gzip data \(unexpected end of file\)$/],
		[await cut(files.xz), /cut\.img\.xz: truncated xz data \(unexpected end of file\)$/],
		[await cut(files.zst), /cut\.img\.zst: truncated zstd data \(unexpected end of file\)$/],
	];
	const corruptGz = path.join(dir, 'corrupt.img.gz');
	const gz = await readFile(files.gz);
	gz.fill(0xff, 30, 300);
	await writeFile(corruptGz, gz);
	expectations.push([corruptGz, /corrupt\.img\.gz: corrupt gzip data/]);
	for (const [file, message] of expectations) {
		const error = await t.throwsAsync(readAll(await inspectImage(file)), {instanceOf: ImageError});
		t.regex(error?.message ?? '', message);
	}
});

test('missing, empty and folder images are refused with a reason', async t => {
	const dir = await tempDir(t);
	await writeFile(path.join(dir, 'empty.img'), '');
	await mkdir(path.join(dir, 'folder.img'));
	await t.throwsAsync(inspectImage(path.join(dir, 'missing.img')), {message: `${path.join(dir, 'missing.img')}: no such file`});
	await t.throwsAsync(inspectImage(path.join(dir, 'empty.img')), {message: `${path.join(dir, 'empty.img')}: the image is empty`});
	await t.throwsAsync(inspectImage(path.join(dir, 'folder.img')), {message: /folder\.img: (is a folder, not an image|not a regular file)$/});
});

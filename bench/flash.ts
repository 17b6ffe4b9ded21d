// Benchmark: flashing a 2 GiB image to a loop device against dd and sha256sum in the same run, peak memory, and the fast mode.
import {execFile} from 'node:child_process';
import {randomBytes} from 'node:crypto';
import {mkdtemp, open, rm, statfs, writeFile} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {promisify} from 'node:util';
import {writeGokrazyImageFile} from '../test/core/flash/test-images.js';
import {median, report, timeCommand, type Figure} from './bench-util.js';

const run = promisify(execFile);
const MiB = 1024 * 1024;
const imageMiB = Number(process.env.BENCH_FLASH_MIB ?? 2048);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
/** Where the loop device's backing file lives: a disk folder (default) or /dev/shm to take the disk out. */
const backingRoot = process.env.BENCH_FLASH_DIR ?? os.tmpdir();
const cli = new URL('../dist/cli.js', import.meta.url).pathname;
const noHashWriter = new URL('_flash-writer-nohash.ts', import.meta.url).pathname;

type Done = {phase: 'done'; sha256: string; writeSeconds: number; verifySeconds: number; skippedBytes: number};

/** `krazy-tui flash` as a user runs it (the built CLI, no power-off): its done record, wall time and peak memory. */
async function flash(image: string, device: string, extra: string[] = []): Promise<{done: Done; wallSeconds: number; peakKb: number}> {
	const result = await timeCommand(process.execPath, [cli, 'flash', '--image', image, '--device', device, '--yes', '--json', '--no-power-off', ...extra]);
	const last = JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '{}') as Done | {phase: 'error'; message: string};
	if (result.code !== 0 || last.phase !== 'done') {
		throw new Error(`flash failed: ${'message' in last ? last.message : result.code}`);
	}

	return {done: last, wallSeconds: result.ms / 1000, peakKb: result.peakRssKb};
}

async function freeBytes(dir: string): Promise<number> {
	const stats = await statfs(dir);
	return stats.bavail * stats.bsize;
}

async function writeAt(file: string, chunks: Array<[offset: number, bytes: Buffer]>, size: number): Promise<void> {
	const handle = await open(file, 'w');
	try {
		for (const [offset, bytes] of chunks) {
			await handle.write(bytes, 0, bytes.length, offset);
		}

		await handle.truncate(size);
	} finally {
		await handle.close();
	}
}

/**
 * A whole node process that hashes the image in 4 MiB pieces with SHA-256 and nothing else: the writer hashes every
 * byte it writes, so on this machine no write can take less than this, whatever the card.
 */
const hashOnlyScript = `
import {createHash} from 'node:crypto';
import {createReadStream} from 'node:fs';
const hash = createHash('sha256');
for await (const piece of createReadStream(process.argv[1], {highWaterMark: 4 * 1024 * 1024})) hash.update(piece);
console.log(hash.digest('hex'));
`;

async function attach(file: string): Promise<string> {
	return (await run('losetup', ['--find', '--show', file])).stdout.trim();
}

const dir = await mkdtemp(path.join(os.tmpdir(), 'krazy-bench-flash-'));
const backing = await mkdtemp(path.join(backingRoot, 'krazy-bench-card-'));
const devices: string[] = [];
try {
	const need = 3 * imageMiB * MiB;
	if (await freeBytes(dir) < need || await freeBytes(backing) < need) {
		throw new Error(`needs about ${need / 1e9} GB free in ${dir} and ${backing}`);
	}

	const image = path.join(dir, 'random.img');
	const handle = await open(image, 'w');
	for (let offset = 0; offset < imageMiB * MiB; offset += 64 * MiB) {
		await handle.write(randomBytes(64 * MiB));
	}

	await handle.close();
	const card = path.join(backing, 'card.img');
	await writeFile(card, '');
	await run('truncate', ['-s', String(imageMiB * MiB), card]);
	const device = await attach(card);
	devices.push(device);
	// Allocate the backing file once, so the first timed writer does not pay for it.
	await run('dd', [`if=${image}`, `of=${device}`, 'bs=4M', 'conv=fsync', 'status=none']);

	// Every ratio times both sides the same way: whole processes, from spawn to exit (node's start, opening the card
	// and inspecting the image are in krazy-tui's time, as they are in what a user waits for).
	const dd: number[] = [];
	const ours: number[] = [];
	const oursCliTimer: number[] = [];
	const oursVerified: number[] = [];
	const ddAndSha: number[] = [];
	const shaBaseline: number[] = [];
	const verifyCliTimer: number[] = [];
	const hashing: number[] = [];
	const unhashed: number[] = [];
	let peakRawKb = 0;
	for (let round = 0; round < rounds; round++) {
		const baseline = await timeCommand('dd', [`if=${image}`, `of=${device}`, 'bs=4M', 'conv=fsync', 'status=none']);
		dd.push(baseline.ms / 1000);
		const written = await flash(image, device, ['--no-verify']);
		ours.push(written.wallSeconds);
		oursCliTimer.push(written.done.writeSeconds);
		const hashed = await timeCommand(process.execPath, ['--input-type=module', '-e', hashOnlyScript, image]);
		hashing.push(hashed.ms / 1000);
		const bare = await timeCommand(process.execPath, ['--import=tsx', noHashWriter, image, device]);
		if (bare.code !== 0) {
			throw new Error(`the writer without hash failed (${bare.code})`);
		}

		unhashed.push(bare.ms / 1000);
		// Write + verify against dd then sha256sum of the card (which must read the card, not the page cache).
		const verified = await flash(image, device);
		oursVerified.push(verified.wallSeconds);
		verifyCliTimer.push(verified.done.verifySeconds);
		peakRawKb = Math.max(peakRawKb, written.peakKb, verified.peakKb);
		const ddAgain = await timeCommand('dd', [`if=${image}`, `of=${device}`, 'bs=4M', 'conv=fsync', 'status=none']);
		await run('blockdev', ['--flushbufs', device]);
		const sha = await timeCommand('sha256sum', [device]);
		shaBaseline.push(sha.ms / 1000);
		ddAndSha.push((ddAgain.ms + sha.ms) / 1000);
		if (!sha.stdout.startsWith(verified.done.sha256) || !hashed.stdout.startsWith(verified.done.sha256)) {
			throw new Error('sha256sum of the card or of the image differs from the written image');
		}
	}

	// A zstd image: the decoder's memory must stay bounded too (zeros compress 30000:1).
	const zeros = path.join(dir, 'zeros.img');
	await writeAt(zeros, [[0, randomBytes(64 * MiB)]], imageMiB * MiB);
	await run('zstd', ['-q', '-1', zeros]);
	const zstdWrite = await flash(`${zeros}.zst`, device);

	// The fast mode on a gokrazy-shaped image of the card's size, against the full write of the same image.
	const shaped = path.join(dir, 'gokrazy.img');
	await writeGokrazyImageFile(shaped, imageMiB * MiB);
	const full: number[] = [];
	const fast: number[] = [];
	let skipped = 0;
	let peakFastKb = 0;
	for (let round = 0; round < rounds; round++) {
		const a = await flash(shaped, device);
		const b = await flash(shaped, device, ['--fast']);
		full.push(a.wallSeconds);
		fast.push(b.wallSeconds);
		skipped = b.done.skippedBytes;
		peakFastKb = Math.max(peakFastKb, b.peakKb);
	}

	const writeRatio = median(ours) / median(dd);
	// The machine is shared: each round's own ratio (dd ran just before) is steadier than a ratio of medians.
	const roundRatios = ours.map((seconds, round) => seconds / dd[round]!);
	const list = (values: number[]) => values.map(value => value.toFixed(2)).join(' ');
	console.log(`rounds: dd ${list(dd)} s | krazy-tui flash --no-verify ${list(ours)} s | ratios ${list(roundRatios)} | SHA-256 alone ${list(hashing)} s | writer without hash ${list(unhashed)} s | write + verify ${list(oursVerified)} s | dd + sha256sum ${list(ddAndSha)} s`);
	const verifyRatio = median(oursVerified) / median(ddAndSha);
	const peakMb = Math.max(peakRawKb, zstdWrite.peakKb, peakFastKb) * 1024 / 1e6;
	const figures: Figure[] = [
		{name: `dd bs=4M conv=fsync, ${imageMiB} MiB (median s)`, value: median(dd), unit: 's'},
		{name: 'krazy-tui flash --no-verify, whole process (median s)', value: median(ours), unit: 's'},
		{name: 'diagnostic: its write + flush as timed by the CLI (median s)', value: median(oursCliTimer), unit: 's'},
		{name: 'node hashing the image, whole process (median s)', value: median(hashing), unit: 's'},
		{name: 'that hash alone as a ratio to dd (the floor)', value: median(hashing) / median(dd), unit: 'ratio'},
		{name: 'write ratio to dd', value: writeRatio, unit: 'ratio', goal: '≤ 1.05', pass: writeRatio <= 1.05},
		{name: 'write ratio to dd, median of the rounds\' ratios', value: median(roundRatios), unit: 'ratio'},
		{name: 'diagnostic: the same writer with SHA-256 off, whole process, ratio to dd', value: median(unhashed) / median(dd), unit: 'ratio'},
		{name: 'krazy-tui flash with verify, whole process (median s)', value: median(oursVerified), unit: 's'},
		{name: 'dd, then sha256sum of the device, whole processes (median s)', value: median(ddAndSha), unit: 's'},
		{name: 'sha256sum of the device (median s)', value: median(shaBaseline), unit: 's'},
		{name: 'diagnostic: verify as timed by the CLI (median s)', value: median(verifyCliTimer), unit: 's'},
		{name: 'write + verify ratio to dd + sha256sum', value: verifyRatio, unit: 'ratio', goal: '≤ 1.1', pass: verifyRatio <= 1.1},
		{name: 'peak RSS: raw image, write + verify', value: peakRawKb * 1024 / 1e6, unit: 'MB'},
		{name: 'peak RSS: zstd image (64 MiB random + zeros)', value: zstdWrite.peakKb * 1024 / 1e6, unit: 'MB'},
		{name: 'peak RSS: fast mode', value: peakFastKb * 1024 / 1e6, unit: 'MB'},
		{name: 'peak RSS, largest', value: peakMb, unit: 'MB', goal: '< 100', pass: peakMb < 100},
		{name: 'gokrazy-shaped image: full write + verify, whole process (median s)', value: median(full), unit: 's'},
		{name: 'gokrazy-shaped image: fast write + verify, whole process (median s)', value: median(fast), unit: 's'},
		{name: 'fast mode: share of the image skipped', value: (100 * skipped) / (imageMiB * MiB), unit: '%'},
		{name: 'fast mode time as a ratio to the full write', value: median(fast) / median(full), unit: 'ratio'},
	];
	report(`flash: ${imageMiB} MiB to a loop device over a file in ${backingRoot} (${rounds} rounds)`, figures);
} finally {
	for (const device of devices) {
		await run('losetup', ['--detach', device]).catch(() => undefined);
	}

	await rm(dir, {recursive: true, force: true});
	await rm(backing, {recursive: true, force: true});
}

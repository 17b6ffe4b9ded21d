// Benchmark: flashing at SD-card speed (a loop device throttled by cgroup blkio): dd, bmaptool copy and krazy-tui full and fast, with and without verify, on a gokrazy-shaped image, then at 16 GiB.
import {execFile} from 'node:child_process';
import {mkdtemp, readFile, rm, statfs} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {promisify} from 'node:util';
import {cardProfile, createCardSimulator, type CardIo, type CardSimulator} from '../test/helpers/card-simulator.js';
import {writeGokrazyImageFile} from '../test/core/flash/test-images.js';
import {median, report, timeCommand} from './bench-util.js';

const run = promisify(execFile);
const MiB = 1024 * 1024;
const MB = 1e6;
/** The card: a profile of test/helpers/card-simulator.ts (card: 25 MB/s write, 80 MB/s read). */
const profile = cardProfile(process.env.BENCH_CARD ?? 'card');
const imageMiB = Number(process.env.BENCH_CARD_MIB ?? 1536);
/** The image `gok overwrite --full --target_storage_bytes` makes for a 16 GiB card; 0 leaves it out. */
const bigMiB = Number(process.env.BENCH_CARD_BIG_MIB ?? 16_384);
const rounds = Number(process.env.BENCH_ROUNDS ?? 1);
/** A comma-separated subset of the run ids below (e.g. fast,fast-verify,bmaptool), to iterate on one. */
const only = process.env.BENCH_CARD_RUNS?.split(',').filter(Boolean);
const cli = new URL('../dist/cli.js', import.meta.url).pathname;

/** One figure, as the results JSON keeps them. */
type Result = {id: string; label: string; value: number; unit: string; goal?: string; ok?: boolean};

type Image = {path: string; bmap: string; bytes: number};

type Tool = {
	id: string;
	label: string;
	/** The command line, run inside the card's group. */
	command: (image: Image, device: string) => [string, string[]];
	krazy?: boolean;
	/** Run with this machine's NODE_EXTRA_CA_CERTS (see below) instead of without it. */
	machineCa?: boolean;
};

/**
 * The environment every run gets: this machine's, less NODE_EXTRA_CA_CERTS. This machine points it at the system's
 * bundle, and node then parses its ~140 certificates before running any script: some 75–100 ms of each node start here,
 * on every node program alike, which a default install (where it is unset) does not pay, and flashing makes no TLS
 * connection. dd and bmaptool do not read it. One run keeps it (fast-verify-machine-ca), so its cost is measured too.
 */
const machineCa = process.env.NODE_EXTRA_CA_CERTS;
const runEnv: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([name]) => name !== 'NODE_EXTRA_CA_CERTS'));

type Done = {phase: 'done'; writeSeconds: number; verifySeconds: number; writtenBytes: number; skippedBytes: number; alreadyZeroBytes?: number};

type Measured = {tool: Tool; seconds: number; peakMb: number; io: CardIo; done?: Done};

const krazy = (...extra: string[]) => (image: Image, device: string): [string, string[]] =>
	[process.execPath, [cli, 'flash', '--image', image.path, '--device', device, '--yes', '--json', '--no-power-off', ...extra]];

/** Every way of writing the card, each timed as a whole process from its start to its exit. */
const tools: Tool[] = [
	// Direct: a buffered dd leaves most of 1.5 GB to the kernel's flusher threads, which write outside the card's group
	// (unthrottled: measure() refuses such a run), where a real card would take them at its own speed all the same.
	{id: 'dd', label: 'dd bs=4M oflag=direct conv=fsync', command: (image, device) => ['dd', [`if=${image.path}`, `of=${device}`, 'bs=4M', 'oflag=direct', 'conv=fsync', 'status=none']]},
	{
		id: 'dd-verify',
		label: 'dd, then cmp of the card against the image',
		command: (image, device) => ['/bin/sh', ['-c', 'dd if="$1" of="$2" bs=4M oflag=direct conv=fsync status=none && blockdev --flushbufs "$2" && cmp -n "$3" "$1" "$2"', 'sh', image.path, device, String(image.bytes)]],
	},
	{id: 'bmaptool', label: 'bmaptool copy --no-verify (mapped blocks only)', command: (image, device) => ['bmaptool', ['--quiet', 'copy', '--no-verify', '--bmap', image.bmap, image.path, device]]},
	{id: 'bmaptool-verify', label: 'bmaptool copy (checks the image\'s checksums, not the card)', command: (image, device) => ['bmaptool', ['--quiet', 'copy', '--bmap', image.bmap, image.path, device]]},
	{id: 'full', label: 'krazy-tui flash --no-verify', command: krazy('--no-verify'), krazy: true},
	{id: 'full-verify', label: 'krazy-tui flash (read-back verify)', command: krazy(), krazy: true},
	{id: 'fast', label: 'krazy-tui flash --fast --no-verify', command: krazy('--fast', '--no-verify'), krazy: true},
	{id: 'fast-verify', label: 'krazy-tui flash --fast (read-back verify)', command: krazy('--fast'), krazy: true},
	...(machineCa ? [{id: 'fast-verify-machine-ca', label: 'krazy-tui flash --fast (read-back verify), with this machine\'s NODE_EXTRA_CA_CERTS', command: krazy('--fast'), krazy: true, machineCa: true}] : []),
];

/** At 16 GiB only what depends on the image's content: dd and a full write would take 11 minutes each at 25 MB/s. */
const bigTools = new Set(['bmaptool', 'bmaptool-verify', 'fast', 'fast-verify']);

async function measure(tool: Tool, image: Image, card: CardSimulator): Promise<Measured> {
	// Reads must come from the card, not from what the last run left in the device's page cache.
	await run('blockdev', ['--flushbufs', card.path]);
	await card.resetIo();
	const [command, args] = card.wrap(...tool.command(image, card.path));
	const result = await timeCommand(command, args, tool.machineCa ? process.env : runEnv);
	if (result.code !== 0) {
		throw new Error(`${tool.id} failed (exit ${result.code}): ${result.stdout.slice(-500)}`);
	}

	const io = await card.io();
	let done: Done | undefined;
	if (tool.krazy) {
		done = JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '{}') as Done;
		if (done.phase !== 'done') {
			throw new Error(`${tool.id}: no done record`);
		}
	}

	// The simulator only counts (and throttles) what was written inside the group: a writer whose bytes went to the card
	// some other way (the kernel's flusher threads) would look faster than any card.
	// krazy-tui writes no zeros where the card holds zeros already (it reads first): those never reach the throttle.
	const least = tool.id.startsWith('dd') ? image.bytes : (done ? done.writtenBytes - (done.alreadyZeroBytes ?? 0) : 0);
	if (io.writeBytes < least) {
		throw new Error(`${tool.id}: only ${io.writeBytes} bytes went through the card's throttle, expected at least ${least}`);
	}

	return {tool, seconds: result.ms / 1000, peakMb: result.peakRssKb * 1024 / MB, io, done};
}

async function makeImage(dir: string, name: string, mib: number): Promise<Image & {createSeconds: number}> {
	const file = path.join(dir, `${name}.img`);
	const bmap = path.join(dir, `${name}.bmap`);
	const layout = await writeGokrazyImageFile(file, mib * MiB);
	const started = performance.now();
	await run('bmaptool', ['--quiet', 'create', '--output', bmap, file]);
	const createSeconds = (performance.now() - started) / 1000;
	// Its data in the page cache for every run alike (reading the holes too would fill memory with zero pages).
	for (const [start, end] of layout.dataRanges) {
		await run('dd', [`if=${file}`, 'of=/dev/null', 'bs=1M', `skip=${Math.floor(start / MiB)}`, `count=${Math.ceil((end - start) / MiB) + 1}`, 'status=none']);
	}

	return {path: file, bmap, bytes: mib * MiB, createSeconds};
}

/** The medians of each tool's rounds. */
async function runAll(image: Image, card: CardSimulator, ids: string[]): Promise<Map<string, Measured>> {
	const measured = new Map<string, Measured[]>();
	for (let round = 0; round < rounds; round++) {
		for (const tool of tools.filter(tool => ids.includes(tool.id))) {
			const result = await measure(tool, image, card);
			console.log(`  ${tool.id.padEnd(16)} ${result.seconds.toFixed(2).padStart(7)} s  card wrote ${(result.io.writeBytes / MB).toFixed(1)} MB in ${result.io.writes} requests, read ${(result.io.readBytes / MB).toFixed(1)} MB${result.done ? `  (write ${result.done.writeSeconds.toFixed(2)} s, verify ${result.done.verifySeconds.toFixed(2)} s)` : ''}  peak ${result.peakMb.toFixed(0)} MB`);
			measured.set(tool.id, [...measured.get(tool.id) ?? [], result]);
		}
	}

	const medians = new Map<string, Measured>();
	for (const [id, results] of measured) {
		const seconds = median(results.map(result => result.seconds));
		medians.set(id, {...results.find(result => result.seconds === seconds) ?? results[0]!, seconds, peakMb: Math.max(...results.map(result => result.peakMb))});
	}

	return medians;
}

const wanted = (ids: string[]) => ids.filter(id => !only || only.includes(id));

/** Time, card write speed and peak memory of each run, as figures. */
function runFigures(results: Map<string, Measured>, suffix: string, label: string): Result[] {
	return [...results.values()].flatMap(({tool, seconds, io, peakMb}) => [
		{id: `${tool.id}${suffix}-seconds`, label: `${tool.label}${label}: time`, value: seconds, unit: 's'},
		{id: `${tool.id}${suffix}-card-mb`, label: `${tool.label}${label}: MB the card wrote`, value: io.writeBytes / MB, unit: 'MB'},
		{id: `${tool.id}${suffix}-mbps`, label: `${tool.label}${label}: card writes per second of the run`, value: io.writeBytes / MB / seconds, unit: 'MB/s'},
		...(tool.krazy ? [{id: `${tool.id}${suffix}-peak-rss`, label: `${tool.label}${label}: peak RSS`, value: peakMb, unit: 'MB', goal: '< 100', ok: peakMb < 100}] : []),
	]);
}

/** Goals comparing runs of one image; missing runs (left out with BENCH_CARD_RUNS) give no figure. */
function goalFigures(results: Map<string, Measured>, suffix: string, label: string): Result[] {
	const figures: Result[] = [];
	const get = (id: string) => results.get(id);
	const dd = get('dd');
	const full = get('full');
	const fast = get('fast');
	const fastVerify = get('fast-verify');
	const bmaptool = get('bmaptool-verify');
	const bmaptoolNoVerify = get('bmaptool');
	if (dd) {
		const share = dd.io.writeBytes / MB / dd.seconds / (profile.writeBytesPerSecond / MB);
		figures.push({id: `simulator-dd-share${suffix}`, label: `simulator check: dd's write speed as a share of the card's${label}`, value: share * 100, unit: '%', goal: '90–102', ok: share >= 0.9 && share <= 1.02});
	}

	if (dd && full) {
		const ratio = full.seconds / dd.seconds;
		figures.push({id: `full-to-dd${suffix}`, label: `full write, ratio to dd${label}`, value: ratio, unit: 'ratio', goal: '≤ 1.05', ok: ratio <= 1.05});
	}

	if (fast?.done) {
		// The CLI's own write phase (open to final flush): the process's start (node, lsblk) is a fixed cost the card never sees.
		const share = fast.io.writeBytes / fast.done.writeSeconds / profile.writeBytesPerSecond;
		figures.push({id: `fast-write-share${suffix}`, label: `fast write: card bytes / write phase, share of the card's bandwidth${label}`, value: share * 100, unit: '%', goal: '≥ 90', ok: share >= 0.9});
		const whole = fast.io.writeBytes / fast.seconds / profile.writeBytesPerSecond;
		figures.push({id: `fast-process-share${suffix}`, label: `fast write: card bytes / whole process, share of the bandwidth${label}`, value: whole * 100, unit: '%'});
	}

	if (fastVerify?.done) {
		// The fast mode reads back while it writes: what is left after the last write is the first MiB, the tail of the
		// read-back and the re-read sample (a 4 KiB page every 512 KiB written).
		figures.push({id: `fast-verify-after-write${suffix}`, label: `fast verify: seconds it takes after the last write${label}`, value: fastVerify.done.verifySeconds, unit: 's'});
		figures.push({id: `fast-verify-read-ratio${suffix}`, label: `fast verify: bytes read back / bytes written${label}`, value: fastVerify.io.readBytes / fastVerify.done.writtenBytes, unit: 'ratio'});
		figures.push({id: `fast-verify-read-extra${suffix}`, label: `fast verify: bytes read back beyond those written (the zeroing's checks, the re-read sample)${label}`, value: (fastVerify.io.readBytes - fastVerify.done.writtenBytes) / MB, unit: 'MB'});
	}

	if (fastVerify && fast) {
		figures.push({id: `fast-verify-cost${suffix}`, label: `fast: time verify adds to the whole run${label}`, value: fastVerify.seconds - fast.seconds, unit: 's'});
	}

	if (fastVerify && bmaptool) {
		const ratio = fastVerify.seconds / bmaptool.seconds;
		figures.push({id: `fast-verify-to-bmaptool${suffix}`, label: `fast + read-back verify, ratio to bmaptool copy${label}`, value: ratio, unit: 'ratio', goal: '≤ 1.0', ok: ratio <= 1});
	}

	const withCa = get('fast-verify-machine-ca');
	if (withCa && bmaptool) {
		figures.push({id: `fast-verify-machine-ca-to-bmaptool${suffix}`, label: `fast + read-back verify with this machine's NODE_EXTRA_CA_CERTS, ratio to bmaptool copy${label}`, value: withCa.seconds / bmaptool.seconds, unit: 'ratio'});
	}

	if (fastVerify && bmaptoolNoVerify) {
		figures.push({id: `fast-verify-to-bmaptool-no-verify${suffix}`, label: `fast + read-back verify, ratio to bmaptool copy --no-verify${label}`, value: fastVerify.seconds / bmaptoolNoVerify.seconds, unit: 'ratio'});
	}

	return figures;
}

async function freeBytes(dir: string): Promise<number> {
	const stats = await statfs(dir);
	return stats.bavail * stats.bsize;
}

const dir = await mkdtemp(path.join(os.tmpdir(), 'krazy-bench-card-'));
const cards: CardSimulator[] = [];
const cleanUp = async () => {
	await Promise.all(cards.map(async card => card.dispose()));
	await rm(dir, {recursive: true, force: true});
};

// Interrupted, the throttled group and the loop device must not stay behind.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
	process.once(signal, () => {
		void cleanUp().finally(() => process.exit(130));
	});
}

try {
	// The image files and a written card (in /dev/shm) of the image's size.
	if (await freeBytes('/dev/shm') < 1.2 * imageMiB * MiB) {
		throw new Error(`needs about ${(1.2 * imageMiB * MiB / 1e9).toFixed(1)} GB free in /dev/shm for the card`);
	}

	await readFile(cli).catch(() => {
		throw new Error('run `npm run build` first: the bench times the built CLI');
	});
	const image = await makeImage(dir, 'gokrazy', imageMiB);
	const card = await createCardSimulator({size: image.bytes, profile});
	cards.push(card);
	console.log(`card: ${profile.label}; image: gokrazy-shaped, ${imageMiB} MiB (${rounds} round${rounds === 1 ? '' : 's'})`);
	const results = await runAll(image, card, wanted(tools.map(tool => tool.id)));
	const figures: Result[] = [
		...runFigures(results, '', ''),
		...goalFigures(results, '', ''),
		{id: 'bmaptool-create-seconds', label: 'bmaptool create (the bmap bmaptool copy needs; gok makes none)', value: image.createSeconds, unit: 's'},
	];

	if (bigMiB > 0 && wanted([...bigTools]).length > 0) {
		await card.dispose();
		const big = await makeImage(dir, 'gokrazy-big', bigMiB);
		// Sparse in /dev/shm: only what is written takes memory.
		const bigCard = await createCardSimulator({size: big.bytes, profile});
		cards.push(bigCard);
		console.log(`image: gokrazy-shaped, ${bigMiB} MiB`);
		const bigResults = await runAll(big, bigCard, wanted([...bigTools]));
		const suffix = `-${Math.round(bigMiB / 1024)}g`;
		const label = ` (${Math.round(bigMiB / 1024)} GiB image)`;
		figures.push(...runFigures(bigResults, suffix, label), ...goalFigures(bigResults, suffix, label));
		figures.push({id: `bmaptool-create-seconds${suffix}`, label: `bmaptool create${label}`, value: big.createSeconds, unit: 's'});
		for (const id of ['fast', 'fast-verify', 'bmaptool-verify']) {
			const small = results.get(id);
			const large = bigResults.get(id);
			if (small && large) {
				const ratio = large.seconds / small.seconds;
				const content = id.startsWith('fast');
				figures.push({
					id: `${id}${suffix}-to-${imageMiB}m`,
					label: `${large.tool.label}: ${Math.round(bigMiB / 1024)} GiB image time, ratio to ${imageMiB} MiB (same content)`,
					value: ratio,
					unit: 'ratio',
					...(content ? {goal: '≤ 1.1', ok: ratio <= 1.1} : {}),
				});
			}
		}
	}

	report(`flash at card speed: ${profile.label}, gokrazy-shaped ${imageMiB} MiB image${bigMiB > 0 ? ` and ${bigMiB} MiB` : ''}`, figures.map(figure => ({...figure, name: figure.label, pass: figure.ok})));
} finally {
	await cleanUp();
}

// An SD card at card speed for benches and tests: a loop device throttled by the kernel's block I/O controller (cgroup v1 blkio), with its I/O counted.
import {execFile} from 'node:child_process';
import {existsSync} from 'node:fs';
import {mkdir, readFile, rmdir, writeFile} from 'node:fs/promises';
import path from 'node:path';
import {promisify} from 'node:util';
import type {ExecutionContext} from 'ava';
import {createLoopDevice, type LoopDevice, type LoopOptions} from './loop-device.js';

const run = promisify(execFile);

/** Where cgroup v1's blkio controller is mounted (the throttle rules live in a child group made per card). */
export const blkioRoot = '/sys/fs/cgroup/blkio';

export type CardProfile = {
	name: string;
	label: string;
	/** Bytes a second (decimal MB as card makers count them). */
	writeBytesPerSecond: number;
	readBytesPerSecond: number;
};

const MB = 1e6;

/** Speeds of real cards behind a typical USB reader (sequential, large writes). */
export const cardProfiles = {
	/** The default: a good class 10 / U1 card in a USB 2 or 3 reader. */
	card: {name: 'card', label: 'SD card, 25 MB/s write, 80 MB/s read', writeBytesPerSecond: 25 * MB, readBytesPerSecond: 80 * MB},
	class10: {name: 'class10', label: 'class 10 card, 20 MB/s write, 45 MB/s read', writeBytesPerSecond: 20 * MB, readBytesPerSecond: 45 * MB},
	a1: {name: 'a1', label: 'A1 card, 30 MB/s write, 80 MB/s read', writeBytesPerSecond: 30 * MB, readBytesPerSecond: 80 * MB},
	a2: {name: 'a2', label: 'A2 card, 60 MB/s write, 90 MB/s read', writeBytesPerSecond: 60 * MB, readBytesPerSecond: 90 * MB},
	usb2: {name: 'usb2', label: 'fast card in a USB 2 reader, 30 MB/s write, 40 MB/s read', writeBytesPerSecond: 30 * MB, readBytesPerSecond: 40 * MB},
} as const satisfies Record<string, CardProfile>;

export type CardProfileName = keyof typeof cardProfiles;

export function cardProfile(name: string): CardProfile {
	const profile = (cardProfiles as Record<string, CardProfile>)[name];
	if (!profile) {
		throw new Error(`unknown card profile ${name}; known: ${Object.keys(cardProfiles).join(', ')}`);
	}

	return profile;
}

/** What went through the throttle for the card, counted by the kernel (bios, after any splitting by the block layer). */
export type CardIo = {readBytes: number; writeBytes: number; reads: number; writes: number};

export type CardSimulator = LoopDevice & {
	profile: CardProfile;
	/** MAJ:MIN of the loop device, as the throttle rules name it. */
	majMin: string;
	/** The cgroup folder. */
	cgroup: string;
	/** A command line that runs `command` inside the throttled group (a shell that moves itself there, then execs). */
	wrap(command: string, args: readonly string[]): [command: string, args: string[]];
	/**
	 * Moves a running process (all its threads) into the group: its I/O to the card is throttled from then on. A process
	 * is in one group at a time: tests that enter run serially, one card at a time.
	 */
	enter(pid?: number): Promise<void>;
	/** Moves it back to the group it came from (by default the root group). */
	leave(pid?: number): Promise<void>;
	/** The card's I/O counters since the group was made or `resetIo` was last called. */
	io(): Promise<CardIo>;
	resetIo(): Promise<void>;
	/** Detaches the loop device and removes the group (moving out any process still in it); safe to call twice. */
	dispose(): Promise<void>;
};

export type CardSimulatorOptions = LoopOptions & {profile?: CardProfile | CardProfileName};

let made = 0;

/** Whether this machine can simulate cards: cgroup v1 blkio with the throttle files, and root. */
export function canSimulateCards(): boolean {
	return existsSync(path.join(blkioRoot, 'blkio.throttle.write_bps_device')) && process.getuid?.() === 0;
}

function parseIo(text: string, majMin: string): {read: number; write: number} {
	let read = 0;
	let write = 0;
	for (const line of text.split('\n')) {
		const [device, operation, value] = line.trim().split(/\s+/);
		if (device !== majMin) {
			continue;
		}

		if (operation === 'Read') {
			read = Number(value);
		} else if (operation === 'Write') {
			write = Number(value);
		}
	}

	return {read, write};
}

async function pidsIn(cgroup: string): Promise<number[]> {
	try {
		return (await readFile(path.join(cgroup, 'cgroup.procs'), 'utf8')).split('\n').filter(Boolean).map(Number);
	} catch {
		return [];
	}
}

/**
 * A card of `options.size` bytes at `options.profile`'s speeds. The throttle applies to processes in the group only
 * (run a writer through `wrap`, or `enter` this one): to their direct I/O, to their reads past the page cache, and to
 * the buffered writes their own fsync sends to the card. Dirty pages the kernel's flusher threads write back (old or
 * too many of them: a buffered dd of a whole image) leave from outside the group, unthrottled and uncounted: `io()`
 * tells how much went through, and benches check it.
 * With `t`, disposed of when the test ends, also on failure.
 */
export async function createCardSimulator(options: CardSimulatorOptions, t?: ExecutionContext): Promise<CardSimulator> {
	if (!canSimulateCards()) {
		throw new Error(`card simulator: needs root and cgroup v1 blkio throttling at ${blkioRoot}`);
	}

	const profile = typeof options.profile === 'string' ? cardProfile(options.profile) : options.profile ?? cardProfiles.card;
	const loop = await createLoopDevice(options);
	const cgroup = path.join(blkioRoot, `krazy-card-${process.pid}-${made++}`);
	let majMin = '';
	let disposed = false;
	const dispose = async () => {
		if (disposed) {
			return;
		}

		disposed = true;
		// A group with processes in it cannot go: any still there (a writer killed mid-run whose children live on, this
		// process after an enter) go back to the root group first.
		for (let attempt = 0; attempt < 50 && existsSync(cgroup); attempt++) {
			for (const pid of await pidsIn(cgroup)) {
				await writeFile(path.join(blkioRoot, 'cgroup.procs'), String(pid)).catch(() => undefined);
			}

			try {
				await rmdir(cgroup);
			} catch {
				await new Promise(resolve => setTimeout(resolve, 100));
			}
		}

		await loop.detach();
	};

	try {
		majMin = (await run('lsblk', ['--nodeps', '--noheadings', '--output', 'MAJ:MIN', loop.path])).stdout.trim();
		await mkdir(cgroup);
		await writeFile(path.join(cgroup, 'blkio.throttle.write_bps_device'), `${majMin} ${Math.round(profile.writeBytesPerSecond)}`);
		await writeFile(path.join(cgroup, 'blkio.throttle.read_bps_device'), `${majMin} ${Math.round(profile.readBytesPerSecond)}`);
	} catch (error) {
		await dispose();
		throw error;
	}

	t?.teardown(dispose);
	const procs = path.join(cgroup, 'cgroup.procs');
	let base: CardIo = {readBytes: 0, writeBytes: 0, reads: 0, writes: 0};
	const totals = async (): Promise<CardIo> => {
		const [bytes, count] = await Promise.all([
			readFile(path.join(cgroup, 'blkio.throttle.io_service_bytes'), 'utf8'),
			readFile(path.join(cgroup, 'blkio.throttle.io_serviced'), 'utf8'),
		]);
		const byteCounts = parseIo(bytes, majMin);
		const counts = parseIo(count, majMin);
		return {readBytes: byteCounts.read, writeBytes: byteCounts.write, reads: counts.read, writes: counts.write};
	};

	const io = async (): Promise<CardIo> => {
		const now = await totals();
		return {readBytes: now.readBytes - base.readBytes, writeBytes: now.writeBytes - base.writeBytes, reads: now.reads - base.reads, writes: now.writes - base.writes};
	};

	return {
		...loop,
		profile,
		majMin,
		cgroup,
		wrap: (command, args) => ['/bin/sh', ['-c', 'echo $$ > "$0" && exec "$@"', procs, command, ...args]],
		enter: async (pid = process.pid) => writeFile(procs, String(pid)),
		leave: async (pid = process.pid) => writeFile(path.join(blkioRoot, 'cgroup.procs'), String(pid)),
		io,
		// blkio.reset_stats leaves the throttle's own counters alone (6.x kernels): counted from a baseline instead.
		resetIo: async () => {
			base = await totals();
		},
		detach: dispose,
		dispose,
	};
}

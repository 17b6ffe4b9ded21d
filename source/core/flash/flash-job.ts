// Writing one image to one card: open it, write, verify, flush, reporting progress as events (flash-session.ts runs
// the whole sequence around it and powers the card off).
import {alignedBuffers} from './aligned-memory.js';
import type {PowerOffResult} from './card-eject.js';
import {ChunkHasher, startInlineHasher} from './chunk-hasher.js';
import type {FastWriteReport} from './fast-write.js';
import {FlashDevice} from './flash-device.js';
import type {FlashProgress} from './flash-progress.js';
import type {ImageInfo} from './image-source.js';
import {verifyWrite} from './image-verifier.js';
import {firstZeroed, writeImage} from './image-writer.js';

export type FlashPlan = {
	image: ImageInfo;
	devicePath: string;
	fast?: boolean;
	/** Default true. */
	verify?: boolean;
	env?: NodeJS.ProcessEnv;
};

export type FlashOutcome = {
	/** The image's SHA-256; absent in the fast mode, which does not read the zeros it skips into a hash. */
	sha256?: string;
	imageBytes: number;
	writtenBytes: number;
	skippedBytes: number;
	/** Zeros meant for the card that it held already (read, not written); see WriteResult. */
	alreadyZeroBytes?: number;
	verified: boolean;
	writeSeconds: number;
	verifySeconds: number;
	fast?: FastWriteReport;
	powerOff?: PowerOffResult;
};

export type FlashEvent = FlashProgress | {phase: 'power-off'};

export type FlashHooks = {
	signal?: AbortSignal;
	onEvent?: (event: FlashEvent) => void;
	progressIntervalMs?: number;
};

/** Runs the plan. Throws a FlashError (kind `permission` when the card needs root: see elevation.ts). */
export async function runFlash(plan: FlashPlan, hooks: FlashHooks = {}): Promise<FlashOutcome> {
	const device = await FlashDevice.open(plan.devicePath);
	// What the write checks first is read now, while the writer gets ready (buffers, the hash worker, the image).
	const {before, beside} = firstZeroed(device.size);
	for (const [start, end] of [...before, ...beside]) {
		device.prefetch(start, end - start);
	}

	// One set of aligned buffers for writing and reading back: memory stays flat whatever the image.
	// Three of 2 MiB: one being filled, two out being written and hashed; bigger or more buys no speed (bench/flash.ts)
	// but costs memory.
	const buffers = alignedBuffers(3, 2 * 1024 * 1024);
	// A raw image is read faster than one core hashes it: the hash goes to a worker. A compressed image's decoder sets
	// the pace, and its memory does not go back to the system when it is done: hashed on this thread, write and verify
	// both, it needs no worker on top (bench/flash.ts measures both peaks).
	const hasher = plan.image.format === 'raw' ? new ChunkHasher() : undefined;
	const startHasher = hasher ? (streams: number) => hasher.session(streams) : startInlineHasher;
	let outcome: FlashOutcome;
	try {
		const verify = plan.verify ?? true;
		// The fast mode verifies while it writes (ReadBack in image-verifier.ts); a full write after it.
		const readBack = Boolean(plan.fast) && verify;
		const written = await writeImage(plan.image, device, {
			buffers,
			startHasher,
			fast: plan.fast,
			readBack,
			signal: hooks.signal,
			onProgress: hooks.onEvent,
			onVerifyProgress: hooks.onEvent,
			progressIntervalMs: hooks.progressIntervalMs,
		});
		outcome = {
			sha256: written.sha256,
			imageBytes: written.imageBytes,
			writtenBytes: written.writtenBytes,
			skippedBytes: written.skippedBytes,
			alreadyZeroBytes: written.alreadyZeroBytes,
			verified: false,
			writeSeconds: written.seconds,
			verifySeconds: 0,
			fast: written.fast,
		};
		if (written.readBack) {
			outcome.verified = true;
			outcome.verifySeconds = written.readBack.seconds;
		} else if (verify) {
			const verified = await verifyWrite(plan.image, device, written, {
				buffers,
				startHasher,
				signal: hooks.signal,
				onProgress: hooks.onEvent,
				progressIntervalMs: hooks.progressIntervalMs,
			});
			outcome.verified = true;
			outcome.verifySeconds = verified.seconds;
		}
	} finally {
		await Promise.all([device.close(), hasher?.close()]);
	}

	return outcome;
}

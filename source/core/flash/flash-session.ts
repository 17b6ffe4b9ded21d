// One flash, the whole sequence, written once: unmount → build (gok) → inspect → write and verify (through sudo when
// the card needs root) → power off → clean up. `krazy-tui flash --device` and the wizard both drive it and follow it
// by its events; neither has a sequence of its own.
//
//   const outcome = await runFlashSession({drive, source: {image}, unmount: true, verify: true}, services, {
//   	signal, askSudoPassword: true, onEvent: event => …,   // progress, 'sudo', 'power-off', …
//   });
//
// The card is powered off at one point: after it was written and verified, whichever process wrote it, and before the
// outcome is reported (the sudo child is told --no-power-off). A failed or stopped flash leaves the card powered.
import type {DriveAssessment} from './drive-verdict.js';
import {noSudoMessage} from './elevation.js';
import {FlashError, isFlashError} from './flash-error.js';
import type {FlashEvent, FlashOutcome, FlashPlan} from './flash-job.js';
import type {FlashProgress} from './flash-progress.js';
import type {FlashServices} from './flash-services.js';
import type {GokBuild} from './gok-image.js';
import type {ImageInfo} from './image-source.js';

export type FlashSessionRequest = {
	/** The card as assessed just before (its path, size, type and mounted partitions). */
	drive: DriveAssessment;
	/** An inspected image file, or a gok instance to build for the card. */
	source: {image: ImageInfo} | {instance: string};
	/** Unmount the card's mounted partitions first; without it a mounted card is refused. */
	unmount: boolean;
	fast?: boolean;
	/** Default true. */
	verify?: boolean;
	/** Default true. */
	powerOff?: boolean;
};

export type FlashSessionEvent =
	| {type: 'unmounting'; mountpoints: readonly string[]}
	| {type: 'build-output'; line: string}
	| {type: 'image-built'; image: ImageInfo}
	| {type: 'progress'; progress: FlashProgress}
	/** The card needs root: sudo is about to ask for a password on the terminal (when `asking`). */
	| {type: 'sudo'; asking: boolean}
	| {type: 'sudo-granted'}
	| {type: 'power-off'}
	| {type: 'done'; outcome: FlashOutcome};

export type FlashSessionHooks = {
	signal?: AbortSignal;
	onEvent?: (event: FlashSessionEvent) => void;
	/** A terminal is there for sudo's password prompt (else sudo must not need one). */
	askSudoPassword: boolean;
};

/** Runs the whole flash; resolves with the outcome (power-off result included), or throws naming the device. */
export async function runFlashSession(request: FlashSessionRequest, services: FlashServices, hooks: FlashSessionHooks): Promise<FlashOutcome> {
	const {drive} = request;
	const devicePath = drive.device.path;
	const emit = (event: FlashSessionEvent) => hooks.onEvent?.(event);
	let build: GokBuild | undefined;
	const stopIfAborted = () => {
		if (hooks.signal?.aborted) {
			throw new FlashError(devicePath, 'cancelled', 'cancelled before writing: nothing was written');
		}
	};

	try {
		stopIfAborted();
		if (drive.verdict === 'refuse') {
			throw new FlashError(devicePath, 'refused', drive.reasons.filter(reason => reason.severity === 'refuse').map(reason => reason.text).join(', ') || 'refused');
		}

		if (drive.mounted.length > 0) {
			if (!request.unmount) {
				throw new FlashError(devicePath, 'busy', `mounted at ${drive.mounted.join(', ')}; unmount it first, refusing`);
			}

			emit({type: 'unmounting', mountpoints: drive.mounted});
			await services.unmount(devicePath, drive.mounted);
		}

		let image: ImageInfo;
		if ('image' in request.source) {
			image = request.source.image;
		} else {
			build = await services.buildInstance(request.source.instance, drive.device.size, {
				signal: hooks.signal,
				onOutput: line => emit({type: 'build-output', line}),
			});
			image = await services.inspectImage(build.imagePath);
			emit({type: 'image-built', image});
		}

		stopIfAborted();
		const plan: FlashPlan = {image, devicePath, fast: request.fast, verify: request.verify ?? true};
		const flashHooks = {
			signal: hooks.signal,
			onEvent(event: FlashEvent) {
				if (event.phase === 'write' || event.phase === 'verify') {
					emit({type: 'progress', progress: event});
				}
			},
		};
		let outcome: FlashOutcome;
		try {
			outcome = await services.flash(plan, flashHooks);
		} catch (error) {
			if (!isFlashError(error) || error.kind !== 'permission') {
				throw error;
			}

			const sudo = await services.sudoPath();
			if (!sudo) {
				throw new FlashError(devicePath, 'permission', noSudoMessage(devicePath).slice(devicePath.length + 2));
			}

			emit({type: 'sudo', asking: hooks.askSudoPassword});
			if (hooks.askSudoPassword) {
				await services.validateSudo(sudo);
			}

			emit({type: 'sudo-granted'});
			outcome = await services.flashWithSudo(sudo, plan, flashHooks);
		}

		if (request.powerOff ?? true) {
			emit({type: 'power-off'});
			outcome = {...outcome, powerOff: await services.powerOff(devicePath, drive.device.type === 'loop')};
		}

		emit({type: 'done', outcome});
		return outcome;
	} finally {
		await build?.cleanup();
	}
}

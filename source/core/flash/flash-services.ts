// What a flash asks of the system, as one object: the real programs and devices by default, others in tests.
import {surveyDrives} from './drive-survey.js';
import type {DriveAssessment} from './drive-verdict.js';
import {currentInvocation, elevatedFlashArgs, findSudo, runElevatedFlash, validateSudo} from './elevation.js';
import {runFlash, type FlashEvent, type FlashOutcome, type FlashPlan} from './flash-job.js';
import {powerOffCard, type PowerOffResult} from './card-eject.js';
import {buildGokImage, listGokInstances, type GokBuild} from './gok-image.js';
import {inspectImage, type ImageInfo} from './image-source.js';
import {unmountAll} from './unmount.js';

export type FlashHooks = {signal?: AbortSignal; onEvent: (event: FlashEvent) => void};

export type FlashServices = {
	inspectImage(path: string): Promise<ImageInfo>;
	listInstances(): Promise<string[]>;
	survey(options: {showAll: boolean; image?: {path: string; size?: number}}): Promise<DriveAssessment[]>;
	buildInstance(instance: string, targetBytes: number, options: {signal?: AbortSignal; onOutput: (line: string) => void}): Promise<GokBuild>;
	unmount(devicePath: string, mountpoints: readonly string[]): Promise<void>;
	/** Writes and verifies in this process; never powers the card off (the session does, once). */
	flash(plan: FlashPlan, hooks: FlashHooks): Promise<FlashOutcome>;
	/** undefined when sudo is not installed. */
	sudoPath(): Promise<string | undefined>;
	/** Asks for the sudo password on the terminal (the caller has released it). */
	validateSudo(sudo: string): Promise<void>;
	/** Writes and verifies in a `sudo krazy-tui flash … --json --no-power-off` child, forwarding its progress. */
	flashWithSudo(sudo: string, plan: FlashPlan, hooks: FlashHooks): Promise<FlashOutcome>;
	powerOff(devicePath: string, isLoop: boolean): Promise<PowerOffResult>;
};

export function defaultFlashServices(env: NodeJS.ProcessEnv, home: string): FlashServices {
	return {
		inspectImage,
		listInstances: async () => listGokInstances({env, home}),
		survey: async options => surveyDrives(options),
		buildInstance: async (instance, targetBytes, options) => buildGokImage(instance, targetBytes, {env, ...options}),
		unmount: async (devicePath, mountpoints) => unmountAll(devicePath, mountpoints, env),
		flash: async (plan, hooks) => runFlash({...plan, env}, hooks),
		sudoPath: async () => findSudo(env),
		validateSudo: async sudo => validateSudo(sudo, env),
		async flashWithSudo(sudo, plan, hooks) {
			const args = elevatedFlashArgs(currentInvocation(), {imagePath: plan.image.path, devicePath: plan.devicePath, fast: plan.fast, verify: plan.verify});
			return runElevatedFlash(sudo, args, {env, signal: hooks.signal, onEvent: hooks.onEvent, devicePath: plan.devicePath});
		},
		powerOff: async (devicePath, isLoop) => powerOffCard(devicePath, {env, isLoop}),
	};
}

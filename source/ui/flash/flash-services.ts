// What the wizard asks of the flashing core, as one object: the real one by default, another in tests or other hosts.
import {surveyDrives} from '../../core/flash/drive-survey.js';
import type {DriveAssessment} from '../../core/flash/drive-verdict.js';
import {currentInvocation, elevatedFlashArgs, findSudo, runElevatedFlash, validateSudo} from '../../core/flash/elevation.js';
import {runFlash, type FlashEvent, type FlashOutcome, type FlashPlan} from '../../core/flash/flash-job.js';
import {powerOffCard, type PowerOffResult} from '../../core/flash/card-eject.js';
import {buildGokImage, listGokInstances, type GokBuild} from '../../core/flash/gok-image.js';
import {inspectImage, type ImageInfo} from '../../core/flash/image-source.js';
import {unmountAll} from '../../core/flash/unmount.js';

export type FlashServices = {
	inspectImage(path: string): Promise<ImageInfo>;
	listInstances(): Promise<string[]>;
	survey(options: {showAll: boolean; image?: {path: string; size?: number}}): Promise<DriveAssessment[]>;
	buildInstance(instance: string, targetBytes: number, options: {signal: AbortSignal; onOutput: (line: string) => void}): Promise<GokBuild>;
	unmount(devicePath: string, mountpoints: readonly string[]): Promise<void>;
	flash(plan: FlashPlan, hooks: {signal: AbortSignal; onEvent: (event: FlashEvent) => void}): Promise<FlashOutcome>;
	/** undefined when sudo is not installed. */
	sudoPath(): Promise<string | undefined>;
	/** Asks for the sudo password on the terminal (the wizard has released it). */
	validateSudo(sudo: string): Promise<void>;
	flashWithSudo(sudo: string, plan: FlashPlan, hooks: {signal: AbortSignal; onEvent: (event: FlashEvent) => void}): Promise<FlashOutcome>;
	powerOff(devicePath: string, isLoop: boolean): Promise<PowerOffResult>;
};

export function defaultFlashServices(env: NodeJS.ProcessEnv, home: string): FlashServices {
	return {
		inspectImage,
		listInstances: async () => listGokInstances({env, home}),
		survey: async options => surveyDrives(options),
		buildInstance: async (instance, targetBytes, options) => buildGokImage(instance, targetBytes, {env, ...options}),
		unmount: async (devicePath, mountpoints) => unmountAll(devicePath, mountpoints, env),
		flash: async (plan, hooks) => runFlash({...plan, env, powerOff: false}, hooks),
		sudoPath: async () => findSudo(env),
		validateSudo: async sudo => validateSudo(sudo, env),
		async flashWithSudo(sudo, plan, hooks) {
			const args = elevatedFlashArgs(currentInvocation(), {imagePath: plan.image.path, devicePath: plan.devicePath, fast: plan.fast, verify: plan.verify});
			return runElevatedFlash(sudo, args, {env, signal: hooks.signal, onEvent: hooks.onEvent, devicePath: plan.devicePath});
		},
		powerOff: async (devicePath, isLoop) => powerOffCard(devicePath, {env, isLoop}),
	};
}

// What a flash asks of the system, as one object: the real programs and devices by default, others in tests.
import {surveyDrives} from './drive-survey.js';
import type {DriveAssessment} from './drive-verdict.js';
import {currentInvocation, elevatedFlashArgs, findSudo, runElevatedFlash, validateSudo} from './elevation.js';
import {runFlash, type FlashEvent, type FlashOutcome, type FlashPlan} from './flash-job.js';
import {powerOffCard, type PowerOffResult} from './card-eject.js';
import {readGokInstance} from '../gok-config.js';
import {readSettings, setSetting} from '../settings.js';
import {buildGokImage, listGokInstances, type GokBuild} from './gok-image.js';
import {inspectImage, type ImageInfo} from './image-source.js';
import {unmountAll} from './unmount.js';
import {completePath, type PathCompletion} from './path-completion.js';
import {findProgram} from './program-path.js';
import {gokParentDir} from '../gok-config.js';
import path from 'node:path';

export type FlashHooks = {signal?: AbortSignal; onEvent: (event: FlashEvent) => void};

/** A gok instance the wizard can offer, or one it shows as broken (`problem`) and does not offer. */
export type GokSource = {readonly name: string; readonly problem?: string};

/** What can be flashed besides an image file: gok instances, which need `gok` on PATH to be built. */
export type FlashSources = {readonly gok: boolean; readonly instances: readonly GokSource[]};

export type FlashServices = {
	inspectImage(path: string): Promise<ImageInfo>;
	/** The prerequisites, checked before anything is offered: is `gok` there, which instances are usable. */
	listSources(): Promise<FlashSources>;
	/** Tab in the image path field. */
	completePath(partial: string): Promise<PathCompletion>;
	/** The image written last (from the settings), to start with. */
	lastImage(): Promise<string | undefined>;
	rememberImage(path: string): Promise<void>;
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
		async listSources() {
			const [gok, names] = await Promise.all([findProgram('gok', env), listGokInstances({env, home})]);
			const parent = gokParentDir({env, home});
			const instances = await Promise.all(names.map(async (name): Promise<GokSource> => {
				const read = await readGokInstance(path.join(parent, name, 'config.json'), {env, home});
				const problem = read.target ? undefined : read.problems[0]?.message.replace(/^.*?config\.json: /, '');
				return problem ? {name, problem} : {name};
			}));
			return {gok: gok !== undefined, instances};
		},
		completePath: async partial => completePath(partial, {home, cwd: process.cwd()}),
		async lastImage() {
			const {settings} = await readSettings({env, home});
			return settings.lastImage ?? undefined;
		},
		rememberImage: async imagePath => setSetting({env, home}, 'lastImage', imagePath),
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

// What a flash asks of the system, as one object: the real programs and devices by default, others in tests.
// Only the survey and the image reader load with it: the rest (the writer, sudo, gok, settings, unmount, eject,
// completion) loads when first asked for, the writer while lsblk runs (preloadWriter), so a flash's start waits for
// no module it does not use.
import {surveyDrives} from './drive-survey.js';
import type {DriveAssessment} from './drive-verdict.js';
import type {FlashEvent, FlashOutcome, FlashPlan} from './flash-job.js';
import type {PowerOffResult} from './card-eject.js';
import type {GokBuild} from './gok-image.js';
import {inspectImage, type ImageInfo} from './image-source.js';
import type {PathCompletion} from './path-completion.js';
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

/** Starts loading the writer (flash-job and what it uses) without waiting: a flash then finds it loaded. */
export async function preloadWriter(): Promise<void> {
	await import('./flash-job.js');
}

export function defaultFlashServices(env: NodeJS.ProcessEnv, home: string): FlashServices {
	return {
		inspectImage,
		async listSources() {
			const [{findProgram}, {listGokInstances}, {gokParentDir, readGokInstance}] = await Promise.all([
				import('./program-path.js'),
				import('./gok-image.js'),
				import('../gok-config.js'),
			]);
			const [gok, names] = await Promise.all([findProgram('gok', env), listGokInstances({env, home})]);
			const parent = gokParentDir({env, home});
			const instances = await Promise.all(names.map(async (name): Promise<GokSource> => {
				const read = await readGokInstance(path.join(parent, name, 'config.json'), {env, home});
				const problem = read.target ? undefined : read.problems[0]?.message.replace(/^.*?config\.json: /, '');
				return problem ? {name, problem} : {name};
			}));
			return {gok: gok !== undefined, instances};
		},
		completePath: async partial => (await import('./path-completion.js')).completePath(partial, {home, cwd: process.cwd()}),
		async lastImage() {
			const {readSettings} = await import('../settings.js');
			const {settings} = await readSettings({env, home});
			return settings.lastImage ?? undefined;
		},
		rememberImage: async imagePath => (await import('../settings.js')).setSetting({env, home}, 'lastImage', imagePath),
		survey: async options => surveyDrives(options),
		buildInstance: async (instance, targetBytes, options) => (await import('./gok-image.js')).buildGokImage(instance, targetBytes, {env, ...options}),
		unmount: async (devicePath, mountpoints) => (await import('./unmount.js')).unmountAll(devicePath, mountpoints, env),
		flash: async (plan, hooks) => (await import('./flash-job.js')).runFlash({...plan, env}, hooks),
		sudoPath: async () => (await import('./elevation.js')).findSudo(env),
		validateSudo: async sudo => (await import('./elevation.js')).validateSudo(sudo, env),
		async flashWithSudo(sudo, plan, hooks) {
			const {currentInvocation, elevatedFlashArgs, runElevatedFlash} = await import('./elevation.js');
			const args = elevatedFlashArgs(currentInvocation(), {imagePath: plan.image.path, devicePath: plan.devicePath, fast: plan.fast, verify: plan.verify});
			return runElevatedFlash(sudo, args, {env, signal: hooks.signal, onEvent: hooks.onEvent, devicePath: plan.devicePath});
		},
		powerOff: async (devicePath, isLoop) => (await import('./card-eject.js')).powerOffCard(devicePath, {env, isLoop}),
	};
}

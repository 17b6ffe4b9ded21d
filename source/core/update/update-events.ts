// What an update or rollback job reports while it runs (typed events a UI or a command renders) and how it fails (naming the device and where it stands).
import type {ServiceState} from '../device-model.js';
import type {SbomDiff} from './sbom.js';

/** Which build a device runs: BuildTimestamp and SBOMHash as its overview reports them. */
export type BuildRef = {buildTimestamp: string; sbomHash: string};

export type UpdatePhase = 'build' | 'check' | 'push' | 'switch' | 'reboot' | 'wait' | 'gate' | 'done' | 'failed';

/** Where a device stands, for the summary and for a cancel or a failure. */
export type DeviceStanding =
	| 'untouched'
	/** The inactive partition was (partly) written; nothing switched: the device runs and boots the old build. */
	| 'pushed'
	/** Told to boot the new build (switch or testboot), not rebooted: it boots the new build at its next reboot. */
	| 'switched'
	/** Rebooted; runs the new build. */
	| 'rebooted'
	/** Asked to reboot; not seen back (yet). */
	| 'rebooting';

export type ServiceSnapshot = {state: ServiceState; pid: number};

export type GateRow = {
	path: string;
	before: ServiceSnapshot | null;
	after: ServiceSnapshot | null;
	/** Starts seen during the settle time beyond the first. */
	restarts: number;
	ok: boolean;
	/** Why it failed ("restarted 7 times in 30 s", "not in the new build"). */
	reason?: string;
	/** The last stderr line of a failing service. */
	lastStderr?: string;
};

export type UpdatePlan = {
	device: string;
	kind: 'update' | 'rollback';
	from: BuildRef;
	/** The SBOM hash (and, for demo archives, the build timestamp) the device will report; empty where unknown. */
	to: BuildRef;
	archive?: string;
	parts: Array<{part: string; bytes: number}>;
	/** Packages added/removed/changed, when krazy-tui knows the SBOM of the running build. */
	diff?: SbomDiff;
	/** Why there is no diff, or other things to know before saying yes. */
	notes: string[];
	mode: 'switch' | 'testboot';
	reboot: boolean;
	settleSeconds: number;
};

export type UpdateResult = {
	device: string;
	kind: 'update' | 'rollback';
	from: BuildRef;
	to: BuildRef;
	standing: DeviceStanding;
	/** Seconds from the reboot request to the first answer of the new build; undefined without a reboot. */
	downtimeSeconds?: number;
	services: GateRow[];
	/** testboot: the tested build was made permanent after the gate passed. */
	committed?: boolean;
};

export type UpdateEvent =
	| {type: 'phase'; device: string; phase: UpdatePhase; message?: string}
	| {type: 'build-line'; device: string; line: string}
	| {type: 'plan'; device: string; plan: UpdatePlan}
	| {type: 'push'; device: string; part: string; bytes: number; total: number; bytesPerSecond: number; etaSeconds: number | undefined}
	| {type: 'pushed'; device: string; part: string; bytes: number; seconds: number; sha256: string}
	| {type: 'skipped'; device: string; part: string; reason: string}
	| {type: 'switched'; device: string; mode: 'switch' | 'testboot' | 'commit'}
	| {type: 'wait'; device: string; state: 'rebooting' | 'away' | 'back'; seconds: number; from: BuildRef; to?: BuildRef}
	| {type: 'gate'; device: string; remainingSeconds: number; rows: GateRow[]}
	| {type: 'done'; device: string; result: UpdateResult}
	| {type: 'failed'; device: string; phase: UpdatePhase; message: string; switched: boolean; standing: DeviceStanding};

/** A failed (or cancelled, or declined) job: the message names the device, the cause and what state it was left in. */
export class UpdateFailure extends Error {
	override readonly name = 'UpdateFailure';

	constructor(
		readonly device: string,
		readonly phase: UpdatePhase,
		message: string,
		readonly standing: DeviceStanding,
		readonly extra: {cancelled?: boolean; declined?: boolean; rows?: GateRow[]; rollbackOffered?: boolean; from?: BuildRef; to?: BuildRef} = {},
	) {
		super(message);
	}

	/** Whether the device was already told to boot the new build. */
	get switched(): boolean {
		return this.standing === 'switched' || this.standing === 'rebooting' || this.standing === 'rebooted';
	}
}

export function sameBuild(a: BuildRef, b: BuildRef): boolean {
	if (a.sbomHash !== '' && b.sbomHash !== '') {
		return a.sbomHash === b.sbomHash && (a.buildTimestamp === '' || b.buildTimestamp === '' || a.buildTimestamp === b.buildTimestamp);
	}

	return a.buildTimestamp !== '' && a.buildTimestamp === b.buildTimestamp;
}

/** "build 2024-05-01T12:04:00Z (sbom 1a2b3c4d5e)" for messages. */
export function describeBuild(build: BuildRef): string {
	const stamp = build.buildTimestamp || 'of unknown time';
	return build.sbomHash ? `build ${stamp} (SBOM ${build.sbomHash.slice(0, 10)})` : `build ${stamp}`;
}

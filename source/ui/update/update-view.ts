// The update pane's state: what core/update's jobs reported (fed event by event), the question the pane asks, the marked
// devices, drift marks and pending reboots; and the words a device row says about it. Pure: no job, no renderer.
import type {DeviceSnapshot} from '../../core/fleet-snapshot.js';
import type {DriftMark} from '../../core/update/gok-build.js';
import {
	sameBuild,
	type BuildRef,
	type DeviceStanding,
	type GateRow,
	type UpdateEvent,
	type UpdatePhase,
	type UpdatePlan,
	type UpdateResult,
} from '../../core/update/update-events.js';
import type {Tone} from '../../display/vocabulary.js';

export type PartProgress = {
	readonly part: string;
	readonly bytes: number;
	readonly total: number;
	readonly bytesPerSecond: number;
	readonly etaSeconds: number | undefined;
	readonly done: boolean;
	/** The hash both sides agreed on. */
	readonly sha256?: string;
	readonly skipped?: string;
};

export type DeviceJobView = {
	readonly device: string;
	readonly kind: 'update' | 'rollback';
	readonly phase: UpdatePhase | 'queued';
	/** gok's last lines (bounded). */
	readonly buildLines: readonly string[];
	readonly plan?: UpdatePlan;
	readonly parts: readonly PartProgress[];
	readonly switched?: 'switch' | 'testboot' | 'commit';
	readonly wait?: {readonly state: 'rebooting' | 'away' | 'back'; readonly seconds: number; readonly from: BuildRef; readonly to?: BuildRef};
	readonly gate?: {readonly remainingSeconds: number; readonly rows: readonly GateRow[]};
	readonly result?: UpdateResult;
	readonly failure?: {readonly phase: UpdatePhase; readonly message: string; readonly standing: DeviceStanding; readonly rows?: readonly GateRow[]};
	/** When the last event arrived (ms), for a row that says how long ago a job ended. */
	readonly at: number;
};

export type UpdateSource = {readonly kind: 'gok'} | {readonly kind: 'archive'; readonly path: string};

export type Prompt =
	/** Build with gok or take an archive (only when every device is a gok instance). */
	| {readonly kind: 'source'; readonly devices: readonly string[]}
	| {readonly kind: 'path'; readonly devices: readonly string[]; readonly text: string; readonly error?: string}
	| {readonly kind: 'confirm'; readonly device: string; readonly plan: UpdatePlan}
	/** Typed confirmation: the device's name. */
	| {readonly kind: 'rollback'; readonly device: string; readonly typed: string; readonly wrong: boolean}
	/** Quitting krazy-tui while a job runs. */
	| {readonly kind: 'quit'};

export type Session = {
	readonly kind: 'update' | 'rollback';
	readonly devices: readonly string[];
	readonly source?: UpdateSource;
	readonly running: boolean;
	/** Cancel asked for; the job is stopping. */
	readonly cancelling: boolean;
	/** Set when the job has ended: one word per device. */
	readonly outcome?: {readonly ok: boolean; readonly cancelled: boolean};
};

export type UpdateViewState = {
	readonly session: Session | null;
	readonly jobs: Readonly<Record<string, DeviceJobView>>;
	/** The device the pane shows. */
	readonly focus: string | null;
	readonly prompt: Prompt | null;
	/** Devices marked for a rollout, in the order they were marked. */
	readonly marked: readonly string[];
	readonly drift: Readonly<Record<string, DriftMark>>;
	/** Switched (or test boot set) but not rebooted: the build it still runs until its next reboot. */
	readonly pendingReboot: Readonly<Record<string, BuildRef>>;
	/** The archive path offered next time. */
	readonly lastArchive: string;
	readonly notice: {readonly text: string; readonly tone: 'info' | 'error'} | null;
};

export const initialUpdateView: UpdateViewState = {
	session: null,
	jobs: {},
	focus: null,
	prompt: null,
	marked: [],
	drift: {},
	pendingReboot: {},
	lastArchive: '',
	notice: null,
};

export type UpdateViewAction =
	| {type: 'event'; event: UpdateEvent; now: number}
	| {type: 'session'; session: Session | null; now?: number}
	| {type: 'sessionEnded'; ok: boolean; cancelled: boolean}
	| {type: 'cancelling'}
	| {type: 'prompt'; prompt: Prompt | null}
	| {type: 'focus'; device: string}
	| {type: 'toggleMark'; device: string}
	| {type: 'clearMarks'}
	| {type: 'drift'; device: string; mark: DriftMark}
	| {type: 'pendingReboot'; device: string; build: BuildRef | null}
	| {type: 'lastArchive'; path: string}
	| {type: 'notice'; notice: UpdateViewState['notice']};

const maxBuildLines = 200;

function emptyJob(device: string, kind: 'update' | 'rollback', now: number): DeviceJobView {
	return {device, kind, phase: 'queued', buildLines: [], parts: [], at: now};
}

function withPart(parts: readonly PartProgress[], part: PartProgress): PartProgress[] {
	const index = parts.findIndex(existing => existing.part === part.part);
	return index === -1 ? [...parts, part] : parts.map((existing, i) => (i === index ? part : existing));
}

/** One job's view after one of its events. */
export function jobReducer(job: DeviceJobView, event: UpdateEvent, now: number): DeviceJobView {
	const at = now;
	switch (event.type) {
		case 'phase':
			return {...job, phase: event.phase, at};
		case 'build-line':
			return {...job, phase: 'build', buildLines: [...job.buildLines, event.line].slice(-maxBuildLines), at};
		case 'plan':
			return {...job, plan: event.plan, kind: event.plan.kind, at};
		case 'push':
			return {...job, phase: 'push', parts: withPart(job.parts, {part: event.part, bytes: event.bytes, total: event.total, bytesPerSecond: event.bytesPerSecond, etaSeconds: event.etaSeconds, done: false}), at};
		case 'pushed': {
			const before = job.parts.find(part => part.part === event.part);
			return {
				...job,
				parts: withPart(job.parts, {
					part: event.part,
					bytes: event.bytes,
					total: event.bytes,
					bytesPerSecond: event.bytes / Math.max(event.seconds, 0.001),
					etaSeconds: 0,
					done: true,
					sha256: event.sha256,
					...(before?.skipped ? {skipped: before.skipped} : {}),
				}),
				at,
			};
		}

		case 'skipped':
			return {...job, parts: withPart(job.parts, {part: event.part, bytes: 0, total: 0, bytesPerSecond: 0, etaSeconds: undefined, done: true, skipped: event.reason}), at};
		case 'switched':
			return {...job, switched: event.mode, at};
		case 'wait':
			return {...job, phase: 'wait', wait: {state: event.state, seconds: event.seconds, from: event.from, to: event.to}, at};
		case 'gate':
			return {...job, phase: 'gate', gate: {remainingSeconds: event.remainingSeconds, rows: event.rows}, at};
		case 'done':
			return {...job, phase: 'done', result: event.result, at};
		case 'failed':
			return {...job, phase: 'failed', failure: {phase: event.phase, message: event.message, standing: event.standing, rows: job.gate?.rows}, at};
	}
}

export function updateViewReducer(state: UpdateViewState, action: UpdateViewAction): UpdateViewState {
	switch (action.type) {
		case 'event': {
			const {event} = action;
			const job = state.jobs[event.device] ?? emptyJob(event.device, state.session?.kind ?? 'update', action.now);
			const next = jobReducer(job, event, action.now);
			let {pendingReboot} = state;
			if (event.type === 'done' && event.result.standing === 'switched') {
				pendingReboot = {...pendingReboot, [event.device]: event.result.from};
			} else if ((event.type === 'done' || event.type === 'wait') && pendingReboot[event.device]) {
				const {[event.device]: _gone, ...rest} = pendingReboot;
				pendingReboot = rest;
			} else if (event.type === 'failed' && event.standing === 'switched' && job.plan) {
				pendingReboot = {...pendingReboot, [event.device]: job.plan.from};
			}

			// The pane follows the device being worked on.
			const focus = event.type === 'phase' || event.type === 'plan' ? event.device : state.focus ?? event.device;
			return {...state, jobs: {...state.jobs, [event.device]: next}, focus, pendingReboot};
		}

		case 'session': {
			if (action.session === null) {
				return {...state, session: null};
			}

			const now = action.now ?? 0;
			const jobs = {...state.jobs};
			for (const device of action.session.devices) {
				jobs[device] = emptyJob(device, action.session.kind, now);
			}

			return {...state, session: action.session, jobs, focus: action.session.devices[0] ?? state.focus, notice: null};
		}

		case 'sessionEnded': {
			if (!state.session) {
				return state;
			}

			// A rollout that stopped: the devices it never reached say so.
			return {...state, session: {...state.session, running: false, cancelling: false, outcome: {ok: action.ok, cancelled: action.cancelled}}, prompt: state.prompt?.kind === 'quit' ? null : state.prompt};
		}

		case 'cancelling': {
			return state.session ? {...state, session: {...state.session, cancelling: true}} : state;
		}

		case 'prompt': {
			return {...state, prompt: action.prompt};
		}

		case 'focus': {
			return {...state, focus: action.device};
		}

		case 'toggleMark': {
			const marked = state.marked.includes(action.device) ? state.marked.filter(name => name !== action.device) : [...state.marked, action.device];
			return {...state, marked};
		}

		case 'clearMarks': {
			return state.marked.length === 0 ? state : {...state, marked: []};
		}

		case 'drift': {
			return state.drift[action.device] === action.mark ? state : {...state, drift: {...state.drift, [action.device]: action.mark}};
		}

		case 'pendingReboot': {
			if (action.build === null) {
				if (!state.pendingReboot[action.device]) {
					return state;
				}

				const {[action.device]: _gone, ...rest} = state.pendingReboot;
				return {...state, pendingReboot: rest};
			}

			return {...state, pendingReboot: {...state.pendingReboot, [action.device]: action.build}};
		}

		case 'lastArchive': {
			return {...state, lastArchive: action.path};
		}

		case 'notice': {
			return {...state, notice: action.notice};
		}
	}
}

/** Whether a job of the session is under way (quitting then asks first). */
export function jobRunning(state: UpdateViewState): boolean {
	return state.session?.running === true;
}

/** "12:04" (local time) of a build timestamp (with seconds when asked); the timestamp itself when it is not one. */
export function buildClock(build: BuildRef | undefined, seconds = false): string {
	if (!build || build.buildTimestamp === '') {
		return build?.sbomHash ? build.sbomHash.slice(0, 8) : '?';
	}

	const time = Date.parse(build.buildTimestamp);
	if (Number.isNaN(time)) {
		return build.buildTimestamp.slice(0, 16);
	}

	const date = new Date(time);
	const two = (value: number) => String(value).padStart(2, '0');
	return `${two(date.getHours())}:${two(date.getMinutes())}${seconds ? `:${two(date.getSeconds())}` : ''}`;
}

/** "build 12:04 → 12:31"; with seconds when both fall in the same minute (two builds in a row). */
export function buildChange(from: BuildRef | undefined, to: BuildRef | undefined): string {
	const seconds = buildClock(from) === buildClock(to) && from?.buildTimestamp !== to?.buildTimestamp;
	return `build ${buildClock(from, seconds)} → ${buildClock(to, seconds)}`;
}

export type RowNote = {readonly text: string; readonly tone: Tone};

function percentOf(job: DeviceJobView): number {
	const total = (job.plan?.parts ?? []).reduce((sum, part) => sum + part.bytes, 0);
	if (total === 0) {
		return 0;
	}

	const sent = job.parts.reduce((sum, part) => sum + (part.skipped ? 0 : part.bytes), 0);
	return Math.min(100, Math.floor((sent / total) * 100));
}

/** How recent a finished job must be for its row to still say how it ended. */
const endedShownMs = 10 * 60_000;

/**
 * What a device row says about updates: a job's phase while it runs ("pushing 45%", "rebooting", "away 14 s",
 * "back: build 12:04 → 12:31", "gate 12 s"), how it ended, "switched, reboot pending", or drift from the gok config.
 */
export function rowNote(state: UpdateViewState, device: DeviceSnapshot, now: number): RowNote | undefined {
	const job = state.jobs[device.name];
	const word = job?.kind === 'rollback' ? 'rollback' : 'update';
	if (job && state.session?.devices.includes(device.name)) {
		switch (job.phase) {
			case 'queued':
				if (state.session.running) {
					return {text: `${word} queued`, tone: 'muted'};
				}

				if (state.session.outcome && !state.session.outcome.ok) {
					return {text: `${word} not started`, tone: 'muted'};
				}

				break;
			case 'build':
				return {text: `building (gok)`, tone: 'accent'};
			case 'check':
				return {text: job.plan && state.prompt?.kind === 'confirm' ? `${word}: confirm?` : `${word}: checking`, tone: 'accent'};
			case 'push':
				return {text: `pushing ${percentOf(job)}%`, tone: 'accent'};
			case 'switch':
				return {text: 'switching', tone: 'accent'};
			case 'reboot':
				return {text: 'rebooting', tone: 'warn'};
			case 'wait': {
				const wait = job.wait;
				if (!wait || wait.state === 'rebooting') {
					return {text: 'rebooting', tone: 'warn'};
				}

				if (wait.state === 'away') {
					return {text: `away ${wait.seconds} s`, tone: 'warn'};
				}

				return {text: `back: ${buildChange(wait.from, wait.to)}`, tone: 'ok'};
			}

			case 'gate':
				return {text: `back: ${buildChange(job.wait?.from, job.wait?.to)}, gate ${job.gate?.remainingSeconds ?? '…'} s`, tone: 'ok'};
			case 'done': {
				if (job.result?.standing === 'switched') {
					break;
				}

				if (now - job.at < endedShownMs && job.result) {
					return {text: `${job.kind === 'rollback' ? 'rolled back' : 'updated'}: ${buildChange(job.result.from, job.result.to)} ✓ gate`, tone: 'ok'};
				}

				break;
			}

			case 'failed': {
				if (job.failure?.standing === 'switched') {
					break;
				}

				const what = job.failure?.phase === 'gate' ? 'gate FAILED' : job.failure?.phase === 'check' && /not confirmed/.test(job.failure.message) ? 'not confirmed' : `failed (${job.failure?.phase ?? '?'})`;
				return {text: `${word} ${what}`, tone: what === 'not confirmed' ? 'muted' : 'bad'};
			}
		}
	}

	const pending = state.pendingReboot[device.name];
	if (pending && (!device.overview || sameBuild({buildTimestamp: device.overview.buildTimestamp, sbomHash: device.overview.sbomHash}, pending))) {
		return {text: 'switched, reboot pending', tone: 'warn'};
	}

	if (state.drift[device.name] === 'drifted') {
		return {text: '≠ gok config (drift)', tone: 'warn'};
	}

	return undefined;
}

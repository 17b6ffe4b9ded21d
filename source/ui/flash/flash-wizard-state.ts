// The wizard's state and its reducer: keys, survey results and job events all arrive as actions, so no keystroke is lost.
import type {DriveAssessment} from '../../core/flash/drive-verdict.js';
import type {FlashOutcome} from '../../core/flash/flash-job.js';
import type {FlashSessionEvent} from '../../core/flash/flash-session.js';
import type {FlashSources, GokSource} from '../../core/flash/flash-services.js';
import type {PathCompletion} from '../../core/flash/path-completion.js';
import type {FlashProgress} from '../../core/flash/flash-progress.js';
import type {ImageInfo} from '../../core/flash/image-source.js';
import {splitKeys} from '../../input/key-chunks.js';
import type {KeyEvent} from '../../input/key-table.js';
import {editText} from '../../input/text-input.js';
import {expandHome} from '../../core/flash/path-completion.js';
import {flashKeys, type FlashIntent, type WizardStep} from './flash-keys.js';

export type ConfirmOption = 'fast' | 'verify' | 'unmount';

/** A side effect the wizard component carries out, numbered so each runs once. */
export type WizardRequest =
	| {id: number; kind: 'inspect'; path: string}
	| {id: number; kind: 'complete'; path: string}
	| {id: number; kind: 'run'}
	| {id: number; kind: 'exit'};

export type WizardState = {
	step: WizardStep;
	imagePath: string;
	/** The gok instances offered (usable, and gok is there to build them). */
	instances: string[];
	/** Instances shown as broken (their config cannot be read), never offered. */
	brokenInstances: GokSource[];
	/** Instances found while `gok` is not on PATH: named in a note, not offered. */
	unbuildable: string[];
	/** The home folder, for `~` in the image path. */
	home?: string;
	/** What Tab found when it could not complete alone (several names match). */
	completions?: {candidates: readonly string[]; matches: number};
	/** The path was edited (typed, completed) by the user: the remembered last image no longer replaces it. */
	pathTouched: boolean;
	/** 0: the image path field; 1…: the gok instances. */
	sourceIndex: number;
	checking: boolean;
	sourceError?: string;
	image?: ImageInfo;
	instance?: string;
	showAll: boolean;
	drives: DriveAssessment[];
	surveyed: boolean;
	surveyError?: string;
	/** The chosen device, kept by path while the list refreshes. */
	targetPath?: string;
	/** The user moved the cursor: the list refreshing no longer moves it to the best card. */
	targetChosen: boolean;
	targetNotice?: string;
	options: Record<ConfirmOption, boolean>;
	confirmRow: number;
	typedName: string;
	confirmError?: string;
	buildLines: string[];
	progress?: FlashProgress;
	/** The finished flash, with the power-off result in it. */
	outcome?: FlashOutcome;
	error?: string;
	cancelling: boolean;
	request?: WizardRequest;
	nextId: number;
};

export type WizardAction =
	/**
	 * Keys as the terminal delivered them (a paste is one chunk): split into single keys, each mapped to an intent
	 * against the step the earlier keys left, so a burst is read in order.
	 */
	| {type: 'key'; input: string; key: KeyEvent}
	| {type: 'instances'; names: string[]}
	/** The prerequisites, checked at the start: gok on PATH, each instance usable or broken. */
	| {type: 'sources'; sources: FlashSources}
	| {type: 'completed'; partial: string; completion: PathCompletion}
	/** The image remembered from last time (used when nothing was typed yet). */
	| {type: 'lastImage'; path: string}
	| {type: 'imageChecked'; image: ImageInfo}
	| {type: 'imageFailed'; message: string}
	| {type: 'drives'; drives: DriveAssessment[]}
	| {type: 'surveyFailed'; message: string}
	/** What the flash session reports while it runs. */
	| {type: 'session'; event: FlashSessionEvent}
	| {type: 'failed'; message: string};

export function initialWizardState(options: {showAll?: boolean; initialImage?: string; home?: string}): WizardState {
	return {
		step: 'source',
		imagePath: options.initialImage ?? '',
		pathTouched: options.initialImage !== undefined,
		home: options.home,
		instances: [],
		brokenInstances: [],
		unbuildable: [],
		targetChosen: false,
		sourceIndex: 0,
		checking: false,
		showAll: options.showAll ?? false,
		drives: [],
		surveyed: false,
		options: {fast: false, verify: true, unmount: true},
		confirmRow: 0,
		typedName: '',
		buildLines: [],
		cancelling: false,
		nextId: 1,
	};
}

function request(state: WizardState, body: {kind: 'inspect' | 'complete'; path: string} | {kind: 'run'} | {kind: 'exit'}): WizardState {
	return {...state, request: {...body, id: state.nextId} as WizardRequest, nextId: state.nextId + 1};
}

export function selectedDrive(state: WizardState): DriveAssessment | undefined {
	return state.drives.find(drive => drive.device.path === state.targetPath);
}

/** The option rows of the confirm step (unmount only when something is mounted). */
export function confirmOptions(state: WizardState): ConfirmOption[] {
	return selectedDrive(state)?.mounted.length ? ['fast', 'verify', 'unmount'] : ['fast', 'verify'];
}

/** The name to type for a warn verdict: the device's bare name (sdb). */
export function nameToType(drive: DriveAssessment): string {
	return drive.device.path.replace(/^\/dev\//, '');
}

const keepLines = 200;

/** 0 ok, 1 warn, 2 refuse (none: 3). */
function rank(drive: DriveAssessment | undefined): number {
	return drive === undefined ? 3 : drive.verdict === 'ok' ? 0 : drive.verdict === 'warn' ? 1 : 2;
}

function onKey(state: WizardState, input: string, key: KeyEvent): WizardState {
	const {step} = state;
	const intent: FlashIntent | undefined = flashKeys.match([step], input, key);
	if (intent === 'cancel' && (step === 'write' || step === 'verify' || step === 'build' || step === 'power-off')) {
		return {...state, cancelling: true};
	}

	if (intent === 'cancel' || intent === 'quit') {
		return request(state, {kind: 'exit'});
	}

	switch (step) {
		case 'source': {
			const entries = 1 + state.instances.length;
			// Tab completes in the path field; on an instance it moves on, as it did everywhere before.
			if (intent === 'up' || intent === 'down' || (intent === 'complete' && state.sourceIndex !== 0)) {
				const delta = intent === 'up' ? -1 : 1;
				return {...state, sourceIndex: (state.sourceIndex + delta + entries) % entries, sourceError: undefined};
			}

			if (intent === 'back') {
				return request(state, {kind: 'exit'});
			}

			if (intent === 'next') {
				if (state.sourceIndex > 0) {
					return {...state, instance: state.instances[state.sourceIndex - 1], image: undefined, step: 'target', sourceError: undefined};
				}

				if (state.imagePath.trim() === '') {
					return {...state, sourceError: 'type the path of an image file (.img, .img.gz, .img.xz, .img.zst)'};
				}

				const typed = state.imagePath.trim();
				return request({...state, checking: true, sourceError: undefined, completions: undefined}, {kind: 'inspect', path: state.home ? expandHome(typed, state.home) : typed});
			}

			if (intent === 'complete' && state.sourceIndex === 0 && !state.checking) {
				return request({...state, pathTouched: true}, {kind: 'complete', path: state.imagePath});
			}

			if (state.sourceIndex !== 0 || state.checking || intent !== undefined) {
				return state;
			}

			const edited = editText(state.imagePath, input, key);
			return edited.value === state.imagePath ? state : {...state, imagePath: edited.value, pathTouched: true, sourceError: undefined, completions: undefined};
		}

		case 'target': {
			const index = state.drives.findIndex(drive => drive.device.path === state.targetPath);
			if (intent === 'up' || intent === 'down') {
				if (state.drives.length === 0) {
					return state;
				}

				const next = Math.min(state.drives.length - 1, Math.max(0, (index === -1 ? 0 : index) + (intent === 'up' ? -1 : 1)));
				return {...state, targetPath: state.drives[next].device.path, targetChosen: true, targetNotice: undefined};
			}

			if (intent === 'showAll') {
				// The list changes: the cursor goes to the best card of the new one, unless the user moves it.
				return {...state, showAll: !state.showAll, targetChosen: false, targetNotice: undefined};
			}

			if (intent === 'back') {
				return {...state, step: 'source', targetNotice: undefined};
			}

			if (intent === 'next') {
				const drive = selectedDrive(state);
				if (!drive) {
					return {...state, targetNotice: 'no device chosen'};
				}

				if (drive.verdict === 'refuse') {
					return {...state, targetNotice: `${drive.device.path} cannot be written: ${drive.reasons.filter(reason => reason.severity === 'refuse').map(reason => reason.text).join(', ')}`};
				}

				return {...state, step: 'confirm', confirmRow: 0, typedName: '', confirmError: undefined, targetNotice: undefined, options: {...state.options, unmount: true}};
			}

			return state;
		}

		case 'confirm': {
			const drive = selectedDrive(state);
			const rows = confirmOptions(state);
			if (intent === 'up' || intent === 'down') {
				return {...state, confirmRow: (state.confirmRow + (intent === 'up' ? -1 : 1) + rows.length) % rows.length};
			}

			if (intent === 'toggle') {
				const option = rows[state.confirmRow];
				return {...state, options: {...state.options, [option]: !state.options[option]}};
			}

			if (intent === 'back') {
				return {...state, step: 'target'};
			}

			if (!drive || drive.verdict === 'refuse') {
				return {...state, step: 'target', targetNotice: drive ? undefined : 'the device is gone'};
			}

			const mountedAndKept = drive.mounted.length > 0 && !state.options.unmount;
			const start = (): WizardState => mountedAndKept
				? {...state, confirmError: `${drive.device.path} is mounted at ${drive.mounted.join(', ')}: switch on "unmount first"`}
				: request({...state, step: state.instance ? 'build' : 'write', progress: undefined, outcome: undefined, error: undefined, buildLines: [], cancelling: false}, {kind: 'run'});
			if (drive.verdict === 'warn') {
				if (intent === 'next') {
					return state.typedName.trim() === nameToType(drive) || state.typedName.trim() === drive.device.path
						? start()
						: {...state, confirmError: `type ${nameToType(drive)} to write to this device`};
				}

				// Letters, y included, are the name being typed.
				if (intent !== undefined && intent !== 'write') {
					return state;
				}

				const edited = editText(state.typedName, input, key);
				return edited.value === state.typedName ? state : {...state, typedName: edited.value, confirmError: undefined};
			}

			return intent === 'write' ? start() : state;
		}

		case 'finish': {
			if (intent === 'again') {
				return {...state, step: 'target', progress: undefined, outcome: undefined, error: undefined};
			}

			if (intent === 'next' || intent === 'back') {
				return request(state, {kind: 'exit'});
			}

			return state;
		}

		default: {
			return state;
		}
	}
}

export function wizardReducer(state: WizardState, action: WizardAction): WizardState {
	switch (action.type) {
		case 'key': {
			let next = state;
			for (const single of splitKeys(action.input, action.key)) {
				// The terminal belongs to sudo's password prompt on that step.
				next = next.step === 'sudo' ? next : onKey(next, single.input, single.key);
			}

			return next;
		}

		case 'instances': {
			return {...state, instances: action.names};
		}

		case 'sources': {
			const usable = action.sources.instances.filter(source => source.problem === undefined).map(source => source.name);
			const instances = action.sources.gok ? usable : [];
			return {
				...state,
				instances,
				brokenInstances: action.sources.instances.filter(source => source.problem !== undefined),
				unbuildable: action.sources.gok ? [] : usable,
				sourceIndex: Math.min(state.sourceIndex, instances.length),
			};
		}

		case 'completed': {
			// A completion for text that has changed since is stale.
			if (state.step !== 'source' || state.imagePath !== action.partial) {
				return state;
			}

			const {completion} = action;
			return {
				...state,
				imagePath: completion.value,
				completions: completion.candidates.length > 0 ? {candidates: completion.candidates, matches: completion.matches} : undefined,
				sourceError: completion.matches === 0 ? 'nothing there matches' : undefined,
			};
		}

		case 'lastImage': {
			return state.pathTouched || state.imagePath !== '' ? state : {...state, imagePath: action.path};
		}

		case 'imageChecked': {
			if (!state.checking) {
				return state;
			}

			return {...state, checking: false, image: action.image, instance: undefined, step: 'target', surveyed: false};
		}

		case 'imageFailed': {
			return {...state, checking: false, sourceError: action.message};
		}

		case 'drives': {
			const current = action.drives.find(drive => drive.device.path === state.targetPath);
			// The best card: an ok one, else one to confirm by name, else the first (its reasons then show why not).
			const best = action.drives.find(drive => drive.verdict === 'ok') ?? action.drives.find(drive => drive.verdict === 'warn') ?? action.drives[0];
			const keep = current && (state.targetChosen || rank(current) <= rank(best));
			return {
				...state,
				drives: action.drives,
				surveyed: true,
				surveyError: undefined,
				targetPath: keep ? current.device.path : best?.device.path,
				targetChosen: keep ? state.targetChosen : false,
			};
		}

		case 'surveyFailed': {
			return {...state, surveyed: true, surveyError: action.message};
		}

		case 'session': {
			return onSessionEvent(state, action.event);
		}

		case 'failed': {
			return {...state, error: action.message, step: 'finish', cancelling: false};
		}
	}
}

function onSessionEvent(state: WizardState, event: FlashSessionEvent): WizardState {
	switch (event.type) {
		case 'unmounting': {
			return state;
		}

		case 'build-output': {
			return {...state, buildLines: [...state.buildLines.slice(-(keepLines - 1)), event.line]};
		}

		case 'image-built': {
			return {...state, image: event.image, step: 'write'};
		}

		case 'progress': {
			return {...state, progress: event.progress, step: event.progress.phase};
		}

		case 'sudo': {
			return {...state, step: 'sudo'};
		}

		case 'sudo-granted': {
			return {...state, step: 'write'};
		}

		case 'power-off': {
			return {...state, step: 'power-off'};
		}

		case 'done': {
			return {...state, outcome: event.outcome, step: 'finish', cancelling: false};
		}
	}
}

// The flashing wizard's reducer driven directly by tables of key sequences and flash-session events.
import test from 'ava';
import type {DriveAssessment} from '../../../source/core/flash/drive-verdict.js';
import type {FlashOutcome} from '../../../source/core/flash/flash-job.js';
import {initialWizardState, wizardReducer, type WizardAction, type WizardState} from '../../../source/ui/flash/flash-wizard-state.js';
import {keySequence} from '../../helpers/keys.js';

function drive(name: string, verdict: DriveAssessment['verdict'], mounted: string[] = []): DriveAssessment {
	return {
		device: {
			name, path: `/dev/${name}`, type: 'disk', size: 8e9, removable: true, hotplug: true, readOnly: false, transport: 'usb',
			subsystems: ['block'], model: 'Card', vendor: '', mountpoints: mounted, fstype: '', label: '', majMin: '8:0', children: [],
		},
		verdict,
		reasons: verdict === 'ok' ? [] : [{code: verdict === 'refuse' ? 'system-device' : 'large', severity: verdict, text: verdict === 'refuse' ? 'holds the running system' : 'is larger than a card'}],
		mounted,
		canUnmount: true,
	};
}

const image = {path: '/tmp/casa.img', format: 'raw' as const, fileSize: 100, size: 100};
const drives = [drive('sda', 'refuse'), drive('sdb', 'ok'), drive('sdc', 'warn'), drive('sdd', 'ok', ['/media/boot'])];

/** The wizard on its target step with the drives listed (sdb, the first usable, chosen). */
function atTarget(): WizardState {
	let state = wizardReducer(initialWizardState({initialImage: image.path}), {type: 'key', ...keySequence('<Enter>')[0]!});
	state = wizardReducer(state, {type: 'imageChecked', image});
	return wizardReducer(state, {type: 'drives', drives});
}

function run(state: WizardState, keys: string, ...actions: WizardAction[]): WizardState {
	let next = state;
	for (const {input, key} of keySequence(keys)) {
		next = wizardReducer(next, {type: 'key', input, key});
	}

	for (const action of actions) {
		next = wizardReducer(next, action);
	}

	return next;
}

const sourceCases: Array<[string, string, Partial<WizardState>, 'inspect' | 'exit' | undefined]> = [
	['a path typed key by key', 'a.img', {imagePath: 'a.img', step: 'source'}, undefined],
	['a path pasted with its Enter in one chunk', 'images/casa.img\r', {imagePath: 'images/casa.img', checking: true}, 'inspect'],
	['Backspace edits the path', 'a.imx<Backspace>g', {imagePath: 'a.img'}, undefined],
	['Enter with no path says what to type', '<Enter>', {checking: false}, undefined],
	['letters the other steps use are text here', 'qany', {imagePath: 'qany'}, undefined],
	['Esc leaves', '<Esc>', {step: 'source'}, 'exit'],
	['Ctrl+C leaves', '<C-c>', {step: 'source'}, 'exit'],
	['control characters pasted never get into the path', 'a\u001b[31mb', {imagePath: 'ab'}, undefined],
];

for (const [name, keys, expected, request] of sourceCases) {
	test(`source: ${name}`, t => {
		const state = run(initialWizardState({}), keys);
		t.like(state, expected);
		t.is(state.request?.kind, request);
	});
}

test('source: the gok instances are below the path; choosing one goes to the target step with it', t => {
	const state = run(wizardReducer(initialWizardState({}), {type: 'instances', names: ['casa', 'garage']}), '<Down><Down><Enter>');
	t.is(state.step, 'target');
	t.is(state.instance, 'garage');
});

const targetCases: Array<[string, string, Partial<WizardState>]> = [
	['the first usable card is chosen', '', {targetPath: '/dev/sdb', step: 'target'}],
	['arrows move, stopping at the ends', '<Down><Down><Down><Down>', {targetPath: '/dev/sdd'}],
	['a refused card cannot be taken', '<Up><Enter>', {step: 'target', targetPath: '/dev/sda'}],
	['an ok card goes to the question', '<Enter>', {step: 'confirm', typedName: ''}],
	['a shows loop devices too', 'a', {showAll: true}],
	['Esc goes back to the source', '<Esc>', {step: 'source'}],
];

for (const [name, keys, expected] of targetCases) {
	test(`target: ${name}`, t => {
		t.like(run(atTarget(), keys), expected);
	});
}

test('target: Enter on a refused card says why', t => {
	t.regex(run(atTarget(), '<Up><Enter>').targetNotice ?? '', /\/dev\/sda cannot be written: holds the running system/);
});

const confirmCases: Array<[string, string, {step: WizardState['step']; request?: string; error?: RegExp; typed?: string}]> = [
	['an ok card: y writes', '<Enter>y', {step: 'write', request: 'run'}],
	['an ok card: Enter alone does not', '<Enter><Enter>', {step: 'confirm'}],
	['a warn card: its name typed, then Enter, writes', '<Down><Enter>sdc<Enter>', {step: 'write', request: 'run'}],
	['a warn card: y is a letter of the name, not yes', '<Down><Enter>y<Enter>', {step: 'confirm', error: /type sdc to write/, typed: 'y'}],
	['a warn card: a wrong name is refused', '<Down><Enter>sdb<Enter>', {step: 'confirm', error: /type sdc/}],
	['a mounted card with "unmount first" switched off is refused', '<Down><Down><Enter><Down><Down> y', {step: 'confirm', error: /mounted at \/media\/boot: switch on "unmount first"/}],
	['Esc goes back to the cards', '<Enter><Esc>', {step: 'target'}],
];

for (const [name, keys, expected] of confirmCases) {
	test(`confirm: ${name}`, t => {
		const state = run(atTarget(), keys);
		t.is(state.step, expected.step);
		t.is(state.request?.kind === 'run' ? 'run' : undefined, expected.request);
		if (expected.error) {
			t.regex(state.confirmError ?? '', expected.error);
		}

		if (expected.typed !== undefined) {
			t.is(state.typedName, expected.typed);
		}
	});
}

test('confirm: Space switches the chosen option', t => {
	const state = run(atTarget(), '<Enter> <Down> ');
	t.deepEqual(state.options, {fast: true, verify: false, unmount: true});
});

const outcome: FlashOutcome = {sha256: 'ab', imageBytes: 100, writtenBytes: 100, skippedBytes: 0, verified: true, writeSeconds: 1, verifySeconds: 1};
const writing = {phase: 'write' as const, bytes: 50, total: 100, bytesPerSecond: 10, sourceBytes: 50, sourceTotal: 100, writtenBytes: 50, skippedBytes: 0};

test('the session\'s events move the steps: write, verify, sudo (keys ignored), power-off, finish', t => {
	let state = run(atTarget(), '<Enter>y', {type: 'session', event: {type: 'progress', progress: writing}});
	t.is(state.step, 'write');
	state = run(state, '', {type: 'session', event: {type: 'progress', progress: {phase: 'verify', bytes: 10, total: 100, bytesPerSecond: 10}}});
	t.is(state.step, 'verify');
	state = run(state, '', {type: 'session', event: {type: 'sudo', asking: true}});
	t.is(run(state, '<C-c>q').step, 'sudo', 'the terminal belongs to sudo');
	state = run(state, '', {type: 'session', event: {type: 'sudo-granted'}}, {type: 'session', event: {type: 'power-off'}});
	t.is(state.step, 'power-off');
	state = run(state, '', {type: 'session', event: {type: 'done', outcome}});
	t.is(state.step, 'finish');
	t.is(state.outcome, outcome);
	t.is(run(state, 'n').step, 'target', 'n: another card');
	t.is(run(state, '<Enter>').request?.kind, 'exit');
});

test('Ctrl+C while writing asks the session to stop; a failure ends on the finish step with its words', t => {
	const state = run(atTarget(), '<Enter>y', {type: 'session', event: {type: 'progress', progress: writing}});
	t.true(run(state, '<C-c>').cancelling);
	const failed = run(state, '', {type: 'failed', message: '/dev/sdb: the card went away'});
	t.is(failed.step, 'finish');
	t.is(failed.error, '/dev/sdb: the card went away');
});

test('prerequisites first: without gok the instances are named in a note and not offered; a broken instance is shown, never offered', t => {
	const sources = {gok: false, instances: [{name: 'casa'}, {name: 'broken', problem: 'invalid JSON: Unexpected token (line 3, column 5)'}]};
	const noGok = wizardReducer(initialWizardState({}), {type: 'sources', sources});
	t.deepEqual(noGok.instances, []);
	t.deepEqual(noGok.unbuildable, ['casa']);
	t.deepEqual(noGok.brokenInstances, [{name: 'broken', problem: 'invalid JSON: Unexpected token (line 3, column 5)'}]);
	t.is(run(noGok, '<Down><Down>').sourceIndex, 0, 'nothing to move to: only the image field is offered');
	const withGok = wizardReducer(initialWizardState({}), {type: 'sources', sources: {...sources, gok: true}});
	t.deepEqual(withGok.instances, ['casa']);
	t.deepEqual(withGok.unbuildable, []);
	t.is(run(withGok, '<Down><Enter>').instance, 'casa');
	t.is(run(withGok, '<Down><Down>').sourceIndex, 0, 'the broken one is not a stop on the way');
	t.is(run(withGok, '<Down><Tab>').sourceIndex, 0, 'Tab on an instance moves on, as before');
});

test('the cursor starts on the best card: the only ok one, also after a changes the list', t => {
	const systemDisk = drive('sda', 'refuse');
	const loop = {...drive('loop0', 'ok'), device: {...drive('loop0', 'ok').device, type: 'loop'}};
	let state = wizardReducer(atTarget(), {type: 'drives', drives: [systemDisk]});
	t.is(state.targetPath, '/dev/sda', 'nothing better: the refused disk, with its reasons');
	state = run(state, 'a', {type: 'drives', drives: [systemDisk, loop]});
	t.is(state.targetPath, '/dev/loop0', 'a showed an ok card: the cursor is on it');
	state = run(state, 'k', {type: 'drives', drives: [systemDisk, loop]});
	t.is(state.targetPath, '/dev/sda', 'a card the user moved to stays chosen while the list refreshes');
	t.is(run(state, 'j').targetPath, '/dev/loop0', 'j and k move in the card list');
	t.like(run(atTarget(), 'jj'), {targetPath: '/dev/sdd'});
});

test('~ is the home folder; Tab asks for a completion and a stale answer is dropped; the remembered image fills only an untouched field', t => {
	const home = initialWizardState({home: '/home/ann'});
	t.like(run(home, '~/images/casa.img<Enter>').request, {kind: 'inspect', path: '/home/ann/images/casa.img'});
	const tab = run(home, '~/im<Tab>');
	t.like(tab.request, {kind: 'complete', path: '~/im'});
	t.is(tab.imagePath, '~/im', 'Tab is not typed');
	const completed = wizardReducer(tab, {type: 'completed', partial: '~/im', completion: {value: '~/images/', candidates: [], matches: 1}});
	t.is(completed.imagePath, '~/images/');
	const several = wizardReducer(completed, {type: 'completed', partial: '~/images/', completion: {value: '~/images/casa', candidates: ['casa.img', 'casa.img.xz'], matches: 2}});
	t.is(several.imagePath, '~/images/casa');
	t.deepEqual(several.completions, {candidates: ['casa.img', 'casa.img.xz'], matches: 2});
	const stale = wizardReducer(run(tab, 'x'), {type: 'completed', partial: '~/im', completion: {value: '~/images/', candidates: [], matches: 1}});
	t.is(stale.imagePath, '~/imx', 'typed on meanwhile: the completion is dropped');
	t.is(wizardReducer(home, {type: 'lastImage', path: '/srv/casa.img'}).imagePath, '/srv/casa.img');
	t.is(wizardReducer(run(home, 'a<Backspace>'), {type: 'lastImage', path: '/srv/casa.img'}).imagePath, '', 'never over what the user did');
	t.is(wizardReducer(initialWizardState({initialImage: 'given.img'}), {type: 'lastImage', path: '/srv/casa.img'}).imagePath, 'given.img');
});

test('a burst of Backspace in one chunk deletes as many characters; Ctrl-U clears the path', t => {
	const typed = run(initialWizardState({}), 'images/casa.img');
	t.is(wizardReducer(typed, {type: 'key', input: '\u007F\u007F\u007F\u007F', key: keySequence('x')[0]!.key}).imagePath, 'images/casa');
	t.is(run(typed, '<C-u>').imagePath, '');
	t.is(run(typed, '<C-w>').imagePath, '', 'one word: the path has no space');
});

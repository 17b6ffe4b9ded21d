// The wizard through its steps on real loop devices (ink-testing-library; frames polled, never slept on).
import {execFile} from 'node:child_process';
import {mkdtemp, rm, truncate, writeFile} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {promisify} from 'node:util';
import React from 'react';
import test from 'ava';
import {render} from 'ink-testing-library';
import type {Key} from 'ink';
import {FlashWizard} from '../../../source/ui/flash/flash-wizard.js';
import {initialWizardState, wizardReducer, type WizardState} from '../../../source/ui/flash/flash-wizard-state.js';
import {flashKeys} from '../../../source/ui/flash/flash-keys.js';
import {createLoopDevice, mountExt4, readDevice} from '../../helpers/loop-device.js';
import {keys, press, waitForFrame, type App} from '../frames.js';
import {MiB, mixedImage, tempDir, writeImageFiles} from '../../core/flash/test-images.js';

const run = promisify(execFile);

// The wizard remembers the image it checked in the settings: these tests keep theirs in a folder of their own.
const configDir = await mkdtemp(path.join(os.tmpdir(), 'krazy-wizard-config-'));
process.env.KRAZY_TUI_CONFIG_DIR = configDir;
test.after.always(async () => rm(configDir, {recursive: true, force: true}));

const escapeRegExp = (text: string) => text.replaceAll(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** Moves the list cursor onto `devicePath` (other tests' loop devices may come and go in the same list). */
async function selectDevice(app: App, devicePath: string): Promise<void> {
	for (let attempt = 0; attempt < 40; attempt++) {
		const frame = await waitForFrame(app, text => text.includes(`${devicePath} `));
		const lines = frame.split('\n');
		const ours = lines.findIndex(line => line.includes(` ${devicePath} `) && /^(›| ) /.test(line));
		const cursor = lines.findIndex(line => line.startsWith('› '));
		if (ours !== -1 && ours === cursor) {
			return;
		}

		await press(app, ours !== -1 && cursor !== -1 && ours < cursor ? keys.up : keys.down);
		await waitForFrame(app, text => text !== frame, 2000).catch(() => undefined);
	}

	throw new Error(`could not select ${devicePath}`);
}

test('from an image file to a verified card, then out', async t => {
	const dir = await tempDir(t);
	const image = mixedImage(6);
	const files = await writeImageFiles(dir, 'wizard', image, ['zst']);
	const loop = await createLoopDevice({size: 8 * MiB}, t);
	let exited = false;
	const app = render(<FlashWizard showAll initialImage={files.zst} surveyIntervalMs={200} onExit={() => {
		exited = true;
	}}/>);
	t.teardown(() => app.unmount());

	await waitForFrame(app, frame => frame.includes(`Image file: ${files.zst}`) && frame.includes('Enter continue'));
	await press(app, keys.enter);
	await waitForFrame(app, frame => frame.includes('2. Which card') && frame.includes(loop.path));
	await selectDevice(app, loop.path);
	await press(app, keys.enter);
	const confirm = await waitForFrame(app, frame => frame.includes('3. Confirm'));
	t.regex(confirm, new RegExp(`Target: ${escapeRegExp(loop.path)}, loop, 8\\.4 MB`));
	t.regex(confirm, /Image: {2}.*wizard\.img\.zst, zstd-compressed, 6\.3 MB/);
	t.regex(confirm, /\[ \] Fast mode/);
	t.regex(confirm, /\[x\] Verify/);
	t.regex(confirm, /Press y to write\./);
	await press(app, 'y');
	const done = await waitForFrame(app, frame => frame.includes('6. Done') && frame.includes('loop device has nothing to power off'), 60_000);
	t.regex(done, /Verified: the card reads back identical/);
	t.regex(done, /shows up in the dashboard\s+under its hostname/);
	t.true((await readDevice(loop.path, 0, image.length)).equals(image));
	await press(app, keys.enter);
	await waitForFrame(app, () => exited);
	t.true(exited);
});

test('a mounted card warns: its name must be typed, and it is unmounted first', async t => {
	const dir = await tempDir(t);
	const image = mixedImage(3);
	const files = await writeImageFiles(dir, 'warn', image, []);
	const loop = await createLoopDevice({size: 16 * MiB}, t);
	const mountpoint = await mountExt4(loop, dir, t);
	const app = render(<FlashWizard showAll initialImage={files.raw} surveyIntervalMs={200} onExit={() => undefined}/>);
	t.teardown(() => app.unmount());
	await press(app, keys.enter);
	await waitForFrame(app, frame => frame.includes(loop.path));
	await selectDevice(app, loop.path);
	await waitForFrame(app, frame => frame.includes(`${loop.path}: mounted at ${mountpoint}`));
	await press(app, keys.enter);
	const name = loop.path.replace('/dev/', '');
	const confirm = await waitForFrame(app, frame => frame.includes(`Type ${name} and press Enter`));
	t.regex(confirm, /\[x\] Unmount its partitions first/);
	t.regex(confirm, new RegExp(`mounted at ${escapeRegExp(mountpoint)}`));
	t.false(confirm.includes('y write'), 'no y shortcut for a warned device');
	await press(app, 'y');
	await waitForFrame(app, frame => frame.includes('and press Enter to write: y'));
	await press(app, keys.enter);
	await waitForFrame(app, frame => frame.includes(`type ${name} to write to this device`));
	await press(app, keys.backspace, ...name);
	await press(app, keys.enter);
	await waitForFrame(app, frame => frame.includes('6. Done'), 60_000);
	t.true((await readDevice(loop.path, 0, image.length)).equals(image));
	const {stdout} = await run('findmnt', ['--noheadings', mountpoint]).catch(() => ({stdout: ''}));
	t.is(stdout.trim(), '', 'unmounted');
});

test('Ctrl-C while writing stops cleanly and says the card is incomplete', async t => {
	const dir = await tempDir(t);
	const imagePath = path.join(dir, 'huge.img');
	await writeFile(imagePath, mixedImage(1));
	await truncate(imagePath, 2048 * MiB);
	const loop = await createLoopDevice({size: 2048 * MiB}, t);
	const app = render(<FlashWizard showAll initialImage={imagePath} surveyIntervalMs={200} onExit={() => undefined}/>);
	t.teardown(() => app.unmount());
	await press(app, keys.enter);
	await selectDevice(app, loop.path);
	await press(app, keys.enter);
	await waitForFrame(app, frame => frame.includes(`Target: ${loop.path}`));
	await press(app, 'y');
	await waitForFrame(app, frame => /4\. Writing to .*\n.*█/.test(frame), 30_000);
	await press(app, keys.ctrlC);
	const stopped = await waitForFrame(app, frame => frame.includes('Not flashed'), 30_000);
	t.regex(stopped, new RegExp(`${escapeRegExp(loop.path)}: cancelled after .* of 2\\.1 GB: the card is incomplete and will not boot`));
	t.true((await readDevice(loop.path, 0, MiB)).equals(Buffer.alloc(MiB)));
});

const plainKey = (overrides: Partial<Key> = {}): Key => ({
	upArrow: false, downArrow: false, leftArrow: false, rightArrow: false, pageDown: false, pageUp: false, return: false,
	escape: false, ctrl: false, shift: false, tab: false, backspace: false, delete: false, meta: false, ...overrides,
} as Key);

test('a path pasted with its Enter, as one chunk, is the path and moves on to checking it', t => {
	const state = wizardReducer(initialWizardState({}), {type: 'key', input: 'images/casa.img\r', key: plainKey()});
	t.is(state.imagePath, 'images/casa.img');
	t.true(state.checking);
	t.deepEqual(state.request, {id: 1, kind: 'inspect', path: 'images/casa.img'});
});

test('keys arriving in one burst are all applied, in order, against the step they land in', t => {
	let state: WizardState = initialWizardState({});
	for (const character of '/tmp/a.img') {
		state = wizardReducer(state, {type: 'key', input: character, key: plainKey()});
	}

	state = wizardReducer(state, {type: 'key', input: '', key: plainKey({backspace: true})});
	state = wizardReducer(state, {type: 'key', input: 'x', key: plainKey()});
	t.is(state.imagePath, '/tmp/a.imx');
	state = wizardReducer(state, {type: 'key', input: '\r', key: plainKey({return: true})});
	t.deepEqual(state.request, {id: 1, kind: 'inspect', path: '/tmp/a.imx'});
	// Typed while the image is being checked: ignored, not appended.
	state = wizardReducer(state, {type: 'key', input: 'q', key: plainKey()});
	t.is(state.imagePath, '/tmp/a.imx');
	t.is(flashKeys.contextHints('write'), 'Ctrl+C stop (the card is then incomplete)');
	t.is(flashKeys.contextHints('finish'), 'Enter leave · n flash another card · q leave the wizard · Ctrl+C leave');
	t.is(flashKeys.contextHints('target'), '↑↓ move · Enter continue · a show loop devices too, or hide them · Esc back · q leave the wizard · Ctrl+C leave');
});

// The wizard checks before it offers: no gok and a broken instance are said at the start; then a path typed as in a
// shell (the last image, a burst of Backspace, Ctrl-U, ~ and Tab), and the cursor on the best card after `a`.
import {mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import React from 'react';
import test from 'ava';
import {render} from 'ink-testing-library';
import type {DriveAssessment} from '../../../source/core/flash/drive-verdict.js';
import type {FlashServices} from '../../../source/core/flash/flash-services.js';
import {completePath} from '../../../source/core/flash/path-completion.js';
import {FlashWizard} from '../../../source/ui/flash/flash-wizard.js';
import {keys, press, waitForFrame} from '../frames.js';

function drive(name: string, type: string, verdict: DriveAssessment['verdict']): DriveAssessment {
	return {
		device: {
			name, path: `/dev/${name}`, type, size: 8e9, removable: false, hotplug: false, readOnly: false, transport: type === 'loop' ? '' : 'sata',
			subsystems: ['block'], model: 'Disk', vendor: '', mountpoints: [], fstype: '', label: '', majMin: '8:0', children: [],
		},
		verdict,
		reasons: verdict === 'refuse' ? [{code: 'system-device', severity: 'refuse', text: 'holds the running system'}] : [],
		mounted: [],
		canUnmount: true,
	};
}

test('no gok, a broken instance, the last image, a Backspace burst, Ctrl-U, ~ and Tab, then the only ok card after a, j/k', async t => {
	const home = await mkdtemp(path.join(os.tmpdir(), 'krazy-wizard-home-'));
	t.teardown(async () => rm(home, {recursive: true, force: true}));
	await mkdir(path.join(home, 'images'));
	await writeFile(path.join(home, 'images', 'casa.img'), '');
	await writeFile(path.join(home, 'images', 'casa.img.xz'), '');
	const inspected: string[] = [];
	const remembered: string[] = [];
	const unexpected = async () => {
		throw new Error('not in this test');
	};

	const services: FlashServices = {
		listSources: async () => ({gok: false, instances: [{name: 'garage'}, {name: 'attic', problem: 'invalid JSON: Unexpected token } (line 4, column 1)'}]}),
		lastImage: async () => '/srv/last.img',
		rememberImage: async imagePath => {
			remembered.push(imagePath);
		},
		completePath: async partial => completePath(partial, {home, cwd: home}),
		async inspectImage(imagePath) {
			inspected.push(imagePath);
			return {path: imagePath, format: 'raw', fileSize: 100, size: 100};
		},
		survey: async ({showAll}) => (showAll ? [drive('sda', 'disk', 'refuse'), drive('loop0', 'loop', 'ok')] : [drive('sda', 'disk', 'refuse')]),
		buildInstance: unexpected,
		unmount: unexpected,
		flash: unexpected,
		sudoPath: async () => undefined,
		validateSudo: unexpected,
		flashWithSudo: unexpected,
		powerOff: unexpected,
	};
	const app = render(<FlashWizard services={services} home={home} surveyIntervalMs={50} onExit={() => undefined}/>);
	t.teardown(() => app.unmount());

	const start = await waitForFrame(app, frame => frame.includes('gok is not on PATH') && frame.includes('Image file: /srv/last.img'));
	t.regex(start, /the gok instance garage cannot be built here/);
	t.regex(start, /gok instance attic: broken, not offered: invalid JSON: Unexpected token \} \(line 4, column 1\)/);
	t.false(/› gok instance| {2}gok instance: garage/.test(start), 'garage is not offered');

	app.stdin.write('\u007F\u007F\u007F\u007F');
	await waitForFrame(app, frame => /Image file: \/srv\/last\s*$/m.test(frame));
	await press(app, '\u0015');
	await waitForFrame(app, frame => /Image file:\s*$/m.test(frame));
	await press(app, '~', '/', 'i', 'm', keys.tab);
	await waitForFrame(app, frame => frame.includes('Image file: ~/images/'));
	await press(app, 'c', keys.tab);
	const listed = await waitForFrame(app, frame => frame.includes('Image file: ~/images/casa.img') && frame.includes('casa.img.xz'));
	t.regex(listed, /casa\.img {2}casa\.img\.xz/);
	await press(app, keys.enter);
	await waitForFrame(app, frame => frame.includes('2. Which card'));
	t.deepEqual(inspected, [path.join(home, 'images', 'casa.img')], '~ expanded');
	t.deepEqual(remembered, [path.join(home, 'images', 'casa.img')]);

	await waitForFrame(app, frame => /› refuse +\/dev\/sda/.test(frame));
	await press(app, 'a');
	await waitForFrame(app, frame => /› ok +\/dev\/loop0/.test(frame) && frame.includes('/dev/sda'));
	await press(app, 'k');
	await waitForFrame(app, frame => /› refuse +\/dev\/sda/.test(frame));
	await press(app, 'j');
	await waitForFrame(app, frame => /› ok +\/dev\/loop0/.test(frame));
});

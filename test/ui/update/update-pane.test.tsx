// The dashboard's update pane over the real fleet store and demo devices: u → archive → confirm → push → back → gate,
// a failing gate rolled back with R, a gok build streamed and cancelled, a marked fleet stopped at its first failure,
// and q while a job runs asking first.
import {mkdir, writeFile} from 'node:fs/promises';
import path from 'node:path';
import React from 'react';
import test, {type ExecutionContext} from 'ava';
import {render} from 'ink-testing-library';
import {createFleetStore, type FleetStore} from '../../../source/core/fleet-store.js';
import type {DeviceTarget} from '../../../source/core/device-target.js';
import {Dashboard} from '../../../source/ui/dashboard.js';
import {UpdateController} from '../../../source/ui/update/update-controller.js';
import {startDemoDevice} from '../../../source/demo/demo-device.js';
import {fakeGokDir, quick, startUpdateBench, tempDir, type UpdateBench} from '../../update/update-helpers.js';
import {keys, press, waitForFrame, type App} from '../frames.js';

const size = {columns: 120, rows: 34};

type Mounted = {app: App; store: FleetStore; controller: UpdateController; quits: number[]};

async function mount(t: ExecutionContext, bench: UpdateBench, targets: DeviceTarget[] = [bench.target], env: NodeJS.ProcessEnv = process.env, settleMs = quick.settleMs): Promise<Mounted> {
	const store = createFleetStore({targets, pollIntervalMs: 300, nodeExporter: null});
	const controller = new UpdateController({store, records: bench.records, env, drift: false, job: {...quick, settleMs}, progressMs: 20});
	store.start();
	await controller.start();
	const quits: number[] = [];
	const app = render(<Dashboard store={store} updates={controller} size={size} env={{}} onQuit={() => quits.push(1)} />);
	t.teardown(() => {
		app.unmount();
		controller.stop();
		store.stop();
	});
	await waitForFrame(app, frame => frame.includes('● online'), 20_000);
	return {app, store, controller, quits};
}

async function type(app: App, text: string): Promise<void> {
	// A paste arrives as one chunk: the text input takes it whole.
	app.stdin.write(text);
	await new Promise(resolve => setTimeout(resolve, 20));
}

const rowOf = (frame: string, name: string) => frame.split('\n').find(line => line.includes(` ${name} `) && /online|unreachable|connecting|● back|rebooting|away/.test(line)) ?? '';

test.serial('u → archive path → the plan → y → push per part → back with the new build → the gate passes; the row says how it ended', async t => {
	const bench = await startUpdateBench(t);
	const {app, controller} = await mount(t, bench);
	await press(app, 'u');
	let frame = await waitForFrame(app, text => text.includes('archive for casa:'));
	await type(app, bench.archives.good);
	await press(app, keys.enter);
	frame = await waitForFrame(app, text => text.includes('Update casa to build'), 20_000);
	t.regex(frame, /running {3}build .*\(SBOM [0-9a-f]{10}\)/);
	t.regex(frame, /packages {2}\+github\.com\/gokrazy\/hello/);
	await press(app, 'y');
	frame = await waitForFrame(app, text => text.includes('✓ health gate passed'), 60_000);
	t.regex(frame, /root +[\d.]+ [kM]B in .*✓ SHA-256 matches the device's/);
	t.regex(frame, /boot +[\d.]+ [kM]?B in .*✓ SHA-256 matches the device's/);
	t.regex(frame, /switched to the other root partition/);
	t.regex(frame, /back after \d+ s: build \d\d:\d\d(?::\d\d)? → \d\d:\d\d(?::\d\d)?/);
	t.regex(frame, /\/user\/hello +— +(running|restarting) \d+ .*ok \(new\)/);
	t.false(controller.busy());
	await press(app, keys.escape);
	frame = await waitForFrame(app, text => /updated: build \d\d:\d\d(?::\d\d)? → \d\d:\d\d(?::\d\d)? ✓ gate/.test(text));
	t.regex(rowOf(frame, 'casa'), /updated: build/);
	t.is((await bench.records.last('casa'))?.gate, 'passed');
});

test.serial('a failing gate is red with the failing service; R and the typed name roll back to the build before', async t => {
	const bench = await startUpdateBench(t);
	// The bad build's service needs about 4 s to restart more than twice.
	const {app} = await mount(t, bench, [bench.target], process.env, 4000);
	const before = (await bench.records.all()).length;
	await press(app, 'u');
	await waitForFrame(app, text => text.includes('archive for casa:'));
	await type(app, bench.archives.bad);
	await press(app, keys.enter);
	await waitForFrame(app, text => text.includes('Update casa to build'), 20_000);
	await press(app, keys.enter);
	let frame = await waitForFrame(app, text => text.includes('R rolls back'), 60_000);
	t.regex(frame, /✗ casa: health gate failed/);
	t.regex(frame, /\/user\/golink .*FAILED/);
	await press(app, 'R');
	await waitForFrame(app, text => text.includes('type its name to confirm'));
	await type(app, 'cas');
	await press(app, keys.enter);
	frame = await waitForFrame(app, text => text.includes('not its name'));
	await type(app, 'a');
	await press(app, keys.enter);
	frame = await waitForFrame(app, text => text.includes('Rollback · casa') && text.includes('✓ health gate passed'), 60_000);
	t.regex(frame, /rolled back build/);
	const last = await bench.records.last('casa');
	t.is(last?.kind, 'rollback');
	t.is(last?.to.sbomHash, bench.archives.runningSbom.sbom_hash);
	t.true((await bench.records.all()).length > before);
});

test.serial('a gok instance is built with the user\'s gok, its lines in the pane; Esc cancels the build and nothing is sent', async t => {
	const bench = await startUpdateBench(t);
	const dir = await tempDir(t, 'krazy-gok-');
	const configPath = path.join(dir, 'gokrazy', 'casa', 'config.json');
	await mkdir(path.dirname(configPath), {recursive: true});
	await writeFile(configPath, JSON.stringify({Hostname: 'casa'}));
	const target: DeviceTarget = {...bench.target, source: 'gok', origin: configPath};
	const env = {...process.env, PATH: `${fakeGokDir}:${process.env.PATH}`, KRAZY_FAKE_GOK_NODE: process.execPath, KRAZY_FAKE_GOK_GAF: bench.archives.good, KRAZY_FAKE_GOK_SLEEP_MS: '60000'};
	const {app, controller} = await mount(t, bench, [target], env);
	await press(app, 'u');
	await waitForFrame(app, text => text.includes('b build with your gok'));
	await press(app, 'b');
	let frame = await waitForFrame(app, text => text.includes('github.com/gokrazy/hello') && text.includes('cancel build'), 20_000);
	t.regex(frame, /Building 1 Go packages:/);
	t.regex(frame, /building \(gok\)|Update · casa/);
	await press(app, keys.escape);
	frame = await waitForFrame(app, text => text.includes('cancelled'), 20_000);
	t.regex(frame, /nothing was sent to the device/);
	await controller.settled();
	t.is((await bench.records.all()).length, 0, 'no record: nothing was pushed');
});

test.serial('gok builds, then the same push: the build lines stay above the plan', async t => {
	const bench = await startUpdateBench(t);
	const dir = await tempDir(t, 'krazy-gok-');
	const configPath = path.join(dir, 'gokrazy', 'casa', 'config.json');
	await mkdir(path.dirname(configPath), {recursive: true});
	await writeFile(configPath, JSON.stringify({Hostname: 'casa'}));
	const target: DeviceTarget = {...bench.target, source: 'gok', origin: configPath};
	const env = {...process.env, PATH: `${fakeGokDir}:${process.env.PATH}`, KRAZY_FAKE_GOK_NODE: process.execPath, KRAZY_FAKE_GOK_GAF: bench.archives.good};
	const {app} = await mount(t, bench, [target], env);
	await press(app, 'u');
	await waitForFrame(app, text => text.includes('b build with your gok'));
	await press(app, keys.enter);
	let frame = await waitForFrame(app, text => text.includes('Update casa to build'), 30_000);
	t.regex(frame, /Build complete!/);
	t.false(frame.includes(bench.device.password), 'gok\'s URL line has no password');
	await press(app, 'y');
	frame = await waitForFrame(app, text => text.includes('✓ health gate passed'), 60_000);
	t.regex(frame, /updated build/);
});

test.serial('marked devices go one at a time; the first failure stops the rollout and the rest are not started', async t => {
	const bench = await startUpdateBench(t);
	const other = await startDemoDevice({hostname: 'garage'});
	t.teardown(() => other.stop());
	const garage: DeviceTarget = {name: 'garage', url: other.baseUrl, password: other.password, source: 'url'};
	const {app} = await mount(t, bench, [bench.target, garage], process.env, 4000);
	await waitForFrame(app, frame => (frame.match(/● online/g) ?? []).length === 2, 20_000);
	await press(app, ' ', keys.down, ' ');
	let frame = await waitForFrame(app, text => text.includes('2 marked'));
	t.regex(rowOf(frame, 'casa'), /^\s*\*/);
	await press(app, 'u');
	await waitForFrame(app, text => text.includes('archive for casa, garage:'));
	await type(app, bench.archives.bad);
	await press(app, keys.enter);
	frame = await waitForFrame(app, text => text.includes('Update casa to build'), 20_000);
	t.regex(frame, /casa ▶ check +garage queued/);
	await press(app, 'y');
	frame = await waitForFrame(app, text => text.includes('R rolls back'), 60_000);
	t.regex(frame, /casa ✗ failed \(gate\) +garage queued/);
	await press(app, keys.escape);
	frame = await waitForFrame(app, text => text.includes('update not started'));
	t.regex(rowOf(frame, 'garage'), /update not started/);
	t.regex(rowOf(frame, 'casa'), /update gate FAILED/);
	t.is(await bench.records.last('garage'), undefined);
});

test.serial('q while a push runs asks first: n goes on, y cancels the job, says where the device stands, then quits', async t => {
	const bench = await startUpdateBench(t);
	// A gate long enough to look at the row and ask twice.
	const {app, controller, quits} = await mount(t, bench, [bench.target], process.env, 20_000);
	await press(app, 'u');
	await waitForFrame(app, text => text.includes('archive for casa:'));
	await type(app, bench.archives.good);
	await press(app, keys.enter);
	await waitForFrame(app, text => text.includes('Update casa to build'), 20_000);
	await press(app, 'y');
	// Back to the list while it runs: the row shows the job; q there asks too.
	await press(app, keys.escape);
	await waitForFrame(app, text => /casa +(pushing|switching|rebooting|away|back)/.test(text), 30_000);
	await press(app, 'q');
	let frame = await waitForFrame(app, text => text.includes('quit and cancel it?'));
	t.true(controller.busy());
	await press(app, 'n');
	frame = await waitForFrame(app, text => !text.includes('quit and cancel it?'));
	t.deepEqual(quits, []);
	await press(app, 'q');
	await waitForFrame(app, text => text.includes('quit and cancel it?'));
	await press(app, 'y');
	frame = await waitForFrame(app, text => /cancelled|✓ health gate passed/.test(text), 30_000);
	await waitForFrame(app, () => quits.length === 1, 30_000);
	t.false(controller.busy(), 'the job had ended before the dashboard quit');
	t.regex(frame, /cancelled during \w+; |✓ health gate passed/);
});

test.serial('s at the question pushes and switches without the reboot: the row says "switched, reboot pending" until the device reboots', async t => {
	const bench = await startUpdateBench(t);
	const {app, store} = await mount(t, bench);
	await press(app, 'u');
	await waitForFrame(app, text => text.includes('archive for casa:'));
	await type(app, bench.archives.good);
	await press(app, keys.enter);
	let frame = await waitForFrame(app, text => text.includes('s push and switch, reboot later'), 20_000);
	await press(app, 's');
	frame = await waitForFrame(app, text => text.includes('pushed and switched, reboot pending'), 30_000);
	t.regex(frame, /switched to the other root partition/);
	t.false(frame.includes('reboot    back'), 'no reboot');
	t.is((await bench.records.last('casa'))?.state, 'switched');
	await press(app, keys.escape);
	frame = await waitForFrame(app, text => /casa +switched, reboot pending/.test(text));
	// The reboot, whoever asks for it, starts the new build: nothing is pending any more.
	await store.runPowerAction('casa', 'reboot');
	frame = await waitForFrame(app, text => text.includes('/user/hello') && !text.includes('reboot pending') && /● (online|back) +casa /.test(text), 30_000);
	// A reboot asked for reads "back" for a minute once the device answers again.
	t.regex(rowOf(frame, 'casa'), /● (online|back)/);
});

test.serial('drift: a gok instance whose config builds another SBOM than the device runs is marked; the same SBOM is not', async t => {
	const bench = await startUpdateBench(t);
	const dir = await tempDir(t, 'krazy-gok-');
	const configPath = path.join(dir, 'gokrazy', 'casa', 'config.json');
	await mkdir(path.dirname(configPath), {recursive: true});
	await writeFile(configPath, JSON.stringify({Hostname: 'casa'}));
	const target: DeviceTarget = {...bench.target, source: 'gok', origin: configPath};
	const base = {...process.env, PATH: `${fakeGokDir}:${process.env.PATH}`, KRAZY_FAKE_GOK_NODE: process.execPath};
	for (const [hash, drifted] of [[bench.archives.goodBuild.sbomHash, true], [bench.archives.runningSbom.sbom_hash, false]] as const) {
		const store = createFleetStore({targets: [target], pollIntervalMs: 300, nodeExporter: null});
		const controller = new UpdateController({store, records: bench.records, env: {...base, KRAZY_FAKE_GOK_SBOM_HASH: hash}});
		store.start();
		await controller.start();
		const app = render(<Dashboard store={store} updates={controller} size={size} env={{}} onQuit={() => undefined} />);
		try {
			await waitForFrame(app, () => controller.getState().drift.casa !== undefined, 20_000);
			const frame = await waitForFrame(app, text => text.includes('● online'));
			t.is(rowOf(frame, 'casa').includes('≠ gok config (drift)'), drifted, frame);
			t.is(controller.getState().drift.casa, drifted ? 'drifted' : 'current');
		} finally {
			app.unmount();
			controller.stop();
			store.stop();
		}
	}
});

test.serial('t at the question test-boots the new build; the gate passing makes it permanent', async t => {
	const bench = await startUpdateBench(t);
	const {app} = await mount(t, bench);
	await press(app, 'u');
	await waitForFrame(app, text => text.includes('archive for casa:'));
	await type(app, bench.archives.good);
	await press(app, keys.enter);
	await waitForFrame(app, text => text.includes('t test boot'), 20_000);
	await press(app, 't');
	const frame = await waitForFrame(app, text => text.includes('✓ health gate passed'), 60_000);
	t.regex(frame, /testboot set: the next boot tries the new build once|the test boot passed: switched for good/);
	t.regex(frame, /the test boot passed: switched for good/);
	t.regex(frame, /test boot made permanent/);
	t.like(await bench.records.last('casa'), {mode: 'testboot', state: 'rebooted', gate: 'passed'});
});

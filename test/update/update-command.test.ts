// `krazy-tui update` and `rollback` as scripts run them (dist/cli.js): --json lines as cli.md says, human lines, a gok build, a fleet stopped at a wrong password, gok missing or failing, usage errors, Ctrl-C.
import {mkdir, writeFile} from 'node:fs/promises';
import path from 'node:path';
import test, {type ExecutionContext} from 'ava';
import {startDemoDevice, type DemoDevice} from '../../source/demo/demo-device.js';
import {makeDemoArchives} from '../../source/demo/demo-archives.js';
import {runCli, spawnCli} from '../helpers/cli.js';
import {demoJson, waitFor} from '../helpers/demo-device.js';
import {updateRecordsAt} from '../../source/core/update/update-records.js';
import {sbomJson} from '../../source/demo/demo-build.js';
import {fakeGokDir, startUpdateBench, tempDir, type UpdateBench} from './update-helpers.js';

const sbomOf = async (device: DemoDevice) => (await demoJson<{SBOMHash: string}>(device, '/')).SBOMHash;

async function isolated(t: ExecutionContext, extra: NodeJS.ProcessEnv = {}): Promise<NodeJS.ProcessEnv> {
	const dir = await tempDir(t, 'krazy-cli-');
	return {KRAZY_TUI_CONFIG_DIR: path.join(dir, 'config'), HOME: dir, GOKRAZY_PARENT_DIR: path.join(dir, 'gokrazy'), ...extra};
}

/** A gok instance "casa" whose config points at the demo device. */
/** The CLI's config folder remembers the SBOM of what the demo runs (as `krazy-tui demo` arranges). */
async function knowsRunningSbom(env: NodeJS.ProcessEnv, bench: UpdateBench): Promise<void> {
	await updateRecordsAt({env, home: env.HOME!}).rememberSbom(sbomJson(bench.archives.runningSbom));
}

async function gokInstance(env: NodeJS.ProcessEnv, device: DemoDevice): Promise<void> {
	const dir = path.join(env.GOKRAZY_PARENT_DIR!, 'casa');
	await mkdir(dir, {recursive: true});
	await writeFile(path.join(dir, 'config.json'), JSON.stringify({Hostname: device.host, Update: {HTTPPort: String(device.port), HTTPPassword: device.password}}));
}

type Line = Record<string, unknown> & {device: string; phase: string};

test.serial('update --json: one object per line as cli.md says, ending in done with from, to, downtime and services', async t => {
	const bench = await startUpdateBench(t);
	const env = await isolated(t);
	const result = await runCli(['update', bench.device.url, '--gaf', bench.archives.good, '--yes', '--json', '--settle', '2'], {env, timeoutMs: 60_000});
	t.is(result.code, 0, result.stderr);
	const lines = result.stdout.trim().split('\n').map(line => JSON.parse(line) as Line);
	t.true(lines.every(line => line.device === `127.0.0.1:${bench.device.port}`));
	const phases = [...new Set(lines.map(line => line.phase))];
	t.deepEqual(phases, ['push', 'switch', 'reboot', 'wait', 'gate', 'done']);
	const parts = [...new Set(lines.filter(line => line.phase === 'push').map(line => line.part))];
	t.deepEqual(parts, ['root', 'boot', 'mbr']);
	for (const push of lines.filter(line => line.phase === 'push')) {
		t.true(typeof push.bytes === 'number' && typeof push.total === 'number' && typeof push.bytesPerSecond === 'number');
	}

	const done = lines.at(-1)!;
	t.deepEqual(done.to, {buildTimestamp: bench.archives.goodBuild.buildTimestamp, sbomHash: bench.archives.goodBuild.sbomHash});
	t.is((done.from as {sbomHash: string}).sbomHash, bench.archives.runningSbom.sbom_hash);
	t.true(typeof done.downtimeSeconds === 'number');
	const hello = (done.services as Array<Record<string, unknown>>).find(service => service.path === '/user/hello');
	t.deepEqual(Object.keys(hello ?? {}), ['path', 'before', 'after', 'restarts']);
	t.is(hello?.before, null);
	t.false(result.stdout.includes(bench.device.password), 'no password on stdout');
});

test.serial('a gok instance is built with the user\'s gok (lines shown, password not), then updated; human lines on a pipe', async t => {
	const bench = await startUpdateBench(t);
	const env = await isolated(t, {PATH: `${fakeGokDir}:${process.env.PATH}`, KRAZY_FAKE_GOK_NODE: process.execPath, KRAZY_FAKE_GOK_GAF: bench.archives.good});
	await gokInstance(env, bench.device);
	await knowsRunningSbom(env, bench);
	const result = await runCli(['update', 'casa', '--yes', '--settle', '2'], {env, timeoutMs: 60_000});
	t.is(result.code, 0, result.stderr);
	t.regex(result.stdout, /^casa: building with gok overwrite --gaf…$/m);
	t.regex(result.stdout, /^casa: gok: Build complete!$/m);
	t.regex(result.stdout, /^casa: gok: \thttp:\/\/gokrazy:\*\*\*@127\.0\.0\.1\/$/m);
	t.regex(result.stdout, /^ {2}packages {2}\+ github\.com\/gokrazy\/hello$/m);
	t.regex(result.stdout, /^casa: root pushed: .* SHA-256 matches the device's$/m);
	t.regex(result.stdout, /^casa: back after \d+ s: build .* → build .*$/m);
	t.regex(result.stdout, /^casa: updated: build .* health gate passed$/m);
	t.regex(result.stdout, /^ {2}\/user\/hello +— +(running|restarting) pid \d+ +0 {2}ok \(new\)$/m);
	t.false(`${result.stdout}${result.stderr}`.includes(bench.device.password));
	t.is(await sbomOf(bench.device), bench.archives.goodBuild.sbomHash);
});

test.serial('gok missing, or failing with its last lines shown: exit 1, nothing sent', async t => {
	const bench = await startUpdateBench(t);
	const before = await sbomOf(bench.device);
	const env = await isolated(t, {PATH: '/nonexistent'});
	await gokInstance(env, bench.device);
	const missing = await runCli(['update', 'casa', '--yes'], {env});
	t.is(missing.code, 1);
	t.regex(missing.stderr, /^casa: gok is not installed \(no "gok" on PATH\): install it .* or give --gaf FILE; nothing was sent to the device$/m);
	const failing = await runCli(['update', 'casa', '--yes'], {env: {...env, PATH: `${fakeGokDir}:${process.env.PATH}`, KRAZY_FAKE_GOK_NODE: process.execPath, KRAZY_FAKE_GOK_FAIL: '1'}});
	t.is(failing.code, 1);
	t.regex(failing.stderr, /^casa: gok overwrite --gaf for casa failed \(exit status 1\): build failed: exit status 1 \(gok's last lines: .*missing go\.sum entry.*\); nothing was sent to the device$/m);
	t.is(await sbomOf(bench.device), before);
});

test.serial('a fleet stops at the first failure (a wrong password): the first updated, the rest untouched, a summary table', async t => {
	const devices = await Promise.all([1, 2, 3].map(async index => {
		const device = await startDemoDevice({rebootDowntimeMs: 300, hostname: `d${index}`});
		t.teardown(() => device.stop());
		return device;
	}));
	const archives = await makeDemoArchives(devices[0]!);
	const before = await Promise.all(devices.map(sbomOf));
	const wrong = devices[1]!.url.replace(devices[1]!.password, 'wrong-password');
	const env = await isolated(t);
	const result = await runCli(['update', devices[0]!.url, wrong, devices[2]!.url, '--gaf', archives.good, '--yes', '--settle', '1'], {env, timeoutMs: 60_000});
	t.is(result.code, 1);
	t.regex(result.stderr, new RegExp(`^127\\.0\\.0\\.1:${devices[1]!.port}: wrong password .*; nothing was changed`, 'm'));
	const table = result.stdout.slice(result.stdout.indexOf('DEVICE'));
	t.regex(table, new RegExp(`^127\\.0\\.0\\.1:${devices[0]!.port} +updated +runs the new build`, 'm'));
	t.regex(table, new RegExp(`^127\\.0\\.0\\.1:${devices[1]!.port} +failed +unchanged`, 'm'));
	t.regex(table, new RegExp(`^127\\.0\\.0\\.1:${devices[2]!.port} +untouched +unchanged`, 'm'));
	t.is(await sbomOf(devices[0]!), archives.goodBuild.sbomHash);
	t.is(await sbomOf(devices[1]!), before[1]);
	t.is(await sbomOf(devices[2]!), before[2]);
	t.false(result.stderr.includes('wrong-password'));
});

test.serial('rollback: refused without a record (exit 1, the reason); after a bad update, back to the old build (exit 0)', async t => {
	const bench = await startUpdateBench(t);
	const env = await isolated(t);
	const before = await sbomOf(bench.device);
	const refused = await runCli(['rollback', bench.device.url, '--yes'], {env});
	t.is(refused.code, 1);
	t.regex(refused.stderr, /no record of updating this device/);
	const bad = await runCli(['update', bench.device.url, '--gaf', bench.archives.bad, '--yes', '--settle', '3'], {env, timeoutMs: 60_000});
	t.is(bad.code, 1);
	t.regex(bad.stdout, /^ {2}\/user\/golink .* FAILED: restarted \d+ times$/m);
	t.regex(bad.stdout, /^ +last stderr: panic: open \/perm\/home\/golink\/data\.db/m);
	t.regex(bad.stderr, /health gate failed after 3 s: \/user\/golink restarted \d+ times/);
	t.regex(bad.stderr, new RegExp(`to go back: krazy-tui rollback http://127\\.0\\.0\\.1:${bench.device.port} {2}\\(with its password, as here\\)`));
	const back = await runCli(['rollback', bench.device.url, '--yes', '--json', '--settle', '2'], {env, timeoutMs: 60_000});
	t.is(back.code, 0, back.stderr);
	t.is(JSON.parse(back.stdout.trim().split('\n').at(-1)!).phase, 'done');
	t.is(await sbomOf(bench.device), before);
});

test.serial('usage errors exit 2 with one line: no device, no --yes without a terminal, a bad --settle, a URL without --gaf', async t => {
	const env = await isolated(t);
	const cases: Array<[string[], RegExp]> = [
		[['update'], /update: expected at least one DEVICE/],
		[['update', 'http://127.0.0.1:1', '--gaf', 'x.gaf'], /nothing confirmed: stdin is not a terminal, so add --yes/],
		[['update', 'http://127.0.0.1:1', '--gaf', 'x.gaf', '--yes', '--settle', 'soon'], /--settle wants a number of seconds/],
		[['update', 'http://127.0.0.1:1', '--yes'], /127\.0\.0\.1:1 is not a gok instance, so there is nothing to build: give --gaf FILE/],
		[['rollback', '--yes'], /rollback: expected exactly one DEVICE/],
	];
	for (const [args, message] of cases) {
		const result = await runCli(args, {env});
		t.is(result.code, 2, args.join(' '));
		t.regex(result.stderr, message);
		t.is(result.stderr.trim().split('\n').length, 1);
	}
});

test.serial('Ctrl-C during a push: exit 1, and the device is said to be untouched by a switch', async t => {
	const bench = await startUpdateBench(t, {update: {writeBytesPerSecond: 16 * 1024}});
	const before = await sbomOf(bench.device);
	const env = await isolated(t);
	const child = spawnCli(['update', bench.device.url, '--gaf', bench.archives.good, '--yes'], {env});
	let stdout = '';
	let stderr = '';
	child.stdout!.on('data', (chunk: Buffer) => {
		stdout += chunk.toString();
	});
	child.stderr!.on('data', (chunk: Buffer) => {
		stderr += chunk.toString();
	});
	const exited = new Promise<number | null>(resolve => child.on('close', resolve));
	t.teardown(() => {
		child.kill('SIGKILL');
	});
	await waitFor(() => /pushing boot/.test(stdout), 20_000, 'the boot push under way');
	child.kill('SIGINT');
	t.is(await exited, 1);
	t.regex(stderr, /cancelled during push; nothing was switched and it still runs build .*, but its boot partition was already rewritten: run the update again before it reboots/);
	t.is(await sbomOf(bench.device), before);
});

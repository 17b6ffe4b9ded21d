// The build step and drift check through a gok stand-in that prints gok's real lines and writes a real gaf: arguments, streaming, redaction, failure, absence, cancel, caching.
import {existsSync, readFileSync} from 'node:fs';
import {mkdir, writeFile} from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import {buildGaf, DriftChecker, GokError, gokSbomHash, type GokInstance} from '../../source/core/update/gok-build.js';
import {GafArchive, inspectGaf} from '../../source/core/update/gaf-archive.js';
import {writeDemoArchive} from '../../source/demo/demo-build.js';
import {goArch} from '../../source/demo/go-format.js';
import {fakeGokDir, tempDir} from './update-helpers.js';

const fakeGok = path.join(fakeGokDir, 'gok');

async function instance(t: Parameters<typeof tempDir>[0]): Promise<{gok: GokInstance; dir: string; env: NodeJS.ProcessEnv; log: string}> {
	const dir = await tempDir(t, 'krazy-gok-');
	const parentDir = path.join(dir, 'gokrazy');
	await mkdir(path.join(parentDir, 'casa'), {recursive: true});
	const configPath = path.join(parentDir, 'casa', 'config.json');
	await writeFile(configPath, JSON.stringify({Hostname: 'casa', Update: {HTTPPassword: 'sekrit-pw-42'}}));
	const gaf = path.join(dir, 'template.gaf');
	await writeDemoArchive({file: gaf, hostname: 'casa', diskId: '2e18c40c', build: {buildTimestamp: '2031-01-02T03:04:05Z', arch: goArch(), services: [{path: '/user/hello', program: 'hello'}]}});
	const log = path.join(dir, 'gok.log');
	return {
		gok: {instance: 'casa', parentDir, configPath},
		dir,
		log,
		env: {...process.env, KRAZY_FAKE_GOK_NODE: process.execPath, KRAZY_FAKE_GOK_GAF: gaf, KRAZY_FAKE_GOK_LOG: log},
	};
}

const calls = (log: string) => readFileSync(log, 'utf8').trim().split('\n').map(line => JSON.parse(line) as {args: string[]; cwd: string});

test('gok overwrite --gaf runs in the parent folder with the instance; its lines stream, the password in them is redacted, and a real gaf appears', async t => {
	const {gok, dir, env, log} = await instance(t);
	const output = path.join(dir, 'out.gaf');
	const lines: string[] = [];
	await buildGaf(gok, output, {gok: fakeGok, env, secrets: ['sekrit-pw-42'], onLine: line => lines.push(line)});
	t.deepEqual(calls(log), [{args: ['overwrite', '-i', 'casa', '--parent_dir', gok.parentDir, '--gaf', output], cwd: gok.parentDir}]);
	t.true(lines.includes('Building 1 Go packages:'));
	t.true(lines.includes('Build complete!'));
	t.true(lines.includes('\thttp://gokrazy:***@casa/'));
	t.false(lines.join('\n').includes('sekrit-pw-42'));
	const archive = await GafArchive.open(output);
	t.teardown(() => archive.close());
	t.like(await inspectGaf(archive), {rootKind: {kind: 'demo', buildTimestamp: '2031-01-02T03:04:05Z'}});
});

test('a failing gok: one line with its exit status and last word, its last lines kept, no archive left', async t => {
	const {gok, dir, env} = await instance(t);
	const output = path.join(dir, 'out.gaf');
	const error = await t.throwsAsync(buildGaf(gok, output, {gok: fakeGok, env: {...env, KRAZY_FAKE_GOK_FAIL: '1'}}), {instanceOf: GokError});
	t.is(error.message, 'gok overwrite --gaf for casa failed (exit status 1): build failed: exit status 1');
	t.true(error.lastLines.some(line => line.includes('missing go.sum entry')));
	t.false(existsSync(output));
});

test('gok missing from PATH: said so, with what to do instead', async t => {
	const {gok, dir, env} = await instance(t);
	const error = await t.throwsAsync(buildGaf(gok, path.join(dir, 'out.gaf'), {env: {...env, PATH: dir}}), {instanceOf: GokError});
	t.true(error.missing);
	t.regex(error.message, /^gok is not installed \(no "gok" on PATH\): install it .* or give --gaf FILE$/);
});

test('a cancelled build stops gok (its whole process group) and leaves no archive', async t => {
	const {gok, dir, env} = await instance(t);
	const output = path.join(dir, 'out.gaf');
	const controller = new AbortController();
	const started = Date.now();
	const build = buildGaf(gok, output, {
		gok: fakeGok,
		env: {...env, KRAZY_FAKE_GOK_SLEEP_MS: '30000'},
		signal: controller.signal,
		onLine(line) {
			if (line.startsWith('Building')) {
				controller.abort();
			}
		},
	});
	const error = await t.throwsAsync(build, {instanceOf: GokError});
	t.regex(error.message, /cancelled/);
	t.true(Date.now() - started < 20_000, 'did not wait for the 30 s build');
	t.false(existsSync(output));
});

test('gok sbom --format hash and drift: current, drifted, cached per config change, no mark without gok', async t => {
	const {gok, env, log, dir} = await instance(t);
	const hash = 'ab'.repeat(32);
	t.is(await gokSbomHash(gok, {gok: fakeGok, env: {...env, KRAZY_FAKE_GOK_SBOM_HASH: hash}}), hash);
	const target = {name: 'casa', url: 'http://casa', source: 'gok' as const, origin: gok.configPath};
	const checker = new DriftChecker({gok: fakeGok, env: {...env, KRAZY_FAKE_GOK_SBOM_HASH: hash}});
	t.is(await checker.mark(target, hash), 'current');
	t.is(await checker.mark(target, 'cd'.repeat(32)), 'drifted');
	t.is(calls(log).filter(call => call.args[0] === 'sbom').length, 2, 'the second and third look used the cache');
	await writeFile(gok.configPath, JSON.stringify({Hostname: 'casa', Packages: ['github.com/gokrazy/hello']}));
	t.is(await checker.mark(target, hash), 'current');
	t.is(calls(log).filter(call => call.args[0] === 'sbom').length, 3, 'a changed config is looked at again');
	t.is(await checker.mark({name: 'x', url: 'http://x', source: 'url'}, hash), undefined, 'not a gok instance');
	t.is(await new DriftChecker({env: {...env, PATH: dir}}).mark(target, hash), undefined, 'no gok, no mark');
	t.is(await new DriftChecker({gok: fakeGok, env: {...env, KRAZY_FAKE_GOK_FAIL: '1'}}).mark(target, hash), undefined, 'a failing gok, no mark');
});

// The steps around the write: building with gok, running under sudo, powering the card off (with stand-in programs on PATH).
import {createHash} from 'node:crypto';
import {access, mkdir, readFile, writeFile} from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import {powerOffCard} from '../../../source/core/flash/card-eject.js';
import {elevatedFlashArgs} from '../../../source/core/flash/elevation.js';
import {buildGokImage, listGokInstances} from '../../../source/core/flash/gok-image.js';
import {createLoopDevice} from '../../helpers/loop-device.js';
import {installScript, jsonLines, runFlash} from './cli-runner.js';
import {MiB, mixedImage, tempDir} from './test-images.js';

test('the sudo child is this program again with the same flags, the image made absolute', t => {
	const args = elevatedFlashArgs({node: '/usr/bin/node', execArgv: ['--import=tsx'], cli: '/opt/krazy/dist/cli.js'}, {imagePath: 'images/gokrazy.img', devicePath: '/dev/sdb', fast: true, verify: false});
	t.deepEqual(args, [
		'-n', '--', '/usr/bin/node', '--import=tsx', '/opt/krazy/dist/cli.js',
		'flash', '--image', path.resolve('images/gokrazy.img'), '--device', '/dev/sdb', '--yes', '--json', '--no-power-off', '--fast', '--no-verify',
	]);
});

test('power-off uses udisksctl, falls back to eject, and says so when neither works', async t => {
	const dir = await tempDir(t);
	const bin = path.join(dir, 'bin');
	await mkdir(bin);
	const log = path.join(dir, 'calls');
	await installScript(bin, 'udisksctl', `#!/bin/sh\necho "udisksctl $*" >> ${log}\nexit 0\n`);
	const env = {PATH: bin};
	t.deepEqual(await powerOffCard('/dev/sdx', {env}), {method: 'udisksctl', ok: true, message: 'the card is powered off: you can take it out'});
	t.is(await readFile(log, 'utf8'), 'udisksctl power-off --block-device /dev/sdx --no-user-interaction\n');

	await installScript(bin, 'udisksctl', `#!/bin/sh\necho "Error powering off drive: not authorized" >&2\nexit 1\n`);
	await installScript(bin, 'eject', `#!/bin/sh\necho "eject $*" >> ${log}\nexit 0\n`);
	t.is((await powerOffCard('/dev/sdx', {env})).method, 'eject');
	t.regex(await readFile(log, 'utf8'), /eject \/dev\/sdx\n$/);

	await installScript(bin, 'eject', '#!/bin/sh\nexit 1\n');
	const failed = await powerOffCard('/dev/sdx', {env});
	t.false(failed.ok);
	t.regex(failed.message, /^could not power the card off \(Error powering off drive: not authorized\); it is flushed/);
	t.is((await powerOffCard('/dev/sdx', {env: {PATH: path.join(dir, 'nothing')}})).message, 'could not power the card off (neither udisksctl nor eject is installed); it is flushed, so you can take it out');
	t.is((await powerOffCard('/dev/loop3', {env})).method, 'none');
});

/** A stand-in gok: checks its arguments like gok overwrite would, prints a few lines, writes the image. */
async function fakeGok(bin: string, source: string, log: string): Promise<void> {
	await installScript(bin, 'gok', `#!/bin/sh
echo "gok $*" >> ${log}
[ "$1" = overwrite ] && [ "$2" = -i ] && [ "$4" = --full ] && [ "$6" = --target_storage_bytes ] || { echo "usage" >&2; exit 2; }
[ "$3" = broken ] && { echo "build failed: undefined: main.Foo" >&2; exit 1; }
echo "Building 3 Go packages:"
echo "Creating root file system" >&2
cp ${source} "$5"
echo "To boot gokrazy, plug the SD card into a Raspberry Pi"
`);
}

test('a gok instance is built for the card\'s size, its output shown, then written and the temporary image removed', async t => {
	const dir = await tempDir(t);
	const bin = path.join(dir, 'bin');
	await mkdir(bin);
	const parent = path.join(dir, 'gokrazy');
	await mkdir(path.join(parent, 'scanner'), {recursive: true});
	await writeFile(path.join(parent, 'scanner', 'config.json'), '{"Hostname": "scanner"}');
	await mkdir(path.join(parent, 'notes'));
	t.deepEqual(await listGokInstances({env: {GOKRAZY_PARENT_DIR: parent}, home: dir}), ['scanner']);

	const image = mixedImage(5);
	const source = path.join(dir, 'built.img');
	await writeFile(source, image);
	const log = path.join(dir, 'gok.log');
	await fakeGok(bin, source, log);
	const loop = await createLoopDevice({size: 12 * MiB}, t);
	const env = {...process.env, PATH: `${bin}:${process.env.PATH ?? ''}`};
	const result = await runFlash(['flash', '--instance', 'scanner', '--device', loop.path, '--yes', '--json'], env);
	t.is(result.code, 0, result.stderr);
	const records = jsonLines(result.stdout);
	// stdout and stderr of gok are two pipes: their lines may interleave either way.
	t.deepEqual(records.filter(record => record.phase === 'build').map(record => record.line).sort(), [
		'Building 3 Go packages:', 'Creating root file system', 'To boot gokrazy, plug the SD card into a Raspberry Pi',
	]);
	t.like(records.at(-1), {phase: 'done', sha256: createHash('sha256').update(image).digest('hex')});
	const call = (await readFile(log, 'utf8')).trim();
	const temporary = /--full (\S+) /.exec(call)?.[1] ?? '';
	t.is(call, `gok overwrite -i scanner --full ${temporary} --target_storage_bytes ${12 * MiB}`);
	await t.throwsAsync(access(temporary), undefined, 'the temporary image is gone');

	const failed = await buildGokImage('broken', 12 * MiB, {env}).catch((error: unknown) => error as Error);
	t.is(failed instanceof Error ? failed.message : '', 'broken: gok overwrite failed (exit 1): build failed: undefined: main.Foo');
	const noGok = await buildGokImage('scanner', 12 * MiB, {env: {PATH: path.join(dir, 'nothing')}}).catch((error: unknown) => error as Error);
	t.regex(noGok instanceof Error ? noGok.message : '', /^scanner: gok is not on PATH/);
});

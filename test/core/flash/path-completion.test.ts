// Image paths as a shell takes them: ~ expanded, Tab completing from the folder.
import {mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import fc from 'fast-check';
import {completePath, expandHome} from '../../../source/core/flash/path-completion.js';

async function folder(t: {teardown: (fn: () => Promise<void>) => void}): Promise<string> {
	const dir = await mkdtemp(path.join(os.tmpdir(), 'krazy-complete-'));
	t.teardown(async () => rm(dir, {recursive: true, force: true}));
	await mkdir(path.join(dir, 'images'));
	await writeFile(path.join(dir, 'images', 'casa.img'), '');
	await writeFile(path.join(dir, 'images', 'casa.img.xz'), '');
	await writeFile(path.join(dir, 'images', 'garage.img.zst'), '');
	await writeFile(path.join(dir, 'images', '.hidden.img'), '');
	return dir;
}

test('~ and ~/ are the home folder; ~user and other paths are left alone', t => {
	t.is(expandHome('~', '/home/ann'), '/home/ann');
	t.is(expandHome('~/images/casa.img', '/home/ann'), '/home/ann/images/casa.img');
	t.is(expandHome('~bob/x.img', '/home/ann'), '~bob/x.img');
	t.is(expandHome('/srv/~/x.img', '/home/ann'), '/srv/~/x.img');
	fc.assert(fc.property(fc.string(), text => text.startsWith('~') || expandHome(text, '/home/ann') === text));
});

test('Tab: one match completes whole (a folder with its /), several to their common start with the candidates listed', async t => {
	const home = await folder(t);
	const options = {home, cwd: '/'};
	t.like(await completePath('~/ima', options), {value: '~/images/', matches: 1});
	const several = await completePath('~/images/c', options);
	t.is(several.value, '~/images/casa.img');
	t.deepEqual(several.candidates, ['casa.img', 'casa.img.xz']);
	t.like(await completePath('~/images/g', options), {value: '~/images/garage.img.zst', matches: 1});
	t.deepEqual((await completePath('~/images/', options)).candidates, ['casa.img', 'casa.img.xz', 'garage.img.zst'], 'dot files only when asked for');
	t.like(await completePath('~/images/.h', options), {value: '~/images/.hidden.img', matches: 1});
	t.like(await completePath('images/ca', {home: '/nowhere', cwd: home}), {value: 'images/casa.img', matches: 2}, 'relative to the current folder');
	t.like(await completePath('~/nothing/x', options), {value: '~/nothing/x', matches: 0});
	t.like(await completePath('~', options), {value: '~/'});
});

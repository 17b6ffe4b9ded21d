// The demo's breakglass keys: the user's own ~/.ssh/id_*.pub when there are any, else a demo key made once and reused.
import {mkdirSync, readFileSync, statSync, writeFileSync} from 'node:fs';
import {mkdtemp, rm} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import ssh2 from 'ssh2';
import {demoIdentityPath, prepareDemoKeys} from '../../../source/core/breakglass/demo-keys.js';
import {makeKeyPair} from '../../helpers/sshd.js';

async function temp(t: {teardown(fn: () => Promise<void>): void}) {
	const dir = await mkdtemp(path.join(os.tmpdir(), 'krazy-demokeys-'));
	t.teardown(() => rm(dir, {recursive: true, force: true}));
	const home = path.join(dir, 'home');
	mkdirSync(path.join(home, '.ssh'), {recursive: true});
	return {home, configDir: path.join(dir, 'config')};
}

test('authorises the user\'s own public keys, as gok new does', async t => {
	const {home, configDir} = await temp(t);
	const ed = await makeKeyPair(path.join(home, '.ssh'), 'id_ed25519');
	const rsa = await makeKeyPair(path.join(home, '.ssh'), 'id_rsa');
	writeFileSync(path.join(home, '.ssh', 'id_broken.pub'), 'not a key\n');
	const keys = await prepareDemoKeys({configDir, home});
	t.is(keys.identityPath, undefined);
	t.is(readFileSync(keys.authorizedKeysPath, 'utf8'), `${ed.publicKey}\n${rsa.publicKey}\n`);
	t.is(statSync(keys.authorizedKeysPath).mode & 0o777, 0o600);
});

test('without keys of the user, makes a demo key once and authorises it', async t => {
	const {home, configDir} = await temp(t);
	const first = await prepareDemoKeys({configDir, home});
	t.is(first.identityPath, demoIdentityPath(configDir));
	const privateKey = readFileSync(first.identityPath!, 'utf8');
	const parsed = ssh2.utils.parseKey(privateKey);
	t.false(parsed instanceof Error);
	const publicLine = readFileSync(`${first.identityPath}.pub`, 'utf8').trim();
	t.regex(publicLine, /^ssh-ed25519 \S+ krazy-tui demo$/);
	t.is(readFileSync(first.authorizedKeysPath, 'utf8'), `${publicLine}\n`);
	t.is(statSync(first.identityPath!).mode & 0o777, 0o600);
	const second = await prepareDemoKeys({configDir, home});
	t.is(readFileSync(second.identityPath!, 'utf8'), privateKey);
});

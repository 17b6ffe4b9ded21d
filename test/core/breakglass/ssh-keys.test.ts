// Client key discovery and loading: ~/.ssh/id_*.pub order, encrypted keys asking for their passphrase.
import {mkdirSync, writeFileSync} from 'node:fs';
import {mkdtemp, rm} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import {agentSocketFrom, discoverIdentityFiles, loadPrivateKey} from '../../../source/core/breakglass/ssh-keys.js';
import {makeKeyPair} from '../../helpers/sshd.js';

async function tempHome(t: {teardown(fn: () => Promise<void>): void}): Promise<string> {
	const dir = await mkdtemp(path.join(os.tmpdir(), 'krazy-keys-'));
	t.teardown(() => rm(dir, {recursive: true, force: true}));
	mkdirSync(path.join(dir, '.ssh'));
	return dir;
}

test('finds the private keys beside ~/.ssh/id_*.pub, ed25519 first', async t => {
	const home = await tempHome(t);
	const ssh = path.join(home, '.ssh');
	await makeKeyPair(ssh, 'id_rsa');
	await makeKeyPair(ssh, 'id_ed25519');
	await makeKeyPair(ssh, 'id_work');
	// A public key without its private half, and a private key without .pub, are not what gok new authorised.
	writeFileSync(path.join(ssh, 'id_ecdsa.pub'), 'ecdsa-sha2-nistp256 AAAA x\n');
	writeFileSync(path.join(ssh, 'id_dsa'), 'x');
	t.deepEqual(await discoverIdentityFiles(home), ['id_ed25519', 'id_rsa', 'id_work'].map(name => path.join(ssh, name)));
	t.deepEqual(await discoverIdentityFiles(path.join(home, 'nowhere')), []);
});

test('an encrypted key asks for its passphrase until it is right, at most three times', async t => {
	const home = await tempHome(t);
	const {privatePath} = await makeKeyPair(path.join(home, '.ssh'), 'id_ed25519', 'sesame');
	const asked: string[] = [];
	const answers = ['wrong', 'sesame'];
	const loaded = await loadPrivateKey(privatePath, async keyPath => {
		asked.push(keyPath);
		return answers.shift()!;
	});
	t.true(loaded.ok);
	t.deepEqual(asked, [privatePath, privatePath]);

	const wrong = await loadPrivateKey(privatePath, async () => 'nope');
	t.deepEqual(wrong, {ok: false, reason: `wrong passphrase for ${privatePath}`});

	const noTerminal = await loadPrivateKey(privatePath);
	t.false(noTerminal.ok);
	t.regex(noTerminal.ok ? '' : noTerminal.reason, /encrypted and there is no terminal/);

	const declined = await loadPrivateKey(privatePath, async () => {
		throw new Error('cancelled');
	});
	t.deepEqual(declined, {ok: false, reason: `no passphrase given for ${privatePath}`});
});

test('an unencrypted key loads without asking; garbage is named', async t => {
	const home = await tempHome(t);
	const {privatePath} = await makeKeyPair(path.join(home, '.ssh'), 'id_ed25519');
	const loaded = await loadPrivateKey(privatePath, async () => {
		throw new Error('must not ask');
	});
	t.true(loaded.ok && loaded.key.isPrivateKey());
	const garbage = path.join(home, 'garbage');
	writeFileSync(garbage, 'not a key');
	const bad = await loadPrivateKey(garbage);
	t.false(bad.ok);
});

test('SSH_AUTH_SOCK counts only when it names a socket', t => {
	t.is(agentSocketFrom({}), undefined);
	t.is(agentSocketFrom({SSH_AUTH_SOCK: '/nonexistent/agent.sock'}), undefined);
	t.is(agentSocketFrom({SSH_AUTH_SOCK: os.tmpdir()}), undefined);
});

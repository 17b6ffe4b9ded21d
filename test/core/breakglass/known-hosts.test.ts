// known_hosts in OpenSSH's format: first use, changed keys, [host]:port names, hashed lines, and agreement with ssh-keygen.
import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import ssh2 from 'ssh2';
import {changedHostKeyMessage, fingerprint, KnownHosts, knownHostName, parseHostPort} from '../../../source/core/breakglass/known-hosts.js';
import {run} from './harness.js';

function newKey(): {blob: Buffer; line: string} {
	const pair = ssh2.utils.generateKeyPairSync('ed25519');
	const [type, base64] = pair.public.split(' ');
	return {blob: Buffer.from(base64, 'base64'), line: `${type} ${base64}`};
}

async function tempFile(t: {teardown(fn: () => Promise<void>): void}): Promise<string> {
	const dir = await mkdtemp(path.join(os.tmpdir(), 'krazy-kh-'));
	t.teardown(() => rm(dir, {recursive: true, force: true}));
	return path.join(dir, 'known_hosts');
}

test('names hosts as OpenSSH does and parses them back', t => {
	t.is(knownHostName('10.0.0.23', 22), '10.0.0.23');
	t.is(knownHostName('10.0.0.23', 2222), '[10.0.0.23]:2222');
	t.is(knownHostName('::1', 2222), '[::1]:2222');
	t.deepEqual(parseHostPort('[10.0.0.23]:2222'), {host: '10.0.0.23', port: 2222});
	t.deepEqual(parseHostPort('casa:2222'), {host: 'casa', port: 2222});
	t.deepEqual(parseHostPort('casa'), {host: 'casa', port: 22});
	t.deepEqual(parseHostPort('fe80::1'), {host: 'fe80::1', port: 22});
});

test('an unknown key, once added, is known; another key for the same host is a change; other ports are separate', async t => {
	const file = await tempFile(t);
	const store = new KnownHosts(file);
	const first = newKey();
	const second = newKey();
	t.deepEqual(await store.verify('127.0.0.1', 2222, first.blob), {status: 'unknown'});
	await store.add('127.0.0.1', 2222, first.blob);
	t.deepEqual(await store.verify('127.0.0.1', 2222, first.blob), {status: 'known'});
	t.deepEqual(await store.verify('127.0.0.1', 2223, second.blob), {status: 'unknown'});
	const changed = await store.verify('127.0.0.1', 2222, second.blob);
	t.is(changed.status, 'changed');
	if (changed.status === 'changed') {
		t.deepEqual(changed.knownFingerprints, [`ssh-ed25519 ${fingerprint(first.blob)}`]);
		t.deepEqual(changed.lines, [1]);
		const message = changedHostKeyMessage({hostName: '[127.0.0.1]:2222', keyType: 'ssh-ed25519', fingerprint: fingerprint(second.blob), file}, changed);
		t.regex(message, /HOST KEY HAS CHANGED/);
		t.regex(message, /krazy-tui shell --forget-host '\[127\.0\.0\.1\]:2222'/);
		t.regex(message, /ssh-keygen -R '\[127\.0\.0\.1\]:2222' -f /);
	}

	t.is(await readFile(file, 'utf8'), `[127.0.0.1]:2222 ${first.line}\n`);
});

test('ssh-keygen finds what krazy-tui wrote, and krazy-tui matches lines ssh-keygen hashed', async t => {
	const file = await tempFile(t);
	const store = new KnownHosts(file);
	const key = newKey();
	const other = newKey();
	await store.add('127.0.0.1', 2222, key.blob);
	await store.add('casa', 22, other.blob);
	const found = await run('ssh-keygen', ['-F', '[127.0.0.1]:2222', '-f', file]);
	t.true(found.stdout.includes(key.line));
	await run('ssh-keygen', ['-H', '-f', file]);
	const hashed = await readFile(file, 'utf8');
	t.regex(hashed, /^\|1\|[^|]+\|[^ ]+ ssh-ed25519 /m);
	t.false(hashed.includes('casa'));
	t.deepEqual(await store.verify('127.0.0.1', 2222, key.blob), {status: 'known'});
	t.deepEqual(await store.verify('casa', 22, other.blob), {status: 'known'});
	t.is((await store.verify('casa', 22, key.blob)).status, 'changed');
});

test('hashed lines krazy-tui writes are found by ssh-keygen', async t => {
	const file = await tempFile(t);
	const key = newKey();
	await new KnownHosts(file).add('10.0.0.23', 22, key.blob, {hashed: true});
	t.regex(await readFile(file, 'utf8'), /^\|1\|/);
	const found = await run('ssh-keygen', ['-F', '10.0.0.23', '-f', file]);
	t.true(found.stdout.includes(key.line.split(' ')[1]));
});

test('remove forgets plain and hashed lines of that host only', async t => {
	const file = await tempFile(t);
	const key = newKey();
	const other = newKey();
	const store = new KnownHosts(file);
	await store.add('127.0.0.1', 2222, key.blob);
	await store.add('127.0.0.1', 2222, key.blob, {hashed: true});
	await store.add('127.0.0.1', 2223, other.blob);
	t.is(await store.remove('127.0.0.1', 2222), 2);
	t.deepEqual(await store.verify('127.0.0.1', 2222, key.blob), {status: 'unknown'});
	t.deepEqual(await store.verify('127.0.0.1', 2223, other.blob), {status: 'known'});
	t.is(await store.remove('127.0.0.1', 2222), 0);
});

test('patterns, negations, comments and @revoked are honoured', async t => {
	const file = await tempFile(t);
	const key = newKey();
	const revoked = newKey();
	await writeFile(file, [
		'# a comment',
		`*.lan,!evil.lan ${key.line}`,
		`@revoked * ${revoked.line}`,
		`@cert-authority *.lan ${revoked.line}`,
		'',
	].join('\n'));
	const store = new KnownHosts(file);
	t.deepEqual(await store.verify('casa.lan', 22, key.blob), {status: 'known'});
	t.deepEqual(await store.verify('evil.lan', 22, key.blob), {status: 'unknown'});
	const verdict = await store.verify('casa.lan', 22, revoked.blob);
	t.is(verdict.status, 'changed');
	t.true(verdict.status === 'changed' && verdict.revoked);
});

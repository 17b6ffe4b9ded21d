// known_hosts in OpenSSH's format: first use, changed keys, [host]:port names, hashed lines, and agreement with ssh-keygen.
import {mkdir, mkdtemp, readFile, rm, stat, writeFile} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import {changedHostKeyMessage, fingerprint, KnownHosts, knownHostName, knownHostsPath, keyTypeOf, parseHostPort} from '../../../source/core/breakglass/known-hosts.js';
import {run} from './harness.js';
import {ed25519KeyPair} from '../../../source/core/breakglass/key-pair.js';

function newKey(): {blob: Buffer; line: string} {
	const pair = ed25519KeyPair('test key');
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
	// A bracketed host is not bracketed twice; without a port it is port 22.
	t.is(knownHostName('[::1]', 2222), '[::1]:2222');
	t.is(knownHostName('[::1]', 22), '::1');
	t.deepEqual(parseHostPort('[fe80::1]:2222'), {host: 'fe80::1', port: 2222});
	t.deepEqual(parseHostPort('[fe80::1]'), {host: 'fe80::1', port: 22});
	t.deepEqual(parseHostPort('casa:ssh'), {host: 'casa:ssh', port: 22});
	t.deepEqual(parseHostPort('[casa]:ssh'), {host: '[casa]:ssh', port: 22});
	for (const text of ['casa:22x', 'casa:x22', '10', 'a:b:22']) {
		t.deepEqual(parseHostPort(text), {host: text, port: 22}, text);
	}

	t.deepEqual(parseHostPort('a:2222'), {host: 'a', port: 2222});
	t.is(knownHostsPath('/home/anna/.config/krazy-tui'), '/home/anna/.config/krazy-tui/known_hosts');
});

test('fingerprints and key types are what ssh-keygen prints', async t => {
	const file = await tempFile(t);
	for (let index = 0; index < 4; index++) {
		const key = newKey();
		await writeFile(file, `${key.line}\n`);
		const {stdout} = await run('ssh-keygen', ['-l', '-E', 'sha256', '-f', file]);
		t.is(stdout.split(' ')[1], fingerprint(key.blob));
		t.is(keyTypeOf(key.blob), 'ssh-ed25519');
	}

	t.is(keyTypeOf(Buffer.from([0, 0, 0])), 'unknown', 'too short to name a type');
	t.is(keyTypeOf(Buffer.from([0, 0, 0, 3, 0x72, 0x73, 0x61, 0xFF])), 'rsa');
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

test('patterns match whole names, case-insensitively: dots are dots, ? is one character, a negation alone matches nothing', async t => {
	const file = await tempFile(t);
	const key = newKey();
	await writeFile(file, [
		`10.0.0.5 ${key.line}`,
		`CASA ${key.line}`,
		`kiosk? ${key.line}`,
		`!evil ${key.line}`,
		`|1|broken ${key.line}`,
		`# other ${key.line}`,
		`other2  \t ${key.line}`,
		`|1|c2FsdA== ${key.line}`,
		'',
	].join('\n'));
	const store = new KnownHosts(file);
	const status = async (host: string) => (await store.verify(host, 22, key.blob)).status;
	t.is(await status('10.0.0.5'), 'known');
	t.is(await status('casa'), 'known');
	t.is(await status('kiosk1'), 'known');
	t.is(await status('other2'), 'known', 'fields apart by several blanks');
	for (const host of ['10a0b0c5', '10.0.0.50', '110.0.0.5', 'casa.lan', 'mycasa', 'kiosk', 'kiosk12', 'other', '|1|c2FsdA==']) {
		t.is(await status(host), 'unknown', host);
	}
});

test('a changed key names every other key and its line, counting comments and blank lines; @cert-authority keys are no host keys', async t => {
	const file = await tempFile(t);
	const [old1, old2, shown, authority] = [newKey(), newKey(), newKey(), newKey()];
	await writeFile(file, [
		'# krazy-tui',
		'',
		`  casa ${old1.line}  `,
		`@cert-authority casa ${authority.line}`,
		`casa,10.0.0.5 ${old2.line} a comment`,
		'casa ssh-ed25519',
	].join('\n'));
	const store = new KnownHosts(file);
	t.deepEqual(await store.verify('casa', 22, shown.blob), {
		status: 'changed',
		knownFingerprints: [`ssh-ed25519 ${fingerprint(old1.blob)}`, `ssh-ed25519 ${fingerprint(old2.blob)}`],
		lines: [3, 5],
		revoked: false,
	});
	t.deepEqual(await store.verify('casa', 22, old2.blob), {status: 'known'}, 'one of several keys is enough');
	t.deepEqual(await store.verify('kiosk', 22, authority.blob), {status: 'unknown'});
	t.deepEqual(await store.verify('casa', 22, authority.blob), {status: 'changed', knownFingerprints: [`ssh-ed25519 ${fingerprint(old1.blob)}`, `ssh-ed25519 ${fingerprint(old2.blob)}`], lines: [3, 5], revoked: false});
});

test('a revoked key is refused even where it is also listed as known, and the message says it is revoked', async t => {
	const file = await tempFile(t);
	const key = newKey();
	await writeFile(file, `casa ${key.line}\n@revoked kiosk ${key.line}\n`);
	const verdict = await new KnownHosts(file).verify('casa', 22, key.blob);
	t.deepEqual(verdict, {status: 'changed', knownFingerprints: [], lines: [], revoked: true});
	if (verdict.status === 'changed') {
		const message = changedHostKeyMessage({hostName: 'casa', keyType: 'ssh-ed25519', fingerprint: fingerprint(key.blob), file}, verdict);
		t.true(message.split('\n').includes(`The key casa showed is marked @revoked in ${file}.`));
		t.false(message.includes('remembers'));
		t.true(message.split('\n').includes(`  (or: ssh-keygen -R 'casa' -f ${file})`));
	}

	const changed = await new KnownHosts(file).verify('casa', 22, newKey().blob);
	if (changed.status === 'changed') {
		const message = changedHostKeyMessage({hostName: 'casa', keyType: 'ssh-ed25519', fingerprint: 'SHA256:new', file}, changed);
		t.true(message.split('\n').includes('casa now shows ssh-ed25519 SHA256:new,'));
		t.true(message.split('\n').includes(`but ${file} remembers ssh-ed25519 ${fingerprint(key.blob)} (line 1).`));
	}
});

test('add keeps what the file had, even without a last newline, in a private file and folder', async t => {
	const dir = path.join(path.dirname(await tempFile(t)), 'config');
	const file = path.join(dir, 'known_hosts');
	const key = newKey();
	const store = new KnownHosts(file);
	await store.add('casa', 22, key.blob);
	t.is((await stat(dir)).mode & 0o777, 0o700);
	t.is((await stat(file)).mode & 0o777, 0o600);
	await writeFile(file, '# mine');
	await store.add('casa', 22, key.blob);
	t.is(await readFile(file, 'utf8'), `# mine\ncasa ${key.line}\n`);
	await store.add('kiosk', 22, key.blob);
	t.is(await readFile(file, 'utf8'), `# mine\ncasa ${key.line}\nkiosk ${key.line}\n`, 'no blank line after a last newline');
});

test('remove forgets exact names in any case and in name lists, and keeps @revoked and @cert-authority lines (as ssh-keygen -R does), wildcards, comments and other hosts', async t => {
	const file = await tempFile(t);
	const key = newKey();
	const revoked = newKey();
	const lines = [
		`# casa ${key.line}`,
		`CASA ${key.line}`,
		`  kiosk,casa\t${key.line}`,
		`@revoked casa ${revoked.line}`,
		`@cert-authority casa ${revoked.line}`,
		`*.lan,casa* ${key.line}`,
		`kiosk ${key.line}`,
		'casa ssh-ed25519',
		'',
	];
	await writeFile(file, lines.join('\n'));
	const store = new KnownHosts(file);
	t.is(await store.remove('casa', 22), 2);
	const left = [lines[0], lines[3], lines[4], lines[5], lines[6], lines[7], ''].join('\n');
	t.is(await readFile(file, 'utf8'), left);
	t.is((await store.verify('casa', 22, revoked.blob)).status, 'changed', 'the revoked key is still refused');
	t.is(await store.remove('nobody', 22), 0);
	t.is(await store.remove('casa', 22), 0);
	t.is(await readFile(file, 'utf8'), left);
	t.is(await new KnownHosts(path.join(path.dirname(file), 'none')).remove('casa', 22), 0);
});

test('a known_hosts that cannot be read is an error, not an empty file', async t => {
	const dir = path.dirname(await tempFile(t));
	const folder = path.join(dir, 'known_hosts_dir');
	await mkdir(folder);
	const store = new KnownHosts(folder);
	await t.throwsAsync(store.verify('casa', 22, newKey().blob), {code: 'EISDIR'});
	await t.throwsAsync(store.add('casa', 22, newKey().blob), {code: 'EISDIR'});
});

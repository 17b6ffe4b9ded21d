// The devices command run in-process with captured output: list, add, remove, JSON, warnings, and no password leaks.
import test from 'ava';
import {mkdir, mkdtemp, readFile, rm, stat, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {Writable} from 'node:stream';
import {UsageError} from '../../source/commands/command-io.js';
import {devicesCommand} from '../../source/commands/devices.js';
import {listKnownDevices, registryOptionsFrom} from '../../source/core/device-registry.js';
import {defaultNodeExporterUrl} from '../../source/core/node-exporter.js';
import {readSettings} from '../../source/core/settings.js';

type World = {root: string; env: NodeJS.ProcessEnv; settingsFile: string};

async function makeWorld(t: {teardown(fn: () => Promise<void>): void}): Promise<World> {
	const root = await mkdtemp(path.join(tmpdir(), 'krazy-devices-'));
	t.teardown(async () => rm(root, {recursive: true, force: true}));
	const env: NodeJS.ProcessEnv = {
		HOME: path.join(root, 'home'),
		GOKRAZY_PARENT_DIR: path.join(root, 'gokrazy'),
		XDG_CONFIG_HOME: path.join(root, 'xdg'),
		KRAZY_TUI_CONFIG_DIR: path.join(root, 'krazy'),
	};
	const casa = path.join(root, 'gokrazy', 'casa', 'config.json');
	await mkdir(path.dirname(casa), {recursive: true});
	await writeFile(casa, JSON.stringify({Hostname: 'casa', Update: {HTTPPassword: 'casa-secret-pw', HTTPPort: '8080'}}));
	return {root, env, settingsFile: path.join(root, 'krazy', 'config.json')};
}

class Capture extends Writable {
	text = '';
	override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: () => void): void {
		this.text += chunk.toString();
		callback();
	}
}

async function devices(world: World, args: string[], env: NodeJS.ProcessEnv = {}) {
	const stdout = new Capture();
	const stderr = new Capture();
	const code = await devicesCommand(args, {
		stdout,
		stderr,
		env: {...world.env, ...env},
		stdoutIsTty: false,
		signal: new AbortController().signal,
	});
	return {code, stdout: stdout.text, stderr: stderr.text};
}

const awkwardPassword = 'p:@/%#"ä ✓';

test('add with the password in the URL, list it, remove it; the password is stored but never printed', async t => {
	const world = await makeWorld(t);
	const url = `http://gokrazy:${encodeURIComponent(awkwardPassword)}@10.0.0.23:8080`;
	const added = await devices(world, ['add', 'lab', url]);
	t.is(added.code, 0, added.stderr);
	t.is(added.stdout, `added lab: http://10.0.0.23:8080 (with its password, saved in ${world.settingsFile})\n`);
	t.is(added.stderr, '');

	const stored = await readSettings({env: world.env, home: world.env.HOME!});
	t.deepEqual(stored.settings.devices, [{name: 'lab', url: 'http://10.0.0.23:8080', password: awkwardPassword}]);
	t.is((await stat(world.settingsFile)).mode & 0o777, 0o600);

	const listed = await devices(world, []);
	t.is(listed.code, 0);
	t.is(listed.stderr, '');
	const lines = listed.stdout.trimEnd().split('\n');
	t.regex(lines[0], /^NAME +URL +SOURCE +ORIGIN$/);
	t.regex(lines[1], new RegExp(`^casa +http://casa:8080 +gok +${escape(path.join(world.root, 'gokrazy', 'casa', 'config.json'))}$`));
	t.regex(lines[2], new RegExp(`^lab +http://10\\.0\\.0\\.23:8080 +saved +${escape(world.settingsFile)}$`));
	t.is(lines.length, 3);

	const removed = await devices(world, ['remove', 'lab']);
	t.deepEqual(removed, {code: 0, stdout: 'removed lab\n', stderr: ''});
	t.deepEqual((await readSettings({env: world.env, home: world.env.HOME!})).settings.devices, []);

	for (const output of [added, listed, removed]) {
		t.false(`${output.stdout}${output.stderr}`.includes(awkwardPassword));
		t.false(`${output.stdout}${output.stderr}`.includes(encodeURIComponent(awkwardPassword)));
		t.false(`${output.stdout}${output.stderr}`.includes('casa-secret-pw'));
	}
});

test('list --json: one document with devices and problems', async t => {
	const world = await makeWorld(t);
	const broken = path.join(world.root, 'gokrazy', 'broken', 'config.json');
	await mkdir(path.dirname(broken), {recursive: true});
	await writeFile(broken, '{"Hostname": ');
	t.is((await devices(world, ['add', 'lab', 'https://lab.lan'])).code, 0);
	const listed = await devices(world, ['list', '--json']);
	t.is(listed.code, 0);
	t.is(listed.stderr, '');
	const document = JSON.parse(listed.stdout) as {devices: unknown[]; problems: Array<{path: string; message: string}>};
	t.deepEqual(document.devices, [
		{name: 'casa', url: 'http://casa:8080', source: 'gok', origin: path.join(world.root, 'gokrazy', 'casa', 'config.json')},
		{name: 'lab', url: 'https://lab.lan', source: 'saved', origin: world.settingsFile},
	]);
	t.is(document.problems.length, 1);
	t.is(document.problems[0].path, broken);
	t.regex(document.problems[0].message, /broken\/config\.json: invalid JSON: .*\(line 1,? column 14\)$/);
	t.deepEqual(Object.keys(document.problems[0]), ['path', 'message']);
	t.false(listed.stdout.includes('casa-secret-pw'));
});

test('a broken config.json is a warning on stderr naming the path and the error; the others are listed, exit 0', async t => {
	const world = await makeWorld(t);
	const broken = path.join(world.root, 'gokrazy', 'broken', 'config.json');
	await mkdir(path.dirname(broken), {recursive: true});
	await writeFile(broken, '{"Hostname": "broken", "Update": {"HTTPPort": 80}}');
	const listed = await devices(world, ['list']);
	t.is(listed.code, 0);
	t.is(listed.stderr, `warning: ${broken}: Update.HTTPPort must be a string, not a number\n`);
	t.regex(listed.stdout, /^casa +http:\/\/casa:8080 +gok/m);
});

test('no devices at all: a hint on stderr, exit 0', async t => {
	const world = await makeWorld(t);
	const listed = await devices(world, [], {GOKRAZY_PARENT_DIR: path.join(world.root, 'none')});
	t.deepEqual(listed, {
		code: 0,
		stdout: '',
		stderr: 'no devices: create one with gok new, or save one with "krazy-tui devices add NAME http://gokrazy:PASSWORD@HOST"\n',
	});
});

test('add: the password from --password-file, else $KRAZY_PASSWORD', async t => {
	const world = await makeWorld(t);
	const file = path.join(world.root, 'pw.txt');
	await writeFile(file, `${awkwardPassword}\n`);
	t.is((await devices(world, ['add', 'one', 'http://one', '--password-file', file], {KRAZY_PASSWORD: 'env-pw'})).code, 0);
	t.is((await devices(world, ['add', 'two', 'http://two'], {KRAZY_PASSWORD: 'env-pw'})).code, 0);
	const bare = await devices(world, ['add', 'three', 'http://three']);
	t.is(bare.stdout, `added three: http://three (without a password, saved in ${world.settingsFile})\n`);
	const stored = await readSettings({env: world.env, home: world.env.HOME!});
	t.deepEqual(stored.settings.devices, [
		{name: 'one', url: 'http://one', password: awkwardPassword},
		{name: 'two', url: 'http://two', password: 'env-pw'},
		{name: 'three', url: 'http://three'},
	]);
});

test('add: --certificate and --ssh-port are stored', async t => {
	const world = await makeWorld(t);
	const certificate = path.join(world.root, 'lab.pem');
	await writeFile(certificate, '-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n');
	const added = await devices(world, ['add', 'lab', 'https://lab', '--certificate', certificate, '--ssh-port', '2222']);
	t.is(added.code, 0, added.stderr);
	const stored = await readSettings({env: world.env, home: world.env.HOME!});
	t.deepEqual(stored.settings.devices, [{name: 'lab', url: 'https://lab', certificatePath: certificate, sshPort: 2222}]);

	const notPem = await devices(world, ['add', 'bad', 'https://bad', '--certificate', path.join(world.root, 'lab.pem') + '.missing']);
	t.is(notPem.code, 1);
	t.regex(notPem.stderr, /lab\.pem\.missing: cannot read the certificate: no such file\n$/);
});

test('add: --node-exporter as a URL or a port on the device, stored, listed, and used as the device\'s exporter', async t => {
	const world = await makeWorld(t);
	for (const [name, flag] of [['port', ':9200'], ['base', 'http://10.0.0.5:9300'], ['full', 'https://metrics.lan/node/metrics']]) {
		const added = await devices(world, ['add', name, `http://gokrazy:pw@${name}.lan:8080`, '--node-exporter', flag]);
		t.is(added.code, 0, added.stderr);
	}

	const stored = await readSettings({env: world.env, home: world.env.HOME!});
	t.deepEqual(stored.settings.devices.map(device => device.nodeExporterUrl), ['http://port.lan:9200/metrics', 'http://10.0.0.5:9300/metrics', 'https://metrics.lan/node/metrics']);
	const listed = JSON.parse((await devices(world, ['list', '--json'])).stdout) as {devices: Array<{name: string; nodeExporterUrl?: string}>};
	t.is(listed.devices.find(device => device.name === 'port')?.nodeExporterUrl, 'http://port.lan:9200/metrics');
	t.regex((await devices(world, ['list'])).stdout, /^port +http:\/\/port\.lan:8080 +saved +\S+ \(node exporter http:\/\/port\.lan:9200\/metrics\)$/m);
	const {targets} = await listKnownDevices(registryOptionsFrom(world.env));
	t.is(defaultNodeExporterUrl(targets.find(target => target.name === 'base')!), 'http://10.0.0.5:9300/metrics');
	t.is(defaultNodeExporterUrl(targets.find(target => target.name === 'casa')!), 'http://casa:9100/metrics', 'others stay on :9100');
});

test('add refuses a name that is taken, by a saved device or a gok instance: exit 1, one line', async t => {
	const world = await makeWorld(t);
	t.is((await devices(world, ['add', 'lab', 'http://lab'])).code, 0);
	const again = await devices(world, ['add', 'lab', 'http://gokrazy:hunter2@elsewhere']);
	t.deepEqual(again, {code: 1, stdout: '', stderr: 'lab: this name is taken by a saved device (http://lab); remove it first or choose another name\n'});
	const gok = await devices(world, ['add', 'casa', 'http://casa']);
	t.is(gok.code, 1);
	t.regex(gok.stderr, /^casa: this name is taken by a gok instance \(.*casa\/config\.json\); remove it first or choose another name\n$/);
	t.deepEqual((await readSettings({env: world.env, home: world.env.HOME!})).settings.devices, [{name: 'lab', url: 'http://lab'}]);
});

const usageCases: Array<[string[], RegExp]> = [
	[['add', 'lab'], /devices add: expects 2 arguments, got 1/],
	[['add', 'lab', 'not-a-url'], /"not-a-url" is not a URL/],
	[['add', 'lab', 'http://gokrazy:hunter2@'], /^devices add: http:\/\/gokrazy:\*\*\*@: the URL has no host/],
	[['add', 'lab', 'ftp://gokrazy:hunter2@x'], /unsupported scheme ftp:/],
	[['add', 'lab', 'http://x/some/path'], /without a path or query/],
	[['add', 'has space', 'http://x'], /cannot be a device name/],
	[['add', 'lab', 'http://x', '--ssh-port', '99999'], /--ssh-port 99999 is not a port number/],
	[['add', 'lab', 'http://x', '--node-exporter', 'x:9200'], /--node-exporter x:9200 is not an http\(s\) URL without credentials, or :PORT/],
	[['add', 'lab', 'http://x', '--node-exporter', 'http://gokrazy:hunter2@x:9200'], /--node-exporter http:\/\/gokrazy:\*\*\*@x:9200 is not/],
	[['add', 'lab', 'http://x', '--node-exporter', ':99999'], /--node-exporter :99999 is not/],
	[['list', '--node-exporter', ':9200'], /--node-exporter only goes with devices add/],
	[['remove'], /devices remove: expects 1 argument, got 0/],
	[['list', 'extra'], /devices list: expects no arguments, got 1/],
	[['list', '--password-file', 'x'], /--password-file only goes with devices add/],
	[['frobnicate'], /unknown action "frobnicate"/],
	[['--bogus'], /Unknown option '--bogus'/],
];

for (const [args, message] of usageCases) {
	test(`usage error: devices ${args.join(' ')}`, async t => {
		const world = await makeWorld(t);
		const error = await t.throwsAsync(devices(world, args), {instanceOf: UsageError});
		t.regex(error!.message, message);
		t.false(error!.message.includes('hunter2'));
	});
}

test('remove: an unknown name or a gok instance is exit 1 with one line', async t => {
	const world = await makeWorld(t);
	t.deepEqual(await devices(world, ['remove', 'ghost']), {code: 1, stdout: '', stderr: 'ghost: no saved device with this name\n'});
	const gok = await devices(world, ['remove', 'casa']);
	t.is(gok.code, 1);
	t.regex(gok.stderr, /^casa: is a gok instance \(.*\), not a saved device; krazy-tui does not remove gok instances\n$/);
	await t.throwsAsync(stat(world.settingsFile), {code: 'ENOENT'});
});

test('a broken settings file: add fails naming the file, list warns and still shows gok instances', async t => {
	const world = await makeWorld(t);
	await mkdir(path.dirname(world.settingsFile), {recursive: true});
	await writeFile(world.settingsFile, '{"devices": [');
	const added = await devices(world, ['add', 'lab', 'http://lab']);
	t.is(added.code, 1);
	t.regex(added.stderr, /^.+krazy\/config\.json: invalid JSON, not changing it: .+\n$/);
	t.is(await readFile(world.settingsFile, 'utf8'), '{"devices": [');
	const listed = await devices(world, []);
	t.is(listed.code, 0);
	t.regex(listed.stderr, /^warning: .+krazy\/config\.json: invalid JSON: .+\(line 1,? column 14\)\n$/);
	t.regex(listed.stdout, /^casa /m);
});

function escape(text: string): string {
	return text.replaceAll(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

test('devices --help reads like every other help: "Usage:", then what it does and each action', async t => {
	const world = await makeWorld(t);
	const {code, stdout} = await devices(world, ['--help']);
	t.is(code, 0);
	t.regex(stdout, /^Usage: krazy-tui devices \[list\|add NAME URL/);
	t.regex(stdout, /\nLists every device krazy-tui knows/);
	t.regex(stdout, /\nremove NAME {2,}forgets a saved device/);
});

test('a saved device at a gok instance\'s address is listed once, under the saved name, from both sources', async t => {
	const world = await makeWorld(t);
	await devices(world, ['add', 'withne', 'http://casa:8080']);
	const {stdout} = await devices(world, ['list']);
	const rows = stdout.trim().split('\n').slice(1);
	t.is(rows.length, 1, stdout);
	t.regex(rows[0]!, /^withne\s+http:\/\/casa:8080\s+saved\+gok\s/);
});
